//! `/catalog/providers`, for admins: each entity provider (`catalog.providers` in
//! `portico.yaml`) with its last run, what it found, what the run cost in GitHub
//! requests and rate limit, when it runs next, and the errors per repository.

use crate::components::LoadError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// One provider, as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderView {
    pub id: String,
    /// `GitHub discovery` or `GitHub organisation`.
    pub kind: String,
    pub config: String,
    pub last_run: String,
    pub next_run: String,
    /// Why the last run stopped short, if it did.
    pub last_error: Option<String>,
    /// (what, figure) pairs: repositories seen, files found, entities, requests…
    pub figures: Vec<(String, String)>,
    /// (repository or location, error)
    pub errors: Vec<(String, String)>,
}

/// Every provider, for admins.
#[server(prefix = "/_server")]
pub async fn fetch_providers() -> Result<Vec<ProviderView>, AppError> {
    crate::identity::require(identity::Action::AdminView).await?;
    let store = crate::context::store()?;
    let rows = store.providers().await?;
    let counts = store.provider_counts().await?;
    let mut views = Vec::new();
    for row in rows {
        let (locations, entities) = counts
            .iter()
            .find(|(id, _, _)| *id == row.id)
            .map_or((0, 0), |(_, l, e)| (*l, *e));
        let status: serde_json::Value = row
            .status
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let number = |key: &str| {
            status
                .get(key)
                .map(|v| v.to_string())
                .unwrap_or_else(|| "–".into())
        };
        let api = &status["api"];
        let mut figures: Vec<(String, String)> = if row.kind == "github-discovery" {
            vec![
                ("Repositories seen".into(), number("repositories")),
                ("Admitted by the filters".into(), number("admitted")),
                ("Catalog files found".into(), number("files")),
                (
                    "Locations added / removed".into(),
                    format!("{} / {}", number("added"), number("removed")),
                ),
                ("Locations now".into(), locations.to_string()),
            ]
        } else {
            vec![
                ("Teams".into(), number("teams")),
                ("Members".into(), number("members")),
                (
                    "Written / removed".into(),
                    format!("{} / {}", number("written"), number("removed")),
                ),
            ]
        };
        figures.push(("Entities".into(), entities.to_string()));
        figures.push((
            "Requests (not modified)".into(),
            format!(
                "{} ({})",
                api["requests"].as_u64().unwrap_or(0),
                api["not_modified"].as_u64().unwrap_or(0)
            ),
        ));
        let budget = match (api["remaining"].as_u64(), api["limit"].as_u64()) {
            (Some(remaining), Some(limit)) => {
                let reset = api["reset_at"].as_str().unwrap_or("?");
                format!("{remaining} of {limit} left, resets {reset}")
            }
            _ => "not stated".into(),
        };
        figures.push(("Rate-limit budget".into(), budget));
        let waited = api["waited_secs"].as_f64().unwrap_or(0.0);
        if waited > 0.0 || api["rate_limited"].as_u64().unwrap_or(0) > 0 {
            figures.push((
                "Slowed down for the rate limit".into(),
                format!(
                    "{waited:.1} s, asked to wait {} times",
                    api["rate_limited"].as_u64().unwrap_or(0)
                ),
            ));
        }
        let mut errors: Vec<(String, String)> = status["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["repository"].as_str().unwrap_or("").to_string(),
                    e["error"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        for location in store.provider_locations(&row.id).await? {
            if let Some(error) = location.last_error {
                errors.push((location.target, error));
            }
        }
        errors.truncate(200);
        let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        };
        views.push(ProviderView {
            kind: if row.kind == "github-discovery" {
                "GitHub discovery"
            } else {
                "GitHub organisation"
            }
            .into(),
            last_run: match (time(row.last_started_at), row.last_finished_at) {
                (Some(started), Some(finished)) => format!(
                    "{started}, took {:.1} s",
                    (finished - row.last_started_at.unwrap_or(finished)).as_seconds_f64()
                ),
                _ if row.claimed_by.is_some() => "running now".into(),
                _ => "not yet".into(),
            },
            next_run: time(row.next_run_at).unwrap_or_else(|| "now".into()),
            id: row.id,
            config: row.config,
            last_error: row.last_error,
            figures,
            errors,
        });
    }
    Ok(views)
}

#[component]
pub fn ProvidersPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| fetch_providers());
    view! {
        <Title text="Entity providers"/>
        <p class="breadcrumb"><a href="/catalog">"Catalog"</a></p>
        <h1>"Entity providers"</h1>
        <p>"What fills the catalog on its own: GitHub discovery registers every repository's catalog file, the GitHub organisation provider writes teams and people. Configure them under "<code>"catalog.providers"</code>" in portico.yaml."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(providers) if providers.is_empty() => view! {
                        <p class="empty">"No provider is configured."</p>
                    }.into_any(),
                    Ok(providers) => providers.into_iter().map(|p| view! { <Provider provider=p/> }).collect_view().into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Provider(provider: ProviderView) -> impl IntoView {
    let heading = format!("provider-{}", provider.id);
    let labelled_by = heading.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading>{format!("{} — {}", provider.id, provider.kind)}</h2>
            <p><code>{provider.config}</code></p>
            <dl class="facts">
                <dt>"Last run"</dt><dd>{provider.last_run}</dd>
                <dt>"Next run"</dt><dd>{provider.next_run}</dd>
                {provider.figures.into_iter().map(|(what, figure)| view! {
                    <dt>{what}</dt><dd>{figure}</dd>
                }).collect_view()}
            </dl>
            {provider.last_error.map(|error| view! {
                <p class="notice error" role="alert"><strong>"The last run stopped short: "</strong>{error}</p>
            })}
            {(!provider.errors.is_empty()).then(|| view! {
                <h3>"Errors"</h3>
                <table class="entity-table">
                    <thead><tr><th scope="col">"Repository or location"</th><th scope="col">"Error"</th></tr></thead>
                    <tbody>
                        {provider.errors.into_iter().map(|(what, error)| view! {
                            <tr><td>{what}</td><td>{error}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}
