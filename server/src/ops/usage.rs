//! The platform's own use, counted by each replica in memory and added to the database
//! every minute (and at shutdown): requests per day with their latency buckets and server
//! errors, and who was active each day. Counting in memory keeps requests free of extra
//! writes; adding (not setting) makes the stored day the sum over every replica.

use chrono::Utc;
use insights::usage::RequestTally;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{RequestDayRow, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often a replica adds its counts to the database.
const FLUSH_EVERY: Duration = Duration::from_secs(60);

/// What this replica counted since its last flush.
#[derive(Debug, Default)]
pub struct Usage {
    requests: Mutex<BTreeMap<String, RequestTally>>,
    active: Mutex<BTreeSet<(String, String)>>,
}

fn today() -> String {
    Utc::now().format("%Y-%m-%d").to_string()
}

impl Usage {
    pub fn new() -> Arc<Usage> {
        Arc::new(Usage::default())
    }

    /// Counts a request answered with `status` after `millis`.
    pub fn request(&self, status: u16, millis: u64) {
        let mut requests = self.requests.lock().expect("usage lock");
        requests.entry(today()).or_default().observe(status, millis);
    }

    /// Notes that the person `subject` used the portal today.
    pub fn active(&self, subject: &str) {
        let key = (today(), subject.to_string());
        let mut active = self.active.lock().expect("usage lock");
        if !active.contains(&key) {
            active.insert(key);
        }
    }

    /// Adds what was counted to the database and starts counting afresh. What cannot be
    /// written is put back, to be added next time.
    pub async fn flush(&self, store: &Store) {
        let requests = std::mem::take(&mut *self.requests.lock().expect("usage lock"));
        for (day, tally) in requests {
            if let Err(error) = store.add_request_day(&row(&day, &tally)).await {
                tracing::warn!(%error, "cannot store request counts; kept for the next flush");
                let mut kept = self.requests.lock().expect("usage lock");
                kept.entry(day).or_default().add(&tally);
            }
        }
        let active = std::mem::take(&mut *self.active.lock().expect("usage lock"));
        let mut by_day: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (day, subject) in active {
            by_day.entry(day).or_default().push(subject);
        }
        for (day, subjects) in by_day {
            if let Err(error) = store.record_activity(&day, &subjects).await {
                tracing::warn!(%error, "cannot store activity; kept for the next flush");
                let mut kept = self.active.lock().expect("usage lock");
                kept.extend(subjects.into_iter().map(|s| (day.clone(), s)));
            }
        }
    }
}

fn row(day: &str, tally: &RequestTally) -> RequestDayRow {
    let b = tally.buckets.map(|n| n as i64);
    RequestDayRow {
        day: day.to_string(),
        requests: tally.requests as i64,
        server_errors: tally.server_errors as i64,
        b10: b[0],
        b25: b[1],
        b50: b[2],
        b100: b[3],
        b250: b[4],
        b500: b[5],
        b1000: b[6],
        b2500: b[7],
        b_inf: b[8],
    }
}

/// The running flush loop; [`UsageLoop::stop`] flushes once more and ends it.
pub struct UsageLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl UsageLoop {
    pub fn start(usage: Arc<Usage>, store: Store) -> UsageLoop {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(FLUSH_EVERY) => usage.flush(&store).await,
                    _ = stopped.changed() => {
                        usage.flush(&store).await;
                        break;
                    }
                }
            }
        });
        UsageLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the usage loop ended abnormally");
        }
    }
}
