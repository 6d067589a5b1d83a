//! Which network addresses a URL location may reach (SSRF protection).
//!
//! A catalog URL is user input: without these checks anyone who can register a location
//! could make the portal fetch cloud metadata (`169.254.169.254`), admin consoles on
//! `localhost` or services on the private network, and read the answer back in the error
//! messages. Every address a host resolves to is checked, and the connection goes to
//! one of exactly those checked addresses (the resolver below is the only one the HTTP
//! client uses), so a DNS answer that changes between check and connect (rebinding)
//! cannot slip through. An allowed private address is reachable on the port its
//! `catalog_url_allow` entry names only, so allowing a Git server does not open the
//! database next to it; the resolver is made per port so that it can check both.

use crate::config::AllowedNetwork;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address may not be reached, or `None` when it is a public address.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => v4_reason(ip),
        IpAddr::V6(ip) => v6_reason(ip),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) => "a cloud metadata address",
        _ if ip == Ipv4Addr::new(100, 100, 100, 200) => "a cloud metadata address",
        (127, _, _) => "a loopback address",
        (0, _, _) => "an unspecified address",
        (10, _, _) | (192, 168, _) => "a private address",
        (172, b, _) if (16..32).contains(&b) => "a private address",
        (169, 254, _) => "a link-local address",
        (100, b, _) if (64..128).contains(&b) => "a shared (CGNAT) address",
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a reserved address",
        (198, 18, _) | (198, 19, _) => "a reserved address",
        (a, _, _) if a >= 224 => "a multicast or reserved address",
        _ => return None,
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_reason(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address: check that one.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return v4_reason(Ipv4Addr::new(a, b, c, d));
    }
    if segments[0] == 0x2002 {
        let [a, b] = segments[1].to_be_bytes();
        let [c, d] = segments[2].to_be_bytes();
        return v4_reason(Ipv4Addr::new(a, b, c, d));
    }
    Some(match segments[0] {
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_unspecified() => "an unspecified address",
        s if s & 0xfe00 == 0xfc00 => "a private (unique local) address",
        s if s & 0xffc0 == 0xfe80 || s & 0xffc0 == 0xfec0 => "a link-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        0x2001 if segments[1] == 0x0db8 => "a reserved address",
        0 => "a reserved address",
        _ => return None,
    })
}

/// The addresses a URL location may reach: public ones, and those `allow` permits.
#[derive(Clone, Debug, Default)]
pub struct AddressPolicy {
    pub allow: Vec<AllowedNetwork>,
}

impl AddressPolicy {
    /// `Err` with a message for users when `ip` may not be reached on `port`.
    pub fn check(&self, host: &str, ip: IpAddr, port: u16) -> Result<(), String> {
        let Some(reason) = forbidden_reason(ip) else {
            return Ok(());
        };
        let entries: Vec<&AllowedNetwork> = self
            .allow
            .iter()
            .filter(|entry| entry.network.contains(&ip))
            .collect();
        if entries.iter().any(|entry| entry.permits(ip, port)) {
            return Ok(());
        }
        if !entries.is_empty() {
            let ports: Vec<String> = entries
                .iter()
                .flat_map(|entry| entry.ports())
                .map(|port| port.to_string())
                .collect();
            return Err(format!(
                "{host} is {reason} ({ip}); catalog_url_allow (PORTICO_CATALOG_URL_ALLOW) \
                 permits it on port {} only, not on port {port}",
                ports.join(", ")
            ));
        }
        Err(format!(
            "{host} is {reason} ({ip}); catalog URLs may only reach public addresses \
             unless catalog_url_allow (PORTICO_CATALOG_URL_ALLOW) permits it"
        ))
    }
}

/// The HTTP client's only resolver: resolves with the system resolver and refuses the
/// whole host when any of its addresses is forbidden on `port` (reqwest asks for a name
/// without its port, so each port has a client with a resolver of its own).
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
    pub port: u16,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let port = self.port;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no addresses").into());
            }
            for addr in &addrs {
                policy.check(&host, addr.ip(), port)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_forbidden() {
        for text in [
            "127.0.0.1",
            "127.1.2.3",
            "0.0.0.0",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "169.254.10.10",
            "100.64.0.1",
            "100.127.255.255",
            "100.100.100.200",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(
                forbidden_reason(ip(text)).is_some(),
                "{text} must be refused"
            );
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for text in [
            "1.1.1.1",
            "140.82.112.3",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(forbidden_reason(ip(text)), None, "{text}");
        }
    }

    #[test]
    fn the_allow_list_permits_exactly_its_networks_and_ports() {
        let policy = AddressPolicy {
            allow: vec!["127.0.0.1/32".parse().unwrap()],
        };
        // No port named: the web ports only, never the database next to the server.
        assert!(policy.check("localhost", ip("127.0.0.1"), 443).is_ok());
        let error = policy
            .check("localhost", ip("127.0.0.1"), 5432)
            .unwrap_err();
        assert!(
            error.contains("port 80, 443 only, not on port 5432"),
            "{error}"
        );
        let error = policy.check("localhost", ip("127.0.0.2"), 80).unwrap_err();
        assert!(error.contains("loopback"), "{error}");
        assert!(error.contains("PORTICO_CATALOG_URL_ALLOW"), "{error}");
        let error = AddressPolicy::default()
            .check("metadata", ip("169.254.169.254"), 80)
            .unwrap_err();
        assert!(error.contains("metadata"), "{error}");

        let policy = AddressPolicy {
            allow: vec![
                "10.1.2.3:443".parse().unwrap(),
                "10.1.2.3:8443".parse().unwrap(),
            ],
        };
        assert!(policy.check("git", ip("10.1.2.3"), 443).is_ok());
        assert!(policy.check("git", ip("10.1.2.3"), 8443).is_ok());
        let error = policy.check("git", ip("10.1.2.3"), 5432).unwrap_err();
        assert!(
            error.contains("on port 443, 8443 only, not on port 5432"),
            "{error}"
        );
        assert!(policy.check("public", ip("1.1.1.1"), 5432).is_ok());
    }

    #[tokio::test]
    async fn the_resolver_refuses_hosts_that_resolve_to_loopback() {
        let resolver = GuardedResolver {
            policy: Arc::new(AddressPolicy::default()),
            port: 80,
        };
        let name: Name = "localhost".parse().unwrap();
        let error = match resolver.resolve(name).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("loopback"), "{error}");
    }
}
