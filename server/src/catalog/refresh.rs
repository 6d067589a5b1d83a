//! The refresh loop: re-reads every location on the configured interval.
//!
//! Each pass claims the most overdue location through the database (see
//! `Store::claim_due_location`), reads and applies it while extending the claim, records
//! the result and releases the claim; when nothing is due it sleeps for the poll interval
//! (`background_poll_secs`). A claim lapses after `background_lease_secs` without a
//! heartbeat, so a replica that dies mid-read delays that location, nothing more.

use crate::catalog::ingest::Ingester;
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running refresh loop; [`RefreshLoop::stop`] ends it after the current read.
pub struct RefreshLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RefreshLoop {
    /// Starts the loop; when no location is due it looks again after `poll`.
    pub fn start(
        store: Store,
        ingester: Arc<Ingester>,
        worker: String,
        poll: Duration,
    ) -> RefreshLoop {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(store, ingester, worker, poll, stopped));
        RefreshLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the refresh loop ended abnormally");
        }
    }
}

async fn run(
    store: Store,
    ingester: Arc<Ingester>,
    worker: String,
    poll: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    tracing::info!(%worker, interval_secs = ingester.config().refresh_interval.as_secs(), "refresh loop started");
    while !*stopped.borrow() {
        let did_work = match run_once(&store, &ingester, &worker).await {
            Ok(did_work) => did_work,
            Err(error) => {
                tracing::error!(%error, "refresh loop: cannot claim work");
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
    tracing::info!(%worker, "refresh loop stopped");
}

/// Claims and processes one due location. `Ok(false)` when none was due.
pub async fn run_once(
    store: &Store,
    ingester: &Ingester,
    worker: &str,
) -> Result<bool, store::StoreError> {
    let Some(location) = store
        .claim_due_location(worker, Utc::now(), ingester.lease())
        .await?
    else {
        return Ok(false);
    };
    // Errors are recorded on the location by `process_claimed`; only database
    // failures come back here.
    if let Err(crate::catalog::ingest::IngestError::Store(error)) =
        ingester.process_claimed(store, &location, worker).await
    {
        return Err(error);
    }
    Ok(true)
}
