//! `url` locations on GitHub (`https://github.com/OWNER/REPO/blob/REF/PATH`, or the same
//! on the configured GitHub Enterprise host): read through the GitHub REST API with
//! octocrab, with the configured token, so private repositories and GitHub Enterprise
//! work as they do in Backstage's GitHub integration.
//!
//! The API address is the operator's (`github_api_url`), never the user's: a location
//! only chooses owner, repository, ref and path, so these reads are not subject to the
//! URL allow-list.

use super::ReadError;
use crate::config::IngestConfig;
use http_body_util::BodyExt;
use octocrab::Octocrab;
use std::sync::OnceLock;
use url::Url;

/// A file in a GitHub repository, as named by a `…/blob/REF/PATH` URL.
#[derive(Debug, PartialEq, Eq)]
pub struct GithubFile {
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

pub struct GithubReader {
    api_url: String,
    token: Option<String>,
    timeout: std::time::Duration,
    max_bytes: u64,
    /// Built on first use: octocrab's client needs the Tokio runtime that uses it.
    client: OnceLock<Result<Octocrab, String>>,
}

impl GithubReader {
    pub fn new(config: &IngestConfig) -> GithubReader {
        GithubReader {
            api_url: config.github_api_url.clone(),
            token: config.github_token.as_ref().map(|t| t.expose().to_string()),
            timeout: config.read_timeout,
            max_bytes: config.max_file_bytes,
            client: OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&Octocrab, ReadError> {
        self.client
            .get_or_init(|| {
                let mut builder = Octocrab::builder()
                    .base_uri(self.api_url.as_str())
                    .map_err(|e| format!("github_api_url {}: {e}", self.api_url))?
                    .set_connect_timeout(Some(self.timeout))
                    .set_read_timeout(Some(self.timeout));
                if let Some(token) = &self.token {
                    builder = builder.personal_token(token.clone());
                }
                builder
                    .build()
                    .map_err(|e| format!("the GitHub client cannot be set up: {e}"))
            })
            .as_ref()
            .map_err(|e| ReadError::other(e.clone()))
    }

    /// The file's content at its ref, refused once it exceeds the size limit.
    pub async fn read(&self, file: &GithubFile) -> Result<Vec<u8>, ReadError> {
        let response = self
            .client()?
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
                let hint = if self.token.is_some() {
                    "check that github_token is valid and may read this repository"
                } else {
                    "set github_token to read private repositories and raise the rate limit"
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
