//! `/insights/maturity`: every service's maturity level (1–5, the seed's DevOps maturity
//! model) from what the catalog and the delivery events say about it, explained: each
//! criterion met and missing, with a link to what fixes it. Teams get the median of their
//! services' levels and the criteria their services miss most. `?team=` and
//! `?component=` narrow it; the rubric is data (`crates/insights/src/maturity.yaml`, or
//! the file `insights_maturity_rubric` names).

use super::InsightsScope;
use crate::components::LoadError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// A criterion as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionView {
    pub level: u8,
    pub text: String,
    pub fix: Option<(String, String)>,
    pub unknown: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceMaturity {
    pub service: String,
    pub owner: Option<String>,
    pub level: u8,
    pub level_name: String,
    pub summary: String,
    pub met: Vec<CriterionView>,
    pub missing: Vec<CriterionView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMaturity {
    pub team: String,
    pub level: Option<u8>,
    pub level_name: Option<String>,
    pub services: usize,
    /// The criteria its services miss most: (what is missing, how many services).
    pub most_missing: Vec<(String, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaturityView {
    pub scope: InsightsScope,
    /// Services per level, as SVG.
    pub chart: String,
    pub teams: Vec<TeamMaturity>,
    pub services: Vec<ServiceMaturity>,
    /// How many components there are beyond those assessed (the page assesses at most
    /// a bounded number).
    pub not_assessed: usize,
}

#[server(prefix = "/_server")]
pub async fn fetch_maturity(
    team: Option<String>,
    component: Option<String>,
) -> Result<MaturityView, AppError> {
    crate::identity::require(identity::Action::InsightsRead).await?;
    let store = crate::context::store()?;
    let scope = super::scope_of(team, component)?;
    let settings =
        use_context::<std::sync::Arc<super::load::InsightsSettings>>().unwrap_or_default();
    super::load::maturity(&store, &settings, &scope).await
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::pages::insights::load::{self, InsightsSettings, ServiceCatalog};
    use insights::chart::{BarChart, Series, bar_chart};
    use insights::dora::{self, History, Window};
    use insights::maturity::{Assessment, CriterionResult, FactValue, Facts};
    use serde_json::Value;
    use std::collections::{BTreeMap, HashMap, HashSet};
    use store::{Selection, Store};

    /// The most components one page assesses: every component's body is read.
    const MAX_COMPONENTS: i64 = 5_000;

    /// The days of delivery history a service is assessed on.
    pub(crate) const DAYS: u32 = 30;

    /// The maturity of the scope's services, assessed now; readers take it through
    /// [`load::maturity`], which keeps it for a while.
    pub(crate) async fn assess(
        store: &Store,
        settings: &InsightsSettings,
        scope: &InsightsScope,
    ) -> Result<MaturityView, AppError> {
        let now = chrono::Utc::now();
        let window = Window::last_days(now, DAYS);
        let catalog = ServiceCatalog::read(store, scope).await?;
        let history = load::history(store, settings, &catalog, scope, window.start).await?;
        let components = if catalog.scoped {
            let refs: Vec<String> = catalog.owners.keys().cloned().collect();
            store
                .bodies_of_kind("component", Selection::Refs(&refs), MAX_COMPONENTS)
                .await?
        } else {
            store
                .bodies_of_kind("component", Selection::All, MAX_COMPONENTS)
                .await?
        };
        // A scope's components are fewer than the limit; the organisation's may not be.
        let not_assessed = match catalog.scoped {
            true => 0,
            false => catalog.owners.len().saturating_sub(components.len()),
        };
        let applications = applications_named(store, &components).await?;
        let owners: Vec<String> = catalog
            .owners
            .values()
            .flatten()
            .cloned()
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let people_and_teams = existing(store, &owners).await?;
        let by_service = load::per_service(&history);

        let rubric = &settings.rubric;
        let mut services = Vec::new();
        let mut assessments_by_team: BTreeMap<String, Vec<Assessment>> = BTreeMap::new();
        for (entity_ref, body) in components {
            if !catalog.in_scope(scope, &entity_ref) {
                continue;
            }
            let Ok(body) = serde_json::from_str::<Value>(&body) else {
                continue;
            };
            let name = body["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase();
            let owner = catalog.owners.get(&entity_ref).cloned().flatten();
            let delivery = by_service.get(&entity_ref);
            let facts = facts(
                &body,
                applications.get(&name),
                owner.as_ref().is_some_and(|o| people_and_teams.contains(o)),
                delivery,
                &window,
                settings,
            );
            let assessment = rubric.assess(&facts);
            if let Some(team) = &owner {
                assessments_by_team
                    .entry(team.clone())
                    .or_default()
                    .push(assessment.clone());
            }
            services.push(service_view(entity_ref, owner, assessment));
        }
        let teams = assessments_by_team
            .into_iter()
            .map(|(team, assessments)| {
                let found = rubric.team(&assessments);
                TeamMaturity {
                    team,
                    level: found.level,
                    level_name: found.level_name,
                    services: found.services,
                    most_missing: found
                        .most_missing
                        .into_iter()
                        .take(3)
                        .map(|m| (m.missing, m.services))
                        .collect(),
                }
            })
            .collect();
        let mut per_level = [0usize; 5];
        for s in &services {
            if let Some(slot) = per_level.get_mut(usize::from(s.level.max(1)) - 1) {
                *slot += 1;
            }
        }
        let chart = bar_chart(&BarChart {
            title: "Services by maturity level".into(),
            description: "How many services are at each level of the DevOps maturity model, 1 (basic automation) to 5 (global platform).".into(),
            labels: rubric.levels.iter().map(|l| format!("{} {}", l.level, l.name)).collect(),
            series: vec![Series {
                name: "services".into(),
                class: "ok",
                values: per_level.iter().map(|n| *n as f64).collect(),
            }],
            unit: "services".into(),
        });
        services.sort_by(|a, b| (a.level, &a.service).cmp(&(b.level, &b.service)));
        Ok(MaturityView {
            scope: scope.clone(),
            chart,
            teams,
            services,
            not_assessed,
        })
    }

    /// The Application specs named like `components` (an Application describes the
    /// component of its name), by lowercased name.
    async fn applications_named(
        store: &Store,
        components: &[(String, String)],
    ) -> Result<HashMap<String, Value>, AppError> {
        let names: Vec<String> = components
            .iter()
            .filter_map(|(entity_ref, _)| entity_ref.rsplit('/').next())
            .map(str::to_lowercase)
            .collect();
        let mut applications = HashMap::new();
        for names in names.chunks(store::MAX_SELECTED) {
            let found = store
                .bodies_of_kind("application", Selection::Names(names), MAX_COMPONENTS)
                .await?;
            for (_, body) in found {
                let Ok(body) = serde_json::from_str::<Value>(&body) else {
                    continue;
                };
                if let Some(name) = body["metadata"]["name"].as_str() {
                    applications.insert(name.to_lowercase(), body);
                }
            }
        }
        Ok(applications)
    }

    /// Which of `owners` (refs) the catalog has, as a group or a user.
    async fn existing(store: &Store, owners: &[String]) -> Result<HashSet<String>, AppError> {
        let mut found = HashSet::new();
        for kind in ["group", "user"] {
            let known = store.owners_of_kind(kind, Selection::Refs(owners)).await?;
            found.extend(known.into_iter().map(|(entity_ref, _)| entity_ref));
        }
        Ok(found)
    }

    fn service_view(service: String, owner: Option<String>, a: Assessment) -> ServiceMaturity {
        let view = |c: CriterionResult, met: bool| CriterionView {
            level: c.level,
            text: if met { c.title } else { c.missing },
            fix: c.fix.map(|f| (f.text, f.href)),
            unknown: c.unknown,
        };
        ServiceMaturity {
            service,
            owner,
            level: a.level,
            level_name: a.level_name,
            summary: a.summary,
            met: a.met.into_iter().map(|c| view(c, true)).collect(),
            missing: a.missing.into_iter().map(|c| view(c, false)).collect(),
        }
    }

    /// What the catalog and the delivery events say about a component, as the rubric's
    /// facts. `application` is the Application spec of the same name, if the catalog has
    /// one: what it renders (pipeline, Kubernetes, GitOps) exists once rendered.
    fn facts(
        component: &Value,
        application: Option<&Value>,
        owner_exists: bool,
        delivery: Option<&History>,
        window: &Window,
        settings: &InsightsSettings,
    ) -> Facts {
        let annotation = |key: &str| component["metadata"]["annotations"][key].as_str().is_some();
        let spec = application.map(|a| &a["spec"]);
        let on =
            |value: &Value| value.as_str() != Some("disabled") && value.as_bool() != Some(false);
        let production_strategy = spec.and_then(|s| {
            s["environments"]
                .as_array()?
                .iter()
                .find(|e| e["name"].as_str() == Some("production"))?["strategy"]
                .as_str()
        });
        let mut facts = Facts::default();
        let mut set = |name: &str, value: bool| facts.set(name, FactValue::from(value));
        set("owner", owner_exists);
        set("repository", annotation("github.com/project-slug"));
        set("documentation", annotation("backstage.io/techdocs-ref"));
        set("from_template", annotation("backstage.io/source-template"));
        set("ci_pipeline", spec.is_some());
        set("automated_tests", spec.is_some());
        set(
            "infrastructure_as_code",
            spec.is_some_and(|s| s["infrastructure"]["terraform"].is_object()),
        );
        set(
            "container_orchestration",
            spec.is_some() || annotation("backstage.io/kubernetes-id"),
        );
        set(
            "observability",
            spec.is_some_and(|s| on(&s["monitoring"]["enabled"])),
        );
        set(
            "slos",
            spec.is_some_and(|s| on(&s["monitoring"]["enabled"])),
        );
        set(
            "progressive_delivery",
            matches!(production_strategy, Some("canary" | "blue_green")),
        );
        set(
            "gitops",
            spec.is_some() || annotation("argocd/app-name") || annotation("argocd/app-selector"),
        );
        set(
            "policies",
            spec.is_some_and(|s| {
                on(&s["security"]["image_scanning"]) && on(&s["security"]["network_policies"])
            }),
        );
        let keys = delivery.map(|h| dora::four_keys(h, window, &settings.thresholds));
        let number = |value: Option<f64>| FactValue::from(value);
        facts.set(
            "deployments_per_day",
            number(keys.as_ref().map(|k| k.deployment_frequency.value)),
        );
        facts.set(
            "change_failure_rate",
            number(
                keys.as_ref()
                    .and_then(|k| k.change_failure_rate.as_ref())
                    .map(|f| f.value),
            ),
        );
        facts.set(
            "lead_time_hours",
            number(
                keys.as_ref()
                    .and_then(|k| k.lead_time.as_ref())
                    .map(|f| f.value / 3600.0),
            ),
        );
        facts
    }
}

#[component]
pub fn MaturityPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).filter(|v| !v.trim().is_empty());
    let data = Resource::new(
        move || (field("team"), field("component")),
        |(team, component)| fetch_maturity(team, component),
    );
    view! {
        <Title text="Maturity"/>
        <h1>"Maturity"</h1>
        <super::InsightsNav current="maturity"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Maturity data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn scoped_href(scope: &InsightsScope) -> String {
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    match scope {
        InsightsScope::Organisation => "/insights/maturity".into(),
        InsightsScope::Team(t) => format!("/insights/maturity?team={}", encode(t)),
        InsightsScope::Component(c) => format!("/insights/maturity?component={}", encode(c)),
    }
}

#[component]
fn Maturity(data: MaturityView) -> impl IntoView {
    let lead = match &data.scope {
        InsightsScope::Organisation => "Every service's level in the DevOps maturity model, from what the catalog and the delivery events say.".to_string(),
        InsightsScope::Team(t) => format!("The services of {t}."),
        InsightsScope::Component(c) => format!("Service {c}: what it meets and what is missing for the next level."),
    };
    let single = matches!(data.scope, InsightsScope::Component(_));
    view! {
        <p class="lead">{lead}</p>
        {(data.scope != InsightsScope::Organisation).then(|| view! { <p><a href="/insights/maturity">"Every service"</a></p> })}
        {(!single).then(|| view! { <figure class="chart" inner_html=data.chart.clone()></figure> })}
        {(!data.teams.is_empty() && data.scope == InsightsScope::Organisation).then(|| view! {
            <section>
                <h2>"Teams"</h2>
                <table class="services">
                    <thead><tr><th scope="col">"Team"</th><th scope="col">"Level"</th><th scope="col">"Services"</th><th scope="col">"Most often missing"</th></tr></thead>
                    <tbody>{data.teams.clone().into_iter().map(|t| {
                        let href = scoped_href(&InsightsScope::Team(t.team.clone()));
                        let level = match (t.level, t.level_name) {
                            (Some(l), Some(n)) => format!("{l} · {n}"),
                            _ => "—".into(),
                        };
                        let missing = t.most_missing.iter().map(|(m, n)| format!("{m} ({n})")).collect::<Vec<_>>().join("; ");
                        view! { <tr><th scope="row"><a href=href>{t.team}</a></th><td>{level}</td><td>{t.services}</td><td>{missing}</td></tr> }
                    }).collect_view()}</tbody>
                </table>
                <super::Exports csv="/api/insights/maturity-teams.csv"/>
            </section>
        })}
        {if single {
            data.services.into_iter().map(|s| view! { <ServiceDetail service=s/> }).collect_view().into_any()
        } else {
            view! { <ServiceList services=data.services/> }.into_any()
        }}
        <super::Exports
            csv=scoped_href(&data.scope).replace("/insights/maturity", "/api/insights/maturity.csv")
            json=scoped_href(&data.scope).replace("/insights/maturity", "/api/insights/maturity")
        />
        {(data.not_assessed > 0).then(|| view! { <p class="muted">{format!("{} more components were not assessed on this page; narrow it to a team.", data.not_assessed)}</p> })}
    }
}

#[component]
fn ServiceList(services: Vec<ServiceMaturity>) -> impl IntoView {
    view! {
        <section>
            <h2>"Services"</h2>
            {if services.is_empty() {
                view! { <p class="empty">"No components here."</p> }.into_any()
            } else {
                view! {
                    <table class="services">
                        <thead><tr><th scope="col">"Service"</th><th scope="col">"Owner"</th><th scope="col">"Level"</th><th scope="col">"What holds it back"</th></tr></thead>
                        <tbody>{services.into_iter().map(|s| {
                            let href = scoped_href(&InsightsScope::Component(s.service.clone()));
                            view! {
                                <tr>
                                    <th scope="row"><a href=href>{s.service}</a></th>
                                    <td>{s.owner}</td>
                                    <td><span class=format!("level level-{}", s.level)>{format!("{} · {}", s.level, s.level_name)}</span></td>
                                    <td>{s.summary}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ServiceDetail(service: ServiceMaturity) -> impl IntoView {
    // An unknown fact's text already says "no data yet".
    let criterion = |c: CriterionView| {
        view! {
            <li class:unknown=c.unknown>
                <span class="muted">{format!("level {} · ", c.level)}</span>
                {c.text}
                {c.fix.map(|(text, href)| view! { " — " <a href=href>{text}</a> })}
            </li>
        }
    };
    view! {
        <section>
            <h2>{format!("Level {} · {}", service.level, service.level_name)}</h2>
            <p>{service.summary}</p>
            <h3>"Missing"</h3>
            {if service.missing.is_empty() {
                view! { <p>"Nothing: every criterion is met."</p> }.into_any()
            } else {
                view! { <ul class="criteria missing">{service.missing.into_iter().map(criterion).collect_view()}</ul> }.into_any()
            }}
            <h3>"Met"</h3>
            <ul class="criteria met">{service.met.into_iter().map(criterion).collect_view()}</ul>
        </section>
    }
}
