//! The GitHub integration: the GitHub hosts Portico talks to (GitHub.com and GitHub
//! Enterprise), each with its REST API address and token — Backstage's
//! `integrations.github` list. Catalog ingestion reads files through it; publishing
//! repositories and webhooks will use the same entries.

use crate::config::Secret;
use octocrab::Octocrab;
use std::time::Duration;

/// One GitHub host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubHost {
    /// The web host, as it appears in repository URLs: `github.com`, `github.example.com`.
    pub host: String,
    /// The REST API address: `https://api.github.com`, or `https://HOST/api/v3`.
    pub api_url: String,
    /// Sent to `api_url` only (and, for github.com, to raw.githubusercontent.com).
    pub token: Option<Secret>,
}

impl GithubHost {
    /// `host` with its default API address and no token.
    pub fn new(host: &str) -> GithubHost {
        GithubHost {
            host: host.to_string(),
            api_url: default_api_url(host),
            token: None,
        }
    }

    /// An API client for this host. Build it inside the Tokio runtime that uses it.
    pub fn client(&self, timeout: Duration) -> Result<Octocrab, String> {
        let mut builder = Octocrab::builder()
            .base_uri(self.api_url.as_str())
            .map_err(|e| format!("the GitHub API address {} is unusable: {e}", self.api_url))?
            .set_connect_timeout(Some(timeout))
            .set_read_timeout(Some(timeout));
        if let Some(token) = &self.token {
            builder = builder.personal_token(token.expose().to_string());
        }
        builder
            .build()
            .map_err(|e| format!("the GitHub client for {} cannot be set up: {e}", self.host))
    }
}

/// The API address GitHub uses for `host`.
pub fn default_api_url(host: &str) -> String {
    match host {
        "github.com" => "https://api.github.com".into(),
        host => format!("https://{host}/api/v3"),
    }
}

/// Every configured GitHub host; github.com is always one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubIntegration {
    hosts: Vec<GithubHost>,
}

impl GithubIntegration {
    /// The integration with `hosts`, plus github.com (without a token) if missing.
    pub fn new(mut hosts: Vec<GithubHost>) -> GithubIntegration {
        if !hosts.iter().any(|h| h.host == "github.com") {
            hosts.push(GithubHost::new("github.com"));
        }
        GithubIntegration { hosts }
    }

    /// The entry for the web host `host` (compared ignoring case).
    pub fn host(&self, host: &str) -> Option<&GithubHost> {
        self.hosts
            .iter()
            .find(|h| h.host.eq_ignore_ascii_case(host))
    }

    pub fn hosts(&self) -> &[GithubHost] {
        &self.hosts
    }
}

impl Default for GithubIntegration {
    fn default() -> GithubIntegration {
        GithubIntegration::new(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_com_is_always_there_and_enterprise_hosts_get_their_api() {
        let integration = GithubIntegration::new(vec![GithubHost::new("github.example.com")]);
        assert_eq!(
            integration.host("GitHub.example.com").unwrap().api_url,
            "https://github.example.com/api/v3"
        );
        assert_eq!(
            integration.host("github.com").unwrap().api_url,
            "https://api.github.com"
        );
        assert!(integration.host("gitlab.com").is_none());
    }

    #[test]
    fn tokens_never_print() {
        let mut host = GithubHost::new("github.com");
        host.token = Some(Secret::new("ghp_secret"));
        assert!(!format!("{host:?}").contains("ghp_secret"));
    }
}
