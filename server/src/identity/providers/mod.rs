//! Signing in through an identity provider (`auth.providers` in `portico.yaml`):
//!
//! - `GET /auth/{id}/start?return_to=/path` remembers a new attempt in the visitor's
//!   session — its random `state`, its PKCE verifier, for OpenID Connect its `nonce`, and
//!   where to go afterwards — and sends the browser to the provider;
//! - `GET /auth/{id}/callback?code=…&state=…` takes the attempt with that `state` out of
//!   the session (each is used once), has the provider's module turn the code into who
//!   signed in (`oidc.rs`, `github.rs`), finds them in the catalog (`people.rs`), signs
//!   them in with a new session id (`sessions::sign_in`) and sends them back.
//!
//! Whatever goes wrong ends on the sign-in refusal page, saying what happened and how to
//! go on: 400 for a callback that fits no attempt of this browser (a forged or replayed
//! `state`) or a provider's `?error=`, 403 for someone the portal does not let in, 502
//! when the provider cannot be reached or answers what cannot be trusted, 404 for a
//! provider that is not configured. Never a stack trace.

pub mod github;
pub mod oidc;

use crate::config::{ProviderKind, SignInProvider, UnknownPeople};
use crate::identity::people::{self, Claims, Resolution};
use crate::identity::sessions;
use crate::identity::signin::{refusal, safe_return};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use identity::Person;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tower_sessions::Session;

/// How long a started sign-in may take at the provider.
const ATTEMPT_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Attempts kept per session at once (sign-in started in several tabs).
const MAX_ATTEMPTS: usize = 4;
/// The session key of the attempts under way.
const ATTEMPTS: &str = "sign_in_attempts";
/// Time limit for each request to a provider.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);
/// Sign-ins one client may start per [`STARTS_WINDOW`]: each keeps a session row for
/// [`ATTEMPT_LIFETIME`], so a script must not be able to start them without end. A
/// person starts a handful; an office behind one address, a few dozen.
const MAX_STARTS: u32 = 60;
const STARTS_WINDOW: Duration = Duration::from_secs(60);

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/{provider}/start", get(start))
        .route("/auth/{provider}/callback", get(callback))
}

/// What the portal keeps about its providers between requests: the HTTP client for their
/// endpoints and the OpenID Connect discovery documents read so far.
pub struct Providers {
    /// Never follows redirects: a token endpoint that redirects is not followed elsewhere.
    http: reqwest::Client,
    discovery: oidc::DiscoveryCache,
    /// Sign-ins started per client ([`crate::identity::client_key`]) in the current
    /// window, which begins at the client's first start; on this replica.
    starts: moka::future::Cache<String, std::sync::Arc<std::sync::atomic::AtomicU32>>,
}

impl Providers {
    /// `ca_pem`: certificate authorities trusted besides the public ones (`auth.ca_file`,
    /// checked when the configuration was read).
    pub fn new(ca_pem: Option<&str>) -> Providers {
        let extra_roots = ca_pem
            .map(|pem| reqwest::Certificate::from_pem_bundle(pem.as_bytes()).unwrap_or_default())
            .unwrap_or_default();
        let http = extra_roots
            .into_iter()
            .fold(reqwest::Client::builder(), |builder, root| {
                builder.add_root_certificate(root)
            })
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(PROVIDER_TIMEOUT)
            .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")))
            .build()
            // As `reqwest::Client::new` does: only a TLS backend that cannot start fails.
            .expect("the HTTP client for sign-in providers can be built");
        Providers {
            http,
            discovery: oidc::DiscoveryCache::default(),
            starts: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(STARTS_WINDOW)
                .build(),
        }
    }

    /// Counts a sign-in started by `client`; refuses it when the client has started
    /// [`MAX_STARTS`] in this window already.
    async fn count_start(&self, client: &str) -> Result<(), Failure> {
        let count = self
            .starts
            .get_with_by_ref(client, async { Default::default() })
            .await;
        if count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= MAX_STARTS {
            return Err(Failure::TooMany(format!(
                "Sign-in was started more than {MAX_STARTS} times from your address in the \
                 last {} seconds; wait a minute, then sign in again.",
                STARTS_WINDOW.as_secs()
            )));
        }
        Ok(())
    }
}

impl Default for Providers {
    fn default() -> Providers {
        Providers::new(None)
    }
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers").finish_non_exhaustive()
    }
}

/// Why a sign-in through a provider did not work; each becomes the refusal page with its
/// status. The messages are for the person signing in: internal details go to the log.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// 404: no such provider here.
    UnknownProvider(String),
    /// 400: the request fits no attempt, or the provider reported an error.
    BadRequest(String),
    /// 403: the portal does not let this person in.
    Refused(String),
    /// 502: the provider could not be reached, or answered what cannot be trusted.
    Provider(String),
    /// 429: too many sign-ins started from one client.
    TooMany(String),
    /// 500: the portal's own trouble (the session store).
    Internal(String),
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Failure::UnknownProvider(m) => (StatusCode::NOT_FOUND, m),
            Failure::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            Failure::Refused(m) => (StatusCode::FORBIDDEN, m),
            Failure::Provider(m) => (StatusCode::BAD_GATEWAY, m),
            Failure::TooMany(m) => (StatusCode::TOO_MANY_REQUESTS, m),
            Failure::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        let mut response = refusal(status, &message);
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait = axum::http::HeaderValue::from(STARTS_WINDOW.as_secs());
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, wait);
        }
        response
    }
}

/// A sign-in under way: what the callback must match, kept server side in the session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    pub provider: String,
    pub state: String,
    /// The OpenID Connect nonce the ID token must carry.
    pub nonce: Option<String>,
    pub pkce_verifier: String,
    /// A path on this portal (`safe_return`).
    pub return_to: String,
    pub started_at: i64,
}

/// Where a provider module sends the browser, and the secrets the callback is checked
/// against.
pub struct Begun {
    pub url: url::Url,
    pub state: String,
    pub nonce: Option<String>,
    pub pkce_verifier: String,
}

#[derive(Deserialize)]
struct StartQuery {
    return_to: Option<String>,
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// The issuer of the answer (RFC 9207), when the provider names it.
    iss: Option<String>,
}

/// The configured provider `id`.
fn provider<'a>(state: &'a AppState, id: &str) -> Result<&'a SignInProvider, Failure> {
    state.config.auth.provider(id).ok_or_else(|| {
        Failure::UnknownProvider(format!(
            "This portal has no sign-in provider called \u{201c}{}\u{201d}; pick one of \
             those on the sign-in page.",
            id.chars().take(40).collect::<String>()
        ))
    })
}

/// The redirect URI registered at the provider: `{public_url}/auth/{id}/callback`.
pub fn redirect_uri(public_url: &str, provider: &SignInProvider) -> String {
    format!("{public_url}/auth/{}/callback", provider.id)
}

async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<StartQuery>,
    session: Session,
    request: axum::http::request::Parts,
) -> Response {
    let client =
        crate::identity::client_key_of(&request, state.config.client_address_header.as_ref());
    if let Err(failure) = state.providers.count_start(&client).await {
        tracing::warn!(%client, "too many sign-ins started");
        return failure.into_response();
    }
    match begin(&state, &id, query.return_to.as_deref(), &session).await {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(failure) => failure.into_response(),
    }
}

async fn begin(
    state: &AppState,
    id: &str,
    return_to: Option<&str>,
    session: &Session,
) -> Result<url::Url, Failure> {
    let provider = provider(state, id)?;
    let redirect_uri = redirect_uri(&state.config.public_url, provider);
    let begun = match &provider.kind {
        ProviderKind::Oidc { issuer } => {
            oidc::begin(&state.providers, provider, issuer, &redirect_uri).await?
        }
        ProviderKind::Github { web_url, .. } => github::begin(provider, web_url, &redirect_uri)?,
    };
    let now = Utc::now().timestamp();
    let mut attempts = attempts(session).await?;
    attempts.retain(|a| !expired(a, now));
    if attempts.len() >= MAX_ATTEMPTS {
        attempts.remove(0);
    }
    attempts.push(Attempt {
        provider: provider.id.clone(),
        state: begun.state,
        nonce: begun.nonce,
        pkce_verifier: begun.pkce_verifier,
        return_to: safe_return(return_to).to_string(),
        started_at: now,
    });
    session
        .insert(ATTEMPTS, &attempts)
        .await
        .map_err(session_failure)?;
    sessions::expire_unless_signed_in(session, ATTEMPT_LIFETIME)
        .await
        .map_err(session_failure)?;
    Ok(begun.url)
}

async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<CallbackQuery>,
    session: Session,
) -> Response {
    match finish(&state, &id, query, &session).await {
        Ok((person, return_to)) => {
            tracing::info!(subject = %person.subject, user = ?person.user_ref, provider = %id, "signed in");
            Redirect::to(&return_to).into_response()
        }
        Err(failure) => {
            tracing::warn!(provider = %id, ?failure, "sign-in through a provider failed");
            failure.into_response()
        }
    }
}

async fn finish(
    state: &AppState,
    id: &str,
    query: CallbackQuery,
    session: &Session,
) -> Result<(Person, String), Failure> {
    let provider = provider(state, id)?;
    // The attempt is used up whatever happens next: a state is good for one callback.
    let mut attempts = attempts(session).await?;
    let found = query.state.as_deref().and_then(|state| {
        attempts
            .iter()
            .position(|a| a.provider == provider.id && same_secret(&a.state, state))
    });
    let attempt = found.map(|index| attempts.remove(index));
    if found.is_some() {
        session
            .insert(ATTEMPTS, &attempts)
            .await
            .map_err(session_failure)?;
    }
    if let Some(error) = query.error {
        let described = match query.error_description {
            Some(description) if !description.trim().is_empty() => {
                format!("{error}: {}", description.trim())
            }
            _ => error,
        };
        let described: String = described.chars().take(300).collect();
        return Err(Failure::BadRequest(format!(
            "{} did not sign you in ({described}). Try again from the sign-in page, or ask \
             the provider's administrators whether you may use this portal.",
            provider.title
        )));
    }
    let Some(attempt) = attempt else {
        return Err(Failure::BadRequest(format!(
            "This answer from {} fits no sign-in started in this browser (its state is \
             missing or unknown): the sign-in was started elsewhere, already finished, or \
             the portal's session cookie was blocked. Start again from the sign-in page.",
            provider.title
        )));
    };
    if expired(&attempt, Utc::now().timestamp()) {
        return Err(Failure::BadRequest(format!(
            "This sign-in took longer than {} minutes; start again from the sign-in page.",
            ATTEMPT_LIFETIME.as_secs() / 60
        )));
    }
    if let (Some(iss), ProviderKind::Oidc { issuer }) = (&query.iss, &provider.kind)
        && iss != issuer
    {
        // An answer from another provider than the one asked (a mix-up attack).
        return Err(Failure::BadRequest(format!(
            "This answer comes from {} rather than from {} ({issuer}); start again from \
             the sign-in page.",
            iss.chars().take(100).collect::<String>(),
            provider.title
        )));
    }
    let Some(code) = query.code.filter(|code| !code.is_empty()) else {
        return Err(Failure::BadRequest(format!(
            "{} sent no authorisation code back; start again from the sign-in page.",
            provider.title
        )));
    };
    let redirect_uri = redirect_uri(&state.config.public_url, provider);
    let claims = match &provider.kind {
        ProviderKind::Oidc { issuer } => {
            oidc::finish(
                &state.providers,
                provider,
                issuer,
                &redirect_uri,
                &code,
                &attempt,
            )
            .await?
        }
        ProviderKind::Github {
            host,
            web_url,
            api_url,
        } => {
            let endpoints = github::Endpoints {
                host,
                web_url,
                api_url,
            };
            github::finish(
                &state.providers,
                provider,
                &endpoints,
                &redirect_uri,
                &code,
                &attempt,
            )
            .await?
        }
    };
    let person = person(state, provider, claims).await?;
    sessions::sign_in(session, &person)
        .await
        .map_err(session_failure)?;
    Ok((person, attempt.return_to))
}

/// The person the provider vouched for, as the catalog knows them, or the reason they may
/// not sign in.
async fn person(
    state: &AppState,
    provider: &SignInProvider,
    claims: Claims,
) -> Result<Person, Failure> {
    let resolution = people::resolve(&state.store, claims)
        .await
        .map_err(|error| {
            tracing::error!(%error, "sign-in: cannot read the catalog");
            Failure::Internal("The catalog could not be read; try again in a moment.".into())
        })?;
    match resolution {
        Resolution::Known(person) => Ok(person),
        Resolution::Unknown { person, .. }
            if state.config.auth.unknown_people == UnknownPeople::Allow =>
        {
            Ok(person)
        }
        Resolution::Unknown { person, looked_for } => Err(Failure::Refused(unknown_message(
            provider,
            &person,
            &looked_for,
        ))),
        Resolution::Ambiguous { key, value, users } => Err(Failure::Refused(format!(
            "You signed in at {} as {value}, but several User entities of the catalog claim \
             it ({}: {value} in {}), so the portal cannot tell which one is you. Ask the \
             catalog's owners to keep it on one User entity only.",
            provider.title,
            shown_key(key),
            users.join(" and "),
        ))),
    }
}

/// What a person the catalog does not know is told: what to add to the catalog.
fn unknown_message(
    provider: &SignInProvider,
    person: &Person,
    looked_for: &[(&'static str, String)],
) -> String {
    if looked_for.is_empty() {
        return format!(
            "You signed in at {} as {}, but it told the portal neither your e-mail address \
             nor a login to find you in the catalog by, and this portal lets in only people \
             its catalog knows. Ask its operators to request the email scope from {}.",
            provider.title, person.display_name, provider.title
        );
    }
    let wanted = looked_for
        .iter()
        .map(|(key, value)| format!("{}: {value}", shown_key(key)))
        .collect::<Vec<_>>()
        .join(", or ");
    format!(
        "You signed in at {} as {}, but the catalog has no User entity for you, and this \
         portal lets in only people its catalog knows. Ask the catalog's owners to add a \
         User entity with {wanted} (and your teams in spec.memberOf), then sign in again.",
        provider.title, person.display_name
    )
}

/// A search key as people write it in catalog YAML.
fn shown_key(key: &str) -> &str {
    match key {
        people::GITHUB_LOGIN_KEY => "the annotation github.com/user-login",
        people::EMAIL_KEY => "spec.profile.email",
        other => other,
    }
}

async fn attempts(session: &Session) -> Result<Vec<Attempt>, Failure> {
    Ok(session
        .get::<Vec<Attempt>>(ATTEMPTS)
        .await
        .map_err(session_failure)?
        .unwrap_or_default())
}

fn expired(attempt: &Attempt, now: i64) -> bool {
    let age = now.saturating_sub(attempt.started_at);
    age < 0 || age as u64 > ATTEMPT_LIFETIME.as_secs()
}

fn session_failure(error: tower_sessions::session::Error) -> Failure {
    tracing::error!(%error, "sign-in: the session cannot be read or stored");
    Failure::Internal("The session could not be stored; try again in a moment.".into())
}

/// Compares a secret without stopping at the first difference.
fn same_secret(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("abc", ""));
    }

    #[test]
    fn attempts_expire() {
        let attempt = Attempt {
            provider: "okta".into(),
            state: "s".into(),
            nonce: None,
            pkce_verifier: "v".into(),
            return_to: "/".into(),
            started_at: 1_000,
        };
        assert!(!expired(&attempt, 1_000 + 599));
        assert!(expired(&attempt, 1_000 + 601));
        assert!(expired(&attempt, 999), "from the future");
    }
}
