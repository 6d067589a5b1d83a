//! The scaffolder: templates run as tasks. `api.rs` is Backstage's `/api/scaffolder/v2`;
//! `runner.rs` runs a task's steps; `actions/` are what steps do; `skeletons.rs` reads the
//! files a template fetches. Tasks are stored and claimed through the database, so any
//! replica may run any task, and one that dies mid-task leaves it to another.

pub mod actions;
pub mod api;
pub mod golden_paths;
pub mod pages;
pub mod runner;
pub mod skeletons;

use crate::catalog::ingest::Ingester;
use crate::config::{Config, IngestConfig, ScaffolderConfig};
use crate::integrations::github::GithubIntegration;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;
use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinHandle;

/// What running tasks needs, shared by the API and the task loop.
pub struct Scaffolder {
    pub store: Store,
    pub config: ScaffolderConfig,
    pub ingest: IngestConfig,
    pub github: GithubIntegration,
    pub ingester: Arc<Ingester>,
    /// This replica's name in claims.
    pub worker: Arc<str>,
    pub lease: Duration,
    poll: Duration,
    /// The portal's own address, for links in outputs.
    pub public_url: String,
    /// What `portico:render` renders with (`render:` in the configuration).
    pub render: render::RenderOptions,
    /// Secrets of the tasks this replica accepted, by task id: never stored anywhere else.
    secrets: Mutex<HashMap<String, Map<String, Value>>>,
    /// Tasks running on this replica at most (`scaffolder_concurrency`).
    slots: Arc<Semaphore>,
    /// Wakes the task loop when a task is created here.
    wake: Notify,
}

impl Scaffolder {
    pub fn new(
        config: &Config,
        store: Store,
        ingester: Arc<Ingester>,
        worker: Arc<str>,
    ) -> Scaffolder {
        Scaffolder {
            store,
            config: config.scaffolder,
            ingest: config.ingest.clone(),
            github: config.github.clone(),
            ingester,
            worker,
            lease: config.work.lease,
            poll: config.work.poll,
            public_url: config.public_url.clone(),
            render: config.render.clone(),
            secrets: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(config.scaffolder.concurrency)),
            wake: Notify::new(),
        }
    }

    pub fn keep_secrets(&self, task_id: &str, secrets: Map<String, Value>) {
        if !secrets.is_empty() {
            self.secrets
                .lock()
                .expect("secrets lock")
                .insert(task_id.to_string(), secrets);
        }
    }

    pub fn secrets(&self, task_id: &str) -> Option<Map<String, Value>> {
        self.secrets
            .lock()
            .expect("secrets lock")
            .get(task_id)
            .cloned()
    }

    pub fn forget_secrets(&self, task_id: &str) {
        self.secrets.lock().expect("secrets lock").remove(task_id);
    }

    /// Waits for a free slot: tasks this replica runs at once are capped.
    pub async fn slot(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.slots
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Asks the task loop to look for work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// The running task loop; [`TaskLoop::stop`] ends it (tasks running finish their step).
pub struct TaskLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl TaskLoop {
    pub fn start(scaffolder: Arc<Scaffolder>) -> TaskLoop {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run_loop(scaffolder, stopped));
        TaskLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the task loop ended abnormally");
        }
    }
}

/// Claims due tasks while this replica has a free slot; sleeps for the poll interval, or
/// until woken, when nothing is due.
async fn run_loop(scaffolder: Arc<Scaffolder>, mut stopped: watch::Receiver<bool>) {
    tracing::info!(worker = %scaffolder.worker, concurrency = scaffolder.config.concurrency, "task loop started");
    while !*stopped.borrow() {
        let slot = tokio::select! {
            slot = scaffolder.slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = stopped.changed() => break,
        };
        let claimed = scaffolder
            .store
            .claim_next_task(&scaffolder.worker, chrono::Utc::now(), scaffolder.lease)
            .await;
        match claimed {
            Ok(Some(task)) => {
                let scaffolder = scaffolder.clone();
                tokio::spawn(async move {
                    runner::run_claimed(&scaffolder, task).await;
                    drop(slot);
                });
            }
            Ok(None) => {
                drop(slot);
                tokio::select! {
                    _ = tokio::time::sleep(scaffolder.poll) => {}
                    _ = scaffolder.wake.notified() => {}
                    _ = stopped.changed() => {}
                }
            }
            Err(error) => {
                drop(slot);
                tracing::error!(%error, "task loop: cannot claim a task");
                tokio::time::sleep(scaffolder.poll).await;
            }
        }
    }
    tracing::info!(worker = %scaffolder.worker, "task loop stopped");
}
