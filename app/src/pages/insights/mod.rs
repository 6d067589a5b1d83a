//! `/insights`: how delivery is going — the DORA four keys for the organisation, a team
//! (`?team=group:default/payments`) or a component (`?component=component:default/x`),
//! over the last 7, 30 or 90 days (`?days=`), with their performance tiers, the trend
//! against the period before, weekly charts (server-rendered SVG, readable without
//! JavaScript) and a table per service.

#[cfg(feature = "ssr")]
pub mod load;
pub mod maturity;
pub mod platform;
pub mod satisfaction;
pub mod summary;

use crate::components::LoadError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Whose figures the page shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InsightsScope {
    Organisation,
    /// A group ref, lowercased: the components it owns.
    Team(String),
    /// A component ref, lowercased.
    Component(String),
}

/// One of the four keys, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFigure {
    pub name: String,
    /// `None`: nothing to compute it from in this period.
    pub value: Option<String>,
    pub tier: Option<String>,
    pub trend: String,
    /// What it counts, in a few words.
    pub what: String,
}

/// A service's figures in the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRow {
    /// A component ref, or `repository:owner/name` for a repository no component names.
    pub service: String,
    pub owner: Option<String>,
    pub deployments: usize,
    pub frequency: String,
    pub lead_time: Option<String>,
    pub failure_rate: Option<String>,
    pub recovery_time: Option<String>,
    pub tier: String,
}

/// What the insights page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightsView {
    pub days: u32,
    pub scope: InsightsScope,
    pub figures: Vec<KeyFigure>,
    /// Production deployments in the period.
    pub deployments: usize,
    /// SVG markup, made on the server from the figures (escaped there).
    pub charts: Vec<String>,
    /// The services that need attention most (lowest tier first), at most
    /// [`SHOWN_SERVICES`]; the CSV export has every one.
    pub services: Vec<ServiceRow>,
    /// How many services deployed in the period.
    pub services_total: usize,
    /// Repositories with deployments that no component's `github.com/project-slug`
    /// names, with their deployment counts.
    pub unknown_repositories: Vec<(String, i64)>,
}

/// The most services the page lists: a table of a thousand helps nobody read, and a
/// team's page lists its own.
pub const SHOWN_SERVICES: usize = 100;

/// The periods the page offers, in days.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// The figures of `scope` (`team` or `component`, else the organisation) over `days`.
#[server(prefix = "/_server")]
pub async fn fetch_insights(
    days: Option<u32>,
    team: Option<String>,
    component: Option<String>,
) -> Result<InsightsView, AppError> {
    crate::identity::require(identity::Action::InsightsRead).await?;
    let store = crate::context::store()?;
    let days = days.unwrap_or(30);
    if !PERIODS.contains(&days) {
        return Err(AppError::BadInput("days: choose 7, 30 or 90.".into()));
    }
    let scope = scope_of(team, component)?;
    let settings = use_context::<std::sync::Arc<load::InsightsSettings>>().unwrap_or_default();
    load::overview(&store, &settings, days, &scope).await
}

#[cfg(feature = "ssr")]
pub fn scope_of(
    team: Option<String>,
    component: Option<String>,
) -> Result<InsightsScope, AppError> {
    let parse = |text: &str, kind: &str| {
        catalog::EntityRef::parse(text, Some(kind), "default")
            .map(|r| r.to_string().to_lowercase())
            .map_err(|e| AppError::BadInput(format!("{kind}: {e}")))
    };
    Ok(match (team, component) {
        (Some(team), _) if !team.trim().is_empty() => InsightsScope::Team(parse(&team, "group")?),
        (_, Some(c)) if !c.trim().is_empty() => InsightsScope::Component(parse(&c, "component")?),
        _ => InsightsScope::Organisation,
    })
}

#[component]
pub fn InsightsPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).filter(|v| !v.trim().is_empty());
    let view_data = Resource::new(
        move || (field("days"), field("team"), field("component")),
        |(days, team, component)| {
            let days = days.and_then(|d| d.parse().ok());
            fetch_insights(days, team, component)
        },
    );
    view! {
        <Title text="Metrics"/>
        <h1>"Platform metrics"</h1>
        <InsightsNav current="delivery"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_data.await {
                    Ok(data) => view! { <Insights data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The insights pages, one link each; `current` is the page shown.
/// Where the table above can be downloaded: as CSV, and as JSON where there is an API.
#[component]
pub fn Exports(
    #[prop(into)] csv: String,
    #[prop(optional, into)] json: Option<String>,
) -> impl IntoView {
    view! {
        <p class="exports">"The same as "<a href=csv download>"CSV"</a>
            {json.map(|json| view! { " or "<a href=json>"JSON"</a> })}"."
        </p>
    }
}

#[component]
pub fn InsightsNav(current: &'static str) -> impl IntoView {
    let pages = [
        ("delivery", "/insights", "Delivery (DORA)"),
        ("maturity", "/insights/maturity", "Maturity"),
        ("satisfaction", "/insights/satisfaction", "Satisfaction"),
        ("platform", "/insights/platform", "Adoption and reliability"),
    ];
    view! {
        <nav class="periods" aria-label="Metrics">
            {pages.into_iter().map(|(id, href, label)| {
                let here = (id == current).then_some("page");
                view! { <a href=href aria-current=here>{label}</a> }
            }).collect_view()}
        </nav>
    }
}

/// `/insights` with the scope kept and `days` changed.
fn period_href(scope: &InsightsScope, days: u32) -> String {
    format!("/insights?{}", scope_query(scope, days))
}

/// The query string naming `scope` over `days`, for pages and API addresses.
fn scope_query(scope: &InsightsScope, days: u32) -> String {
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    match scope {
        InsightsScope::Organisation => format!("days={days}"),
        InsightsScope::Team(team) => format!("days={days}&team={}", encode(team)),
        InsightsScope::Component(c) => format!("days={days}&component={}", encode(c)),
    }
}

#[component]
fn Insights(data: InsightsView) -> impl IntoView {
    let heading = match &data.scope {
        InsightsScope::Organisation => "The whole organisation".to_string(),
        InsightsScope::Team(team) => format!("Team {team}"),
        InsightsScope::Component(c) => format!("Service {c}"),
    };
    let scope = data.scope.clone();
    let days = data.days;
    view! {
        <p class="lead">{heading}" · the DORA four keys over the last "{days}" days, compared with the "{days}" days before."</p>
        <nav class="periods" aria-label="Period">
            {PERIODS.into_iter().map(|d| {
                let current = (d == days).then_some("page");
                view! { <a href=period_href(&scope, d) aria-current=current>{format!("{d} days")}</a> }
            }).collect_view()}
            {(data.scope != InsightsScope::Organisation).then(|| view! { <a href="/insights">"Whole organisation"</a> })}
        </nav>
        {(data.deployments == 0).then(|| view! {
            <p class="empty">"No production deployments in this period. Deployments arrive from GitHub (a webhook to /api/webhooks/github with deployment and deployment_status events) or from any CI/CD tool through the events API — see /api/insights/openapi.json."</p>
        })}
        <ul class="key-figures">
            {data.figures.into_iter().map(|f| {
                let tier_class = format!("tier {}", f.tier.clone().unwrap_or_default());
                view! {
                    <li>
                        <h2>{f.name}</h2>
                        <p class="figure">{f.value.unwrap_or_else(|| "—".into())}</p>
                        {f.tier.map(|t| view! { <p class=tier_class>{t}</p> })}
                        <p class="what">{f.what}</p>
                        <p class="trend">{f.trend}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
        <div class="charts">
            {data.charts.into_iter().map(|svg| view! { <figure class="chart" inner_html=svg></figure> }).collect_view()}
        </div>
        <ServiceTable rows=data.services days/>
        {(data.services_total > SHOWN_SERVICES).then(|| view! {
            <p class="muted">{format!(
                "The {SHOWN_SERVICES} services with the lowest tiers of {}; the CSV below lists every one, and each team's page its own.",
                data.services_total
            )}</p>
        })}
        <Exports
            csv=format!("/api/insights/dora.csv?{}", scope_query(&data.scope, days))
            json=format!("/api/insights/dora?{}", scope_query(&data.scope, days))
        />
        {(!data.unknown_repositories.is_empty()).then(|| view! {
            <section>
                <h2>"Repositories no component names"</h2>
                <p>"Their deployments are kept and count once a component names the repository in its github.com/project-slug annotation."</p>
                <ul>{data.unknown_repositories.into_iter().map(|(r, n)| view! { <li><code>{r}</code>{format!(" — {n} deployments")}</li> }).collect_view()}</ul>
            </section>
        })}
    }
}

#[component]
fn ServiceTable(rows: Vec<ServiceRow>, days: u32) -> impl IntoView {
    let shown = !rows.is_empty();
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    shown.then(move || view! {
        <section>
            <h2>"By service"</h2>
            <table class="services">
                <thead><tr>
                    <th scope="col">"Service"</th><th scope="col">"Owner"</th><th scope="col">"Deployments"</th>
                    <th scope="col">"Frequency"</th><th scope="col">"Lead time"</th><th scope="col">"Failure rate"</th>
                    <th scope="col">"Recovery"</th><th scope="col">"Tier"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|row| {
                        let service_href = period_href(&InsightsScope::Component(row.service.clone()), days);
                        let owner = row.owner.clone().map(|o| {
                            let href = period_href(&InsightsScope::Team(o.clone()), days);
                            view! { <a href=href>{o}</a> }
                        });
                        let is_component = row.service.starts_with("component:");
                        let tier_class = format!("tier {}", row.tier);
                        view! {
                            <tr>
                                <th scope="row">{if is_component {
                                    view! { <a href=service_href>{row.service.clone()}</a> }.into_any()
                                } else {
                                    view! { <code>{row.service.clone()}</code> }.into_any()
                                }}</th>
                                <td>{owner}</td>
                                <td>{row.deployments}</td>
                                <td>{row.frequency}</td>
                                <td>{dash(row.lead_time)}</td>
                                <td>{dash(row.failure_rate)}</td>
                                <td>{dash(row.recovery_time)}</td>
                                <td><span class=tier_class>{row.tier}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    })
}
