//! `publish:github` and `github:actions:dispatch`, through the GitHub integration's REST
//! API (octocrab) with the host's configured token.
//!
//! Publishing needs no `git` on the server: the repository is created with an initial
//! commit (GitHub's Git Data API refuses an empty repository), then the workspace is
//! written as blobs, one tree and a root commit that the branch is forced to — so the
//! repository's history is exactly one commit holding exactly the workspace. Each stage
//! is checkpointed in the task's state: a task resumed after its replica died finds the
//! repository it created (and does not create a second), and a repository that existed
//! before the task is refused instead of overwritten.

use super::{ActionContext, Mode};
use base64::Engine;
use futures_util::StreamExt as _;
use octocrab::Octocrab;
use serde_json::{Value, json};

/// Blob uploads in flight at once while pushing.
const BLOB_UPLOADS: usize = 8;

/// The message for an octocrab error, without the token (octocrab never prints it).
pub fn github_error(error: &octocrab::Error) -> String {
    match error {
        octocrab::Error::GitHub { source, .. } => format!(
            "GitHub answered {} ({})",
            source.status_code, source.message
        ),
        other => format!("the GitHub API cannot be reached: {other}"),
    }
}

/// `github.com?owner=acme&repo=payments` (the RepoUrlPicker's form).
#[derive(Debug, PartialEq, Eq)]
struct RepoUrl {
    host: String,
    owner: String,
    repo: String,
}

fn parse_repo_url(text: &str) -> Result<RepoUrl, String> {
    let url = url::Url::parse(&format!("https://{text}")).map_err(|_| {
        format!("input.repoUrl: {text:?} is not of the form github.com?owner=OWNER&repo=NAME")
    })?;
    let param = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let host = url.host_str().unwrap_or_default().to_string();
    match (param("owner"), param("repo")) {
        (Some(owner), Some(repo))
            if !host.is_empty() && valid_name(&owner) && valid_name(&repo) =>
        {
            Ok(RepoUrl { host, owner, repo })
        }
        _ => Err(format!(
            "input.repoUrl: {text:?} needs a host, an owner and a repository name \
             (letters, digits, '-', '_' and '.'), like github.com?owner=acme&repo=payments"
        )),
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The GitHub REST API of one host.
struct Api {
    client: Octocrab,
    host: String,
}

impl Api {
    fn new(ctx: &ActionContext<'_>, host: &str) -> Result<Api, String> {
        let scaffolder = ctx.scaffolder()?;
        let entry = scaffolder
            .github
            .host(host)
            .ok_or_else(|| format!("input.repoUrl: {host} is not a GitHub host of the integration (integrations.github in portico.yaml)"))?;
        if entry.token.is_none() {
            return Err(format!(
                "no GitHub token is configured for {host}; give it one in integrations.github (or github_token) to publish"
            ));
        }
        let client = entry.client(std::time::Duration::from_secs(30))?;
        Ok(Api {
            client,
            host: host.to_string(),
        })
    }

    /// Sends a request; answers the status and the JSON body (`null` when empty).
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<(u16, Value), String> {
        use http_body_util::BodyExt;
        let response = match method {
            "GET" => self.client._get(path).await,
            "POST" => self.client._post(path, body.as_ref()).await,
            "PUT" => self.client._put(path, body.as_ref()).await,
            "PATCH" => self.client._patch(path, body.as_ref()).await,
            "DELETE" => self.client._delete(path, body.as_ref()).await,
            other => return Err(format!("unsupported method {other}")),
        }
        .map_err(|e| format!("{method} {path}: {}", github_error(&e)))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?
            .to_bytes();
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Ok((status, value))
    }

    /// Like [`Api::call`], but any answer outside 2xx is an error naming the request.
    async fn expect(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let (status, value) = self.call(method, path, body).await?;
        if (200..300).contains(&status) {
            return Ok(value);
        }
        let message = value["message"].as_str().unwrap_or("no message");
        let hint = match status {
            401 => "; the token of this host is not valid",
            403 | 404 => {
                "; check that the token of this host may do this (repository administration, contents)"
            }
            _ => "",
        };
        Err(format!(
            "{} answered {status} to {method} {path} ({message}){hint}",
            self.host
        ))
    }
}

/// A checkpoint within the step, saved at once: a resumed task sees it.
async fn checkpoint(ctx: &mut ActionContext<'_>, what: &str, value: Value) -> Result<(), String> {
    let key = format!("{}#{what}", ctx.step_id);
    ctx.state.insert(key, value);
    let scaffolder = ctx.scaffolder()?;
    let state = Value::Object(ctx.state.clone()).to_string();
    let saved = scaffolder
        .store
        .save_task_state(ctx.task_id, &scaffolder.worker, &state)
        .await
        .map_err(|e| format!("cannot record progress: {e}"))?;
    if !saved {
        return Err("another replica took this task over; stopping here".into());
    }
    Ok(())
}

fn checkpointed<'v>(ctx: &'v ActionContext<'_>, what: &str) -> Option<&'v Value> {
    ctx.state.get(&format!("{}#{what}", ctx.step_id))
}

pub async fn publish(ctx: &mut ActionContext<'_>) -> Result<Value, String> {
    ctx.refuse_token()?;
    let RepoUrl { host, owner, repo } = parse_repo_url(ctx.text("repoUrl").unwrap_or_default())?;
    let branch = ctx.text("defaultBranch").unwrap_or("master").to_string();
    let web = format!("https://{host}/{owner}/{repo}");
    let files = workspace_files(ctx)?;
    if ctx.mode == Mode::DryRun {
        ctx.log(format!(
            "Dry run: would create {web} and push {} files to {branch}",
            files.len()
        ));
        return Ok(json!({
            "remoteUrl": format!("{web}.git"),
            "repoContentsUrl": format!("{web}/blob/{branch}"),
            "commitHash": "",
        }));
    }
    let api = Api::new(ctx, &host)?;
    let created = create_repository(ctx, &api, &owner, &repo).await?;
    let pushed = checkpointed(ctx, "pushed")
        .and_then(Value::as_str)
        .map(str::to_string);
    let commit = match pushed {
        Some(commit) => commit.to_string(),
        None => {
            let commit = push(ctx, &api, &owner, &repo, &branch, &created, files).await?;
            checkpoint(ctx, "pushed", json!(commit)).await?;
            commit
        }
    };
    settle(ctx, &api, &owner, &repo, &branch).await?;
    Ok(json!({
        "remoteUrl": created["clone_url"].as_str().map(str::to_string).unwrap_or(format!("{web}.git")),
        "repoContentsUrl": format!("{}/blob/{branch}", created["html_url"].as_str().unwrap_or(&web)),
        "commitHash": commit,
    }))
}

/// The workspace under `sourcePath`, with a CODEOWNERS file added when it has none and
/// an owner is known (`codeOwners`, or the `access` team).
fn workspace_files(ctx: &ActionContext<'_>) -> Result<Vec<(String, Vec<u8>, bool)>, String> {
    let source = scaffolder::workspace::resolve("", ctx.text("sourcePath").unwrap_or(""))
        .map_err(|e| format!("input.sourcePath: {e}"))?;
    let mut files: Vec<(String, Vec<u8>, bool)> = ctx
        .workspace
        .under(&source)
        .map(|(path, file)| {
            let relative = if source.is_empty() {
                path.clone()
            } else {
                path[source.len() + 1..].to_string()
            };
            (relative, file.content.clone(), file.executable)
        })
        .collect();
    if files.is_empty() {
        return Err(format!(
            "the workspace has no files{}; nothing to publish",
            if source.is_empty() {
                String::new()
            } else {
                format!(" under {source}")
            }
        ));
    }
    let has_codeowners = files.iter().any(|(path, _, _)| {
        matches!(
            path.as_str(),
            "CODEOWNERS" | ".github/CODEOWNERS" | "docs/CODEOWNERS"
        )
    });
    let owner = ctx
        .text("codeOwners")
        .or(ctx.text("access").filter(|a| a.contains('/')));
    if let (false, Some(owner)) = (has_codeowners, owner) {
        let owner = if owner.starts_with('@') {
            owner.to_string()
        } else {
            format!("@{owner}")
        };
        files.push((
            ".github/CODEOWNERS".into(),
            format!("* {owner}\n").into_bytes(),
            false,
        ));
    }
    Ok(files)
}

/// Creates the repository, or finds the one this task created before it was resumed.
async fn create_repository(
    ctx: &mut ActionContext<'_>,
    api: &Api,
    owner: &str,
    repo: &str,
) -> Result<Value, String> {
    let (status, existing) = api
        .call("GET", &format!("/repos/{owner}/{repo}"), None)
        .await?;
    if status == 200 {
        if checkpointed(ctx, "repository").is_some() {
            ctx.log(format!(
                "{owner}/{repo} was created by this task before it was resumed; going on"
            ));
            return Ok(existing);
        }
        return Err(format!(
            "the repository {owner}/{repo} already exists on {}; choose another name",
            api.host
        ));
    }
    let account = api.expect("GET", &format!("/users/{owner}"), None).await?;
    let visibility = ctx.text("repoVisibility").unwrap_or("private").to_string();
    let mut body = json!({
        "name": repo,
        "private": visibility != "public",
        "auto_init": true,
    });
    if visibility == "internal" {
        body["visibility"] = json!("internal");
    }
    for (input, field) in [("description", "description"), ("homepage", "homepage")] {
        if let Some(text) = ctx.text(input) {
            body[field] = json!(text);
        }
    }
    for (input, field) in [
        ("hasProjects", "has_projects"),
        ("hasWiki", "has_wiki"),
        ("hasIssues", "has_issues"),
        ("allowMergeCommit", "allow_merge_commit"),
        ("allowSquashMerge", "allow_squash_merge"),
        ("allowRebaseMerge", "allow_rebase_merge"),
        ("allowAutoMerge", "allow_auto_merge"),
        ("deleteBranchOnMerge", "delete_branch_on_merge"),
    ] {
        if let Some(flag) = ctx.flag(input) {
            body[field] = json!(flag);
        }
    }
    let path = if account["type"] == "Organization" {
        format!("/orgs/{owner}/repos")
    } else {
        "/user/repos".to_string()
    };
    let created = api.expect("POST", &path, Some(body)).await?;
    checkpoint(ctx, "repository", json!(format!("{owner}/{repo}"))).await?;
    ctx.log(format!(
        "Created the repository {owner}/{repo} ({visibility})"
    ));
    Ok(created)
}

/// Writes the files as one root commit and points `branch` at it (made the default).
async fn push(
    ctx: &mut ActionContext<'_>,
    api: &Api,
    owner: &str,
    repo: &str,
    branch: &str,
    created: &Value,
    files: Vec<(String, Vec<u8>, bool)>,
) -> Result<String, String> {
    let base = format!("/repos/{owner}/{repo}/git");
    let count = files.len();
    // Blobs go up a few at a time: each is one round trip to GitHub, and a rendered
    // service has forty files.
    let blobs = files.into_iter().map(|(path, content, executable)| {
        let (api, base) = (&api, &base);
        async move {
            let body = json!({ "content": base64::engine::general_purpose::STANDARD.encode(content), "encoding": "base64" });
            let blob = api.expect("POST", &format!("{base}/blobs"), Some(body)).await?;
            let mode = if executable { "100755" } else { "100644" };
            Ok::<Value, String>(json!({ "path": path, "mode": mode, "type": "blob", "sha": blob["sha"] }))
        }
    });
    let tree: Vec<Value> =
        futures_util::StreamExt::buffered(futures_util::stream::iter(blobs), BLOB_UPLOADS)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
    let tree = api
        .expect(
            "POST",
            &format!("{base}/trees"),
            Some(json!({ "tree": tree })),
        )
        .await?;
    let message = ctx.text("gitCommitMessage").unwrap_or("initial commit");
    let mut commit = json!({ "message": message, "tree": tree["sha"], "parents": [] });
    if let (Some(name), Some(email)) = (ctx.text("gitAuthorName"), ctx.text("gitAuthorEmail")) {
        commit["author"] = json!({ "name": name, "email": email });
    }
    let commit = api
        .expect("POST", &format!("{base}/commits"), Some(commit))
        .await?;
    let sha = commit["sha"].as_str().unwrap_or_default().to_string();
    let (status, _) = api
        .call("GET", &format!("{base}/ref/heads/{branch}"), None)
        .await?;
    if status == 200 {
        api.expect(
            "PATCH",
            &format!("{base}/refs/heads/{branch}"),
            Some(json!({ "sha": sha, "force": true })),
        )
        .await?;
    } else {
        api.expect(
            "POST",
            &format!("{base}/refs"),
            Some(json!({ "ref": format!("refs/heads/{branch}"), "sha": sha })),
        )
        .await?;
    }
    // The branch GitHub made for the initial commit goes, unless it is the one asked for.
    let initial = created["default_branch"].as_str().unwrap_or(branch);
    if initial != branch {
        api.expect(
            "PATCH",
            &format!("/repos/{owner}/{repo}"),
            Some(json!({ "default_branch": branch })),
        )
        .await?;
        api.call("DELETE", &format!("{base}/refs/heads/{initial}"), None)
            .await?;
    }
    ctx.log(format!("Pushed {count} files to {branch} as {sha}"));
    Ok(sha)
}

/// Topics, access for the owning team and collaborators, branch protection.
async fn settle(
    ctx: &mut ActionContext<'_>,
    api: &Api,
    owner: &str,
    repo: &str,
    branch: &str,
) -> Result<(), String> {
    let topics: Vec<Value> = ctx.input["topics"].as_array().cloned().unwrap_or_default();
    if !topics.is_empty() {
        api.expect(
            "PUT",
            &format!("/repos/{owner}/{repo}/topics"),
            Some(json!({ "names": topics })),
        )
        .await?;
    }
    let mut grants: Vec<(String, String)> = Vec::new();
    if let Some(access) = ctx.text("access") {
        grants.push((access.to_string(), "admin".into()));
    }
    for collaborator in ctx.input["collaborators"].as_array().into_iter().flatten() {
        let permission = collaborator["access"]
            .as_str()
            .unwrap_or("pull")
            .to_string();
        if let Some(team) = collaborator["team"].as_str() {
            grants.push((format!("{owner}/{team}"), permission));
        } else if let Some(user) = collaborator["user"].as_str() {
            grants.push((user.to_string(), permission));
        }
    }
    for (who, permission) in grants {
        match who.split_once('/') {
            Some((org, team)) => {
                let path = format!("/orgs/{org}/teams/{team}/repos/{owner}/{repo}");
                api.expect("PUT", &path, Some(json!({ "permission": permission })))
                    .await?;
                ctx.log(format!("Gave the team {org}/{team} {permission} access"));
            }
            None if who != owner => {
                let path = format!("/repos/{owner}/{repo}/collaborators/{who}");
                api.expect("PUT", &path, Some(json!({ "permission": permission })))
                    .await?;
                ctx.log(format!("Gave {who} {permission} access"));
            }
            None => {}
        }
    }
    if ctx.flag("protectDefaultBranch").unwrap_or(true) {
        let contexts: Vec<Value> = ctx.input["requiredStatusCheckContexts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let checks = if contexts.is_empty() && ctx.flag("requireBranchesToBeUpToDate") != Some(true)
        {
            Value::Null
        } else {
            json!({ "strict": ctx.flag("requireBranchesToBeUpToDate").unwrap_or(true), "contexts": contexts })
        };
        let protection = json!({
            "required_status_checks": checks,
            "enforce_admins": ctx.flag("protectEnforceAdmins").unwrap_or(true),
            "required_pull_request_reviews": {
                "required_approving_review_count": ctx.input["requiredApprovingReviewCount"].as_u64().unwrap_or(1),
                "require_code_owner_reviews": ctx.flag("requireCodeOwnerReviews").unwrap_or(false),
            },
            "restrictions": null,
            "required_conversation_resolution": ctx.flag("requiredConversationResolution").unwrap_or(false),
        });
        api.expect(
            "PUT",
            &format!("/repos/{owner}/{repo}/branches/{branch}/protection"),
            Some(protection),
        )
        .await?;
        ctx.log(format!(
            "Protected {branch}: changes through reviewed pull requests"
        ));
    }
    Ok(())
}

pub async fn dispatch(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    ctx.refuse_token()?;
    let RepoUrl { host, owner, repo } = parse_repo_url(ctx.text("repoUrl").unwrap_or_default())?;
    let workflow = ctx.text("workflowId").unwrap_or_default().to_string();
    let reference = ctx.text("branchOrTagName").unwrap_or_default().to_string();
    if ctx.mode == Mode::DryRun {
        ctx.log(format!(
            "Dry run: would start {workflow} on {owner}/{repo} at {reference}"
        ));
        return Ok(());
    }
    let api = Api::new(ctx, &host)?;
    let inputs = ctx
        .input
        .get("workflowInputs")
        .cloned()
        .unwrap_or(json!({}));
    let workflow_path =
        percent_encoding::utf8_percent_encode(&workflow, percent_encoding::NON_ALPHANUMERIC);
    api.expect(
        "POST",
        &format!("/repos/{owner}/{repo}/actions/workflows/{workflow_path}/dispatches"),
        Some(json!({ "ref": reference, "inputs": inputs })),
    )
    .await?;
    ctx.log(format!(
        "Started {workflow} on {owner}/{repo} at {reference}"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_urls_need_a_host_owner_and_a_plain_name() {
        assert_eq!(
            parse_repo_url("github.com?owner=acme&repo=payments").unwrap(),
            RepoUrl {
                host: "github.com".into(),
                owner: "acme".into(),
                repo: "payments".into()
            }
        );
        for bad in [
            "github.com?owner=acme",
            "?owner=a&repo=b",
            "github.com?owner=a&repo=../x",
            "github.com?owner=a&repo=a%2Fb",
        ] {
            assert!(parse_repo_url(bad).is_err(), "{bad}");
        }
    }
}
