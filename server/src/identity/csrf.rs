//! Cross-site request forgery: a page on another site must not be able to make a
//! visitor's browser change anything here with the visitor's session cookie.
//!
//! Every state-changing request (any method but GET, HEAD, OPTIONS) that a browser sends
//! says where it comes from: `Sec-Fetch-Site` (every current browser) or `Origin`. Such a
//! request is refused unless it comes from the portal's own origin. A request that
//! carries neither header is not from a browser form or script, unless it is from a very
//! old browser; it is let through only when it carries no session cookie, so an API
//! client (curl, CI, `@backstage/catalog-client`) keeps working, and one with a bearer
//! token is always let through: a token is never sent by a browser on its own.
//!
//! Plain HTML forms carry a token besides ([`FORM_FIELD`]): a form submitted while
//! someone is signed in must send the token of their session, which only the portal's
//! own pages know. A form is what a page on another site can make a browser send
//! without asking anyone (a script's request across origins needs the portal's consent
//! first), so this second check holds even where a proxy drops `Origin` or a browser
//! gets it wrong. The portal's scripts send their requests with `fetch`, which is never
//! a form submission; they are covered by the origin checks alone.

use crate::error::ApiError;
use crate::identity::sessions::{self, COOKIE};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;
use tower_sessions::Session;

/// The hidden field of the portal's forms that carries the session's form token.
pub const FORM_FIELD: &str = "form_token";

/// The portal's own origin, `scheme://host[:port]`, as browsers write it in `Origin`.
#[derive(Clone, Debug)]
pub struct Origin(pub Arc<str>);

impl Origin {
    /// The origin of `public_url` (which has no path).
    pub fn of(public_url: &str) -> Origin {
        let origin = url::Url::parse(public_url)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_else(|_| public_url.trim_end_matches('/').to_string());
        Origin(origin.into())
    }
}

/// What [`super::admit`] checks requests against.
#[derive(Clone, Debug)]
pub struct Guard {
    pub origin: Origin,
    /// The most a form body may hold (`max_body_bytes`): it is read whole to find the token.
    pub max_body: usize,
}

/// `request`, if it may go on, or the refusal of a cross-site state-changing request (see
/// the module documentation). A form's body is read to find its token and put back.
pub async fn admit(request: Request, guard: &Guard) -> Result<Request, Response> {
    let refused = |request: &Request, status: StatusCode, message: String| {
        tracing::warn!(method = %request.method(), path = %request.uri().path(), %message, "cross-site request refused");
        ApiError::with_status(status, message)
            .envelope(request.method().as_str(), &request.uri().to_string())
    };
    if let Err(message) = verdict(request.method(), request.headers(), &guard.origin) {
        return Err(refused(&request, StatusCode::FORBIDDEN, message));
    }
    if !is_form_submission(request.method(), request.headers()) {
        return Ok(request);
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return Ok(request);
    };
    let expected = match sessions::form_token(&session).await {
        Ok(Some(token)) => token,
        Ok(None) => return Ok(request),
        Err(error) => {
            tracing::warn!(%error, "session unreadable; form let through as signed out");
            return Ok(request);
        }
    };
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, guard.max_body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let request = Request::from_parts(parts, Body::empty());
            let message = format!(
                "This form sent more than {} bytes, the most the portal takes.",
                guard.max_body
            );
            return Err(refused(&request, StatusCode::PAYLOAD_TOO_LARGE, message));
        }
    };
    let request = Request::from_parts(parts, Body::from(bytes.clone()));
    match form_verdict(request.headers(), &bytes, &expected) {
        Ok(()) => Ok(request),
        Err(message) => Err(refused(&request, StatusCode::FORBIDDEN, message)),
    }
}

/// Whether a state-changing request is a plain HTML form being submitted by someone
/// with a session: the browser navigates to the answer (`Sec-Fetch-Mode: navigate`), or
/// — a browser that does not say so — asks for an HTML page back. Requests with a bearer
/// token are exempt, as from every check here.
fn is_form_submission(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || super::bearer(headers).is_some()
        || !has_session_cookie(headers)
    {
        return false;
    }
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::HeaderName::from_static("sec-fetch-mode")) {
        Some(mode) => mode == "navigate",
        None => text(header::ACCEPT).is_some_and(|accept| accept.contains("text/html")),
    }
}

/// Does a form's `body` carry the session's token `expected`?
fn form_verdict(headers: &HeaderMap, body: &[u8], expected: &str) -> Result<(), String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(format!(
            "The portal's forms are sent as application/x-www-form-urlencoded, not as \
             \"{essence}\"; submit the form from the portal's own page."
        ));
    }
    let sent = url::form_urlencoded::parse(body)
        .find(|(name, _)| name == FORM_FIELD)
        .map(|(_, value)| value);
    match sent {
        Some(token) if same(token.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(
            "This form was made for an earlier sign-in (its form token is not \
                        this session's); reload the page and submit it again."
                .into(),
        ),
        None => Err(format!(
            "This form carries no form token (the hidden \"{FORM_FIELD}\" field the portal's \
             own forms have), so it may come from another site; reload the portal's page and \
             submit it there."
        )),
    }
}

/// Equal, in a time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn verdict(method: &Method, headers: &HeaderMap, origin: &Origin) -> Result<(), String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if super::bearer(headers).is_some() {
        return Ok(());
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return match site {
            "same-origin" | "none" => Ok(()),
            other => Err(format!(
                "This request came from another site ({other}); changes can only be made from \
                 the portal's own pages, or with an API token."
            )),
        };
    }
    if let Some(from) = text("origin") {
        return if from == &*origin.0 {
            Ok(())
        } else {
            Err(format!(
                "This request came from {from}, not from the portal ({}); changes can only be \
                 made from the portal's own pages, or with an API token.",
                origin.0
            ))
        };
    }
    if has_session_cookie(headers) {
        return Err(
            "Your browser did not say where this request came from, so it cannot be \
                    told apart from a forged one; use a current browser, or an API token."
                .into(),
        );
    }
    Ok(())
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|pair| {
            pair.trim()
                .split_once('=')
                .is_some_and(|(name, _)| name == COOKIE)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn check(method: Method, pairs: &[(&'static str, &str)]) -> Result<(), String> {
        verdict(
            &method,
            &headers(pairs),
            &Origin::of("http://portal.example:3000"),
        )
    }

    #[test]
    fn only_signed_in_form_navigations_need_a_form_token() {
        let cookie = ("cookie", "portico_session=abc");
        let form =
            |pairs: &[(&'static str, &str)]| is_form_submission(&Method::POST, &headers(pairs));
        assert!(form(&[cookie, ("sec-fetch-mode", "navigate")]));
        assert!(form(&[
            cookie,
            ("accept", "text/html,application/xhtml+xml")
        ]));
        assert!(!form(&[
            cookie,
            ("sec-fetch-mode", "cors"),
            ("accept", "text/html")
        ]));
        assert!(!form(&[
            cookie,
            ("accept", "application/x-www-form-urlencoded")
        ]));
        assert!(!form(&[("sec-fetch-mode", "navigate")]), "no session");
        assert!(!form(&[
            cookie,
            ("sec-fetch-mode", "navigate"),
            ("authorization", "Bearer pt_1")
        ]));
        assert!(!is_form_submission(
            &Method::GET,
            &headers(&[cookie, ("sec-fetch-mode", "navigate")])
        ));
    }

    #[test]
    fn a_form_must_carry_its_sessions_token() {
        let urlencoded = headers(&[("content-type", "application/x-www-form-urlencoded")]);
        let check = |body: &str| form_verdict(&urlencoded, body.as_bytes(), "t0ken");
        assert_eq!(check("user=a&form_token=t0ken"), Ok(()));
        assert!(check("user=a").unwrap_err().contains("no form token"));
        assert!(
            check("form_token=t0ke")
                .unwrap_err()
                .contains("earlier sign-in")
        );
        assert!(check("form_token=t0kenX").is_err());
        let plain = headers(&[("content-type", "text/plain")]);
        assert!(
            form_verdict(&plain, b"form_token=t0ken", "t0ken")
                .unwrap_err()
                .contains("text/plain")
        );
        assert!(form_verdict(&HeaderMap::new(), b"form_token=t0ken", "t0ken").is_err());
    }

    #[test]
    fn reads_always_pass() {
        assert!(check(Method::GET, &[("origin", "http://evil.example")]).is_ok());
    }

    #[test]
    fn changes_from_another_site_are_refused() {
        let cookie = ("cookie", "portico_session=abc");
        assert!(check(Method::POST, &[("sec-fetch-site", "cross-site"), cookie]).is_err());
        assert!(check(Method::POST, &[("sec-fetch-site", "same-site")]).is_err());
        assert!(check(Method::DELETE, &[("origin", "http://evil.example"), cookie]).is_err());
        assert!(check(Method::POST, &[("origin", "http://portal.example:3001")]).is_err());
        assert!(
            check(Method::POST, &[cookie]).is_err(),
            "a session without any origin"
        );
    }

    #[test]
    fn changes_from_the_portal_api_clients_and_tokens_pass() {
        let cookie = ("cookie", "theme=dark; portico_session=abc");
        assert!(check(Method::POST, &[("sec-fetch-site", "same-origin"), cookie]).is_ok());
        assert!(
            check(
                Method::POST,
                &[("origin", "http://portal.example:3000"), cookie]
            )
            .is_ok()
        );
        assert!(check(Method::POST, &[]).is_ok(), "curl without a session");
        assert!(
            check(
                Method::POST,
                &[
                    ("origin", "http://evil.example"),
                    ("authorization", "Bearer pt_1")
                ]
            )
            .is_ok(),
            "a token is never sent by a browser on its own"
        );
    }
}
