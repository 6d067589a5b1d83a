//! What `POST /analyze-location` (and the register page) find at a location, including
//! Backstage's "generate entity" flow: a GitHub repository URL
//! (`https://HOST/OWNER/REPO` on a host of the GitHub integration), or a blob URL whose
//! file does not exist, gets a proposed Component when the repository's default branch
//! has no `catalog-info.yaml` at its root; with one, that file is read as any location.
//!
//! The facts come from the host's REST API with its token (octocrab): the repository
//! (name, description, default branch), its languages, the CODEOWNERS file GitHub would
//! use (`.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`, the first found) and the
//! teams with admin permission. Every answer is read up to a size limit and every
//! request within `catalog_read_timeout_secs`. The rules that turn the facts into an
//! entity are pure, in `catalog::generate`.

use crate::catalog::ingest::{IngestError, Ingester, ReadError, Target};
use crate::integrations::github::{GithubHost, GithubIntegration};
use catalog::Entity;
use catalog::generate::{ProposedEntity, RepositoryFacts, propose_component};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// The largest answer read for the repository, its languages or its teams.
const MAX_JSON_BYTES: usize = 1 << 20;
/// GitHub ignores CODEOWNERS files larger than 3 MB; so does this.
const MAX_CODEOWNERS_BYTES: usize = 3 << 20;
/// Where GitHub looks for CODEOWNERS, in its order.
const CODEOWNERS_PATHS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];
/// The catalog file looked for at the root of the default branch.
const CATALOG_FILE: &str = "catalog-info.yaml";

/// What a location holds.
#[derive(Debug)]
pub enum Analysis {
    /// Entities read from `location` (the location itself, or its repository's
    /// catalog file).
    Entities {
        location: Target,
        entities: Vec<Entity>,
    },
    /// A repository without a catalog file, and the Component proposed for it.
    Proposal {
        /// `HOST/OWNER/REPO`.
        repository: String,
        proposal: ProposedEntity,
    },
}

/// Why a location could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The repository does not exist, or its host's token cannot see it.
    #[error("{0}")]
    NotFound(String),
    /// Reading the location (or the repository) failed; safe to show.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// A repository named by a URL on a host of the GitHub integration.
#[derive(Debug, PartialEq, Eq)]
struct Repository {
    host: String,
    owner: String,
    name: String,
    /// Whether the URL named a file in it (`…/blob/REF/PATH`) rather than the
    /// repository itself.
    file: bool,
}

impl Repository {
    /// `https://HOST/OWNER/REPO[.git][/]` or `https://HOST/OWNER/REPO/blob/REF/PATH`.
    fn from_url(url: &url::Url, github: &GithubIntegration) -> Option<Repository> {
        let host = github.host(url.host_str()?)?;
        if url.query().is_some() {
            return None;
        }
        let segments: Vec<&str> = url.path_segments()?.collect();
        let (owner, name, file) = match segments.as_slice() {
            [owner, name] | [owner, name, ""] => (*owner, *name, false),
            [owner, name, "blob", _, path @ ..] if !path.is_empty() => (*owner, *name, true),
            _ => return None,
        };
        let name = name.strip_suffix(".git").unwrap_or(name);
        // GitHub's rule for owner and repository names; `.` and `..` are not names.
        let valid = |s: &str| {
            (1..=100).contains(&s.len())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !s.chars().all(|c| c == '.')
        };
        (valid(owner) && valid(name)).then(|| Repository {
            host: host.host.clone(),
            owner: owner.to_string(),
            name: name.to_string(),
            file,
        })
    }

    fn slug(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// Whether `target` names a repository itself (not a file in it) on a GitHub host.
pub fn names_repository(target: &Target, github: &GithubIntegration) -> bool {
    match target {
        Target::Url(url) => Repository::from_url(url, github).is_some_and(|r| !r.file),
        Target::File(_) => false,
    }
}

/// Reads what `target` holds: a GitHub repository's catalog file or a proposal for it,
/// otherwise the location's entities as the catalog would store them.
pub async fn analyze(
    ingester: &Ingester,
    github: &GithubIntegration,
    target: &Target,
) -> Result<Analysis, AnalyzeError> {
    let repository = match target {
        Target::Url(url) => Repository::from_url(url, github),
        Target::File(_) => None,
    };
    let Some(repository) = repository else {
        return read(ingester, target.clone()).await;
    };
    if repository.file {
        match read(ingester, target.clone()).await {
            Err(AnalyzeError::Ingest(IngestError::Read {
                error: ReadError::NotFound(_),
                ..
            })) => {}
            other => return other,
        }
    }
    let Some(host) = github.host(&repository.host) else {
        return read(ingester, target.clone()).await;
    };
    let timeout = ingester.config().read_timeout;
    let api = Api {
        client: host
            .client(timeout)
            .map_err(|e| unreadable(&repository, e))?,
        host,
        repository: &repository,
        timeout,
    };
    let about = api.repository().await?;
    if !repository.file {
        let file = format!(
            "https://{}/{}/blob/{}/{CATALOG_FILE}",
            repository.host,
            repository.slug(),
            about.default_branch
        );
        if let Ok(file) = Target::parse("url", &file) {
            match read(ingester, file).await {
                Err(AnalyzeError::Ingest(IngestError::Read {
                    error: ReadError::NotFound(_),
                    ..
                })) => {}
                other => return other,
            }
        }
    }
    // GitHub answers for a renamed repository under its new name; the proposal uses it.
    let (owner, name) = about
        .full_name
        .as_deref()
        .and_then(|full| full.split_once('/'))
        .map(|(owner, name)| (owner.to_string(), name.to_string()))
        .unwrap_or_else(|| (repository.owner.clone(), repository.name.clone()));
    let facts = RepositoryFacts {
        host: repository.host.clone(),
        owner,
        name,
        default_branch: about.default_branch.clone(),
        description: about.description,
        languages: api.languages().await?,
        codeowners: api.codeowners(&about.default_branch).await?,
        admin_teams: api.admin_teams().await?,
    };
    Ok(Analysis::Proposal {
        repository: format!("{}/{}/{}", facts.host, facts.owner, facts.name),
        proposal: propose_component(&facts),
    })
}

async fn read(ingester: &Ingester, location: Target) -> Result<Analysis, AnalyzeError> {
    let entities = ingester.preview(&location).await?;
    Ok(Analysis::Entities { location, entities })
}

fn unreadable(repository: &Repository, error: impl std::fmt::Display) -> AnalyzeError {
    AnalyzeError::Ingest(IngestError::Read {
        target: format!("{}/{}", repository.host, repository.slug()),
        error: ReadError::other(error.to_string()),
    })
}

/// `GET /repos/{owner}/{repo}`, the fields used.
#[derive(Deserialize)]
struct About {
    /// `OWNER/REPO`.
    full_name: Option<String>,
    description: Option<String>,
    default_branch: String,
}

/// `GET /repos/{owner}/{repo}/teams`, one entry.
#[derive(Deserialize)]
struct Team {
    slug: String,
    permission: Option<String>,
}

/// The body of an octocrab response.
type ApiBody = http_body_util::combinators::BoxBody<axum::body::Bytes, octocrab::Error>;

/// One repository on one host, through its API.
struct Api<'a> {
    client: Octocrab,
    host: &'a GithubHost,
    repository: &'a Repository,
    timeout: Duration,
}

impl Api<'_> {
    /// The repository; a 404 says how to fix it.
    async fn repository(&self) -> Result<About, AnalyzeError> {
        let path = format!("/repos/{}", self.repository.slug());
        let (status, body) = self.get(&path, MAX_JSON_BYTES).await?;
        match status {
            200 => self.json(&path, &body),
            404 => Err(AnalyzeError::NotFound(format!(
                "GitHub has no repository {} on {}, or its token cannot see it. Check the \
                 URL; for a private repository, give this host a token that may read it \
                 ({}).",
                self.repository.slug(),
                self.repository.host,
                self.token_key()
            ))),
            401 | 403 => Err(self.refused(status, &path)),
            other => Err(unreadable(
                self.repository,
                format!("GitHub answered {other} to GET {path}"),
            )),
        }
    }

    /// Bytes per language; none when GitHub does not say.
    async fn languages(&self) -> Result<Vec<(String, u64)>, AnalyzeError> {
        let path = format!("/repos/{}/languages", self.repository.slug());
        let (status, body) = self.get(&path, MAX_JSON_BYTES).await?;
        if status != 200 {
            tracing::warn!(%path, status, "GitHub did not list the repository's languages");
            return Ok(Vec::new());
        }
        let languages: BTreeMap<String, u64> = self.json(&path, &body)?;
        Ok(languages.into_iter().collect())
    }

    /// The first CODEOWNERS file GitHub would use, as text.
    async fn codeowners(&self, branch: &str) -> Result<Option<(String, String)>, AnalyzeError> {
        for path in CODEOWNERS_PATHS {
            let request = self
                .client
                .repos(&self.repository.owner, &self.repository.name)
                .raw_file(branch.to_string(), path);
            let what = format!("{path} of {}", self.repository.slug());
            let (status, body) = self.bounded(&what, request, MAX_CODEOWNERS_BYTES).await?;
            match status {
                200 => return Ok(Some((path.to_string(), lossy(body)))),
                404 => continue,
                other => {
                    return Err(unreadable(
                        self.repository,
                        format!("GitHub answered {other} when asked for {what}"),
                    ));
                }
            }
        }
        Ok(None)
    }

    /// The slugs of the teams with admin permission, or why they are unknown.
    async fn admin_teams(&self) -> Result<Result<Vec<String>, String>, AnalyzeError> {
        let path = format!("/repos/{}/teams?per_page=100", self.repository.slug());
        let (status, body) = self.get(&path, MAX_JSON_BYTES).await?;
        Ok(match status {
            200 => {
                let teams: Vec<Team> = self.json(&path, &body)?;
                Ok(teams
                    .into_iter()
                    .filter(|t| t.permission.as_deref() == Some("admin"))
                    .map(|t| t.slug)
                    .collect())
            }
            // Listing a repository's teams needs admin rights on it.
            401 | 403 | 404 => Err(format!(
                "the portal's GitHub token may not list the repository's teams (that needs \
                 admin rights on {})",
                self.repository.slug()
            )),
            other => Err(format!(
                "GitHub answered {other} when asked for the repository's teams"
            )),
        })
    }

    async fn get(&self, path: &str, max: usize) -> Result<(u16, Vec<u8>), AnalyzeError> {
        let what = format!("GET {path}");
        self.bounded(&what, self.client._get(path), max).await
    }

    /// Sends a request within the time limit and reads at most `max` bytes of its answer.
    async fn bounded(
        &self,
        what: &str,
        request: impl Future<Output = octocrab::Result<axum::http::Response<ApiBody>>>,
        max: usize,
    ) -> Result<(u16, Vec<u8>), AnalyzeError> {
        let read = async {
            let response = request.await.map_err(|e| {
                unreadable(
                    self.repository,
                    format!("the GitHub API cannot be reached ({what}): {e}"),
                )
            })?;
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame =
                    frame.map_err(|e| unreadable(self.repository, format!("{what}: {e}")))?;
                if let Some(chunk) = frame.data_ref() {
                    if bytes.len() + chunk.len() > max {
                        return Err(unreadable(
                            self.repository,
                            format!("GitHub's answer to {what} is larger than {max} bytes"),
                        ));
                    }
                    bytes.extend_from_slice(chunk);
                }
            }
            Ok((status, bytes))
        };
        tokio::time::timeout(self.timeout, read)
            .await
            .unwrap_or_else(|_| {
                Err(unreadable(
                    self.repository,
                    format!(
                        "GitHub did not answer {what} within {} s (catalog_read_timeout_secs)",
                        self.timeout.as_secs()
                    ),
                ))
            })
    }

    fn json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &[u8],
    ) -> Result<T, AnalyzeError> {
        serde_json::from_slice(body).map_err(|e| {
            unreadable(
                self.repository,
                format!("GitHub's answer to GET {path} is not what its API documents: {e}"),
            )
        })
    }

    fn refused(&self, status: u16, path: &str) -> AnalyzeError {
        let hint = if self.host.token.is_some() {
            format!(
                "check that the token of {} ({}) is valid and may read this repository",
                self.host.host,
                self.token_key()
            )
        } else {
            format!(
                "give {} a token ({}) to read private repositories and raise the rate limit",
                self.host.host,
                self.token_key()
            )
        };
        unreadable(
            self.repository,
            format!("GitHub answered {status} to GET {path}; {hint}"),
        )
    }

    fn token_key(&self) -> &'static str {
        "github_token, or the host's integrations.github entry"
    }
}

/// Text from bytes; a CODEOWNERS file that is not UTF-8 still yields its ASCII rules.
fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repository(url: &str) -> Option<Repository> {
        let github = GithubIntegration::new(vec![GithubHost::new("ghe.example.com")]);
        Repository::from_url(&url::Url::parse(url).unwrap(), &github)
    }

    #[test]
    fn repository_urls_on_integration_hosts_name_a_repository() {
        let web = |file| Repository {
            host: "github.com".into(),
            owner: "acme".into(),
            name: "web".into(),
            file,
        };
        assert_eq!(repository("https://github.com/acme/web"), Some(web(false)));
        assert_eq!(repository("https://GitHub.com/acme/web/"), Some(web(false)));
        assert_eq!(
            repository("https://github.com/acme/web.git"),
            Some(web(false))
        );
        assert_eq!(
            repository("https://github.com/acme/web/blob/main/catalog-info.yaml"),
            Some(web(true))
        );
        assert_eq!(
            repository("https://ghe.example.com/acme/web").map(|r| r.host),
            Some("ghe.example.com".into())
        );
        for other in [
            "https://gitlab.com/acme/web",
            "https://github.com/acme",
            "https://github.com/acme/web/tree/main",
            "https://github.com/acme/web/blob/main",
            "https://github.com/acme/web?tab=readme",
            "https://github.com/acme/we%20b",
            "https://github.com/acme/..",
            "https://github.com/acme/.../blob/main/x.yaml",
        ] {
            assert_eq!(repository(other), None, "{other}");
        }
    }
}
