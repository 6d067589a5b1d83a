//! The home page: what the portal holds, and what changed lately.

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{EntityRow, display_kind};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the home page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeSummary {
    pub total: i64,
    pub kinds: Vec<(String, i64)>,
    pub recent: Vec<EntityRow>,
}

#[server(prefix = "/_server")]
pub async fn fetch_home_summary() -> Result<HomeSummary, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = crate::context::store()?;
    let kinds = store.kind_counts().await?;
    let recent = store.recent_entities(12).await?;
    Ok(HomeSummary {
        total: kinds.iter().map(|k| k.count).sum(),
        kinds: kinds.into_iter().map(|k| (k.kind, k.count)).collect(),
        recent: recent
            .into_iter()
            .map(crate::pages::catalog::shared::ssr::row)
            .collect(),
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| fetch_home_summary());
    view! {
        <Title text=""/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(summary) if summary.total == 0 => view! { <FirstRun/> }.into_any(),
                    Ok(summary) => view! { <Overview summary/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Overview(summary: HomeSummary) -> impl IntoView {
    view! {
        <h1>"Your software catalog"</h1>
        <p class="lead">{format!("{} entities, owned by your teams.", summary.total)}</p>
        <form class="search" method="get" action="/catalog" role="search">
            <label for="home-search">"Search the catalog"</label>
            <input id="home-search" name="q" type="search" placeholder="Name, title or description"/>
            <button type="submit">"Search"</button>
        </form>
        <section aria-labelledby="kinds-heading">
            <h2 id="kinds-heading">"What the catalog holds"</h2>
            <ul class="kind-counts">
                {summary
                    .kinds
                    .into_iter()
                    .map(|(kind, count)| {
                        let href = format!("/catalog?kind={kind}");
                        view! {
                            <li>
                                <a href=href>
                                    <span class="count">{count}</span>
                                    <span class="kind">{display_kind(&kind)}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
        <RecentlyChanged recent=summary.recent/>
    }
}

/// The latest changes, with a filter that works as you type once the page has hydrated.
#[component]
fn RecentlyChanged(recent: Vec<EntityRow>) -> impl IntoView {
    let (filter, set_filter) = signal(String::new());
    let visible = move || {
        let needle = filter.get().to_lowercase();
        recent
            .iter()
            .filter(|row| needle.is_empty() || matches(row, &needle))
            .cloned()
            .collect::<Vec<_>>()
    };
    view! {
        <section aria-labelledby="recent-heading">
            <h2 id="recent-heading">"Recently changed"</h2>
            <label for="recent-filter" class="visually-hidden">"Filter recently changed entities"</label>
            <input
                id="recent-filter"
                type="search"
                placeholder="Filter this list"
                on:input:target=move |ev| set_filter.set(ev.target().value())
            />
            <ul class="recent" data-testid="recent-list">
                {move || {
                    visible()
                        .into_iter()
                        .map(|row| {
                            view! {
                                <li>
                                    <a href=row.href()>{row.label()}</a>
                                    <span class="meta">{display_kind(&row.kind)}</span>
                                    <time datetime=row.updated_at.clone()>{short_date(&row.updated_at)}</time>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}

fn matches(row: &EntityRow, needle: &str) -> bool {
    row.name.to_lowercase().contains(needle)
        || row
            .title
            .as_deref()
            .is_some_and(|t| t.to_lowercase().contains(needle))
        || row.kind.contains(needle)
}

/// `2026-11-26T10:00:00+00:00` → `2026-11-26 10:00`.
fn short_date(rfc3339: &str) -> String {
    rfc3339
        .get(..16)
        .map(|s| s.replacen('T', " ", 1))
        .unwrap_or_default()
}

/// What an empty portal shows: how to fill it.
#[component]
fn FirstRun() -> impl IntoView {
    view! {
        <section class="first-run">
            <h1>"Welcome to Portico"</h1>
            <p class="lead">"Your catalog is empty. Register the services, APIs and teams of your organisation to get started."</p>
            <ol>
                <li>
                    "Describe each service in a Backstage-format "<code>"catalog-info.yaml"</code>
                    " next to its code (the same files Backstage reads)."
                </li>
                <li>
                    "Import them: "<code>"portico catalog import path/to/catalog-info.yaml"</code>"."
                </li>
                <li>
                    "Or start with example data to look around: "<code>"PORTICO_DEMO=true portico"</code>"."
                </li>
            </ol>
        </section>
    }
}
