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
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use store::{FactQuery, Selection, ServiceFilter, Store};

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

/// How long computed figures are served as they are; after that they are recomputed in
/// the background while still served, so no reader waits for a recomputation.
const FRESH_FOR: Duration = Duration::from_secs(30);

/// How long figures nobody has recomputed may be served at all: past this a reader waits
/// for new ones (a recomputation that keeps failing shows its error, not old figures).
const SERVED_FOR: Duration = Duration::from_secs(300);

type FigureKey = (InsightsScope, u32);

/// The figures computed lately, by scope and period. Computing them reads the delivery
/// history of the compared periods (hundreds of thousands of rows for a large
/// organisation): one computation at a time per key, however many ask at once, so a
/// burst of readers neither queues identical work nor holds its rows many times over.
#[derive(Clone, Default)]
pub struct Computed {
    overviews: Figures<InsightsView>,
    reports: Figures<DoraReport>,
    maturities: Figures<super::maturity::MaturityView>,
}

impl std::fmt::Debug for Computed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Computed")
    }
}

/// Figures of one sort with when each was computed.
struct Figures<T: Send + Sync + 'static> {
    cache: moka::future::Cache<FigureKey, (Instant, Arc<T>)>,
    fresh_for: Duration,
    /// The keys being recomputed in the background now.
    refreshing: Arc<Mutex<HashSet<FigureKey>>>,
}

// Not derived: a derive would ask `T: Clone`, and only the handles are cloned.
impl<T: Send + Sync + 'static> Clone for Figures<T> {
    fn clone(&self) -> Figures<T> {
        Figures {
            cache: self.cache.clone(),
            fresh_for: self.fresh_for,
            refreshing: self.refreshing.clone(),
        }
    }
}

impl<T: Send + Sync + 'static> Default for Figures<T> {
    fn default() -> Figures<T> {
        Figures::new(FRESH_FOR, SERVED_FOR)
    }
}

impl<T: Send + Sync + 'static> Figures<T> {
    fn new(fresh_for: Duration, served_for: Duration) -> Figures<T> {
        Figures {
            cache: moka::future::Cache::builder()
                .max_capacity(1_000)
                .time_to_live(served_for)
                .build(),
            fresh_for,
            refreshing: Arc::default(),
        }
    }

    /// The figures of `key`: computed with `compute` when there are none, served as they
    /// are when fresh, and served while `compute` runs in the background when stale.
    async fn get<F, Fut>(&self, key: FigureKey, compute: F) -> Result<Arc<T>, AppError>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        if let Some((at, figures)) = self.cache.get(&key).await {
            if at.elapsed() >= self.fresh_for
                && let Some(refresh) = Refresh::start(self, &key)
            {
                // On a thread of its own: the computation holds a core for a second or
                // more with a large history, and on one of the runtime's few workers it
                // would hold up every request queued behind it.
                let runtime = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || {
                    runtime.block_on(async move {
                        match compute().await {
                            Ok(value) => refresh.finish(value).await,
                            Err(error) => {
                                tracing::warn!(%error, "cannot recompute the delivery figures")
                            }
                        }
                    })
                });
            }
            return Ok(figures);
        }
        let (_, figures) = self
            .cache
            .try_get_with(key, async {
                Ok((Instant::now(), Arc::new(compute().await?)))
            })
            .await
            .map_err(|e: Arc<AppError>| (*e).clone())?;
        Ok(figures)
    }
}

/// A background recomputation of one key's figures: the only one for its key while it
/// lasts, however it ends.
struct Refresh<T: Send + Sync + 'static> {
    figures: Figures<T>,
    key: FigureKey,
}

impl<T: Send + Sync + 'static> Refresh<T> {
    /// None when the key is being recomputed already.
    fn start(figures: &Figures<T>, key: &FigureKey) -> Option<Refresh<T>> {
        let mut refreshing = figures.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        refreshing.insert(key.clone()).then(|| Refresh {
            figures: figures.clone(),
            key: key.clone(),
        })
    }

    async fn finish(&self, value: T) {
        let fresh = (Instant::now(), Arc::new(value));
        self.figures.cache.insert(self.key.clone(), fresh).await;
    }
}

impl<T: Send + Sync + 'static> Drop for Refresh<T> {
    fn drop(&mut self) {
        let mut refreshing = self
            .figures
            .refreshing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        refreshing.remove(&self.key);
    }
}

/// [`load`], computed at most once per [`FRESH_FOR`] per scope and period.
pub async fn overview(
    store: &Store,
    settings: &Arc<InsightsSettings>,
    days: u32,
    scope: &InsightsScope,
) -> Result<InsightsView, AppError> {
    let (store, owned, scope) = (store.clone(), settings.clone(), scope.clone());
    let view = settings
        .computed
        .overviews
        .get((scope.clone(), days), move || async move {
            load(&store, &owned, days, &scope).await
        })
        .await?;
    Ok((*view).clone())
}

/// [`dora_report`], computed at most once per [`FRESH_FOR`] per scope and period.
pub async fn cached_dora_report(
    store: &Store,
    settings: &Arc<InsightsSettings>,
    days: u32,
    scope: &InsightsScope,
) -> Result<DoraReport, AppError> {
    let (store, owned, scope) = (store.clone(), settings.clone(), scope.clone());
    let report = settings
        .computed
        .reports
        .get((scope.clone(), days), move || async move {
            dora_report(&store, &owned, days, &scope).await
        })
        .await?;
    Ok((*report).clone())
}

/// The maturity of a scope's services ([`super::maturity::ssr::assess`]), computed at
/// most once per [`FRESH_FOR`] per scope: every component's page shows it, and assessing
/// reads the catalog and the delivery history (eight statements for one component).
pub async fn maturity(
    store: &Store,
    settings: &Arc<InsightsSettings>,
    scope: &InsightsScope,
) -> Result<super::maturity::MaturityView, AppError> {
    let (store, owned, scope) = (store.clone(), settings.clone(), scope.clone());
    let view = settings
        .computed
        .maturities
        .get(
            (scope.clone(), super::maturity::ssr::DAYS),
            move || async move { super::maturity::ssr::assess(&store, &owned, &scope).await },
        )
        .await?;
    Ok((*view).clone())
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

/// What the catalog says about the services of a scope: the component each repository
/// is, and each component's owner.
pub struct ServiceCatalog {
    /// Project slug → component ref.
    pub slugs: HashMap<String, String>,
    /// Component ref → its owner's ref, lowercased.
    pub owners: HashMap<String, Option<String>>,
    /// Whether `slugs` and `owners` hold only the scope's services (a scope too large to
    /// name in one read holds every service, and its facts are filtered as they come).
    pub scoped: bool,
}

impl ServiceCatalog {
    /// The services of `scope`: a component's page or a team's reads only theirs.
    pub async fn read(store: &Store, scope: &InsightsScope) -> Result<ServiceCatalog, AppError> {
        let components = match scope {
            InsightsScope::Organisation => None,
            InsightsScope::Component(entity_ref) => {
                let refs = std::slice::from_ref(entity_ref);
                let found = store
                    .owners_of_kind("component", Selection::Refs(refs))
                    .await?;
                // Events may name a component the catalog does not have (yet).
                Some(if found.is_empty() {
                    vec![(entity_ref.clone(), None)]
                } else {
                    found
                })
            }
            InsightsScope::Team(team) => {
                let owned = store
                    .owners_of_kind("component", Selection::OwnedBy(team))
                    .await?;
                (owned.len() <= store::MAX_SELECTED).then_some(owned)
            }
        };
        let scoped = components.is_some();
        let (components, slugs) = match components {
            Some(components) => {
                let refs: Vec<String> = components.iter().map(|(r, _)| r.clone()).collect();
                let slugs = store.project_slugs(Selection::Refs(&refs)).await?;
                (components, slugs)
            }
            None => (
                store.owners_of_kind("component", Selection::All).await?,
                store.project_slugs(Selection::All).await?,
            ),
        };
        Ok(ServiceCatalog {
            slugs: slugs.into_iter().map(|s| (s.slug, s.entity_ref)).collect(),
            owners: components
                .into_iter()
                .map(|(entity_ref, owner)| (entity_ref, owner.map(|o| o.to_lowercase())))
                .collect(),
            scoped,
        })
    }

    /// The fact filter that reads only this catalog's services, when it holds only those.
    fn filter(&self) -> Option<ServiceFilter> {
        self.scoped.then(|| ServiceFilter {
            components: self.owners.keys().cloned().collect(),
            repositories: self.slugs.keys().cloned().collect(),
        })
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
        services: catalog.filter(),
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
    let catalog = ServiceCatalog::read(store, scope).await?;
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
    let catalog = ServiceCatalog::read(store, &InsightsScope::Organisation).await?;
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
    let catalog = ServiceCatalog::read(store, scope).await?;
    let history = history(store, settings, &catalog, scope, since).await?;
    let report = dora::report(&history, now, days, &settings.thresholds);
    let services = service_rows(&history, &window, settings, &catalog.owners);
    // Only the organisation's page lists what the catalog does not know.
    let unknown_repositories = match scope {
        InsightsScope::Organisation => store
            .deployed_repositories()
            .await?
            .into_iter()
            .filter(|(repository, _)| !catalog.slugs.contains_key(repository))
            .collect(),
        _ => Vec::new(),
    };
    Ok(InsightsView {
        days,
        scope: scope.clone(),
        figures: figures(&report.current, &report.trends),
        deployments: report.current.deployments,
        charts: charts(&history, &window),
        services_total: services.len(),
        services: needing_attention(services),
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

/// The services that need attention most, at most [`super::SHOWN_SERVICES`]: the lowest
/// tier first, then by name.
fn needing_attention(mut rows: Vec<ServiceRow>) -> Vec<ServiceRow> {
    let rank = |tier: &str| {
        ["low", "medium", "high", "elite"]
            .iter()
            .position(|t| *t == tier)
    };
    rows.sort_by(|a, b| (rank(&a.tier), &a.service).cmp(&(rank(&b.tier), &b.service)));
    rows.truncate(super::SHOWN_SERVICES);
    rows
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tokio::sync::Semaphore;

    type Computation =
        std::pin::Pin<Box<dyn Future<Output = Result<u32, AppError>> + Send + 'static>>;

    /// A computation that counts itself and finishes once `gate` lets it.
    fn counted(
        runs: &Arc<AtomicU32>,
        gate: &Arc<Semaphore>,
    ) -> impl FnOnce() -> Computation + Send + 'static {
        let (runs, gate) = (runs.clone(), gate.clone());
        move || {
            Box::pin(async move {
                gate.acquire().await.unwrap().forget();
                Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
            })
        }
    }

    /// `get`, failing the test rather than waiting for a held computation.
    async fn served(
        figures: &Figures<u32>,
        key: &FigureKey,
        compute: impl FnOnce() -> Computation + Send + 'static,
    ) -> u32 {
        let get = figures.get(key.clone(), compute);
        *tokio::time::timeout(Duration::from_secs(5), get)
            .await
            .expect("served without waiting")
            .unwrap()
    }

    /// Waits until no recomputation runs.
    async fn idle(figures: &Figures<u32>) {
        let done = async {
            while !figures.refreshing.lock().unwrap().is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), done)
            .await
            .expect("the recomputation ended");
    }

    /// Waits until the background recomputation has stored `expected`.
    async fn recomputed(figures: &Figures<u32>, key: &FigureKey, expected: u32) {
        let stored = async {
            while figures.cache.get(key).await.map(|(_, v)| *v) != Some(expected) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), stored)
            .await
            .expect("the recomputation stored its figures");
    }

    #[test]
    fn the_page_lists_the_services_needing_attention_first_and_not_all() {
        let row = |service: &str, tier: &str| ServiceRow {
            service: service.into(),
            owner: None,
            deployments: 1,
            frequency: String::new(),
            lead_time: None,
            failure_rate: None,
            recovery_time: None,
            tier: tier.into(),
        };
        let rows = vec![
            row("a", "elite"),
            row("b", "low"),
            row("c", "medium"),
            row("d", "low"),
        ];
        let order: Vec<String> = needing_attention(rows)
            .into_iter()
            .map(|r| r.service)
            .collect();
        assert_eq!(order, ["b", "d", "c", "a"]);
        let many = (0..150).map(|n| row(&format!("s{n:03}"), "high")).collect();
        assert_eq!(
            needing_attention(many).len(),
            crate::pages::insights::SHOWN_SERVICES
        );
    }

    #[tokio::test]
    async fn stale_figures_are_served_while_one_recomputation_runs() {
        let figures: Figures<u32> =
            Figures::new(Duration::from_millis(20), Duration::from_secs(60));
        let key = (InsightsScope::Organisation, 30);
        let runs = Arc::new(AtomicU32::new(0));
        let gate = Arc::new(Semaphore::new(1));

        // None yet: the reader waits for the first computation.
        assert_eq!(served(&figures, &key, counted(&runs, &gate)).await, 1);
        // Fresh: served as they are.
        assert_eq!(served(&figures, &key, counted(&runs, &gate)).await, 1);

        // Stale: every reader gets the old figures while the (held) recomputation runs,
        // and only one starts.
        tokio::time::sleep(Duration::from_millis(30)).await;
        for _ in 0..5 {
            assert_eq!(served(&figures, &key, counted(&runs, &gate)).await, 1);
            tokio::task::yield_now().await;
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "the recomputation is held");
        gate.add_permits(5);
        recomputed(&figures, &key, 2).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "one recomputation, not five"
        );
    }

    #[tokio::test]
    async fn a_failed_recomputation_keeps_the_figures_and_is_tried_again() {
        let figures: Figures<u32> =
            Figures::new(Duration::from_millis(20), Duration::from_secs(60));
        let key = (InsightsScope::Organisation, 7);
        let runs = Arc::new(AtomicU32::new(0));
        let open = Arc::new(Semaphore::new(100));
        served(&figures, &key, counted(&runs, &open)).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
        let failing = || -> Computation {
            Box::pin(async { Err(AppError::Internal("the database is away".into())) })
        };
        assert_eq!(served(&figures, &key, failing).await, 1);
        idle(&figures).await;
        // The failure ended its recomputation: the next reader starts another.
        assert_eq!(served(&figures, &key, counted(&runs, &open)).await, 1);
        recomputed(&figures, &key, 2).await;
    }
}
