//! `/insights/platform`: how the platform itself is doing — adoption (people active per
//! day and week, the share of services on the golden path, self-service actions per
//! person, support requests) and reliability (availability, server error rate and p95
//! response time per day, from the portal's own request counts).

use crate::components::LoadError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// One figure with what it counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformFigure {
    pub name: String,
    pub value: String,
    pub what: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformView {
    pub adoption: Vec<PlatformFigure>,
    pub reliability: Vec<PlatformFigure>,
    /// SVG: active people per day, requests per day, p95 per day.
    pub charts: Vec<String>,
}

/// One day of the portal's use and reliability: the series behind the page's charts, as
/// `/api/insights/platform` and its CSV export give them.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformDay {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// Signed-in people who used the portal that day.
    pub active_people: i64,
    pub requests: u64,
    /// Requests answered with a 5xx status.
    pub server_errors: u64,
    /// The share of requests answered without a server error; `None` without requests.
    pub availability: Option<f64>,
    /// The upper bound of the latency bucket within which 95 % were answered.
    pub p95_ms: Option<u64>,
}

#[server(prefix = "/_server")]
pub async fn fetch_platform() -> Result<PlatformView, AppError> {
    crate::identity::require(identity::Action::InsightsRead).await?;
    let store = crate::context::store()?;
    ssr::platform(&store).await
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use chrono::{TimeDelta, Utc};
    use insights::chart::{BarChart, LineChart, Series, bar_chart, line_chart};
    use insights::usage::{RequestTally, rate};
    use std::collections::{BTreeMap, HashSet};
    use store::Store;

    /// Writes that are self-service: running a template, registering a location.
    const SELF_SERVICE: [&str; 2] = ["scaffolder.task.create", "catalog.location.create"];

    fn day(at: chrono::DateTime<Utc>) -> String {
        at.format("%Y-%m-%d").to_string()
    }

    fn percent(value: Option<f64>, decimals: usize) -> String {
        value
            .map(|v| format!("{:.*} %", decimals, v * 100.0))
            .unwrap_or_else(|| "—".into())
    }

    /// Active people per day and each day's request tally, since `since_day`.
    struct Usage {
        active: Vec<(String, i64)>,
        requests: Vec<(String, RequestTally)>,
    }

    impl Usage {
        async fn read(store: &Store, since_day: &str) -> Result<Usage, AppError> {
            let requests = store
                .request_days(since_day)
                .await?
                .iter()
                .map(|d| {
                    let tally = RequestTally {
                        requests: d.requests.max(0) as u64,
                        server_errors: d.server_errors.max(0) as u64,
                        buckets: d.buckets().map(|n| n.max(0) as u64),
                    };
                    (d.day.clone(), tally)
                })
                .collect();
            Ok(Usage {
                active: store.active_per_day(since_day).await?,
                requests,
            })
        }

        /// Every day with activity or requests, oldest first.
        fn days(&self) -> Vec<PlatformDay> {
            let mut days: BTreeMap<&str, PlatformDay> = BTreeMap::new();
            let blank = |day: &str| PlatformDay {
                day: day.to_string(),
                active_people: 0,
                requests: 0,
                server_errors: 0,
                availability: None,
                p95_ms: None,
            };
            for (day, people) in &self.active {
                days.entry(day).or_insert_with(|| blank(day)).active_people = *people;
            }
            for (day, tally) in &self.requests {
                let row = days.entry(day).or_insert_with(|| blank(day));
                row.requests = tally.requests;
                row.server_errors = tally.server_errors;
                row.availability = tally.availability();
                row.p95_ms = tally.p95_ms();
            }
            days.into_values().collect()
        }
    }

    /// The last `days` days of the portal's use and reliability.
    pub async fn platform_days(store: &Store, days: u32) -> Result<Vec<PlatformDay>, AppError> {
        let since = Utc::now() - TimeDelta::days(i64::from(days));
        Ok(Usage::read(store, &day(since)).await?.days())
    }

    pub async fn platform(store: &Store) -> Result<PlatformView, AppError> {
        let now = Utc::now();
        let month_ago = now - TimeDelta::days(30);
        let since_day = day(month_ago);
        let active_month = store.active_people(&since_day).await?;
        let active_week = store.active_people(&day(now - TimeDelta::days(7))).await?;
        let usage = Usage::read(store, &since_day).await?;
        let (per_day, tallies) = (&usage.active, &usage.requests);
        let daily = (!per_day.is_empty())
            .then(|| per_day.iter().map(|(_, n)| *n as f64).sum::<f64>() / per_day.len() as f64);

        let components = store
            .owners_of_kind("component", store::Selection::All)
            .await?;
        let applications: HashSet<String> = store
            .owners_of_kind("application", store::Selection::All)
            .await?
            .into_iter()
            .filter_map(|(r, _)| r.rsplit('/').next().map(str::to_owned))
            .collect();
        let from_template: HashSet<String> = store
            .entities_with_key(
                "component",
                "metadata.annotations.backstage.io/source-template",
            )
            .await?
            .into_iter()
            .collect();
        let adopted = components
            .iter()
            .filter(|(r, _)| {
                from_template.contains(r)
                    || r.rsplit('/')
                        .next()
                        .is_some_and(|name| applications.contains(name))
            })
            .count();
        let actions = store.succeeded_actions(&SELF_SERVICE, month_ago).await?;
        let support = store.support_requests_since(month_ago).await?;

        let adoption = vec![
            PlatformFigure {
                name: "Active people".into(),
                value: format!("{active_week} this week · {active_month} in 30 days"),
                what: format!(
                    "signed-in people who used the portal; {} a day on average",
                    daily
                        .map(|d| format!("{d:.1}"))
                        .unwrap_or_else(|| "none".into())
                ),
            },
            PlatformFigure {
                name: "Service adoption".into(),
                value: percent(rate(adopted, components.len()), 0),
                what: format!(
                    "{adopted} of {} components have an Application spec or came from a template",
                    components.len()
                ),
            },
            PlatformFigure {
                name: "Self-service actions".into(),
                value: if active_month > 0 {
                    format!("{:.1} per person", actions as f64 / active_month as f64)
                } else {
                    "—".into()
                },
                what: format!("{actions} template runs and registrations in 30 days"),
            },
            PlatformFigure {
                name: "Support requests".into(),
                value: support.to_string(),
                what: "issues labelled for platform support, in 30 days".into(),
            },
        ];

        let mut month = RequestTally::default();
        for (_, t) in tallies {
            month.add(t);
        }
        let reliability = vec![
            PlatformFigure {
                name: "Availability".into(),
                value: percent(month.availability(), 2),
                what: format!(
                    "of {} requests in 30 days answered without a server error",
                    month.requests
                ),
            },
            PlatformFigure {
                name: "Error rate".into(),
                value: percent(month.error_rate(), 2),
                what: "requests answered with a 5xx status".into(),
            },
            PlatformFigure {
                name: "p95 response time".into(),
                value: month
                    .p95_ms()
                    .map(|ms| format!("≤ {ms} ms"))
                    .unwrap_or_else(|| "—".into()),
                what: "95 % of requests were answered within this".into(),
            },
        ];

        let labels: Vec<String> = tallies.iter().map(|(d, _)| d[5..].to_string()).collect();
        let charts = vec![
            line_chart(&LineChart {
                title: "Active people per day".into(),
                description: "Signed-in people who used the portal each day.".into(),
                labels: per_day.iter().map(|(d, _)| d.get(5..).unwrap_or(d).to_string()).collect(),
                values: per_day.iter().map(|(_, n)| Some(*n as f64)).collect(),
                unit: "people".into(),
                format: |v| format!("{v:.0}"),
            }),
            bar_chart(&BarChart {
                title: "Requests per day".into(),
                description: "Requests the portal answered each day, and those that failed with a server error.".into(),
                labels: labels.clone(),
                series: vec![
                    Series {
                        name: "answered".into(),
                        class: "ok",
                        values: tallies.iter().map(|(_, t)| (t.requests - t.server_errors) as f64).collect(),
                    },
                    Series {
                        name: "server errors".into(),
                        class: "bad",
                        values: tallies.iter().map(|(_, t)| t.server_errors as f64).collect(),
                    },
                ],
                unit: "requests".into(),
            }),
            line_chart(&LineChart {
                title: "p95 response time per day".into(),
                description: "The time within which 95 % of each day's requests were answered (the upper bound of its bucket).".into(),
                labels,
                values: tallies.iter().map(|(_, t)| t.p95_ms().map(|ms| ms as f64)).collect(),
                unit: "ms".into(),
                format: |v| format!("{v:.0} ms"),
            }),
        ];
        Ok(PlatformView {
            adoption,
            reliability,
            charts,
        })
    }
}

#[component]
pub fn PlatformPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| fetch_platform());
    view! {
        <Title text="Platform"/>
        <h1>"Adoption and reliability"</h1>
        <super::InsightsNav current="platform"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Platform data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Platform(data: PlatformView) -> impl IntoView {
    let figures = |figures: Vec<PlatformFigure>| {
        view! {
            <ul class="key-figures">
                {figures.into_iter().map(|f| view! {
                    <li>
                        <h3>{f.name}</h3>
                        <p class="figure">{f.value}</p>
                        <p class="what">{f.what}</p>
                    </li>
                }).collect_view()}
            </ul>
        }
    };
    view! {
        <section aria-labelledby="adoption-heading">
            <h2 id="adoption-heading">"Adoption"</h2>
            {figures(data.adoption)}
        </section>
        <section aria-labelledby="reliability-heading">
            <h2 id="reliability-heading">"Reliability of the portal"</h2>
            {figures(data.reliability)}
        </section>
        <div class="charts">
            {data.charts.into_iter().map(|svg| view! { <figure class="chart" inner_html=svg></figure> }).collect_view()}
        </div>
        <super::Exports csv="/api/insights/platform.csv" json="/api/insights/platform"/>
    }
}
