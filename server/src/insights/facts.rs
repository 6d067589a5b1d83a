//! What a delivery's fact does: deployments, changes and incidents stored for the
//! metrics, and — for a push — the registered locations under the pushed branch read
//! again at once, so an edited `catalog-info.yaml` shows within seconds.

use crate::config::InsightsConfig;
use insights::github::{Fact, GithubDeploymentState};
use store::{DeploymentReport, DeploymentState, IncidentRow, Store, StoreError};

/// Applies `fact` to the store.
pub async fn apply(store: &Store, config: &InsightsConfig, fact: &Fact) -> Result<(), StoreError> {
    match fact {
        Fact::Push {
            repository,
            web_url,
            branch,
            to_default_branch,
            head,
            changes,
        } => {
            if let (true, Some(head)) = (*to_default_branch, head) {
                let changes: Vec<_> = changes
                    .iter()
                    .map(|c| (c.sha.clone(), c.committed_at))
                    .collect();
                store.record_changes(repository, head, &changes).await?;
            }
            if let (Some(web_url), Some(branch)) = (web_url, branch) {
                let prefix = format!("{}/blob/{branch}/", web_url.trim_end_matches('/'));
                let due = store.request_reads_under(&prefix).await?;
                if due > 0 {
                    tracing::info!(%repository, %branch, locations = due, "push: locations to read again now");
                }
            }
            Ok(())
        }
        Fact::Deployment {
            repository,
            github_id,
            environment,
            sha,
            created_at,
            status,
            at,
        } => {
            let id = format!("github:{repository}:{github_id}");
            // "inactive" means a later deployment replaced this one, which says nothing
            // about how this one went: the deployment is recorded, its status kept.
            let state = status.and_then(deployment_state);
            store
                .report_deployment(&DeploymentReport {
                    id: &id,
                    repository: Some(repository),
                    component_ref: None,
                    environment,
                    sha: Some(sha),
                    created_at: *created_at,
                    state,
                    at: *at,
                })
                .await
        }
        Fact::Issue {
            repository,
            number,
            labels,
            opened_at,
            closed_at,
        } => {
            let id = format!("github:{repository}#{number}");
            if labels.iter().any(|l| config.support_labels.contains(l)) {
                store
                    .report_support_request(&id, Some(repository), *opened_at, *closed_at)
                    .await?;
            }
            if !labels.iter().any(|l| config.incident_labels.contains(l)) {
                return Ok(());
            }
            store
                .report_incident(&IncidentRow {
                    id,
                    repository: Some(repository.clone()),
                    component_ref: None,
                    opened_at: *opened_at,
                    resolved_at: *closed_at,
                    caused_by: None,
                })
                .await
        }
        Fact::WorkflowRun {
            repository,
            run_id,
            name,
            head_sha,
            on_default_branch,
            conclusion,
            started_at,
            at,
        } => {
            let deploys = config.deployment_workflows.contains(&name.to_lowercase());
            let state = conclusion.as_deref().and_then(run_state);
            let (true, true, Some(state)) = (deploys, *on_default_branch, state) else {
                return Ok(());
            };
            // The first production name is the one the figures count it under.
            let environment = config
                .production
                .first()
                .map_or("production", String::as_str);
            store
                .report_deployment(&DeploymentReport {
                    id: &format!("github:{repository}:run:{run_id}"),
                    repository: Some(repository),
                    component_ref: None,
                    environment,
                    sha: Some(head_sha),
                    created_at: *started_at,
                    state: Some(state),
                    at: *at,
                })
                .await
        }
        // Kept as deliveries; the figures that will read them (review times, release
        // cadence) are not computed yet.
        Fact::PullRequestMerged { .. } | Fact::Release { .. } | Fact::Nothing => Ok(()),
    }
}

/// What a deployment workflow's conclusion says of the deployment: a cancelled or
/// skipped run deployed nothing.
fn run_state(conclusion: &str) -> Option<DeploymentState> {
    match conclusion {
        "success" => Some(DeploymentState::Succeeded),
        "failure" | "timed_out" | "startup_failure" => Some(DeploymentState::Failed),
        _ => None,
    }
}

fn deployment_state(state: GithubDeploymentState) -> Option<DeploymentState> {
    match state {
        GithubDeploymentState::Queued | GithubDeploymentState::Pending => {
            Some(DeploymentState::Pending)
        }
        GithubDeploymentState::InProgress => Some(DeploymentState::InProgress),
        GithubDeploymentState::Success => Some(DeploymentState::Succeeded),
        GithubDeploymentState::Failure | GithubDeploymentState::Error => {
            Some(DeploymentState::Failed)
        }
        GithubDeploymentState::Inactive => None,
    }
}
