//! `url` locations: http(s) reads with SSRF protection, bounded redirects, a time limit
//! and a size cap.
//!
//! GitHub blob URLs (`https://github.com/o/r/blob/ref/path`) are read through the GitHub
//! API (see `github.rs`); raw.githubusercontent.com URLs get the configured token.

use super::ReadError;
use super::github::GithubReader;
use super::net::{AddressPolicy, GuardedResolver};
use crate::config::{IngestConfig, Secret};
use crate::integrations::github::GithubIntegration;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, LOCATION};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::{Host, Url};

/// The host that receives the GitHub token over plain HTTP; never any other.
const GITHUB_RAW_HOST: &str = "raw.githubusercontent.com";

/// Ports whose HTTP client is kept for the next read; a client for any other port is
/// built for one read (a location can name any port, and each client holds a pool).
const KEPT_CLIENTS: usize = 8;

pub struct UrlReader {
    /// One client per port, each with a resolver that checks addresses for that port.
    clients: Mutex<HashMap<u16, reqwest::Client>>,
    policy: Arc<AddressPolicy>,
    github: GithubReader,
    /// github.com's token, sent to raw.githubusercontent.com (and nowhere else).
    token: Option<Secret>,
    max_bytes: u64,
    max_redirects: usize,
    timeout: Duration,
}

impl UrlReader {
    pub fn new(config: &IngestConfig, github: &GithubIntegration) -> UrlReader {
        UrlReader {
            clients: Mutex::new(HashMap::new()),
            policy: Arc::new(AddressPolicy {
                allow: config.url_allow.clone(),
            }),
            github: GithubReader::new(config, github),
            token: github.host("github.com").and_then(|h| h.token.clone()),
            max_bytes: config.max_file_bytes,
            max_redirects: config.max_redirects,
            timeout: config.read_timeout,
        }
    }

    /// The HTTP client for connections to `port`.
    fn client(&self, port: u16) -> Result<reqwest::Client, ReadError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&port) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: self.policy.clone(),
                port,
            }))
            // Redirects are followed below, so that each hop is checked again.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf to addresses we never checked.
            .no_proxy()
            .connect_timeout(self.timeout)
            .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ReadError::other(format!("the HTTP client cannot be set up: {e}")))?;
        if clients.len() < KEPT_CLIENTS {
            clients.insert(port, client.clone());
        }
        Ok(client)
    }

    /// Reads `url` (following at most `max_redirects` redirects) within the time limit.
    pub async fn read(&self, url: &Url) -> Result<Vec<u8>, ReadError> {
        match tokio::time::timeout(self.timeout, self.read_following(url)).await {
            Ok(result) => result,
            Err(_) => Err(ReadError::other(format!(
                "did not answer within {} s (catalog_read_timeout_secs)",
                self.timeout.as_secs()
            ))),
        }
    }

    async fn read_following(&self, url: &Url) -> Result<Vec<u8>, ReadError> {
        if let Some(file) = self.github.file(url) {
            return self.github.read(&file).await;
        }
        let mut url = url.clone();
        let mut redirects = 0;
        loop {
            let port = self.check_url(&url)?;
            let mut request = self.client(port)?.get(url.clone());
            if let Some(token) = &self.token
                && url.host_str() == Some(GITHUB_RAW_HOST)
            {
                request = request.header(AUTHORIZATION, format!("token {}", token.expose()));
            }
            let response = request.send().await.map_err(describe)?;
            let status = response.status();
            if status.is_redirection() {
                let Some(next) = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| url.join(v).ok())
                else {
                    return Err(ReadError::other(format!(
                        "answered {status} without a usable Location header"
                    )));
                };
                redirects += 1;
                if redirects > self.max_redirects {
                    return Err(ReadError::refused(format!(
                        "redirected more than {} times (catalog_max_redirects)",
                        self.max_redirects
                    )));
                }
                url = next;
                continue;
            }
            if status == StatusCode::NOT_FOUND {
                return Err(ReadError::not_found(format!(
                    "{url} answered 404 Not Found"
                )));
            }
            if !status.is_success() {
                return Err(ReadError::other(format!("{url} answered {status}")));
            }
            return self.body(response).await;
        }
    }

    /// Scheme, and for hosts given as an IP address, the address and port (names are
    /// checked when they are resolved). Returns the port to connect to.
    fn check_url(&self, url: &Url) -> Result<u16, ReadError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ReadError::refused(format!(
                "{url}: only http and https URLs can be read"
            )));
        }
        let port = url
            .port_or_known_default()
            .ok_or_else(|| ReadError::refused(format!("{url} has no port")))?;
        let ip: IpAddr = match url.host() {
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
            Some(Host::Domain(_)) => return Ok(port),
            None => return Err(ReadError::refused(format!("{url} has no host"))),
        };
        self.policy
            .check(&ip.to_string(), ip, port)
            .map_err(ReadError::Refused)?;
        Ok(port)
    }

    /// The body, streamed and refused as soon as it exceeds the size limit.
    async fn body(&self, mut response: reqwest::Response) -> Result<Vec<u8>, ReadError> {
        if response
            .content_length()
            .is_some_and(|len| len > self.max_bytes)
        {
            return Err(ReadError::too_large(self.max_bytes));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(ReadError::too_large(self.max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }
}

/// A reqwest error with its causes, which carry the useful part (e.g. the SSRF refusal).
fn describe(error: reqwest::Error) -> ReadError {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let refused = causes.iter().any(|c| c.contains("catalog_url_allow"));
    // The innermost cause says what went wrong; outer ones repeat the URL.
    let message = causes.last().cloned().unwrap_or_else(|| error.to_string());
    if refused {
        ReadError::Refused(message)
    } else if error.is_timeout() {
        ReadError::other("timed out")
    } else {
        ReadError::other(format!("cannot be read: {message}"))
    }
}
