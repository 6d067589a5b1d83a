//! The computed platform metrics on `/metrics`, for Prometheus and Grafana: the DORA four
//! keys of the organisation and of every team (30 days), NPS, active people, service
//! adoption and the webhook backlog. Computing them reads the delivery history, so a loop
//! refreshes them every few minutes instead of on each scrape.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use store::Store;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the gauges are computed again.
const REFRESH_EVERY: Duration = Duration::from_secs(300);

type FloatGauge = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabels {
    /// `organisation`, or a team's group ref.
    scope: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PeriodLabels {
    period: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// The gauges, registered once with the portal's registry.
#[derive(Clone, Default)]
pub struct InsightGauges {
    deployments_per_day: Family<ScopeLabels, FloatGauge>,
    lead_time_seconds: Family<ScopeLabels, FloatGauge>,
    change_failure_ratio: Family<ScopeLabels, FloatGauge>,
    recovery_time_seconds: Family<ScopeLabels, FloatGauge>,
    nps: FloatGauge,
    active_people: Family<PeriodLabels, FloatGauge>,
    webhook_deliveries: Family<StateLabels, FloatGauge>,
}

impl InsightGauges {
    pub fn register(registry: &mut Registry) -> InsightGauges {
        let gauges = InsightGauges::default();
        let dora = "over the last 30 days, per scope (organisation or team)";
        registry.register(
            "portico_dora_deployments_per_day",
            format!("Successful production deployments per day {dora}"),
            gauges.deployments_per_day.clone(),
        );
        registry.register(
            "portico_dora_lead_time_seconds",
            format!("Median change lead time, commit to production, {dora}"),
            gauges.lead_time_seconds.clone(),
        );
        registry.register(
            "portico_dora_change_failure_ratio",
            format!("Share of deployments that failed or caused an incident {dora}"),
            gauges.change_failure_ratio.clone(),
        );
        registry.register(
            "portico_dora_recovery_time_seconds",
            format!("Median failed deployment recovery time {dora}"),
            gauges.recovery_time_seconds.clone(),
        );
        registry.register(
            "portico_nps",
            "Net Promoter Score of this quarter's survey answers (-100 to 100)",
            gauges.nps.clone(),
        );
        registry.register(
            "portico_active_people",
            "Signed-in people who used the portal in the period (7d, 30d)",
            gauges.active_people.clone(),
        );
        registry.register(
            "portico_webhook_deliveries",
            "Webhook deliveries by state (pending, failed)",
            gauges.webhook_deliveries.clone(),
        );
        gauges
    }

    /// Computes every gauge again.
    pub async fn refresh(
        &self,
        store: &Store,
        settings: &app::InsightsSettings,
    ) -> Result<(), String> {
        let keys = app::insights_api::keys_by_team(store, settings, 30)
            .await
            .map_err(|e| e.message().to_string())?;
        for (scope, keys) in keys {
            let labels = ScopeLabels { scope };
            let set = |family: &Family<ScopeLabels, FloatGauge>, value: Option<f64>| match value {
                Some(value) => {
                    family.get_or_create(&labels).set(value);
                }
                None => {
                    family.remove(&labels);
                }
            };
            set(
                &self.deployments_per_day,
                Some(keys.deployment_frequency.value),
            );
            set(&self.lead_time_seconds, keys.lead_time.map(|f| f.value));
            set(
                &self.change_failure_ratio,
                keys.change_failure_rate.map(|f| f.value),
            );
            set(
                &self.recovery_time_seconds,
                keys.recovery_time.map(|f| f.value),
            );
        }
        let quarter = insights::survey::quarter(chrono::Utc::now());
        let scores: Vec<i64> = store
            .survey_answers("nps")
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|a| a.period == quarter)
            .map(|a| a.score)
            .collect();
        if let Some(score) = insights::survey::nps(&scores).score {
            self.nps.set(score);
        }
        let now = chrono::Utc::now();
        for (period, days) in [("7d", 7), ("30d", 30)] {
            let since = (now - chrono::TimeDelta::days(days))
                .format("%Y-%m-%d")
                .to_string();
            let people = store
                .active_people(&since)
                .await
                .map_err(|e| e.to_string())?;
            self.active_people
                .get_or_create(&PeriodLabels {
                    period: period.into(),
                })
                .set(people as f64);
        }
        let counts = store.delivery_counts().await.map_err(|e| e.to_string())?;
        for (state, count) in [("pending", counts.pending), ("failed", counts.failed)] {
            self.webhook_deliveries
                .get_or_create(&StateLabels {
                    state: state.into(),
                })
                .set(count as f64);
        }
        Ok(())
    }
}

/// The running refresh loop.
pub struct GaugeLoop {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl GaugeLoop {
    pub fn start(
        gauges: InsightGauges,
        store: Store,
        settings: Arc<app::InsightsSettings>,
    ) -> GaugeLoop {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                if let Err(error) = gauges.refresh(&store, &settings).await {
                    tracing::warn!(%error, "cannot compute the platform metrics for /metrics");
                }
                // The organisation's page as most open it, ready before anyone asks: its
                // first computation reads the whole delivery history.
                let organisation = app::InsightsScope::Organisation;
                if let Err(error) =
                    app::insights_api::overview(&store, &settings, 30, &organisation).await
                {
                    tracing::warn!(%error, "cannot compute the delivery overview");
                }
                tokio::select! {
                    _ = tokio::time::sleep(REFRESH_EVERY) => {}
                    _ = stopped.changed() => break,
                }
            }
        });
        GaugeLoop { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the metrics loop ended abnormally");
        }
    }
}
