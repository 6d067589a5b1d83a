//! Who is asking and what they may do: the one authorisation seam.
//!
//! Every request that reads or changes data passes through [`Seam::authorize`]: REST
//! handlers by taking an [`Authorized`] extractor that names the action
//! (`Authorized<act::LocationChange>`), server functions by calling `app::identity::require`,
//! which reaches this seam through the `Arc<dyn Authorize>` the router puts in context.
//! Sign-in and ownership rules plug in here, and only here. [`client_key`] names the
//! client for per-client limits.
//!
//! Who is asking comes from the session cookie (`sessions.rs`; people sign in through
//! `signin.rs`, and through identity providers in `providers/`), and cross-site changes
//! are refused before any handler runs (`csrf.rs`).
//! Every write, and every refused attempt, is recorded in the audit log through
//! [`Seam::record`] (`audit.rs`).

pub mod admin;
pub mod audit;
pub mod cli;
pub mod csrf;
pub mod people;
pub mod providers;
pub mod sessions;
pub mod signin;
pub mod targets;
pub mod tokens;

use crate::error::ApiError;
use crate::state::AppState;
use audit::{Audited, Auditor, Client};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use identity::{
    Action, Aim, Authorize, Caller, Decision, Denial, Grant, Identified, Outcome, Policy, Recorded,
    Target,
};
use std::marker::PhantomData;
use std::time::Duration;
use store::Store;
use tower_sessions::Session;

/// What the seam decides by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// The permission policy (`permissions:` in `portico.yaml`).
    Policy(Box<Policy>),
    /// Refuse everything: tests use it to prove that every route asks.
    NobodyMay,
}

/// The authorisation seam.
#[derive(Debug)]
pub struct Seam {
    rule: Rule,
    /// Sessions older than this are ended, however busy (`session_max_secs`).
    session_max: Duration,
    /// Where API tokens are looked up.
    store: Store,
    /// Tokens' people as the catalog has them now.
    people: people::Directory,
    /// Where writes are recorded; `None`: nowhere (a seam built for a test).
    audit: Option<Auditor>,
    /// Where the people who use the portal are counted; `None`: nowhere.
    usage: Option<std::sync::Arc<crate::ops::usage::Usage>>,
}

impl Seam {
    pub fn new(rule: Rule, session_max: Duration, store: Store) -> Seam {
        Seam {
            rule,
            session_max,
            people: people::Directory::new(store.clone(), people::REMEMBER_FOR),
            store,
            audit: None,
            usage: None,
        }
    }

    /// The seam, counting the people it recognises as active in `usage`.
    pub fn with_usage(mut self, usage: std::sync::Arc<crate::ops::usage::Usage>) -> Seam {
        self.usage = Some(usage);
        self
    }

    /// The seam, recording writes in `auditor`'s store.
    pub fn with_audit(mut self, auditor: Auditor) -> Seam {
        self.audit = Some(auditor);
        self
    }

    /// Where `request` comes from, for the audit log.
    pub fn client(&self, request: &Parts) -> Client {
        let header = self.audit.as_ref().and_then(|a| a.client_header.as_ref());
        Client::of(request, header)
    }

    /// Records that `caller` tried `action` on `target` (an entity ref or a location;
    /// empty when not known yet) and how it ended: the one place audit entries are
    /// written. Only writes are recorded. Bounded in time; never fails.
    pub async fn record(
        &self,
        client: &Client,
        caller: &Caller,
        action: Action,
        target: &str,
        outcome: Outcome,
        detail: &str,
    ) {
        if let (true, Some(auditor)) = (action.is_write(), &self.audit) {
            let entry = audit::entry(client, caller, action, target, outcome, detail);
            auditor.record(entry).await;
        }
    }

    /// [`Seam::decide`], recording a refusal in the audit log.
    pub async fn decide_recorded(
        &self,
        client: &Client,
        caller: &Caller,
        action: Action,
        target: &Target,
    ) -> Result<Grant, Denial> {
        let decision = self.decide(caller, action, target);
        if let Err(denial) = &decision {
            let target = audit::target_ref(target);
            self.record(
                client,
                caller,
                action,
                &target,
                Outcome::Refused,
                denial.message(),
            )
            .await;
        }
        decision
    }

    /// The policy the seam decides by (`None` when it refuses everything).
    pub fn policy(&self) -> Option<&Policy> {
        match &self.rule {
            Rule::Policy(policy) => Some(policy),
            Rule::NobodyMay => None,
        }
    }

    /// Who is asking: the API token in `Authorization: Bearer …` (a bad one is refused,
    /// never taken for nobody), else the person signed in on the request's session, else
    /// nobody. Worked out once per request ([`admit`]), however many server
    /// functions a page calls.
    pub async fn authenticate(&self, request: &Parts) -> Result<Caller, Denial> {
        let caller = match request.extensions.get::<CallerOnce>() {
            Some(once) => once.0.get_or_init(|| self.identify(request)).await.clone(),
            None => self.identify(request).await,
        };
        if let (Some(usage), Ok(caller)) = (&self.usage, &caller)
            && let Some(person) = caller.person()
        {
            usage.active(&person.subject);
        }
        caller
    }

    async fn identify(&self, request: &Parts) -> Result<Caller, Denial> {
        if let Some(token) = bearer(&request.headers) {
            return tokens::caller(&self.store, &self.people, token, chrono::Utc::now()).await;
        }
        let Some(session) = request.extensions.get::<Session>() else {
            return Ok(Caller::Anonymous);
        };
        match sessions::person(session, self.session_max).await {
            Ok(Some(person)) => Ok(Caller::Person(person)),
            Ok(None) => Ok(Caller::Anonymous),
            Err(error) => {
                tracing::warn!(%error, "session unreadable; treated as signed out");
                Ok(Caller::Anonymous)
            }
        }
    }

    /// May `caller` do `action` to `target`? The one place permissions are decided.
    pub fn decide(
        &self,
        caller: &Caller,
        action: Action,
        target: &Target,
    ) -> Result<Grant, Denial> {
        let policy = match &self.rule {
            Rule::Policy(policy) => policy,
            Rule::NobodyMay => {
                return Err(Denial::SignInRequired(format!(
                    "Sign in to do this ({action})."
                )));
            }
        };
        let verdict = policy.decide(caller, action, target);
        if action.is_write() {
            tracing::info!(
                caller = %caller.describe(), %action, allowed = verdict.allowed,
                rule = ?verdict.rule, reason = %verdict.reason, "permission decided"
            );
        }
        match verdict.denial() {
            None => Ok(Grant {
                caller: caller.clone(),
                action,
            }),
            Some(denial) => Err(denial),
        }
    }

    /// Before an action done to one entity or location, whose target the handler still
    /// has to load: refuses a caller no target could allow (an anonymous visitor where
    /// the policy wants people signed in), so that what exists is not revealed to them.
    pub fn gate(&self, caller: &Caller, action: Action) -> Result<(), Denial> {
        let policy = match &self.rule {
            Rule::Policy(policy) => policy,
            Rule::NobodyMay => return self.decide(caller, action, &Target::Portal).map(|_| ()),
        };
        let anyone_may = policy.effective_rules().iter().any(|rule| {
            rule.actions.contains(action) && rule.allow.contains(&identity::Allow::Anyone)
        });
        if matches!(caller, Caller::Anonymous) && !anyone_may {
            return Err(Denial::SignInRequired(format!(
                "Sign in to do this ({action})."
            )));
        }
        Ok(())
    }

    /// The caller's grant for `action`, done to the portal as a whole; a refused write
    /// is recorded in the audit log.
    pub async fn authorize(&self, request: &Parts, action: Action) -> Result<Grant, Denial> {
        let caller = self.authenticate(request).await?;
        let client = self.client(request);
        self.decide_recorded(&client, &caller, action, &Target::Portal)
            .await
    }
}

impl Authorize for Seam {
    fn authenticate<'a>(&'a self, request: &'a Parts) -> Identified<'a> {
        Box::pin(Seam::authenticate(self, request))
    }

    fn authorize<'a>(&'a self, request: &'a Parts, action: Action) -> Decision<'a> {
        Box::pin(Seam::authorize(self, request, action))
    }

    fn record<'a>(
        &'a self,
        request: &'a Parts,
        grant: &'a Grant,
        target: &'a str,
        failure: Option<&'a str>,
    ) -> Recorded<'a> {
        Box::pin(async move {
            let outcome = match failure {
                None => Outcome::Succeeded,
                Some(_) => Outcome::Failed,
            };
            let client = self.client(request);
            let detail = failure.unwrap_or_default();
            Seam::record(
                self,
                &client,
                &grant.caller,
                grant.action,
                target,
                outcome,
                detail,
            )
            .await
        })
    }

    fn form_token<'a>(&'a self, request: &'a Parts) -> identity::FormToken<'a> {
        Box::pin(async move {
            let session = request.extensions.get::<Session>()?;
            sessions::form_token(session).await.ok().flatten()
        })
    }
}

/// The caller of one request, once worked out (see [`Seam::authenticate`]).
#[derive(Clone, Default)]
pub struct CallerOnce(std::sync::Arc<tokio::sync::OnceCell<Result<Caller, Denial>>>);

/// Middleware on every route, inside the session layer: refuses cross-site changes
/// ([`csrf::admit`]) and gives each request a place to keep its caller, so that a page
/// whose server functions each ask the seam looks its session or token up once. One
/// layer for both: each `from_fn` layer clones the rest of the router on every request.
pub async fn admit(
    axum::extract::State(guard): axum::extract::State<csrf::Guard>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match csrf::admit(request, &guard).await {
        Ok(mut request) => {
            request.extensions_mut().insert(CallerOnce::default());
            next.run(request).await
        }
        Err(refusal) => refusal,
    }
}

/// The token of an `Authorization: Bearer …` header, if the request has one.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl From<Denial> for ApiError {
    fn from(denial: Denial) -> ApiError {
        match denial {
            Denial::SignInRequired(message) => ApiError::unauthenticated(message),
            Denial::NotAllowed(message) => ApiError::not_allowed(message),
        }
    }
}

/// The actions, as types, so a handler's signature names what it does.
pub mod act {
    use identity::Action;

    /// An [`Action`] named by a type.
    pub trait Act: Send + Sync + 'static {
        const ACTION: Action;
    }

    macro_rules! acts {
        ($($name:ident),* $(,)?) => {
            $(
                #[doc = concat!("[`Action::", stringify!($name), "`] as a type.")]
                pub struct $name;
                impl Act for $name {
                    const ACTION: Action = Action::$name;
                }
            )*
        };
    }

    acts!(
        CatalogRead,
        LocationAnalyze,
        LocationCreate,
        LocationChange,
        EntityRefresh,
        EntityUnregister,
        SpecRender,
        AdminView,
        TaskRead,
        TaskCreate,
        TaskCancel,
        InsightsRead,
        EventReport,
        SurveyAnswer
    );
}

/// Extractor: the caller may do `A`'s action; rejects with 401/403 in Backstage's error
/// shape otherwise. An action done to the portal as a whole is decided here; one done to
/// an entity or a location is decided by [`Authorized::on`] once the handler has loaded
/// its target (the extractor only turns away callers no target could allow). Refused
/// writes are recorded in the audit log here; allowed ones by [`Audited::run`].
pub struct Authorized<A: act::Act> {
    pub caller: Caller,
    seam: std::sync::Arc<Seam>,
    client: Client,
    act: PhantomData<A>,
}

impl<A: act::Act> Authorized<A> {
    /// The grant for doing `A`'s action to `target`, to be done through
    /// [`Audited::run`], or the refusal (recorded).
    pub async fn on(&self, target: &Target) -> Result<Audited, ApiError> {
        let grant = self
            .seam
            .decide_recorded(&self.client, &self.caller, A::ACTION, target)
            .await?;
        Ok(Audited {
            seam: self.seam.clone(),
            client: self.client.clone(),
            target: audit::target_ref(target),
            grant,
        })
    }
}

impl<A: act::Act> FromRequestParts<AppState> for Authorized<A> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let seam = state.seam.clone();
        let caller = seam.authenticate(parts).await?;
        let client = seam.client(parts);
        match A::ACTION.aim() {
            Aim::Portal => {
                seam.decide_recorded(&client, &caller, A::ACTION, &Target::Portal)
                    .await?;
            }
            Aim::Entity | Aim::Location => {
                if let Err(denial) = seam.gate(&caller, A::ACTION) {
                    seam.record(
                        &client,
                        &caller,
                        A::ACTION,
                        "",
                        Outcome::Refused,
                        denial.message(),
                    )
                    .await;
                    return Err(denial.into());
                }
            }
        }
        Ok(Authorized {
            caller,
            seam,
            client,
            act: PhantomData,
        })
    }
}

/// Who is asking, for per-client limits such as the register page's drafts. There is no
/// sign-in yet, so it is the client's address: the TCP peer's, or — behind a reverse
/// proxy, where every peer is the proxy — the last address in `header` (the one the
/// proxy next to the portal added; addresses before it are whatever the client sent).
/// Set `header` only when every request comes through that proxy, or clients can name
/// themselves. An IPv6 client counts as its /64, which one host usually has to itself.
/// Once sign-in exists, the person is the better key.
pub fn client_key(
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::IpAddr>,
    header: Option<&axum::http::HeaderName>,
) -> String {
    use std::net::IpAddr;
    match client_ip(headers, peer, header) {
        Some(IpAddr::V6(ip)) => {
            let [a, b, c, d, ..] = ip.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Some(ip) => ip.to_string(),
        None => "unknown".to_string(),
    }
}

/// [`client_key`] of a request's headers and TCP peer.
pub fn client_key_of(request: &Parts, header: Option<&axum::http::HeaderName>) -> String {
    let peer = request
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    client_key(&request.headers, peer, header)
}

/// The client's address, as [`client_key`] finds it: the last address in `header` when
/// set, else the TCP peer; IPv4-mapped IPv6 addresses as IPv4.
pub fn client_ip(
    headers: &axum::http::HeaderMap,
    peer: Option<std::net::IpAddr>,
    header: Option<&axum::http::HeaderName>,
) -> Option<std::net::IpAddr> {
    let forwarded = header.and_then(|name| {
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        value
            .rsplit(',')
            .next()?
            .trim()
            .parse::<std::net::IpAddr>()
            .ok()
    });
    forwarded.or(peer).map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::client_key;
    use axum::http::{HeaderMap, HeaderName, HeaderValue};

    #[test]
    fn the_client_is_the_peer_or_the_address_the_proxy_added() {
        let peer = Some("10.0.0.5".parse().unwrap());
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 198.51.100.7"),
        );
        let header = HeaderName::from_static("x-forwarded-for");
        assert_eq!(client_key(&headers, peer, None), "10.0.0.5");
        assert_eq!(client_key(&headers, peer, Some(&header)), "198.51.100.7");
        assert_eq!(
            client_key(&HeaderMap::new(), peer, Some(&header)),
            "10.0.0.5"
        );
        let v6 = Some("2001:db8:1:2:aaaa::1".parse().unwrap());
        assert_eq!(client_key(&headers, v6, None), "2001:db8:1:2::/64");
        let mapped = Some("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(client_key(&headers, mapped, None), "192.0.2.1");
        assert_eq!(client_key(&headers, None, None), "unknown");
    }
}
