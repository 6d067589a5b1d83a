//! Platform metrics: delivery events in, figures out. `webhooks.rs` receives GitHub's
//! deliveries, `events.rs` the events API for every other tool, `facts.rs` turns both into
//! stored deployments, changes and incidents; the delivery loop here processes stored
//! deliveries, claimed through the database so any replica may take any delivery. The
//! figures themselves are computed by `crates/insights` for the pages
//! (`app/src/pages/insights/`) and `api.rs`.

pub mod api;
pub mod demo;
pub mod events;
pub mod facts;
pub mod gauges;
pub mod webhooks;

use crate::config::{Config, InsightsConfig};
use chrono::Utc;
use std::sync::Arc;
use std::time::Duration;
use store::{DeliveryRow, Store};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// What the pages and the API compute the metrics with, from the configuration.
pub fn settings(config: &Config) -> app::InsightsSettings {
    app::InsightsSettings {
        production: config.insights.production.clone(),
        thresholds: config.insights.thresholds.clone(),
        anonymous_surveys: config.insights.anonymous_surveys,
        rubric: config.insights.rubric.clone(),
        computed: Default::default(),
    }
}

/// What receiving and processing delivery events needs, shared by the handlers and the
/// delivery loop.
pub struct Insights {
    pub store: Store,
    pub config: InsightsConfig,
    /// This replica's name in claims.
    pub worker: Arc<str>,
    lease: Duration,
    poll: Duration,
    /// Wakes the delivery loop when a delivery is stored here.
    wake: Notify,
}

impl Insights {
    pub fn new(config: &Config, store: Store, worker: Arc<str>) -> Insights {
        Insights {
            store,
            config: config.insights.clone(),
            worker,
            lease: config.work.lease,
            poll: config.work.poll,
            wake: Notify::new(),
        }
    }

    /// Asks the delivery loop to look for work now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Claims and processes one stored delivery. `Ok(false)` when none is waiting.
    pub async fn process_one(&self) -> Result<bool, store::StoreError> {
        let Some(delivery) = self
            .store
            .claim_next_delivery(&self.worker, Utc::now(), self.lease)
            .await?
        else {
            return Ok(false);
        };
        let error = self.process(&delivery).await;
        if let Some(error) = &error {
            tracing::warn!(delivery = %delivery.id, event = %delivery.event, %error, "delivery not processed");
        }
        self.store
            .finish_delivery(&delivery.id, &self.worker, Utc::now(), error.as_deref())
            .await?;
        Ok(true)
    }

    /// Why `delivery` could not be processed, if it could not.
    async fn process(&self, delivery: &DeliveryRow) -> Option<String> {
        let fact = match insights::github::read(&delivery.event, delivery.payload.as_bytes()) {
            Ok(fact) => fact,
            Err(error) => return Some(error),
        };
        facts::apply(&self.store, &self.config, &fact)
            .await
            .err()
            .map(|e| format!("cannot store what the delivery says: {e}"))
    }
}

/// The running delivery loop; [`DeliveryLoop::stop`] ends it after the current delivery.
pub struct DeliveryLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DeliveryLoop {
    pub fn start(insights: Arc<Insights>) -> DeliveryLoop {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run_loop(insights, stopped));
        DeliveryLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the delivery loop ended abnormally");
        }
    }
}

/// Processes deliveries one after another while there are any; sleeps for the poll
/// interval, or until woken, when none is waiting.
async fn run_loop(insights: Arc<Insights>, mut stopped: watch::Receiver<bool>) {
    tracing::info!(worker = %insights.worker, "delivery loop started");
    while !*stopped.borrow() {
        match insights.process_one().await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(error) => tracing::error!(%error, "delivery loop: cannot claim a delivery"),
        }
        tokio::select! {
            _ = tokio::time::sleep(insights.poll) => {}
            _ = insights.wake.notified() => {}
            _ = stopped.changed() => {}
        }
    }
    tracing::info!(worker = %insights.worker, "delivery loop stopped");
}
