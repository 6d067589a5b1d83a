//! The insights page's data, read from the stored delivery facts and computed by
//! `crates/insights` (server only).

use super::{InsightsScope, InsightsView, KeyFigure, ServiceRow};
use crate::error::AppError;
use chrono::{DateTime, TimeDelta, Utc};
use insights::changes::{self, Change, Shipment};
use insights::chart::{BarChart, LineChart, Series, bar_chart, line_chart};
use insights::dora::{
    self, Deployment, DeploymentStatus, FourKeys, History, Incident, Thresholds, Trend, Window,
};
use std::collections::{BTreeMap, HashMap};
use store::{FactQuery, Store};

/// What the server configures about the metrics, and the figures computed lately; put in
/// context by the server, one per portal.
#[derive(Clone, Debug)]
pub struct InsightsSettings {
    /// Environments whose deployments count, lowercased.
    pub production: Vec<String>,
    pub thresholds: Thresholds,
    /// Survey answers keep no person (and no time finer than the quarter).
    pub anonymous_surveys: bool,
    /// The maturity rubric (`insights_maturity_rubric`, else the built-in one).
    pub rubric: insights::maturity::Rubric,
    pub computed: Computed,
}

/// How long computed figures are served before they are computed again.
const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Figures computed in the last [`FRESH_FOR`], by scope and period. Computing them reads
/// the delivery history of the compared periods (hundreds of thousands of rows for a
/// large organisation): one computation at a time per key, however many ask at once, so
/// a burst of readers neither queues identical work nor holds its rows many times over.
#[derive(Clone)]
pub struct Computed {
    overviews: moka::future::Cache<(InsightsScope, u32), std::sync::Arc<InsightsView>>,
    reports: moka::future::Cache<(InsightsScope, u32), std::sync::Arc<DoraReport>>,
}

impl Default for Computed {
    fn default() -> Computed {
        Computed {
            overviews: fresh_for_a_while(),
            reports: fresh_for_a_while(),
        }
    }
}

fn fresh_for_a_while<K, V>() -> moka::future::Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    moka::future::Cache::builder()
        .max_capacity(1_000)
        .time_to_live(FRESH_FOR)
        .build()
}

impl std::fmt::Debug for Computed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Computed")
    }
}

/// [`load`], computed at most once per [`FRESH_FOR`] per scope and period.
pub async fn overview(
    store: &Store,
    settings: &InsightsSettings,
    days: u32,
    scope: &InsightsScope,
) -> Result<InsightsView, AppError> {
    let key = (scope.clone(), days);
    let view = settings
        .computed
        .overviews
        .try_get_with(key, async {
            load(store, settings, days, scope)
                .await
                .map(std::sync::Arc::new)
        })
        .await
        .map_err(|e| (*e).clone())?;
    Ok((*view).clone())
}

/// [`dora_report`], computed at most once per [`FRESH_FOR`] per scope and period.
pub async fn cached_dora_report(
    store: &Store,
    settings: &InsightsSettings,
    days: u32,
    scope: &InsightsScope,
) -> Result<DoraReport, AppError> {
    let key = (scope.clone(), days);
    let report = settings
        .computed
        .reports
        .try_get_with(key, async {
            dora_report(store, settings, days, scope)
                .await
                .map(std::sync::Arc::new)
        })
        .await
        .map_err(|e| (*e).clone())?;
    Ok((*report).clone())
}

impl Default for InsightsSettings {
    fn default() -> InsightsSettings {
        InsightsSettings {
            production: vec!["production".into(), "prod".into()],
            thresholds: Thresholds::default(),
            anonymous_surveys: true,
            rubric: insights::maturity::Rubric::builtin(),
            computed: Computed::default(),
        }
    }
}

/// How far back changes are matched to deployments before the compared windows: a
/// change older than this before its first deployment counts from the lookback's start.
const LOOKBACK_DAYS: i64 = 90;

/// What the catalog says about services: the component each repository is, and each
/// component's owner.
pub struct ServiceCatalog {
    /// Project slug → component ref.
    pub slugs: HashMap<String, String>,
    /// Component ref → its owner's ref, lowercased.
    pub owners: HashMap<String, Option<String>>,
}

impl ServiceCatalog {
    pub async fn read(store: &Store) -> Result<ServiceCatalog, AppError> {
        let slugs = store
            .project_slugs()
            .await?
            .into_iter()
            .map(|s| (s.slug, s.entity_ref))
            .collect();
        let owners = store
            .owners_of_kind("component")
            .await?
            .into_iter()
            .map(|(entity_ref, owner)| (entity_ref, owner.map(|o| o.to_lowercase())))
            .collect();
        Ok(ServiceCatalog { slugs, owners })
    }

    /// A deployment's service: the component its source named, the component whose
    /// project slug names its repository, or the repository itself.
    pub fn service_of(&self, component: &Option<String>, repository: &Option<String>) -> String {
        component
            .clone()
            .or_else(|| repository.as_ref().and_then(|r| self.slugs.get(r)).cloned())
            .or_else(|| repository.as_ref().map(|r| format!("repository:{r}")))
            .unwrap_or_else(|| "unknown".into())
    }

    pub fn in_scope(&self, scope: &InsightsScope, service: &str) -> bool {
        match scope {
            InsightsScope::Organisation => true,
            InsightsScope::Component(entity_ref) => service == entity_ref,
            InsightsScope::Team(team) => self
                .owners
                .get(service)
                .and_then(|o| o.as_deref())
                .is_some_and(|o| o == team),
        }
    }
}

/// The production delivery history of `scope` from `since` on: finished deployments
/// with their lead times, and incidents.
pub async fn history(
    store: &Store,
    settings: &InsightsSettings,
    catalog: &ServiceCatalog,
    scope: &InsightsScope,
    since: DateTime<Utc>,
) -> Result<History, AppError> {
    let query = FactQuery {
        since,
        until: Utc::now() + TimeDelta::seconds(1),
        environments: settings.production.clone(),
    };
    let rows: Vec<_> = store
        .finished_deployments(&query)
        .await?
        .into_iter()
        .map(|d| (catalog.service_of(&d.component_ref, &d.repository), d))
        .filter(|(service, _)| catalog.in_scope(scope, service))
        .collect();
    let lead_times = lead_times(store, &rows, since).await?;
    let deployments: Vec<Deployment> = rows
        .iter()
        .filter_map(|(service, d)| {
            let status = match d.status.as_str() {
                "succeeded" => DeploymentStatus::Succeeded,
                "failed" => DeploymentStatus::Failed,
                "rolled_back" => DeploymentStatus::RolledBack,
                _ => return None,
            };
            Some(Deployment {
                id: d.id.clone(),
                service: service.clone(),
                finished_at: d.finished_at?,
                status,
                lead_times: lead_times.get(&d.id).cloned().unwrap_or_default(),
            })
        })
        .collect();
    let incidents: Vec<Incident> = store
        .incidents(&query)
        .await?
        .into_iter()
        .map(|i| Incident {
            service: Some(catalog.service_of(&i.component_ref, &i.repository)),
            opened_at: i.opened_at,
            resolved_at: i.resolved_at,
            caused_by: i.caused_by,
        })
        .filter(|i| {
            i.service
                .as_deref()
                .is_some_and(|s| catalog.in_scope(scope, s))
        })
        .collect();
    Ok(History {
        deployments,
        incidents,
    })
}

/// A service's four keys in the period, as the API gives them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ServiceKeys {
    pub service: String,
    pub owner: Option<String>,
    pub keys: FourKeys,
}

/// The DORA figures of a scope as numbers (the API's `GET /api/insights/dora`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct DoraReport {
    pub days: u32,
    pub scope: InsightsScope,
    /// The period and the one before, with the trend of each key.
    pub report: dora::Report,
    pub weeks: Vec<dora::Week>,
    pub services: Vec<ServiceKeys>,
}

pub async fn dora_report(
    store: &Store,
    settings: &InsightsSettings,
    days: u32,
    scope: &InsightsScope,
) -> Result<DoraReport, AppError> {
    let now = Utc::now();
    let window = Window::last_days(now, days);
    let since = window.previous().start - TimeDelta::days(LOOKBACK_DAYS);
    let catalog = ServiceCatalog::read(store).await?;
    let history = history(store, settings, &catalog, scope, since).await?;
    let services = per_service(&history)
        .into_iter()
        .map(|(service, h)| ServiceKeys {
            owner: catalog.owners.get(&service).cloned().flatten(),
            keys: dora::four_keys(&h, &window, &settings.thresholds),
            service,
        })
        .filter(|s| s.keys.deployments > 0)
        .collect();
    Ok(DoraReport {
        days,
        scope: scope.clone(),
        report: dora::report(&history, now, days, &settings.thresholds),
        weeks: dora::weeks(&history, &window),
        services,
    })
}

/// The four keys over the last `days` for the organisation (`"organisation"`) and for
/// every team that owns a deployed service (by group ref): what `/metrics` exports.
pub async fn keys_by_team(
    store: &Store,
    settings: &InsightsSettings,
    days: u32,
) -> Result<Vec<(String, FourKeys)>, AppError> {
    let window = Window::last_days(Utc::now(), days);
    let catalog = ServiceCatalog::read(store).await?;
    let history = history(
        store,
        settings,
        &catalog,
        &InsightsScope::Organisation,
        window.start,
    )
    .await?;
    let mut by_team: BTreeMap<String, History> = BTreeMap::new();
    for (service, h) in per_service(&history) {
        if let Some(Some(owner)) = catalog.owners.get(&service) {
            let team = by_team.entry(owner.clone()).or_default();
            team.deployments.extend(h.deployments);
            team.incidents.extend(h.incidents);
        }
    }
    let mut keys = vec![(
        "organisation".to_string(),
        dora::four_keys(&history, &window, &settings.thresholds),
    )];
    keys.extend(
        by_team
            .into_iter()
            .map(|(team, h)| (team, dora::four_keys(&h, &window, &settings.thresholds))),
    );
    Ok(keys)
}

/// `history` split by service, incidents with the service they name.
pub fn per_service(history: &History) -> BTreeMap<String, History> {
    let mut by_service: BTreeMap<String, History> = BTreeMap::new();
    for d in &history.deployments {
        by_service
            .entry(d.service.clone())
            .or_default()
            .deployments
            .push(d.clone());
    }
    for i in &history.incidents {
        if let Some(entry) = i.service.as_ref().and_then(|s| by_service.get_mut(s)) {
            entry.incidents.push(i.clone());
        }
    }
    by_service
}

pub async fn load(
    store: &Store,
    settings: &InsightsSettings,
    days: u32,
    scope: &InsightsScope,
) -> Result<InsightsView, AppError> {
    let now = Utc::now();
    let window = Window::last_days(now, days);
    let since = window.previous().start - TimeDelta::days(LOOKBACK_DAYS);
    let catalog = ServiceCatalog::read(store).await?;
    let history = history(store, settings, &catalog, scope, since).await?;
    let report = dora::report(&history, now, days, &settings.thresholds);
    let unknown_repositories = store
        .deployed_repositories()
        .await?
        .into_iter()
        .filter(|(repository, _)| !catalog.slugs.contains_key(repository))
        .collect();
    Ok(InsightsView {
        days,
        scope: scope.clone(),
        figures: figures(&report.current, &report.trends),
        deployments: report.current.deployments,
        charts: charts(&history, &window),
        services: service_rows(&history, &window, settings, &catalog.owners),
        unknown_repositories,
    })
}

/// Lead times of the successful deployments among `rows`, by deployment id: changes
/// are matched per repository (or per component, for events that name no repository).
async fn lead_times(
    store: &Store,
    rows: &[(String, store::DeploymentRow)],
    since: DateTime<Utc>,
) -> Result<HashMap<String, Vec<i64>>, AppError> {
    let mut shipments: BTreeMap<String, Vec<Shipment>> = BTreeMap::new();
    for (_, d) in rows.iter().filter(|(_, d)| d.status == "succeeded") {
        let (Some(key), Some(sha), Some(finished_at)) = (
            d.repository.clone().or(d.component_ref.clone()),
            d.sha.clone(),
            d.finished_at,
        ) else {
            continue;
        };
        shipments.entry(key).or_default().push(Shipment {
            deployment: d.id.clone(),
            sha,
            finished_at,
        });
    }
    let keys: Vec<String> = shipments.keys().cloned().collect();
    let mut changes: BTreeMap<String, Vec<Change>> = BTreeMap::new();
    // Changes committed before the history starts were shipped before it, too.
    for change in store.changes_of(&keys, since).await? {
        changes.entry(change.repository).or_default().push(Change {
            sha: change.sha,
            head: change.head,
            committed_at: change.committed_at,
        });
    }
    let mut lead_times = HashMap::new();
    for (key, shipments) in &shipments {
        let found = changes.get(key).map(Vec::as_slice).unwrap_or_default();
        lead_times.extend(changes::lead_times(found, shipments));
    }
    Ok(lead_times)
}

fn figures(keys: &FourKeys, trends: &dora::Trends) -> Vec<KeyFigure> {
    let figure = |name: &str, shown: Option<(String, &str)>, trend: Trend, what: &str| KeyFigure {
        name: name.into(),
        value: shown.as_ref().map(|s| s.0.clone()),
        tier: shown.map(|s| s.1.to_string()),
        trend: trend_words(trend).into(),
        what: what.into(),
    };
    vec![
        figure(
            "Deployment frequency",
            Some((
                dora::per_day_phrase(keys.deployment_frequency.value),
                keys.deployment_frequency.tier.name(),
            )),
            trends.deployment_frequency,
            "successful production deployments",
        ),
        figure(
            "Change lead time",
            keys.lead_time
                .as_ref()
                .map(|f| (dora::human_duration(f.value as i64), f.tier.name())),
            trends.lead_time,
            "median, commit to production",
        ),
        figure(
            "Change failure rate",
            keys.change_failure_rate
                .as_ref()
                .map(|f| (format!("{:.0} %", f.value * 100.0), f.tier.name())),
            trends.change_failure_rate,
            "deployments failed, rolled back or causing an incident",
        ),
        figure(
            "Failed deployment recovery time",
            keys.recovery_time
                .as_ref()
                .map(|f| (dora::human_duration(f.value as i64), f.tier.name())),
            trends.recovery_time,
            "median, failure to recovery",
        ),
    ]
}

fn trend_words(trend: Trend) -> &'static str {
    match trend {
        Trend::Better => "better than the previous period",
        Trend::Worse => "worse than the previous period",
        Trend::Same => "about the same as the previous period",
        Trend::New => "nothing to compare with in the previous period",
        Trend::Gone => "no figure this period; there was one in the previous",
    }
}

fn charts(history: &History, window: &Window) -> Vec<String> {
    let weeks = dora::weeks(history, window);
    let labels: Vec<String> = weeks
        .iter()
        .map(|w| w.start.format("%-d %b").to_string())
        .collect();
    let deployments = bar_chart(&BarChart {
        title: "Deployments per week".into(),
        description: "Production deployments each week: successful, and failed changes.".into(),
        labels: labels.clone(),
        series: vec![
            Series {
                name: "successful".into(),
                class: "ok",
                values: weeks.iter().map(|w| w.succeeded as f64).collect(),
            },
            Series {
                name: "failed changes".into(),
                class: "bad",
                values: weeks.iter().map(|w| w.failed as f64).collect(),
            },
        ],
        unit: "deployments".into(),
    });
    let distribution = dora::lead_time_distribution(history, window);
    let lead_times = bar_chart(&BarChart {
        title: "Lead time distribution".into(),
        description: "How long changes took from commit to production, in this period.".into(),
        labels: distribution.iter().map(|b| b.label.to_string()).collect(),
        series: vec![Series {
            name: "changes".into(),
            class: "ok",
            values: distribution.iter().map(|b| b.count as f64).collect(),
        }],
        unit: "changes".into(),
    });
    let failure_rate = line_chart(&LineChart {
        title: "Change failure rate per week".into(),
        description: "The share of each week's deployments that failed, were rolled back or caused an incident.".into(),
        labels: labels.clone(),
        values: weeks
            .iter()
            .map(|w| {
                let all = w.succeeded + w.failed;
                (all > 0).then(|| 100.0 * w.failed as f64 / all as f64)
            })
            .collect(),
        unit: "%".into(),
        format: |v| format!("{v:.0} %"),
    });
    let recovery = line_chart(&LineChart {
        title: "Recovery time per week".into(),
        description:
            "The median time from a failed change to recovery, by the week of the failure.".into(),
        labels,
        values: weeks
            .iter()
            .map(|w| w.median_recovery_time.map(|s| s as f64 / 3600.0))
            .collect(),
        unit: "hours".into(),
        format: |v| format!("{v:.1} h"),
    });
    vec![deployments, lead_times, failure_rate, recovery]
}

fn service_rows(
    history: &History,
    window: &Window,
    settings: &InsightsSettings,
    owners: &HashMap<String, Option<String>>,
) -> Vec<ServiceRow> {
    let by_service = per_service(history);
    by_service
        .into_iter()
        .filter_map(|(service, history)| {
            let keys = dora::four_keys(&history, window, &settings.thresholds);
            let tier = overall_tier(&keys).to_string();
            (keys.deployments > 0).then(|| ServiceRow {
                owner: owners.get(&service).cloned().flatten(),
                service,
                deployments: keys.deployments,
                frequency: dora::per_day_phrase(keys.deployment_frequency.value),
                lead_time: keys.lead_time.map(|f| dora::human_duration(f.value as i64)),
                failure_rate: keys
                    .change_failure_rate
                    .map(|f| format!("{:.0} %", f.value * 100.0)),
                recovery_time: keys
                    .recovery_time
                    .map(|f| dora::human_duration(f.value as i64)),
                tier,
            })
        })
        .collect()
}

/// A service's tier: the lowest of its four figures' (a service is as good as its weakest
/// key).
fn overall_tier(keys: &FourKeys) -> &'static str {
    let tiers = [
        Some(keys.deployment_frequency.tier),
        keys.lead_time.as_ref().map(|f| f.tier),
        keys.change_failure_rate.as_ref().map(|f| f.tier),
        keys.recovery_time.as_ref().map(|f| f.tier),
    ];
    let rank = |tier: dora::Tier| match tier {
        dora::Tier::Elite => 0,
        dora::Tier::High => 1,
        dora::Tier::Medium => 2,
        dora::Tier::Low => 3,
    };
    tiers
        .into_iter()
        .flatten()
        .max_by_key(|t| rank(*t))
        .map(|t| t.name())
        .unwrap_or("low")
}
