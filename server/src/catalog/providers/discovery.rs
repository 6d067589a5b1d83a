//! GitHub discovery: every repository of the organisation that the filters admit and
//! that holds the catalog file becomes a location the provider manages; a location whose
//! repository or file went is removed. A repository without the file is skipped.
//!
//! Requests, for an organisation of N repositories: the repository list, 100 a page,
//! conditional on the kept pages (a `304` when nothing changed); then one request per
//! admitted repository whose `pushed_at` moved since the last run (the contents API for a
//! plain path, the recursive tree for a glob). An unchanged organisation costs only the
//! list's pages.

use super::{EntityProviders, Outcome};
use crate::integrations::github_api::{ApiError, GithubApi, json};
use catalog::github::{DiscoveryConfig, Repository, blob_url, select};
use chrono::Utc;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use store::Store;

/// Repositories checked at once. GitHub asks integrators to keep requests few and
/// mostly serial; four keep a run of 1,000 repositories short without tripping its
/// secondary limits.
const CONCURRENCY: usize = 4;
/// Per-repository errors kept in the status.
const ERRORS_SHOWN: usize = 100;

pub(super) async fn run(
    providers: &EntityProviders,
    store: &Store,
    config: &DiscoveryConfig,
) -> Outcome {
    let api = match providers.api(store, &config.host, config.schedule) {
        Ok(api) => api,
        Err(failed) => return failed,
    };
    let org = &config.organization;
    let listed: Result<Vec<Repository>, ApiError> = api
        .get_all(&format!("orgs/{org}/repos?per_page=100&type=all"), json)
        .await;
    let repositories = match listed {
        Ok(repositories) => repositories,
        Err(error) => {
            let error = match error {
                ApiError::NotFound => format!(
                    "GitHub has no organisation {org} on {} (or the token cannot see it)",
                    config.host
                ),
                other => format!("the repositories of {org} cannot be listed: {other}"),
            };
            return Outcome::failed(error, json!({ "api": api.report() }));
        }
    };
    let admitted = select(config, &repositories);
    let mut checks: Vec<(String, Result<Vec<String>, ApiError>)> = Vec::new();
    for chunk in admitted.chunks(CONCURRENCY) {
        let found = futures_util::future::join_all(
            chunk
                .iter()
                .map(|repository| catalog_files(store, &api, config, repository)),
        )
        .await;
        checks.extend(chunk.iter().map(|r| r.name.clone()).zip(found));
    }

    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut unsure: BTreeSet<String> = BTreeSet::new();
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    let mut stopped: Option<String> = None;
    for (repository, found) in checks {
        match found {
            Ok(urls) => wanted.extend(urls),
            Err(error) => {
                if let ApiError::RateLimited { .. } = error {
                    stopped.get_or_insert_with(|| error.to_string());
                }
                errors.insert(repository.clone(), error.to_string());
                unsure.insert(repository);
            }
        }
    }

    // Sync the provider's locations: what is wanted and new is added; what is no longer
    // wanted goes, unless its repository could not be checked this time.
    let outcome = sync(providers, store, config, &wanted, &unsure).await;
    let (added, removed) = match outcome {
        Ok(counts) => counts,
        Err(error) => {
            return Outcome::failed(
                format!("the discovered locations cannot be recorded: {error}"),
                json!({ "api": api.report() }),
            );
        }
    };
    let shown: Vec<Value> = errors
        .iter()
        .take(ERRORS_SHOWN)
        .map(|(repository, error)| json!({ "repository": repository, "error": error }))
        .collect();
    Outcome {
        error: stopped,
        status: json!({
            "repositories": repositories.len(),
            "admitted": admitted.len(),
            "files": wanted.len(),
            "added": added,
            "removed": removed,
            "repository_errors": errors.len(),
            "errors": shown,
            "api": api.report(),
        }),
    }
}

async fn sync(
    providers: &EntityProviders,
    store: &Store,
    config: &DiscoveryConfig,
    wanted: &BTreeSet<String>,
    unsure: &BTreeSet<String>,
) -> Result<(usize, usize), store::StoreError> {
    let existing = store.provider_locations(&config.id).await?;
    let mut removed = 0;
    for location in &existing {
        let repository = repository_of(&location.target);
        if wanted.contains(&location.target) || repository.is_some_and(|r| unsure.contains(r)) {
            continue;
        }
        store
            .delete_location(&location.id, providers.removes_entities())
            .await?;
        removed += 1;
    }
    let mut added = 0;
    let now = Utc::now();
    for target in wanted {
        if existing.iter().any(|l| &l.target == target) {
            continue;
        }
        if store
            .add_provider_location("url", target, &config.id, now)
            .await?
        {
            added += 1;
        }
    }
    Ok((added, removed))
}

/// The repository a discovered location's blob URL names.
fn repository_of(target: &str) -> Option<&str> {
    let path = target.split_once("://")?.1;
    path.split('/').nth(2)
}

/// The blob URLs of `repository`'s catalog files. Asks GitHub only when something was
/// pushed since the last answer.
async fn catalog_files(
    store: &Store,
    api: &GithubApi,
    config: &DiscoveryConfig,
    repository: &Repository,
) -> Result<Vec<String>, ApiError> {
    let Some(branch) = config.filter.branch(repository) else {
        return Ok(Vec::new()); // an empty repository
    };
    let org = &config.organization;
    let name = &repository.name;
    let key = format!(
        "{}#catalog-files@{branch}:{}",
        api.url(&format!("repos/{org}/{name}")),
        config.catalog_path.as_str()
    );
    let kept = store
        .github_response(&key)
        .await
        .map_err(|e| ApiError::Other(e.to_string()))?;
    if let (Some(pushed), Some((validator, body))) = (&repository.pushed_at, &kept)
        && pushed == validator
        && let Ok(paths) = serde_json::from_str::<Vec<String>>(body)
    {
        return Ok(urls(config, name, branch, &paths));
    }
    let paths = if config.catalog_path.is_glob() {
        let tree = api
            .get_kept(
                &api.url(&format!(
                    "repos/{org}/{name}/git/trees/{}?recursive=1",
                    segment(branch)
                )),
                |body| matching_paths(config, body),
            )
            .await;
        match tree {
            Ok((paths, _)) => paths?,
            Err(ApiError::NotFound) => Vec::new(),
            Err(error) => return Err(error),
        }
    } else {
        let path = config.catalog_path.as_str();
        let file = api
            .get_kept(
                &api.url(&format!(
                    "repos/{org}/{name}/contents/{}?ref={}",
                    path.split('/').map(segment).collect::<Vec<_>>().join("/"),
                    segment(branch)
                )),
                |body| {
                    let answer: Value = json(body)?;
                    Ok(answer.get("type").and_then(Value::as_str) == Some("file"))
                },
            )
            .await;
        match file {
            Ok((true, _)) => vec![path.to_string()],
            Ok((false, _)) | Err(ApiError::NotFound) => Vec::new(),
            Err(error) => return Err(error),
        }
    };
    if let Some(pushed) = &repository.pushed_at {
        let body = serde_json::to_string(&paths).unwrap_or_default();
        store
            .keep_github_response(&key, pushed, &body, Utc::now())
            .await
            .map_err(|e| ApiError::Other(e.to_string()))?;
    }
    Ok(urls(config, name, branch, &paths))
}

/// The catalog files of a recursive tree; a tree GitHub cut short cannot be searched.
/// The outer `Result` is kept with the answer, so a cut tree is not asked for again
/// until it changes.
fn matching_paths(
    config: &DiscoveryConfig,
    body: &[u8],
) -> Result<Result<Vec<String>, String>, String> {
    #[derive(serde::Deserialize)]
    struct Tree {
        tree: Vec<Item>,
        #[serde(default)]
        truncated: bool,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        path: String,
        #[serde(rename = "type")]
        kind: String,
    }
    let tree: Tree = json(body)?;
    if tree.truncated {
        return Ok(Err(format!(
            "the repository has more files than GitHub lists in one tree, so {} cannot be \
             searched; use a catalogPath without wildcards",
            config.catalog_path.as_str()
        )));
    }
    Ok(Ok(tree
        .tree
        .into_iter()
        .filter(|item| item.kind == "blob" && config.catalog_path.matches(&item.path))
        .map(|item| item.path)
        .collect()))
}

fn urls(config: &DiscoveryConfig, repository: &str, branch: &str, paths: &[String]) -> Vec<String> {
    paths
        .iter()
        .map(|path| blob_url(&config.host, &config.organization, repository, branch, path))
        .collect()
}

/// One path segment, percent-encoded.
fn segment(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discovered_location_names_its_repository() {
        assert_eq!(
            repository_of("https://github.com/acme/web/blob/main/catalog-info.yaml"),
            Some("web")
        );
        assert_eq!(segment("feature x"), "feature%20x");
        assert_eq!(segment("v1.2-rc_1"), "v1.2-rc_1");
    }
}
