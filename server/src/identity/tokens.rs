//! API tokens for CI jobs and scripts, as they are used: `Authorization: Bearer pt_…`.
//! They are made by a person on their profile page or by `portico token create`, both
//! through `app::identity::create_token`. A token acts as the person who made it — with
//! the groups the catalog gives them now, not when the token was made, so leaving a team
//! takes its rights from their tokens too — and only within its scopes.

use crate::identity::people::Directory;
use chrono::{DateTime, Duration, Utc};
use identity::token::{check_token_shape, token_hash};
use identity::{Caller, Denial, Person, Scope};
use std::fmt::Display;
use std::sync::Arc;
use store::{Store, StoreError, TokenRow};

/// How stale "last used" may get before a use writes it again: one write per token per
/// minute at most, however busy the token.
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// The caller a bearer token stands for, or why it is refused (always a 401 with what to
/// do: an unknown, revoked or expired token never falls back to anonymous reading, so a
/// script learns at once that its token is bad).
pub async fn caller(
    store: &Store,
    people: &Directory,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Caller, Denial> {
    check_token_shape(token).map_err(Denial::SignInRequired)?;
    let row = store
        .token_by_hash(&token_hash(token))
        .await
        .map_err(unavailable)?
        .ok_or_else(|| {
            Denial::SignInRequired(
                "This API token is not known here: it was mistyped or belongs to another \
                 portal. Create one on your profile page."
                    .into(),
            )
        })?;
    if let Some(revoked) = row.revoked_at {
        return Err(Denial::SignInRequired(format!(
            "The API token \"{}\" was revoked on {}; create a new one on your profile page.",
            row.name,
            revoked.format("%Y-%m-%d")
        )));
    }
    if row.expires_at <= now {
        return Err(Denial::SignInRequired(format!(
            "The API token \"{}\" expired on {}; create a new one on your profile page.",
            row.name,
            row.expires_at.format("%Y-%m-%d")
        )));
    }
    let person = current_person(people, &row).await.map_err(unavailable)?;
    if row
        .last_used_at
        .is_none_or(|used| now - used >= TOUCH_EVERY)
    {
        // Not awaited by the request: "last used" is a hint, not worth a request's latency.
        let (store, id) = (store.clone(), row.id.clone());
        tokio::spawn(async move {
            if let Err(error) = store.touch_token(&id, now).await {
                tracing::warn!(%error, "cannot record a token's use");
            }
        });
    }
    Ok(Caller::Token {
        name: row.name,
        scopes: row.scopes.iter().filter_map(|s| Scope::named(s)).collect(),
        person,
    })
}

/// The token's person as the catalog has them now (remembered for a few seconds): groups
/// looked up again; without a User entity any more, no groups at all.
async fn current_person(people: &Directory, row: &TokenRow) -> Result<Person, Arc<StoreError>> {
    let mut person: Person = serde_json::from_str(&row.person).map_err(|source| {
        Arc::new(StoreError::CorruptBody {
            entity_ref: format!("API token {}", row.id),
            source,
        })
    })?;
    if let Some(user_ref) = person.user_ref.clone() {
        match people.person(&user_ref, person.subject.clone()).await? {
            Some(now) => person = now,
            None => person.groups.clear(),
        }
    }
    Ok(person)
}

fn unavailable(error: impl Display) -> Denial {
    tracing::error!(%error, "cannot check an API token");
    Denial::SignInRequired(
        "The API token could not be checked (the database did not answer); try again.".into(),
    )
}
