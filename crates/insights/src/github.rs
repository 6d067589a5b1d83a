//! GitHub webhook deliveries: the signature check, and each event's payload read into the
//! delivery [`Fact`]s the metrics need.
//!
//! Payloads are typed structs that name only the fields Portico reads: unknown events and
//! fields are ignored, and every field GitHub leaves out in some real payload is optional
//! (a push that deletes a branch has no `head_commit` and no commits; a ping has no
//! repository when the hook is an organisation's).

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Why a delivery's signature does not hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the X-Hub-Signature-256 header is missing; set the webhook's secret in GitHub")]
    Missing,
    #[error("the X-Hub-Signature-256 header is not \"sha256=\" followed by 64 hex digits")]
    Malformed,
    #[error(
        "the X-Hub-Signature-256 signature does not match the body; the webhook's secret in GitHub differs from Portico's"
    )]
    Mismatch,
}

/// Checks GitHub's `X-Hub-Signature-256` header (`sha256=<hex HMAC-SHA256 of the body>`)
/// against `secret`, comparing in constant time.
pub fn verify_signature(
    secret: &[u8],
    body: &[u8],
    header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let hex_digest = header
        .strip_prefix("sha256=")
        .ok_or(SignatureError::Malformed)?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let expected = hex::decode(hex_digest).map_err(|_| SignatureError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The signature header GitHub would send for `body` (for tests and the benchmark).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The events Portico reads; any other `X-GitHub-Event` is stored and ignored.
pub const EVENTS: [&str; 8] = [
    "push",
    "pull_request",
    "deployment",
    "deployment_status",
    "workflow_run",
    "release",
    "issues",
    "ping",
];

/// What a delivery says happened, in the terms of the metrics. Repositories are
/// lowercased `owner/name` slugs, as the `github.com/project-slug` annotation names them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Fact {
    /// Commits reached a branch. `head` is the commit the branch now points at, the one a
    /// deployment names; every commit pushed to the default branch is a change whose lead
    /// time runs from its timestamp. `web_url` is the repository's page
    /// (`https://github.com/acme/payments`), under which its files' URLs lie.
    Push {
        repository: String,
        web_url: Option<String>,
        branch: Option<String>,
        to_default_branch: bool,
        head: Option<String>,
        changes: Vec<Change>,
    },
    /// A deployment was created, or its status changed. `status` is the latest state the
    /// delivery tells (`None` for a new deployment without a status yet) and `at` when it
    /// was set, so statuses arriving out of order are applied in time order.
    Deployment {
        repository: String,
        github_id: u64,
        environment: String,
        sha: String,
        created_at: DateTime<Utc>,
        status: Option<GithubDeploymentState>,
        at: DateTime<Utc>,
    },
    /// An issue was opened, closed or relabelled: with a label saying so it is an incident
    /// or a support request.
    Issue {
        repository: String,
        number: u64,
        labels: Vec<String>,
        opened_at: DateTime<Utc>,
        closed_at: Option<DateTime<Utc>>,
    },
    /// A GitHub Actions run finished.
    WorkflowRun {
        repository: String,
        run_id: u64,
        name: String,
        head_sha: String,
        /// Whether it ran for the repository's default branch.
        on_default_branch: bool,
        conclusion: Option<String>,
        started_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    /// A pull request was merged.
    PullRequestMerged {
        repository: String,
        number: u64,
        merge_sha: Option<String>,
        merged_at: DateTime<Utc>,
    },
    /// A release was published.
    Release {
        repository: String,
        tag: String,
        at: DateTime<Utc>,
    },
    /// GitHub checking the hook works, or an event or action that says nothing to the
    /// metrics.
    Nothing,
}

/// One commit of a push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub sha: String,
    pub committed_at: DateTime<Utc>,
}

/// A GitHub deployment status's `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GithubDeploymentState {
    Queued,
    Pending,
    InProgress,
    Success,
    Failure,
    Error,
    /// Superseded by a later deployment to the same environment: not a failure.
    Inactive,
}

/// Reads a delivery of `event` into its fact. Malformed JSON, or a known event without a
/// field every payload of it has, is an error whose message says what is wrong.
pub fn read(event: &str, body: &[u8]) -> Result<Fact, String> {
    fn parse<T: for<'de> Deserialize<'de>>(event: &str, body: &[u8]) -> Result<T, String> {
        serde_json::from_slice(body)
            .map_err(|e| format!("the {event} payload is not what GitHub sends: {e}"))
    }
    match event {
        "push" => Ok(parse::<Push>(event, body)?.into_fact()),
        "deployment" => Ok(parse::<DeploymentEvent>(event, body)?.into_fact()),
        "deployment_status" => Ok(parse::<DeploymentStatusEvent>(event, body)?.into_fact()),
        "issues" => Ok(parse::<IssuesEvent>(event, body)?.into_fact()),
        "workflow_run" => Ok(parse::<WorkflowRunEvent>(event, body)?.into_fact()),
        "pull_request" => Ok(parse::<PullRequestEvent>(event, body)?.into_fact()),
        "release" => Ok(parse::<ReleaseEvent>(event, body)?.into_fact()),
        _ => {
            // Still JSON: a body that is not is refused whatever the event.
            parse::<serde_json::Value>(event, body)?;
            Ok(Fact::Nothing)
        }
    }
}

#[derive(Deserialize)]
struct Repository {
    full_name: String,
    html_url: Option<String>,
    default_branch: Option<String>,
}

impl Repository {
    fn slug(&self) -> String {
        self.full_name.to_ascii_lowercase()
    }
}

#[derive(Deserialize)]
struct Push {
    #[serde(rename = "ref")]
    git_ref: String,
    after: Option<String>,
    #[serde(default)]
    deleted: bool,
    #[serde(default)]
    commits: Vec<Commit>,
    repository: Repository,
}

#[derive(Deserialize)]
struct Commit {
    id: String,
    timestamp: DateTime<Utc>,
}

impl Push {
    fn into_fact(self) -> Fact {
        let branch = self.git_ref.strip_prefix("refs/heads/").map(str::to_owned);
        let head = self.after.filter(|sha| !self.deleted && !is_zero_sha(sha));
        // Without the default branch's name (never seen in GitHub's payloads, but
        // possible from a stand-in), every branch counts.
        let to_default_branch = match (&branch, &self.repository.default_branch) {
            (Some(branch), Some(default)) => branch == default,
            (Some(_), None) => true,
            (None, _) => false,
        };
        Fact::Push {
            repository: self.repository.slug(),
            web_url: self.repository.html_url,
            branch,
            to_default_branch,
            head,
            changes: self
                .commits
                .into_iter()
                .map(|c| Change {
                    sha: c.id,
                    committed_at: c.timestamp,
                })
                .collect(),
        }
    }
}

/// GitHub names "no commit" (a created or deleted ref's other side) with forty zeros.
fn is_zero_sha(sha: &str) -> bool {
    sha.bytes().all(|b| b == b'0')
}

#[derive(Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
    environment: String,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct DeploymentEvent {
    deployment: Deployment,
    repository: Repository,
}

impl Deployment {
    /// The deployment of `repository` as it stood at `at`, with `status` when a status
    /// delivery reported one.
    fn into_fact(
        self,
        repository: &Repository,
        status: Option<GithubDeploymentState>,
        at: DateTime<Utc>,
    ) -> Fact {
        Fact::Deployment {
            repository: repository.slug(),
            github_id: self.id,
            environment: self.environment,
            sha: self.sha,
            created_at: self.created_at,
            status,
            at,
        }
    }
}

impl DeploymentEvent {
    fn into_fact(self) -> Fact {
        let created_at = self.deployment.created_at;
        self.deployment
            .into_fact(&self.repository, None, created_at)
    }
}

#[derive(Deserialize)]
struct DeploymentStatus {
    state: GithubDeploymentState,
    created_at: DateTime<Utc>,
}

/// A status delivery carries its deployment whole, so it stands alone when it arrives
/// before the deployment's own delivery.
#[derive(Deserialize)]
struct DeploymentStatusEvent {
    deployment_status: DeploymentStatus,
    deployment: Deployment,
    repository: Repository,
}

impl DeploymentStatusEvent {
    fn into_fact(self) -> Fact {
        let status = self.deployment_status;
        self.deployment
            .into_fact(&self.repository, Some(status.state), status.created_at)
    }
}

#[derive(Deserialize)]
struct Label {
    name: String,
}

#[derive(Deserialize)]
struct Issue {
    number: u64,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    labels: Vec<Label>,
    /// Pull requests arrive as issues too; they are neither incidents nor requests.
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct IssuesEvent {
    issue: Issue,
    repository: Repository,
}

impl IssuesEvent {
    fn into_fact(self) -> Fact {
        let issue = self.issue;
        if issue.pull_request.is_some() {
            return Fact::Nothing;
        }
        Fact::Issue {
            repository: self.repository.slug(),
            number: issue.number,
            labels: issue
                .labels
                .into_iter()
                .map(|l| l.name.to_lowercase())
                .collect(),
            opened_at: issue.created_at,
            closed_at: issue.closed_at,
        }
    }
}

#[derive(Deserialize)]
struct WorkflowRun {
    id: u64,
    name: Option<String>,
    head_sha: String,
    head_branch: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    run_started_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct WorkflowRunEvent {
    workflow_run: WorkflowRun,
    repository: Repository,
}

impl WorkflowRunEvent {
    fn into_fact(self) -> Fact {
        let run = self.workflow_run;
        if run.status.as_deref() != Some("completed") {
            return Fact::Nothing;
        }
        let on_default_branch =
            run.head_branch.is_some() && run.head_branch == self.repository.default_branch;
        Fact::WorkflowRun {
            repository: self.repository.slug(),
            run_id: run.id,
            name: run.name.unwrap_or_default(),
            head_sha: run.head_sha,
            on_default_branch,
            conclusion: run.conclusion,
            started_at: run.run_started_at.unwrap_or(run.updated_at),
            at: run.updated_at,
        }
    }
}

#[derive(Deserialize)]
struct PullRequest {
    number: u64,
    merged_at: Option<DateTime<Utc>>,
    merge_commit_sha: Option<String>,
}

#[derive(Deserialize)]
struct PullRequestEvent {
    action: String,
    pull_request: PullRequest,
    repository: Repository,
}

impl PullRequestEvent {
    fn into_fact(self) -> Fact {
        let pr = self.pull_request;
        match (self.action.as_str(), pr.merged_at) {
            ("closed", Some(merged_at)) => Fact::PullRequestMerged {
                repository: self.repository.slug(),
                number: pr.number,
                merge_sha: pr.merge_commit_sha,
                merged_at,
            },
            _ => Fact::Nothing,
        }
    }
}

#[derive(Deserialize)]
struct Release {
    tag_name: String,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct ReleaseEvent {
    action: String,
    release: Release,
    repository: Repository,
}

impl ReleaseEvent {
    fn into_fact(self) -> Fact {
        if self.action != "published" {
            return Fact::Nothing;
        }
        Fact::Release {
            repository: self.repository.slug(),
            tag: self.release.tag_name,
            at: self.release.published_at.unwrap_or(self.release.created_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_checked_against_the_body_and_the_secret() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let header = sign(b"s3cret", body);
        assert_eq!(verify_signature(b"s3cret", body, Some(&header)), Ok(()));
        assert_eq!(
            verify_signature(b"other", body, Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", b"{}", Some(&header)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(b"s3cret", body, None),
            Err(SignatureError::Missing)
        );
        for bad in ["sha1=abc", "sha256=zz", "sha256=", &header[..70]] {
            assert_eq!(
                verify_signature(b"s3cret", body, Some(bad)),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn github_documents_this_signature() {
        // The example in GitHub's "Validating webhook deliveries".
        assert_eq!(
            sign(b"It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn a_push_names_its_branch_head_and_commits() {
        let body =
            br#"{"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000",
            "after":"b2","created":true,"deleted":false,
            "commits":[{"id":"a1","timestamp":"2026-11-02T10:00:00+01:00","message":"x"},
                       {"id":"b2","timestamp":"2026-11-02T11:00:00Z"}],
            "head_commit":{"id":"b2"},"repository":{"full_name":"Acme/Payments","id":1,
            "html_url":"https://github.com/Acme/Payments","default_branch":"main"},"extra":[1]}"#;
        let Fact::Push {
            repository,
            web_url,
            branch,
            to_default_branch,
            head,
            changes,
        } = read("push", body).unwrap()
        else {
            panic!("not a push")
        };
        assert_eq!(repository, "acme/payments");
        assert_eq!(web_url.as_deref(), Some("https://github.com/Acme/Payments"));
        assert_eq!(branch.as_deref(), Some("main"));
        assert!(to_default_branch);
        assert_eq!(head.as_deref(), Some("b2"));
        assert_eq!(changes.len(), 2);
        assert_eq!(
            changes[0].committed_at.to_rfc3339(),
            "2026-11-02T09:00:00+00:00"
        );
    }

    #[test]
    fn a_push_that_deletes_a_tag_has_no_head_commit_and_still_reads() {
        let body = br#"{"ref":"refs/tags/v1","before":"c3","after":"0000000000000000000000000000000000000000",
            "created":false,"deleted":true,"commits":[],"head_commit":null,
            "repository":{"full_name":"acme/payments"}}"#;
        assert_eq!(
            read("push", body).unwrap(),
            Fact::Push {
                repository: "acme/payments".into(),
                web_url: None,
                branch: None,
                to_default_branch: false,
                head: None,
                changes: vec![],
            }
        );
    }

    #[test]
    fn a_deployment_status_carries_its_deployment() {
        let body = br#"{"action":"created","deployment_status":{"state":"success","created_at":"2026-11-02T12:00:00Z"},
            "deployment":{"id":42,"sha":"b2","environment":"production","created_at":"2026-11-02T11:30:00Z"},
            "repository":{"full_name":"acme/payments"}}"#;
        let Fact::Deployment {
            github_id,
            status,
            at,
            ..
        } = read("deployment_status", body).unwrap()
        else {
            panic!("not a deployment")
        };
        assert_eq!(github_id, 42);
        assert_eq!(status, Some(GithubDeploymentState::Success));
        assert_eq!(at.to_rfc3339(), "2026-11-02T12:00:00+00:00");
    }

    #[test]
    fn bad_payloads_say_what_is_wrong() {
        let err = read("push", b"{not json").unwrap_err();
        assert!(
            err.starts_with("the push payload is not what GitHub sends"),
            "{err}"
        );
        let err = read("deployment", br#"{"repository":{"full_name":"a/b"}}"#).unwrap_err();
        assert!(err.contains("deployment"), "{err}");
        assert!(read("star", b"[oops").is_err());
        assert_eq!(read("star", br#"{"action":"created"}"#), Ok(Fact::Nothing));
        assert_eq!(
            read("ping", br#"{"zen":"z","hook_id":1}"#),
            Ok(Fact::Nothing)
        );
    }

    #[test]
    fn a_finished_workflow_run_says_its_branch_and_conclusion() {
        let run = |status: &str, branch: &str| {
            format!(
                r#"{{"action":"completed","workflow_run":{{"id":7,"name":"Deploy","head_sha":"b2",
                "head_branch":"{branch}","status":"{status}","conclusion":"success",
                "run_started_at":"2026-11-02T11:50:00Z","updated_at":"2026-11-02T12:00:00Z"}},
                "repository":{{"full_name":"Acme/Payments","default_branch":"main"}}}}"#
            )
        };
        let Fact::WorkflowRun {
            repository,
            run_id,
            on_default_branch,
            started_at,
            ..
        } = read("workflow_run", run("completed", "main").as_bytes()).unwrap()
        else {
            panic!("not a workflow run")
        };
        assert_eq!((repository.as_str(), run_id), ("acme/payments", 7));
        assert!(on_default_branch);
        assert_eq!(started_at.to_rfc3339(), "2026-11-02T11:50:00+00:00");
        let Fact::WorkflowRun {
            on_default_branch, ..
        } = read("workflow_run", run("completed", "feature").as_bytes()).unwrap()
        else {
            panic!("not a workflow run")
        };
        assert!(!on_default_branch);
        assert_eq!(
            read("workflow_run", run("in_progress", "main").as_bytes()).unwrap(),
            Fact::Nothing
        );
    }

    #[test]
    fn pull_requests_count_when_merged_and_issues_keep_their_labels() {
        let merged = br#"{"action":"closed","pull_request":{"number":7,"merged_at":"2026-11-02T12:00:00Z","merge_commit_sha":"m7"},"repository":{"full_name":"a/b"}}"#;
        assert!(matches!(
            read("pull_request", merged).unwrap(),
            Fact::PullRequestMerged { number: 7, .. }
        ));
        let closed = br#"{"action":"closed","pull_request":{"number":8,"merged_at":null},"repository":{"full_name":"a/b"}}"#;
        assert_eq!(read("pull_request", closed), Ok(Fact::Nothing));
        let issue = br#"{"action":"labeled","issue":{"number":3,"created_at":"2026-11-02T12:00:00Z","closed_at":null,
            "labels":[{"name":"Incident"}]},"repository":{"full_name":"a/b"}}"#;
        assert!(matches!(
            read("issues", issue).unwrap(),
            Fact::Issue { labels, .. } if labels == ["incident"]
        ));
    }
}
