//! The home page: the signed-in person's teams and what they own first, then what the
//! portal holds and what changed lately.

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
    /// The signed-in person's teams (their User entity's), with what each owns.
    #[serde(default)]
    pub my_teams: Vec<MyTeam>,
}

/// One of the signed-in person's teams on the home page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyTeam {
    pub entity_ref: String,
    pub name: String,
    /// Its components first, at most [`MY_TEAM_ROWS`].
    pub owned: Vec<EntityRow>,
    pub owned_total: usize,
}

/// How many of a team's entities the home page lists.
#[cfg(feature = "ssr")]
const MY_TEAM_ROWS: usize = 6;

#[server(prefix = "/_server")]
pub async fn fetch_home_summary() -> Result<HomeSummary, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = crate::context::store()?;
    let kinds = store.kind_counts().await?;
    let recent = store.recent_entities(12).await?;
    let my_teams = ssr::my_teams(&store).await?;
    Ok(HomeSummary {
        my_teams,
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
        <crate::pages::insights::satisfaction::NpsPrompt/>
        <MyTeams teams=summary.my_teams/>
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

/// "Your teams": each of the signed-in person's teams with what it owns.
#[component]
fn MyTeams(teams: Vec<MyTeam>) -> impl IntoView {
    (!teams.is_empty()).then(|| view! {
        <section aria-labelledby="my-teams-heading">
            <h2 id="my-teams-heading">"Your teams"</h2>
            <div class="my-teams">
                {teams.into_iter().map(|team| {
                    let more = team.owned_total.saturating_sub(team.owned.len());
                    let href = crate::pages::catalog::shared::team_href(&team.entity_ref);
                    view! {
                        <section class="card">
                            <h3><a href=href.clone()>{team.name}</a></h3>
                            {if team.owned.is_empty() {
                                view! { <p class="empty">"Owns nothing yet."</p> }.into_any()
                            } else {
                                view! {
                                    <ul>
                                        {team.owned.into_iter().map(|row| view! {
                                            <li><a href=row.href()>{row.label()}</a>{format!(" — {}", display_kind(&row.kind))}</li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            {(more > 0).then(|| view! { <p><a href=href>{format!("and {more} more")}</a></p> })}
                        </section>
                    }
                }).collect_view()}
            </div>
        </section>
    })
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;

    /// The signed-in person's teams (from their User entity's memberOf relations), each
    /// with its components first, then the rest by kind and name.
    pub async fn my_teams(store: &store::Store) -> Result<Vec<MyTeam>, AppError> {
        let caller = crate::identity::caller().await?;
        let Some(user_ref) = caller.person().and_then(|p| p.user_ref.clone()) else {
            return Ok(Vec::new());
        };
        let teams: std::collections::BTreeSet<String> = store
            .relations_from(&user_ref.to_lowercase())
            .await?
            .into_iter()
            .filter(|r| r.relation_type == catalog::relation::MEMBER_OF)
            .map(|r| r.target_ref)
            .collect();
        let mut mine = Vec::new();
        for team in teams.into_iter().take(10) {
            let mut owned = store
                .entities_owned_by(std::slice::from_ref(&team), 500)
                .await?;
            owned.sort_by_key(|o| o.summary.kind != "component");
            let name = store
                .entity_summaries_by_refs(std::slice::from_ref(&team))
                .await?
                .into_iter()
                .flatten()
                .next()
                .map(|g| g.title.unwrap_or(g.name))
                .unwrap_or_else(|| crate::pages::catalog::shared::short_ref(&team));
            mine.push(MyTeam {
                owned_total: owned.len(),
                owned: owned
                    .into_iter()
                    .take(MY_TEAM_ROWS)
                    .map(|o| crate::pages::catalog::shared::ssr::row(o.summary))
                    .collect(),
                name,
                entity_ref: team,
            });
        }
        Ok(mine)
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
