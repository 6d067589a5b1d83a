//! The server functions' way through the authorisation seam: [`require`] asks the seam
//! the server put in context whether this request may do an action, and [`caller`] who is
//! asking. Every server function calls one of them first; REST handlers use the server's
//! `Authorized` extractor, which asks the same seam.
//!
//! Making an API token ([`create_token`]) lives here too, so that the profile page and
//! `portico token create` make tokens the one same way.

#[cfg(feature = "ssr")]
pub use ssr::{NewToken, caller, create_token, holder, require};

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use chrono::{DateTime, Duration, Utc};
    use identity::token::{MAX_LIVE_TOKENS, token_from, token_hash, token_shown};
    use identity::{Action, Authorize, Caller, Grant, Person, TokenRequest};
    use leptos::prelude::use_context;
    use std::sync::Arc;
    use store::{Store, TokenRow};

    fn seam_and_request() -> Result<(Arc<dyn Authorize>, http::request::Parts), AppError> {
        let seam = use_context::<Arc<dyn Authorize>>()
            .ok_or_else(|| AppError::internal("no authorisation seam in context"))?;
        let request = use_context::<http::request::Parts>()
            .ok_or_else(|| AppError::internal("no request parts in context"))?;
        Ok((seam, request))
    }

    /// The caller's grant for `action`, or the refusal as a 401/403 error.
    pub async fn require(action: Action) -> Result<Grant, AppError> {
        let (seam, request) = seam_and_request()?;
        Ok(seam.authorize(&request, action).await?)
    }

    /// Who is asking (no permission checked), or why their credentials are refused.
    pub async fn caller() -> Result<Caller, AppError> {
        let (seam, request) = seam_and_request()?;
        Ok(seam.authenticate(&request).await?)
    }

    /// Whose tokens these are: the person's User entity when they have one (so a token
    /// made on the command line, or while signed in with another provider, is on the same
    /// profile page), else their sign-in subject.
    pub fn holder(person: &Person) -> &str {
        person.user_ref.as_deref().unwrap_or(&person.subject)
    }

    /// A token just made: the token itself (shown once, never stored) and its record.
    #[derive(Debug)]
    pub struct NewToken {
        pub token: String,
        pub row: TokenRow,
    }

    /// Makes a token for `person` as `request` asks, within the per-person limit and
    /// with a name none of their live tokens has.
    pub async fn create_token(
        store: &Store,
        person: &Person,
        request: &TokenRequest,
        now: DateTime<Utc>,
    ) -> Result<NewToken, AppError> {
        let live: Vec<TokenRow> = store
            .tokens_of(holder(person))
            .await?
            .into_iter()
            .filter(|t| t.is_live(now))
            .collect();
        if live.len() >= MAX_LIVE_TOKENS {
            return Err(AppError::BadInput(format!(
                "You already have {MAX_LIVE_TOKENS} live tokens; revoke the ones you no longer use."
            )));
        }
        if live.iter().any(|t| t.name == request.name) {
            return Err(AppError::BadInput(format!(
                "You already have a live token named \"{}\"; pick another name or revoke that one.",
                request.name
            )));
        }
        let mut random = [0u8; 32];
        getrandom::fill(&mut random).map_err(AppError::internal)?;
        let token = token_from(random);
        let row = TokenRow {
            id: uuid::Uuid::new_v4().to_string(),
            prefix: token_shown(&token),
            subject: holder(person).to_string(),
            person: serde_json::to_string(person).map_err(AppError::internal)?,
            name: request.name.clone(),
            scopes: request
                .scopes
                .iter()
                .map(|s| s.name().to_string())
                .collect(),
            created_at: now,
            expires_at: now + Duration::days(request.days.into()),
            last_used_at: None,
            revoked_at: None,
        };
        store.create_token(&row, &token_hash(&token)).await?;
        tracing::info!(holder = %row.subject, name = %row.name, prefix = %row.prefix, "API token created");
        Ok(NewToken { token, row })
    }
}
