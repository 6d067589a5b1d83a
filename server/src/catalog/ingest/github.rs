//! `url` locations on GitHub (`https://github.com/OWNER/REPO/blob/REF/PATH`, or the same
//! on any host of the GitHub integration): read through the host's REST API with
//! octocrab, with its token, so private repositories and GitHub Enterprise work as they
//! do in Backstage's GitHub integration.
//!
//! The API address is the operator's (the integration's), never the user's: a location
//! only chooses host, owner, repository, ref and path, so these reads are not subject to
//! the URL allow-list.

use super::ReadError;
use crate::config::IngestConfig;
use crate::integrations::github::{GithubHost, GithubIntegration};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use std::collections::HashMap;
use std::sync::Mutex;
use url::Url;

/// A file in a GitHub repository, as named by a `…/blob/REF/PATH` URL.
#[derive(Debug, PartialEq, Eq)]
pub struct GithubFile {
    /// The web host the URL names (one of the integration's).
    pub host: String,
    pub owner: String,
    pub repo: String,
    /// The first segment after `blob`, as Backstage reads it (refs with `/` need a SHA).
    pub reference: String,
    /// Percent-encoded, as in the URL.
    pub path: String,
}

impl GithubFile {
    /// The file `url` names when it is a blob URL on `host`.
    pub fn from_url(url: &Url, host: &str) -> Option<GithubFile> {
        if !url.host_str()?.eq_ignore_ascii_case(host) {
            return None;
        }
        let segments: Vec<&str> = url.path_segments()?.collect();
        match segments.as_slice() {
            [owner, repo, "blob", reference, path @ ..]
                if !path.is_empty() && path.iter().all(|s| !s.is_empty()) =>
            {
                Some(GithubFile {
                    host: host.to_string(),
                    owner: owner.to_string(),
                    repo: repo.to_string(),
                    reference: reference.to_string(),
                    path: path.join("/"),
                })
            }
            _ => None,
        }
    }
}

/// Reads files from every host of the GitHub integration.
pub struct GithubReader {
    integration: GithubIntegration,
    timeout: std::time::Duration,
    max_bytes: u64,
    /// One API client per host, built on first use: octocrab's client needs the Tokio
    /// runtime that uses it.
    clients: Mutex<HashMap<String, Octocrab>>,
}

impl GithubReader {
    pub fn new(config: &IngestConfig, integration: &GithubIntegration) -> GithubReader {
        GithubReader {
            integration: integration.clone(),
            timeout: config.read_timeout,
            max_bytes: config.max_file_bytes,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The file `url` names when it is a blob URL on one of the integration's hosts.
    pub fn file(&self, url: &Url) -> Option<GithubFile> {
        let host = self.integration.host(url.host_str()?)?;
        GithubFile::from_url(url, &host.host)
    }

    fn client(&self, host: &GithubHost) -> Result<Octocrab, ReadError> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(&host.host) {
            return Ok(client.clone());
        }
        let client = host.client(self.timeout).map_err(ReadError::other)?;
        clients.insert(host.host.clone(), client.clone());
        Ok(client)
    }

    /// The file's content at its ref, refused once it exceeds the size limit.
    pub async fn read(&self, file: &GithubFile) -> Result<Vec<u8>, ReadError> {
        let host = self
            .integration
            .host(&file.host)
            .ok_or_else(|| ReadError::other(format!("{} is not a GitHub host", file.host)))?;
        let response = self
            .client(host)?
            .repos(&file.owner, &file.repo)
            .raw_file(file.reference.clone(), &file.path)
            .await
            .map_err(|e| ReadError::other(format!("the GitHub API cannot be reached: {e}")))?;
        let status = response.status();
        let where_ = format!(
            "{}/{} {} at {}",
            file.owner, file.repo, file.path, file.reference
        );
        match status.as_u16() {
            200 => {}
            404 => {
                return Err(ReadError::not_found(format!(
                    "GitHub has no file {where_} (or the token cannot see the repository)"
                )));
            }
            401 | 403 => {
                let hint = if host.token.is_some() {
                    "check that the GitHub token of this host (github_token, or its \
                     integrations.github entry) is valid and may read this repository"
                } else {
                    "give this host a token (github_token, or its integrations.github \
                     entry) to read private repositories and raise the rate limit"
                };
                return Err(ReadError::refused(format!(
                    "GitHub answered {status} for {where_}; {hint}"
                )));
            }
            _ => {
                return Err(ReadError::other(format!(
                    "GitHub answered {status} for {where_}"
                )));
            }
        }
        let mut body = response.into_body();
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| ReadError::other(format!("{where_}: {e}")))?;
            if let Some(chunk) = frame.data_ref() {
                if (bytes.len() + chunk.len()) as u64 > self.max_bytes {
                    return Err(ReadError::too_large(self.max_bytes));
                }
                bytes.extend_from_slice(chunk);
            }
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str, host: &str) -> Option<GithubFile> {
        GithubFile::from_url(&Url::parse(url).unwrap(), host)
    }

    #[test]
    fn blob_urls_on_the_configured_host_name_a_file() {
        assert_eq!(
            file(
                "https://github.com/acme/web/blob/main/catalog/catalog%20info.yaml",
                "github.com"
            ),
            Some(GithubFile {
                host: "github.com".into(),
                owner: "acme".into(),
                repo: "web".into(),
                reference: "main".into(),
                path: "catalog/catalog%20info.yaml".into(),
            })
        );
        assert!(
            file(
                "https://ghe.example.com/a/b/blob/v1/x.yaml",
                "ghe.example.com"
            )
            .is_some()
        );
        assert_eq!(
            file("https://github.com/acme/web/tree/main", "github.com"),
            None
        );
        assert_eq!(
            file("https://github.com/acme/web/blob/main", "github.com"),
            None
        );
        assert_eq!(
            file("https://github.com/acme/web/blob/main/", "github.com"),
            None
        );
        assert_eq!(
            file("https://example.com/a/b/blob/main/x.yaml", "github.com"),
            None
        );
    }
}
