//! Who is asking and what they may do. Every write endpoint takes a [`Writer`], so sign-in
//! is added here, in one place, when it exists; [`client_key`] names the client for
//! per-client limits until then.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// Proof that the caller may write to the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Writer;

impl<S: Send + Sync> FromRequestParts<S> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Writer, ApiError> {
        // No sign-in exists yet: everyone may write. When it does, check the session or
        // bearer token here and answer 401 AuthenticationError / 403 NotAllowedError.
        Ok(Writer)
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
    let forwarded = header.and_then(|name| {
        let value = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        value.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    });
    match forwarded.or(peer).map(|ip| ip.to_canonical()) {
        Some(IpAddr::V6(ip)) => {
            let [a, b, c, d, ..] = ip.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Some(ip) => ip.to_string(),
        None => "unknown".to_string(),
    }
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
