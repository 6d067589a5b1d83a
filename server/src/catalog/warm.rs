//! Keeps the catalog's landing views warm. Their counts and facets are cached per catalog
//! version (`store::cache`); computed on demand, the first person to open the catalog
//! after a start or a change waited for them (1.2 s at 100k entities on SQLite, 2.1 s on
//! PostgreSQL, BENCHMARKS.md). This loop computes them instead: once before the portal
//! starts listening, then whenever the catalog version has changed and held still for a
//! poll interval (a burst of writes is warmed once, after it).

use std::time::{Duration, Instant};
use store::Store;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// How long a start waits for the first warm-up before it listens anyway (the warm-up
/// goes on in the background): a large catalog on a slow database must not keep a
/// replica from starting.
const FIRST_WARM_LIMIT: Duration = Duration::from_secs(10);

/// A running warm-up loop; [`WarmLoop::stop`] ends it.
pub struct WarmLoop {
    stop: watch::Sender<bool>,
    warmed: watch::Receiver<Option<i64>>,
    task: JoinHandle<()>,
}

impl WarmLoop {
    /// Warms the landing views, waiting at most [`FIRST_WARM_LIMIT`] for it, and keeps
    /// them warm, looking at the catalog version every `poll`.
    pub async fn start(store: Store, poll: Duration) -> WarmLoop {
        let (stop, stopped) = watch::channel(false);
        let (warmed_tx, warmed) = watch::channel(None);
        let (first_done, first) = oneshot::channel();
        let task = tokio::spawn(run(store, poll, stopped, warmed_tx, first_done));
        if tokio::time::timeout(FIRST_WARM_LIMIT, first).await.is_err() {
            tracing::warn!(
                limit_secs = FIRST_WARM_LIMIT.as_secs(),
                "the catalog's views are still being warmed; starting anyway"
            );
        }
        WarmLoop { stop, warmed, task }
    }

    /// The catalog version the views were last warmed at.
    pub fn warmed_version(&self) -> Option<i64> {
        *self.warmed.borrow()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the warm-up loop ended abnormally");
        }
    }
}

async fn run(
    store: Store,
    poll: Duration,
    mut stopped: watch::Receiver<bool>,
    warmed_tx: watch::Sender<Option<i64>>,
    first_done: oneshot::Sender<()>,
) {
    let mut warmed = warm(&store).await;
    warmed_tx.send_replace(warmed);
    let _ = first_done.send(());
    let mut seen = warmed;
    while !*stopped.borrow() {
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            _ = stopped.changed() => break,
        }
        let version = match store.catalog_version().await {
            Ok(version) => Some(version),
            Err(error) => {
                tracing::warn!(%error, "warm-up: cannot read the catalog version");
                continue;
            }
        };
        // Warm once the version holds still: each write of an import changes it.
        if version != warmed && version == seen {
            warmed = warm(&store).await;
            warmed_tx.send_replace(warmed);
        }
        seen = version;
    }
}

/// Warms the views; returns the catalog version they were computed at (None on failure,
/// so that the next poll tries again).
async fn warm(store: &Store) -> Option<i64> {
    let started = Instant::now();
    let version = store.catalog_version().await.ok()?;
    match app::warm_catalog_views(store).await {
        Ok(views) => {
            tracing::info!(
                views,
                version,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "catalog views warmed"
            );
            Some(version)
        }
        Err(error) => {
            tracing::warn!(%error, "warm-up: the catalog's views could not be computed");
            None
        }
    }
}
