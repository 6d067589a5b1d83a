//! `/teams`: every team of the catalog as a tree (from `spec.parent`/`spec.children`),
//! with its member count and what it owns by kind, alone and with its child teams;
//! searchable by words and filterable by type with a plain GET form, so it reads the
//! same without JavaScript.

use super::team_href;
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::display_kind;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use teams::directory::Row;

/// What the directory shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamDirectory {
    /// In tree order; only the matching teams when searched.
    pub rows: Vec<Row>,
    /// How many teams the catalog has in all.
    pub total: usize,
    /// Every group type, for the filter.
    pub types: Vec<String>,
    /// What the hierarchy had to decide because the groups do not form a tree.
    pub warnings: Vec<String>,
    /// Owners that entities name but the catalog does not have, with how many entities
    /// name each: what no team page shows.
    #[serde(default)]
    pub missing_owners: Vec<(String, u64)>,
}

/// The team directory, narrowed by `text` and `team_type` when given.
#[server(prefix = "/_server")]
pub async fn fetch_team_directory(
    text: Option<String>,
    team_type: Option<String>,
) -> Result<TeamDirectory, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = crate::context::store()?;
    let search = search(text.as_deref(), team_type.as_deref());
    super::ssr::directory(&store, &search).await
}

/// What `?q=` and `?type=` ask for, cut to a length any real search fits in.
#[cfg(feature = "ssr")]
pub fn search(text: Option<&str>, team_type: Option<&str>) -> teams::directory::Search {
    teams::directory::Search {
        text: text.unwrap_or_default().chars().take(200).collect(),
        spec_type: team_type.unwrap_or_default().chars().take(100).collect(),
    }
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).filter(|v| !v.trim().is_empty());
    let directory = Resource::new(
        move || (field("q"), field("type")),
        |(text, team_type)| fetch_team_directory(text, team_type),
    );
    view! {
        <Title text="Teams"/>
        <h1>"Teams"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (text, team_type) = (field("q"), field("type"));
                match directory.await {
                    Ok(directory) => view! { <Directory directory text team_type/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Directory(
    directory: TeamDirectory,
    text: Option<String>,
    team_type: Option<String>,
) -> impl IntoView {
    let searched = text.is_some() || team_type.is_some();
    let chosen = team_type.clone().unwrap_or_default();
    let shown = directory.rows.len();
    let summary = if searched {
        format!("{shown} of {} teams match.", directory.total)
    } else {
        format!("{} teams.", directory.total)
    };
    view! {
        <form method="get" action="/teams" class="filters" role="search" aria-label="Find a team">
            <label>"Find "
                <input type="search" name="q" value=text.unwrap_or_default() placeholder="name, title or description"/>
            </label>
            <label>"Type "
                <select name="type">
                    <option value="">"every type"</option>
                    {directory.types.into_iter().map(|t| {
                        let selected = t == chosen;
                        view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">"Search"</button>
            {searched.then(|| view! { <a href="/teams">"Show all"</a> })}
        </form>
        {(!directory.warnings.is_empty()).then(|| view! {
            <details class="notice warnings">
                <summary>{format!("{} problems with how the catalog's teams nest", directory.warnings.len())}</summary>
                <ul>{directory.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
            </details>
        })}
        <p class="result-count" role="status">{summary}</p>
        <MissingOwners owners=directory.missing_owners/>
        {if directory.total == 0 {
            view! {
                <p class="empty">"No teams yet. Teams are Group entities in the catalog: register them like any other entity, with spec.parent or spec.children to nest them."</p>
            }.into_any()
        } else if shown == 0 {
            view! { <p class="empty">"No team matches; try fewer words or another type."</p> }.into_any()
        } else {
            view! { <TeamTree rows=directory.rows flat=searched/> }.into_any()
        }}
    }
}

/// The teams as a table whose first column is indented by depth (`flat`: searched
/// rows, each with its path instead).
#[component]
fn TeamTree(rows: Vec<Row>, flat: bool) -> impl IntoView {
    view! {
        <table class="entity-table team-tree">
            <thead>
                <tr>
                    <th scope="col">"Team"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Members"</th>
                    <th scope="col">"Owns"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let depth = if flat { 0 } else { row.depth.min(8) };
                    let path = (flat && !row.path.is_empty()).then(|| row.path.join(" › ") + " › ");
                    let members = if row.members_with_child_teams == row.members {
                        row.members.to_string()
                    } else {
                        format!("{} ({} with child teams)", row.members, row.members_with_child_teams)
                    };
                    let owns = owned_text(&row.owned_with_child_teams);
                    let name = row.group.display_name().to_string();
                    view! {
                        <tr>
                            <td class=format!("team-name depth-{depth}")>
                                {path.map(|p| view! { <span class="team-path">{p}</span> })}
                                <a href=team_href(&row.group.entity_ref)>{name}</a>
                                {row.group.description.map(|d| view! { <span class="description">{d}</span> })}
                            </td>
                            <td>{row.group.spec_type.unwrap_or_default()}</td>
                            <td>{members}</td>
                            <td>{owns}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Entities whose owner is not in the catalog: they belong to no team page.
#[component]
fn MissingOwners(owners: Vec<(String, u64)>) -> impl IntoView {
    (!owners.is_empty()).then(|| {
        let total: u64 = owners.iter().map(|(_, n)| n).sum();
        view! {
            <section class="notice" aria-labelledby="missing-owners-heading">
                <h2 id="missing-owners-heading">{if total == 1 {
                    "1 entity names an owner the catalog does not have".to_string()
                } else {
                    format!("{total} entities name owners the catalog does not have")
                }}</h2>
                <p>"Register the owner's Group or User entity, or correct spec.owner:"</p>
                <ul>
                    {owners.into_iter().map(|(owner, n)| {
                        let href = format!("/catalog?owner={}", crate::pages::catalog::shared::encode_query(&owner));
                        view! { <li><a href=href>{format!("{owner} — {n}")}</a></li> }
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

/// `{component: 4, api: 1}` → `4 Components, 1 API`, most first; `nothing` when empty.
pub fn owned_text(owned: &BTreeMap<String, u64>) -> String {
    let mut counts: Vec<(&String, &u64)> = owned.iter().collect();
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    if counts.is_empty() {
        return "nothing".into();
    }
    counts
        .into_iter()
        .map(|(kind, count)| {
            let kind = display_kind(kind);
            if *count == 1 {
                format!("1 {kind}")
            } else {
                format!("{count} {kind}s")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
