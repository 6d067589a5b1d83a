//! `url` locations: http(s) reads with SSRF protection, bounded redirects, a time limit
//! and a size cap.
//!
//! GitHub blob URLs (`https://github.com/o/r/blob/ref/path`) are read through the GitHub
//! API (see `github.rs`); raw.githubusercontent.com URLs get the configured token.

use super::ReadError;
use super::github::{GithubFile, GithubReader};
use super::net::{AddressPolicy, GuardedResolver};
use crate::config::{IngestConfig, Secret};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, LOCATION};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use url::{Host, Url};

/// The host that receives the GitHub token over plain HTTP; never any other.
const GITHUB_RAW_HOST: &str = "raw.githubusercontent.com";

pub struct UrlReader {
    /// `Err` (why) when the TLS backend could not be set up; URL reads then fail.
    client: Result<reqwest::Client, String>,
    policy: Arc<AddressPolicy>,
    github: GithubReader,
    github_host: String,
    token: Option<Secret>,
    max_bytes: u64,
    max_redirects: usize,
    timeout: Duration,
}

impl UrlReader {
    pub fn new(config: &IngestConfig) -> UrlReader {
        let policy = Arc::new(AddressPolicy {
            allow: config.url_allow.clone(),
        });
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver {
                policy: policy.clone(),
            }))
            // Redirects are followed below, so that each hop is checked again.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would connect on our behalf to addresses we never checked.
            .no_proxy()
            .connect_timeout(config.read_timeout)
            .user_agent(concat!("portico/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the HTTP client cannot be set up: {e}"));
        UrlReader {
            client,
            policy,
            github: GithubReader::new(config),
            github_host: config.github_host.clone(),
            token: config.github_token.clone(),
            max_bytes: config.max_file_bytes,
            max_redirects: config.max_redirects,
            timeout: config.read_timeout,
        }
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
        if let Some(file) = GithubFile::from_url(url, &self.github_host) {
            return self.github.read(&file).await;
        }
        let client = self.client.as_ref().map_err(ReadError::other)?;
        let mut url = url.clone();
        let mut redirects = 0;
        loop {
            self.check_url(&url)?;
            let mut request = client.get(url.clone());
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

    /// Scheme, and for hosts given as an IP address, the address (names are checked
    /// when they are resolved).
    fn check_url(&self, url: &Url) -> Result<(), ReadError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ReadError::refused(format!(
                "{url}: only http and https URLs can be read"
            )));
        }
        let ip: IpAddr = match url.host() {
            Some(Host::Ipv4(ip)) => ip.into(),
            Some(Host::Ipv6(ip)) => ip.into(),
            Some(Host::Domain(_)) => return Ok(()),
            None => return Err(ReadError::refused(format!("{url} has no host"))),
        };
        self.policy
            .check(&ip.to_string(), ip)
            .map_err(ReadError::Refused)
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
