//! Entity providers (`catalog.providers` in `portico.yaml`): GitHub discovery registers
//! every matching repository's catalog file as a location (`discovery.rs`), and the
//! GitHub org provider writes the organisation's teams and people (`org.rs`).
//!
//! Each provider is a row the replicas share through a claim, like a location: one
//! replica runs it per interval, a heartbeat keeps the claim while it runs, and a replica
//! that dies mid-run only delays it by one lease. The locations discovery adds are read
//! by the refresh loop like any other.

mod discovery;
mod org;

use crate::config::IngestConfig;
use crate::integrations::github::GithubIntegration;
use catalog::github::{ProvidersConfig, Schedule};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use store::{ConfiguredProvider, ProviderRow, Store, StoreError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// GitHub answers older than this are forgotten (a page unchanged that long is asked
/// for whole again, once).
const KEEP_ANSWERS_DAYS: i64 = 30;

pub const DISCOVERY: &str = "github-discovery";
pub const ORG: &str = "github-org";

/// Runs the configured providers. One per process.
pub struct EntityProviders {
    config: ProvidersConfig,
    github: GithubIntegration,
    ingest: IngestConfig,
    lease: Duration,
}

impl EntityProviders {
    pub fn new(
        config: &ProvidersConfig,
        github: &GithubIntegration,
        ingest: &IngestConfig,
        lease: Duration,
    ) -> EntityProviders {
        EntityProviders {
            config: config.clone(),
            github: github.clone(),
            ingest: ingest.clone(),
            lease,
        }
    }

    /// The providers as the store keeps them: id, kind and a summary of what they read.
    fn configured(&self) -> Vec<ConfiguredProvider> {
        let discovery = self.config.discovery.iter().map(|d| ConfiguredProvider {
            id: d.id.clone(),
            kind: DISCOVERY.into(),
            config: format!(
                "{}/{}: {} (every {})",
                d.host,
                d.organization,
                d.catalog_path.as_str(),
                every(d.schedule)
            ),
        });
        let orgs = self.config.orgs.iter().map(|o| ConfiguredProvider {
            id: o.id.clone(),
            kind: ORG.into(),
            config: format!(
                "{}: {} (every {})",
                o.host,
                o.orgs.join(", "),
                every(o.schedule)
            ),
        });
        discovery.chain(orgs).collect()
    }

    /// Makes the store's providers the configured ones. A provider no longer configured
    /// takes its locations with it (their entities too, under orphan strategy `delete`).
    pub async fn sync(&self, store: &Store) -> Result<(), StoreError> {
        let removed = store.sync_providers(&self.configured()).await?;
        for id in removed {
            let locations = store.provider_locations(&id).await?;
            for location in &locations {
                store
                    .delete_location(&location.id, self.removes_entities())
                    .await?;
            }
            tracing::info!(provider = %id, locations = locations.len(), "provider no longer configured: its locations are removed");
        }
        Ok(())
    }

    /// A run's view of `host`'s API, waiting for rate limits no longer than the run's
    /// `timeout`.
    fn api(
        &self,
        store: &Store,
        host: &str,
        schedule: Schedule,
    ) -> Result<crate::integrations::github_api::GithubApi, Outcome> {
        let Some(host) = self.github.host(host) else {
            return Err(Outcome::failed(
                format!("{host} is not a host of the GitHub integration"),
                serde_json::json!({}),
            ));
        };
        let deadline = tokio::time::Instant::now() + schedule.timeout;
        crate::integrations::github_api::GithubApi::new(
            store.clone(),
            host,
            self.ingest.read_timeout,
            deadline,
        )
        .map_err(|error| Outcome::failed(error, serde_json::json!({})))
    }

    fn removes_entities(&self) -> bool {
        matches!(
            self.ingest.orphan_strategy,
            crate::config::OrphanStrategy::Delete
        )
    }

    /// Claims and runs one due provider. `Ok(false)` when none was due.
    pub async fn run_once(&self, store: &Store, worker: &str) -> Result<bool, StoreError> {
        let Some(provider) = store
            .claim_due_provider(worker, Utc::now(), self.lease)
            .await?
        else {
            return Ok(false);
        };
        self.run_claimed(store, &provider, worker).await?;
        Ok(true)
    }

    async fn run_claimed(
        &self,
        store: &Store,
        provider: &ProviderRow,
        worker: &str,
    ) -> Result<(), StoreError> {
        let started = Utc::now();
        // The run, and how long until the next one.
        let run = async {
            if let Some(config) = self.config.discovery.iter().find(|d| d.id == provider.id) {
                let outcome = discovery::run(self, store, config).await;
                (config.schedule.frequency, outcome)
            } else if let Some(config) = self.config.orgs.iter().find(|o| o.id == provider.id) {
                let outcome = org::run(self, store, config).await;
                (config.schedule.frequency, outcome)
            } else {
                // Configured on another replica only (a rolling update): leave it to them.
                let outcome = Outcome::failed(
                    "this replica's configuration does not have this provider".into(),
                    serde_json::json!({}),
                );
                (Duration::from_secs(60), outcome)
            }
        };
        let (frequency, outcome) = crate::work::with_heartbeat(run, self.lease, || {
            store.extend_provider_claim(&provider.id, worker, Utc::now(), self.lease)
        })
        .await;
        let finished = Utc::now();
        let next = finished + chrono::TimeDelta::from_std(frequency).unwrap_or_default();
        match &outcome.error {
            None => {
                tracing::info!(provider = %provider.id, status = %outcome.status, "provider ran")
            }
            Some(error) => {
                tracing::warn!(provider = %provider.id, %error, "provider run incomplete")
            }
        }
        store
            .finish_provider_run(
                &provider.id,
                worker,
                started,
                finished,
                next,
                outcome.error.as_deref(),
                &outcome.status.to_string(),
            )
            .await?;
        store
            .forget_github_responses(finished - chrono::TimeDelta::days(KEEP_ANSWERS_DAYS))
            .await?;
        Ok(())
    }
}

/// How a run ended: its report, and why it stopped short if it did.
pub(crate) struct Outcome {
    pub error: Option<String>,
    pub status: serde_json::Value,
}

impl Outcome {
    fn failed(error: String, status: serde_json::Value) -> Outcome {
        Outcome {
            error: Some(error),
            status,
        }
    }
}

fn every(schedule: Schedule) -> String {
    let secs = schedule.frequency.as_secs();
    match secs {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The providers' background loop; [`ProviderLoop::stop`] ends it after the current run.
pub struct ProviderLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl ProviderLoop {
    pub fn start(
        store: Store,
        providers: Arc<EntityProviders>,
        worker: String,
        poll: Duration,
    ) -> ProviderLoop {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            if let Err(error) = providers.sync(&store).await {
                tracing::error!(%error, "entity providers: cannot record the configured providers");
            }
            while !*stopped.borrow() {
                let did_work = match providers.run_once(&store, &worker).await {
                    Ok(did_work) => did_work,
                    Err(error) => {
                        tracing::error!(%error, "entity providers: cannot claim or record a run");
                        false
                    }
                };
                if !did_work {
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = stopped.changed() => {}
                    }
                }
            }
        });
        ProviderLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the provider loop ended abnormally");
        }
    }
}
