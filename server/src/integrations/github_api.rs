//! Reading GitHub's REST API for the entity providers, politely: every answer is kept
//! with its ETag and the next request for it is conditional (a `304 Not Modified` costs
//! no rate limit and reuses the kept answer); pages are followed through `Link` headers;
//! the rate-limit headers of every answer are watched, and when the budget runs low the
//! requests are spaced out until it resets; a secondary rate limit (`403`/`429` with
//! `retry-after`) pauses every request of the run for as long as GitHub asks. Nothing
//! waits past the run's deadline: the run stops with what it has, and says why.

use crate::integrations::github::GithubHost;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use octocrab::Octocrab;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;
use store::Store;
use tokio::time::Instant;

/// The largest answer read (a page of 100 repositories is about 600 kB; a recursive
/// tree of a large monorepository a few MB).
const MAX_ANSWER_BYTES: usize = 16 << 20;
/// How often one request is tried when GitHub asks to wait.
const ATTEMPTS: usize = 4;

/// What a run's requests cost, for the provider's status.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ApiReport {
    /// Requests sent, `304`s included.
    pub requests: u64,
    /// Answers GitHub said had not changed (free of rate limit).
    pub not_modified: u64,
    /// Times the run waited because GitHub asked it to (secondary limits, an empty budget).
    pub rate_limited: u64,
    /// Seconds spent waiting for the budget, spacing requests out or paused.
    pub waited_secs: f64,
    /// The budget as the last answer stated it.
    pub limit: Option<u64>,
    pub remaining: Option<u64>,
    pub reset_at: Option<DateTime<Utc>>,
}

/// Why a request gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    /// The token may not read it, or there is no token where one is needed.
    #[error("{0}")]
    Refused(String),
    /// The budget is spent until `until`, after the run's deadline.
    #[error("GitHub's rate limit is spent until {until}; the run stops here and goes on next time")]
    RateLimited { until: DateTime<Utc> },
    #[error("{0}")]
    Other(String),
}

/// What a caller's `convert` says of an answer it cannot use.
impl From<String> for ApiError {
    fn from(message: String) -> ApiError {
        ApiError::Other(message)
    }
}

/// A kept answer: what the caller made of the body, and the next page's address.
#[derive(Serialize, Deserialize)]
struct Kept<T> {
    next: Option<String>,
    data: T,
}

struct Budget {
    report: ApiReport,
    /// No request before this instant (a secondary rate limit, or the budget's reset).
    paused_until: Option<Instant>,
}

/// One run's view of one GitHub host's API.
pub struct GithubApi {
    store: Store,
    client: Octocrab,
    host: GithubHost,
    /// The run stops waiting at this instant.
    deadline: Instant,
    budget: Mutex<Budget>,
}

impl GithubApi {
    pub fn new(
        store: Store,
        host: &GithubHost,
        timeout: Duration,
        deadline: Instant,
    ) -> Result<GithubApi, String> {
        Ok(GithubApi {
            store,
            client: host.client(timeout)?,
            host: host.clone(),
            deadline,
            budget: Mutex::new(Budget {
                report: ApiReport::default(),
                paused_until: None,
            }),
        })
    }

    pub fn report(&self) -> ApiReport {
        self.lock().report.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Budget> {
        self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The address of `path` (`orgs/acme/repos?per_page=100`) on this host's API.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.host.api_url, path.trim_start_matches('/'))
    }

    /// Every page of a list, from `path` on, each page made into items by `convert`.
    pub async fn get_all<T: Serialize + DeserializeOwned>(
        &self,
        path: &str,
        convert: impl Fn(&[u8]) -> Result<Vec<T>, String>,
    ) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut next = Some(self.url(path));
        let mut pages = 0;
        while let Some(url) = next {
            pages += 1;
            if pages > 1000 {
                return Err(ApiError::Other(format!(
                    "{path}: more than 1000 pages; GitHub lists at most 100 items a page"
                )));
            }
            let (page, following) = self.get_kept(&url, &convert).await?;
            items.extend(page);
            next = following;
        }
        Ok(items)
    }

    /// `GET url`, conditional on the kept answer; the body is made into `T` by `convert`
    /// and kept with the new ETag. Returns `T` and the next page's address, if any.
    pub async fn get_kept<T: Serialize + DeserializeOwned>(
        &self,
        url: &str,
        convert: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<(T, Option<String>), ApiError> {
        let kept =
            self.store.github_response(url).await.map_err(|e| {
                ApiError::Other(format!("the kept GitHub answers cannot be read: {e}"))
            })?;
        let etag = kept.as_ref().map(|(etag, _)| etag.as_str());
        match self.send(url, etag).await? {
            Answer::NotModified => {
                let (_, body) = kept.expect("a 304 answers a conditional request");
                let kept: Kept<T> = serde_json::from_str(&body).map_err(|e| {
                    ApiError::Other(format!("a kept GitHub answer for {url} is unreadable: {e}"))
                })?;
                Ok((kept.data, kept.next))
            }
            Answer::Ok { body, etag, next } => {
                let data = convert(&body).map_err(|e| {
                    ApiError::Other(format!(
                        "GitHub's answer for {url} is not what was expected: {e}"
                    ))
                })?;
                let kept = Kept { next, data };
                if let Some(etag) = etag {
                    let text =
                        serde_json::to_string(&kept).map_err(|e| ApiError::Other(e.to_string()))?;
                    self.store
                        .keep_github_response(url, &etag, &text, Utc::now())
                        .await
                        .map_err(|e| {
                            ApiError::Other(format!("cannot keep a GitHub answer: {e}"))
                        })?;
                }
                Ok((kept.data, kept.next))
            }
        }
    }

    /// One request, retried while GitHub asks to wait and the deadline allows.
    async fn send(&self, url: &str, etag: Option<&str>) -> Result<Answer, ApiError> {
        for _ in 0..ATTEMPTS {
            self.pace().await?;
            let mut headers = axum::http::HeaderMap::new();
            if let Some(etag) = etag.and_then(|e| axum::http::HeaderValue::from_str(e).ok()) {
                headers.insert(axum::http::header::IF_NONE_MATCH, etag);
            }
            let response = self
                .client
                ._get_with_headers(url, Some(headers))
                .await
                .map_err(|e| {
                    ApiError::Other(format!(
                        "the GitHub API at {} cannot be reached: {e}",
                        self.host.api_url
                    ))
                })?;
            let status = response.status().as_u16();
            let rate_limited = self.note_budget(response.headers(), status);
            match status {
                200 => {
                    let etag = header(response.headers(), "etag");
                    let next = header(response.headers(), "link")
                        .and_then(|link| next_link(&link))
                        .filter(|next| self.same_origin(next));
                    let mut body = response.into_body();
                    let mut bytes = Vec::new();
                    while let Some(frame) = body.frame().await {
                        let frame = frame.map_err(|e| ApiError::Other(format!("{url}: {e}")))?;
                        if let Some(chunk) = frame.data_ref() {
                            if bytes.len() + chunk.len() > MAX_ANSWER_BYTES {
                                return Err(ApiError::Other(format!(
                                    "GitHub's answer for {url} is larger than {MAX_ANSWER_BYTES} bytes"
                                )));
                            }
                            bytes.extend_from_slice(chunk);
                        }
                    }
                    let body = bytes;
                    return Ok(Answer::Ok { body, etag, next });
                }
                304 => {
                    self.lock().report.not_modified += 1;
                    if etag.is_some() {
                        return Ok(Answer::NotModified);
                    }
                    return Err(ApiError::Other(format!(
                        "GitHub answered 304 to an unconditional request for {url}"
                    )));
                }
                404 | 409 => return Err(ApiError::NotFound),
                403 | 429 if rate_limited => continue,
                401 | 403 => {
                    let hint = if self.host.token.is_some() {
                        "check that the token of this host may read the organisation"
                    } else {
                        "give this host a token (integrations.github in portico.yaml)"
                    };
                    return Err(ApiError::Refused(format!(
                        "GitHub answered {status} for {url}; {hint}"
                    )));
                }
                _ => {
                    return Err(ApiError::Other(format!(
                        "GitHub answered {status} for {url}"
                    )));
                }
            }
        }
        Err(ApiError::Other(format!(
            "GitHub kept asking to wait for {url}; the run stops here and goes on next time"
        )))
    }

    /// Records the budget an answer states. For a rate-limited answer (`retry-after`, or
    /// an empty budget) pauses every request until GitHub allows them, and says so.
    fn note_budget(&self, headers: &axum::http::HeaderMap, status: u16) -> bool {
        let number = |name: &str| header(headers, name).and_then(|v| v.trim().parse::<u64>().ok());
        let mut budget = self.lock();
        budget.report.requests += 1;
        if let Some(limit) = number("x-ratelimit-limit") {
            budget.report.limit = Some(limit);
        }
        let remaining = number("x-ratelimit-remaining");
        if remaining.is_some() {
            budget.report.remaining = remaining;
        }
        let reset = number("x-ratelimit-reset").and_then(|s| DateTime::from_timestamp(s as i64, 0));
        if reset.is_some() {
            budget.report.reset_at = reset;
        }
        if !matches!(status, 403 | 429) {
            return false;
        }
        let wait = if let Some(seconds) = number("retry-after") {
            Duration::from_secs(seconds)
        } else if remaining == Some(0) {
            reset
                .map(|reset| (reset - Utc::now()).to_std().unwrap_or_default())
                .unwrap_or(Duration::from_secs(60))
        } else {
            return false;
        };
        budget.report.rate_limited += 1;
        let until = Instant::now() + wait.max(Duration::from_millis(100));
        budget.paused_until = Some(budget.paused_until.map_or(until, |p| p.max(until)));
        tracing::warn!(host = %self.host.host, wait_secs = wait.as_secs(), "GitHub rate limit: pausing requests");
        true
    }

    /// Waits before a request: while paused, and — when less than a tenth of the budget
    /// is left — long enough that what is left lasts until it resets.
    async fn pace(&self) -> Result<(), ApiError> {
        let wait = {
            let budget = self.lock();
            let now = Instant::now();
            let paused = budget.paused_until.filter(|p| *p > now).map(|p| p - now);
            let report = &budget.report;
            let spacing = match (report.limit, report.remaining, report.reset_at) {
                (Some(limit), Some(remaining), Some(reset)) if remaining < limit / 10 => {
                    let left = (reset - Utc::now()).to_std().unwrap_or_default();
                    Some(left / (remaining.max(1) as u32))
                }
                _ => None,
            };
            paused.into_iter().chain(spacing).max()
        };
        let Some(wait) = wait.filter(|w| !w.is_zero()) else {
            return Ok(());
        };
        if Instant::now() + wait > self.deadline {
            let until = Utc::now() + chrono::TimeDelta::from_std(wait).unwrap_or_default();
            return Err(ApiError::RateLimited { until });
        }
        tokio::time::sleep(wait).await;
        self.lock().report.waited_secs += wait.as_secs_f64();
        Ok(())
    }

    /// Whether `url` is on this host's API: a `Link` elsewhere is not followed (the
    /// token goes with every request).
    fn same_origin(&self, url: &str) -> bool {
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        origin(url).is_some() && origin(url) == origin(&self.host.api_url)
    }
}

enum Answer {
    NotModified,
    Ok {
        body: Vec<u8>,
        etag: Option<String>,
        next: Option<String>,
    },
}

fn header(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The `rel="next"` address of a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| p.trim().replace(' ', "") == "rel=\"next\"");
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

/// `convert` for JSON answers.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_comes_from_the_link_header() {
        let link = r#"<https://api.github.com/organizations/1/repos?page=2>; rel="next", <https://api.github.com/organizations/1/repos?page=9>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/organizations/1/repos?page=2")
        );
        let last = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(next_link(last), None);
        assert_eq!(next_link("garbage"), None);
    }
}
