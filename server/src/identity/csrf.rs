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
//! No hidden form token is needed on top: the checks above cover plain HTML forms too
//! (they send `Origin` and `Sec-Fetch-Site`), and a form without either is refused when
//! it carries a session.

use crate::error::ApiError;
use crate::identity::sessions::COOKIE;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, header};
use axum::response::Response;
use std::sync::Arc;

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

/// The refusal of a cross-site state-changing request (see the module documentation);
/// `None` when the request may go on. Called by [`super::admit`].
pub fn refusal(request: &Request, origin: &Origin) -> Option<Response> {
    let message = verdict(request.method(), request.headers(), origin).err()?;
    tracing::warn!(method = %request.method(), path = %request.uri().path(), %message, "cross-site request refused");
    Some(
        ApiError::not_allowed(message)
            .envelope(request.method().as_str(), &request.uri().to_string()),
    )
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
