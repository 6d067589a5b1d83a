//! `/teams/{namespace}/{name}`: one team — who it is (profile, parent and child teams,
//! members), what it owns (by system and kind, filterable by kind and sortable), the APIs
//! it provides and consumes, which teams depend on it and which it depends on (an SVG
//! picture with the same facts as lists), and the health of its ownership data.
//! `?scope=all` includes the child teams' members and belongings; every switch is a
//! link, so the page works the same without JavaScript.

use super::team_href;
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{
    EntityRow, display_kind, encode_query, entity_href, parse_ref, person_href, ref_href, short_ref,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use teams::dependencies::Links;

/// The most entities a team page lists; a team owning more is told so.
pub const MAX_OWNED: usize = 5_000;

/// A team or person named on the page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    pub entity_ref: String,
    pub name: String,
}

/// A link of the team's profile (`metadata.links`), only when it is a web or mail address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileLink {
    pub url: String,
    pub title: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_ref: String,
    pub display_name: String,
    pub email: Option<String>,
    /// `spec.profile.picture`, when it is an https or data:image address.
    pub picture: Option<String>,
    /// The teams (within the page's scope) the person is in.
    pub teams: Vec<Named>,
}

/// What went wrong reading one of the team's entities.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub entity_ref: String,
    /// `error` (its location's last read failed), `conflict` (another location defines
    /// it too) or `orphan` (its location was removed).
    pub problem: String,
    pub location: String,
    pub detail: String,
}

/// How many rows a page of owned entities shows.
pub const PAGE: usize = 100;

/// How the visitor lists what a team owns: one kind or all, the column to sort by, and
/// where the page starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub kind: Option<String>,
    /// `kind` (also when empty), `name`, `type`, `lifecycle` or `owner`.
    pub sort: String,
    pub offset: usize,
}

/// A page of the entities a team owns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OwnedPage {
    pub listing: Listing,
    /// This page's rows, grouped by system where they are sorted.
    pub rows: Vec<Owned>,
    /// How many the team owns (at most [`MAX_OWNED`] are counted), and how many of the
    /// chosen kind.
    pub total: usize,
    pub matching: usize,
    /// How many of each kind.
    pub kinds: Vec<(String, usize)>,
    /// More than [`MAX_OWNED`] entities are owned; the rest is not listed.
    pub cut: bool,
}

/// An entity the team owns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Owned {
    pub row: EntityRow,
    pub system_ref: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TeamPageData {
    pub entity_ref: String,
    pub display_name: String,
    pub spec_type: Option<String>,
    pub description: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub links: Vec<ProfileLink>,
    /// The top-level team first.
    pub ancestors: Vec<Named>,
    pub children: Vec<Named>,
    /// Whether members and belongings include the child teams'.
    pub with_child_teams: bool,
    pub members: Vec<Member>,
    /// One page of what it owns, as the visitor filtered and sorted it.
    pub owned: OwnedPage,
    /// Its components that are part of no system (the first [`PAGE`]), and how many.
    pub without_system: Vec<EntityRow>,
    pub without_system_total: usize,
    pub links_to_teams: Links,
    /// Processing problems of the entities it owns.
    pub problems: Vec<Problem>,
    /// Display names of the owners `links_to_teams` names, by ref.
    pub owner_names: Vec<Named>,
    /// What the catalog's groups get wrong about this team's place in the tree.
    pub warnings: Vec<String>,
}

impl TeamPageData {
    fn owner_name(&self, owner: &str) -> String {
        self.owner_names
            .iter()
            .find(|n| n.entity_ref == owner)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| short_ref(owner))
    }
}

/// The team `namespace/name`; with its child teams when `scope` is `all`.
#[server(prefix = "/_server")]
pub async fn fetch_team(
    namespace: String,
    name: String,
    scope: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    offset: Option<String>,
) -> Result<TeamPageData, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = crate::context::store()?;
    let scope = parse_scope(scope.as_deref())?;
    let listing = parse_listing(kind.as_deref(), sort.as_deref(), offset.as_deref())?;
    let mut data = ssr::team(&store, &namespace, &name, scope, &listing).await?;
    // The page lists the most linked teams; the API has them all.
    data.links_to_teams.keep_most_linked(LINKED_TEAMS);
    let links = &data.links_to_teams;
    let kept: std::collections::BTreeSet<&str> = links
        .depends_on
        .iter()
        .chain(&links.depended_on_by)
        .map(|l| l.owner.as_str())
        .collect();
    let names = std::mem::take(&mut data.owner_names);
    data.owner_names = names
        .into_iter()
        .filter(|n| kept.contains(n.entity_ref.as_str()))
        .collect();
    Ok(data)
}

/// How many of the teams linked to this one, in each direction, the page lists.
#[cfg(feature = "ssr")]
pub const LINKED_TEAMS: usize = 30;

/// `?kind=`, `?sort=` and `?offset=` of a team page, checked.
#[cfg(feature = "ssr")]
pub fn parse_listing(
    kind: Option<&str>,
    sort: Option<&str>,
    offset: Option<&str>,
) -> Result<Listing, AppError> {
    let sort = sort.unwrap_or_default();
    if !matches!(sort, "" | "kind" | "name" | "type" | "lifecycle" | "owner") {
        return Err(AppError::BadInput(format!(
            "sort={:?} is not a column: use kind, name, type, lifecycle or owner.",
            sort.chars().take(40).collect::<String>()
        )));
    }
    let offset = match offset.unwrap_or_default() {
        "" => 0,
        text => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= MAX_OWNED)
            .ok_or_else(|| {
                AppError::BadInput(format!(
                    "offset={:?} is not a row number: use a whole number from 0 to {MAX_OWNED}.",
                    text.chars().take(40).collect::<String>()
                ))
            })?,
    };
    Ok(Listing {
        kind: kind
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty())
            .map(|k| k.chars().take(100).collect()),
        sort: sort.to_string(),
        offset,
    })
}

/// `?scope=`: `team` (or nothing) for the team alone, `all` with its child teams.
#[cfg(feature = "ssr")]
pub fn parse_scope(scope: Option<&str>) -> Result<teams::Scope, AppError> {
    match scope {
        Some("all") => Ok(teams::Scope::WithChildTeams),
        None | Some("") | Some("team") => Ok(teams::Scope::Team),
        Some(other) => Err(AppError::BadInput(format!(
            "scope={:?} is not a scope: use scope=team (the team alone) or scope=all (with its child teams).",
            other.chars().take(40).collect::<String>()
        ))),
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let param = move |key: &str| params.read().get(key).unwrap_or_default();
    let data = Resource::new(
        move || {
            let query = query.read();
            (
                (param("namespace"), param("name"), query.get("scope")),
                (query.get("kind"), query.get("sort"), query.get("offset")),
            )
        },
        |((namespace, name, scope), (kind, sort, offset))| {
            fetch_team(namespace, name, scope, kind, sort, offset)
        },
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Team data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Team(data: TeamPageData) -> impl IntoView {
    let here = team_href(&data.entity_ref);
    let scope_query = if data.with_child_teams {
        "scope=all"
    } else {
        ""
    };
    view! {
        <Title text=data.display_name.clone()/>
        <nav class="breadcrumb" aria-label="Team hierarchy">
            <a href="/teams">"Teams"</a>
            {data.ancestors.iter().map(|a| view! { " › " <a href=team_href(&a.entity_ref)>{a.name.clone()}</a> }).collect_view()}
        </nav>
        <TeamProfile data=data.clone()/>
        <ScopeSwitch here=here.clone() with_child_teams=data.with_child_teams children=data.children.len()/>
        <Members members=data.members.clone() with_child_teams=data.with_child_teams/>
        <OwnedEntities data=data.clone() here=here.clone() scope_query/>
        <Apis links=data.links_to_teams.clone()/>
        <Dependencies data=data.clone()/>
        <crate::pages::insights::summary::DeliverySummaryCard team=data.entity_ref.clone()/>
        <Health data/>
    }
}

#[component]
fn TeamProfile(data: TeamPageData) -> impl IntoView {
    let entity = parse_ref(&data.entity_ref)
        .map(|r| ref_href(&r))
        .unwrap_or_default();
    view! {
        <header class="team-header">
            {data.picture.map(|src| view! { <img class="team-picture" src=src alt="" width="64" height="64"/> })}
            <div>
                <h1>{data.display_name.clone()}</h1>
                <p class="team-meta">
                    {data.spec_type.map(|t| view! { <span class="badge">{t}</span> " " })}
                    {data.email.map(|email| view! { <a href=format!("mailto:{email}")>{email.clone()}</a> " · " })}
                    <a href=entity>"Catalog entry"</a>
                </p>
                {data.description.map(|d| view! { <p class="description">{d}</p> })}
                {(!data.links.is_empty()).then(|| view! {
                    <ul class="team-links">
                        {data.links.into_iter().map(|l| view! { <li><a href=l.url rel="noopener noreferrer">{l.title}</a></li> }).collect_view()}
                    </ul>
                })}
            </div>
        </header>
        {(!data.warnings.is_empty()).then(|| view! {
            <ul class="notice warnings">{data.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
        })}
        {(!data.children.is_empty()).then(|| view! {
            <p class="child-teams">"Child teams: "
                {data.children.iter().enumerate().map(|(i, c)| view! {
                    {(i > 0).then_some(", ")}
                    <a href=team_href(&c.entity_ref)>{c.name.clone()}</a>
                }).collect_view()}
            </p>
        })}
    }
}

/// "This team only" / "With its child teams": two links, the current one marked.
#[component]
fn ScopeSwitch(here: String, with_child_teams: bool, children: usize) -> impl IntoView {
    (children > 0 || with_child_teams).then(|| {
        let current = |on: bool| if on { Some("page") } else { None };
        view! {
            <nav class="scope-switch" aria-label="Whose members and belongings to show">
                <a href=here.clone() aria-current=current(!with_child_teams)>"This team only"</a>
                <a href=format!("{here}?scope=all") aria-current=current(with_child_teams)>
                    {format!("Include child teams ({children})")}
                </a>
            </nav>
        }
    })
}

#[component]
fn Members(members: Vec<Member>, with_child_teams: bool) -> impl IntoView {
    view! {
        <section aria-labelledby="members-heading">
            <h2 id="members-heading">{format!("Members ({})", members.len())}</h2>
            {if members.is_empty() {
                view! { <p class="empty">"Nobody is a member yet: add the team to a User entity's spec.memberOf, or people to the group's spec.members."</p> }.into_any()
            } else {
                view! {
                    <ul class="member-list">
                        {members.into_iter().map(|m| {
                            let teams = m.teams.iter().map(|t| t.name.clone()).collect::<Vec<_>>().join(", ");
                            view! {
                                <li class="member">
                                    {match m.picture {
                                        Some(src) => view! { <img src=src alt="" width="40" height="40" loading="lazy"/> }.into_any(),
                                        None => view! { <span class="initials" aria-hidden="true">{initials(&m.display_name)}</span> }.into_any(),
                                    }}
                                    <span>
                                        <a href=person_href(&m.user_ref)>{m.display_name.clone()}</a>
                                        {m.email.map(|e| view! { <br/><a class="description" href=format!("mailto:{e}")>{e.clone()}</a> })}
                                        {with_child_teams.then(|| view! { <br/><span class="description">{teams}</span> })}
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

/// What the team owns, a page at a time: a filter by kind, sortable columns, rows grouped
/// by system when sorted by kind, and links to the pages before and after.
#[component]
fn OwnedEntities(data: TeamPageData, here: String, scope_query: &'static str) -> impl IntoView {
    let page = data.owned;
    let listing = page.listing.clone();
    let link = move |kind: Option<&str>, sort: &str, offset: usize| {
        let mut query: Vec<String> = Vec::new();
        if !scope_query.is_empty() {
            query.push(scope_query.to_string());
        }
        if let Some(kind) = kind {
            query.push(format!("kind={}", encode_query(kind)));
        }
        if !sort.is_empty() {
            query.push(format!("sort={}", encode_query(sort)));
        }
        if offset > 0 {
            query.push(format!("offset={offset}"));
        }
        if query.is_empty() {
            here.clone()
        } else {
            format!("{here}?{}", query.join("&"))
        }
    };
    let by_system = listing.sort.is_empty() || listing.sort == "kind";
    let mut systems: Vec<(Option<String>, Vec<Owned>)> = Vec::new();
    for row in page.rows {
        let key = if by_system {
            row.system_ref.clone()
        } else {
            None
        };
        match systems.iter_mut().find(|(s, _)| *s == key) {
            Some((_, list)) => list.push(row),
            None => systems.push((key, vec![row])),
        }
    }
    let (total, matching, offset) = (page.total, page.matching, listing.offset);
    let shown = systems.iter().map(|(_, rows)| rows.len()).sum::<usize>();
    let kind = listing.kind.clone();
    let sort = listing.sort.clone();
    let link_kinds = link.clone();
    let link_pages = link.clone();
    view! {
        <section aria-labelledby="owned-heading">
            <h2 id="owned-heading">{format!("What it owns ({total}{})", if page.cut { "+" } else { "" })}</h2>
            {page.cut.then(|| view! {
                <p class="notice">{format!("This team owns more than {MAX_OWNED} entities; the first {MAX_OWNED} by kind and name are counted and listed.")}</p>
            })}
            {if total == 0 {
                view! { <p class="empty">"Nothing yet: entities name their owner in spec.owner."</p> }.into_any()
            } else {
                view! {
                    <nav class="kind-filter" aria-label="Show one kind">
                        <a href=link_kinds(None, &sort, 0) aria-current=kind.is_none().then_some("page")>{format!("All ({total})")}</a>
                        {page.kinds.into_iter().map(|(k, n)| {
                            let current = (kind.as_deref() == Some(k.as_str())).then_some("page");
                            view! { <a href=link_kinds(Some(&k), &sort, 0) aria-current=current>{format!("{} ({n})", display_kind(&k))}</a> }
                        }).collect_view()}
                    </nav>
                    {(matching > shown).then(|| view! {
                        <p class="result-count">{format!("{}–{} of {matching}", offset + 1, offset + shown)}</p>
                    })}
                    {systems.into_iter().map(|(system, rows)| {
                        let heading = match (&system, by_system) {
                            (Some(system), _) => view! { <h3>"System " <a href=parse_ref(system).map(|r| ref_href(&r)).unwrap_or_default()>{short_ref(system)}</a></h3> }.into_any(),
                            (None, true) => view! { <h3>"Not part of a system"</h3> }.into_any(),
                            (None, false) => ().into_any(),
                        };
                        let header = |label: &'static str, key: &'static str| {
                            let current = (sort == key || (sort.is_empty() && key == "kind")).then_some("ascending");
                            view! { <th scope="col" aria-sort=current><a href=link(kind.as_deref(), key, 0)>{label}</a></th> }
                        };
                        view! {
                            {heading}
                            <table class="entity-table">
                                <thead><tr>
                                    {header("Name", "name")}
                                    {header("Kind", "kind")}
                                    {header("Type", "type")}
                                    {header("Lifecycle", "lifecycle")}
                                    {data.with_child_teams.then(|| header("Owner", "owner"))}
                                </tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|o| view! {
                                        <tr>
                                            <td><a href=entity_href(&o.row.namespace, &o.row.kind, &o.row.name)>{o.row.label()}</a></td>
                                            <td>{display_kind(&o.row.kind)}</td>
                                            <td>{o.row.spec_type.unwrap_or_default()}</td>
                                            <td>{o.row.lifecycle.unwrap_or_default()}</td>
                                            {data.with_child_teams.then(|| {
                                                let owner = o.row.owner_ref.unwrap_or_default();
                                                view! { <td><a href=team_href(&owner)>{short_ref(&owner)}</a></td> }
                                            })}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }
                    }).collect_view()}
                    {(matching > shown).then(|| view! {
                        <nav class="pager" aria-label="Pages of what it owns">
                            {(offset > 0).then(|| view! { <a href=link_pages(listing.kind.as_deref(), &listing.sort, offset.saturating_sub(PAGE)) rel="prev">"Previous"</a> })}
                            {(offset + shown < matching).then(|| view! { <a href=link_pages(listing.kind.as_deref(), &listing.sort, offset + PAGE) rel="next">"Next"</a> })}
                        </nav>
                    })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Apis(links: Links) -> impl IntoView {
    let list = |apis: Vec<String>, total: usize, none: &'static str| {
        if apis.is_empty() {
            return view! { <p class="empty">{none}</p> }.into_any();
        }
        let more = total.saturating_sub(apis.len());
        view! {
            <ul>
                {apis.into_iter().map(|api| view! {
                    <li><a href=parse_ref(&api).map(|r| ref_href(&r)).unwrap_or_default()>{short_ref(&api)}</a></li>
                }).collect_view()}
            </ul>
            {(more > 0).then(|| view! { <p class="description">{format!("and {more} more")}</p> })}
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="apis-heading" class="two-columns">
            <h2 id="apis-heading">"APIs"</h2>
            <div>
                <h3>"Provides"</h3>
                {list(links.provides, links.provides_total, "No API is provided by its components.")}
            </div>
            <div>
                <h3>"Consumes"</h3>
                {list(links.consumes, links.consumes_total, "Its components consume no API.")}
            </div>
        </section>
    }
}

/// The teams this one depends on (right) and those that depend on it (left), as a
/// picture and as lists.
#[component]
fn Dependencies(data: TeamPageData) -> impl IntoView {
    let links = &data.links_to_teams;
    let side = |list: &[teams::dependencies::TeamLink]| {
        list.iter()
            .map(|l| (data.owner_name(&l.owner), l.owner.clone(), l.count))
            .collect::<Vec<_>>()
    };
    let depends_on = side(&links.depends_on);
    let depended_on_by = side(&links.depended_on_by);
    let listing = |items: Vec<(String, String, usize)>, total: usize, none: &'static str| {
        if items.is_empty() {
            return view! { <p class="empty">{none}</p> }.into_any();
        }
        let more = total.saturating_sub(items.len());
        view! {
            <ul>
                {items.into_iter().map(|(name, owner, n)| view! {
                    <li><a href=team_href(&owner)>{name}</a>{format!(" — {n} link{}", if n == 1 { "" } else { "s" })}</li>
                }).collect_view()}
            </ul>
            {(more > 0).then(|| view! {
                <p class="description">{format!("and {more} more teams, with fewer links (all of them: /api/teams)")}</p>
            })}
        }
        .into_any()
    };
    let (depends_on_total, depended_on_by_total) =
        (links.depends_on_total, links.depended_on_by_total);
    view! {
        <section aria-labelledby="dependencies-heading">
            <h2 id="dependencies-heading">"Dependencies between teams"</h2>
            {(!depends_on.is_empty() || !depended_on_by.is_empty()).then(|| view! {
                <DependencyPicture team=data.display_name.clone() left=depended_on_by.clone() right=depends_on.clone()/>
            })}
            <div class="two-columns">
                <div>
                    <h3>"Teams that depend on it"</h3>
                    {listing(depended_on_by, depended_on_by_total, "No other team's entity depends on this team's.")}
                </div>
                <div>
                    <h3>"Teams it depends on"</h3>
                    {listing(depends_on, depends_on_total, "It depends on no other team's entities.")}
                </div>
            </div>
        </section>
    }
}

/// Dependents on the left, the team in the middle, what it depends on on the right; an
/// arrow points from the one that depends to the one depended on, labelled with how many
/// entity links there are. At most 12 teams a side (the lists have all).
#[component]
fn DependencyPicture(
    team: String,
    left: Vec<(String, String, usize)>,
    right: Vec<(String, String, usize)>,
) -> impl IntoView {
    const ROW: usize = 36;
    const MAX: usize = 12;
    let rows = left.len().min(MAX).max(right.len().min(MAX)).max(1);
    let height = rows * ROW + 16;
    let middle = height / 2;
    let y = |i: usize, n: usize| middle - (n.min(MAX) * ROW) / 2 + i * ROW + ROW / 2;
    let label = |name: &str| {
        if name.chars().count() > 22 {
            format!("{}…", name.chars().take(21).collect::<String>())
        } else {
            name.to_string()
        }
    };
    let description = match (left.len(), right.len()) {
        (1, n) => format!(
            "1 team depends on {team}; {team} depends on {}.",
            teams_count(n)
        ),
        (m, n) => format!(
            "{m} teams depend on {team}; {team} depends on {}.",
            teams_count(n)
        ),
    };
    // One side's teams in a column at `x`, each with an arrow from `from_x` to `to_x`
    // (from the team to the middle on the left, from the middle to the team on the right).
    let side = move |teams: Vec<(String, String, usize)>, x: usize, from_x: usize, to_x: usize| {
        let count = teams.len();
        teams.into_iter().take(MAX).enumerate().map(|(i, (name, owner, n))| {
            let at = y(i, count);
            let (from_y, to_y) = if x < from_x { (at, middle) } else { (middle, at) };
            view! {
                <a href=team_href(&owner)>
                    <rect x=x y=at - 14 width="170" height="28" rx="6" class="node"/>
                    <text x=x + 85 y=at + 5 text-anchor="middle" class="node-label">{label(&name)}</text>
                </a>
                <line x1=from_x y1=from_y x2=to_x y2=to_y marker-end="url(#arrow)" class="edge"/>
                <text x=(from_x + to_x) / 2 y=(at + middle) / 2 - 4 text-anchor="middle" class="edge-label">{n}</text>
            }
        }).collect_view()
    };
    view! {
        <svg class="dependency-picture" viewBox=format!("0 0 720 {height}") role="img" aria-label=description>
            <defs>
                <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
                    <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head"/>
                </marker>
            </defs>
            <rect x="270" y=middle - 18 width="180" height="36" rx="6" class="node node-self"/>
            <text x="360" y=middle + 5 text-anchor="middle" class="node-label">{label(&team)}</text>
            {side(left, 10, 180, 270)}
            {side(right, 540, 450, 540)}
        </svg>
    }
}

/// `1 team`, `3 teams`.
fn teams_count(n: usize) -> String {
    if n == 1 {
        "1 team".into()
    } else {
        format!("{n} teams")
    }
}

/// What is wrong or missing in the catalog about what the team owns.
#[component]
fn Health(data: TeamPageData) -> impl IntoView {
    let without_system = data.without_system;
    let without_system_total = data.without_system_total;
    let dangling = data.links_to_teams.dangling.clone();
    let dangling_total = data.links_to_teams.dangling_total;
    view! {
        <section aria-labelledby="health-heading">
            <h2 id="health-heading">"Ownership health"</h2>
            <h3>{format!("Components without a system ({without_system_total})")}</h3>
            {if without_system.is_empty() {
                view! { <p>"Every component is part of a system."</p> }.into_any()
            } else {
                view! {
                    <p>"Set spec.system so people find them with the rest of their product:"</p>
                    <ul>{without_system.into_iter().map(|r| view! { <li><a href=r.href()>{r.label()}</a></li> }).collect_view()}</ul>
                }.into_any()
            }}
            <h3>{format!("References to entities the catalog does not have ({dangling_total})")}</h3>
            {if dangling.is_empty() {
                view! { <p>"Every dependency and API its entities name is in the catalog."</p> }.into_any()
            } else {
                view! {
                    <ul>{dangling.into_iter().map(|(from, to)| {
                        let href = parse_ref(&from).map(|r| ref_href(&r)).unwrap_or_default();
                        view! { <li><a href=href>{short_ref(&from)}</a>{format!(" names {to}")}</li> }
                    }).collect_view()}</ul>
                }.into_any()
            }}
            <h3>{format!("Entities with processing problems ({})", data.problems.len())}</h3>
            {if data.problems.is_empty() {
                view! { <p>"Every entity was read from its location without a problem."</p> }.into_any()
            } else {
                view! {
                    <ul>{data.problems.into_iter().map(|p| {
                        let href = parse_ref(&p.entity_ref).map(|r| ref_href(&r)).unwrap_or_default();
                        let what = match p.problem.as_str() {
                            "error" => format!(": the last read of {} failed — {}", p.location, p.detail),
                            "conflict" => format!(": {} defines it too, and was refused", p.location),
                            _ => ": its location was removed; nothing updates it any more".to_string(),
                        };
                        view! { <li><a href=href>{short_ref(&p.entity_ref)}</a>{what}</li> }
                    }).collect_view()}</ul>
                }.into_any()
            }}
            <h3>"Maturity and delivery"</h3>
            <p class="description">"Not measured yet: maturity levels and delivery figures (DORA) of the team's services will show here once the portal collects platform metrics."</p>
        </section>
    }
}

/// A picture address a page may show: https, or an inline image (the pages' security
/// policy allows no other).
#[cfg(feature = "ssr")]
pub(crate) fn safe_picture(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("data:image/")
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::pages::catalog::shared::ssr::row;
    use crate::pages::teams::ssr::{Groups, profile_text};
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};
    use teams::Scope;

    /// The team page: everything but the page of owned entities is computed once per
    /// catalog version (and team and scope); the page is cut from the whole list.
    pub async fn team(
        store: &store::Store,
        namespace: &str,
        name: &str,
        scope: Scope,
        listing: &Listing,
    ) -> Result<TeamPageData, AppError> {
        let key = format!("teams:team:{namespace}/{name}:{scope:?}").to_lowercase();
        let whole = store
            .cached(key, || whole_team(store, namespace, name, scope))
            .await?;
        let mut data = whole.data.clone();
        data.owned = whole.page(listing);
        Ok(data)
    }

    /// A team page with all it owns (by system, kind and name), before a page of it is cut.
    struct WholeTeam {
        data: TeamPageData,
        owned: Vec<Owned>,
        kinds: Vec<(String, usize)>,
        cut: bool,
    }

    impl WholeTeam {
        fn new(data: TeamPageData, mut owned: Vec<Owned>, cut: bool) -> WholeTeam {
            let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
            for o in &owned {
                *kinds.entry(o.row.kind.clone()).or_default() += 1;
            }
            owned.sort_by_cached_key(|o| sort_key(o, ""));
            WholeTeam {
                data,
                owned,
                kinds: kinds.into_iter().collect(),
                cut,
            }
        }

        /// The page of what the team owns that `listing` asks for: one kind or all,
        /// sorted by its column, [`PAGE`] rows from its offset. Only that page's rows are
        /// copied.
        fn page(&self, listing: &Listing) -> OwnedPage {
            let mut chosen: Vec<&Owned> = self
                .owned
                .iter()
                .filter(|o| listing.kind.as_ref().is_none_or(|k| &o.row.kind == k))
                .collect();
            if !matches!(listing.sort.as_str(), "" | "kind") {
                chosen.sort_by_cached_key(|o| sort_key(o, &listing.sort));
            }
            OwnedPage {
                matching: chosen.len(),
                rows: chosen
                    .into_iter()
                    .skip(listing.offset)
                    .take(PAGE)
                    .cloned()
                    .collect(),
                listing: listing.clone(),
                total: self.owned.len(),
                kinds: self.kinds.clone(),
                cut: self.cut,
            }
        }
    }

    /// What `owned` is sorted by for the column `sort` (kind — by system first, so that
    /// each system's rows stay together, systems by name and none last — when it names
    /// none), then by label.
    fn sort_key(o: &Owned, sort: &str) -> (String, String) {
        let key = match sort {
            "name" => String::new(),
            "type" => o.row.spec_type.clone().unwrap_or_default(),
            "lifecycle" => o.row.lifecycle.clone().unwrap_or_default(),
            "owner" => o.row.owner_ref.clone().unwrap_or_default(),
            _ => format!(
                "{}\u{0}{}\u{0}{}",
                o.system_ref.is_none(),
                o.system_ref.as_deref().unwrap_or_default(),
                o.row.kind
            ),
        };
        (key.to_lowercase(), o.row.label().to_lowercase())
    }

    async fn whole_team(
        store: &store::Store,
        namespace: &str,
        name: &str,
        scope: Scope,
    ) -> Result<WholeTeam, AppError> {
        let entity_ref = format!("group:{}/{}", namespace.to_lowercase(), name.to_lowercase());
        // No name holds a NUL character (and PostgreSQL cannot be asked about one).
        let body = match entity_ref.contains('\0') {
            true => None,
            false => store.entity_body(&entity_ref).await?,
        };
        let Some(body) = body else {
            return Err(AppError::NotFound(format!(
                "The catalog has no team {namespace}/{name}. Find it in the team directory (/teams), or register its Group entity."
            )));
        };
        let groups = Groups::read(store).await?;
        let hierarchy = &groups.hierarchy;
        let named = |r: &str| Named {
            entity_ref: r.to_string(),
            name: groups.name_of(r),
        };
        let in_scope: Vec<String> = hierarchy
            .scope(&entity_ref, scope)
            .into_iter()
            .map(str::to_string)
            .collect();
        let members = members(store, &in_scope, &named).await?;
        let mut owned: Vec<Owned> = store
            .entities_owned_by(&in_scope, MAX_OWNED as i64 + 1)
            .await?
            .into_iter()
            .map(|o| Owned {
                row: row(o.summary),
                system_ref: o.system_ref,
            })
            .collect();
        let owned_cut = owned.len() > MAX_OWNED;
        owned.truncate(MAX_OWNED);
        let owned_refs: Vec<String> = owned.iter().map(|o| o.row.entity_ref.clone()).collect();
        let without_system: Vec<EntityRow> = owned
            .iter()
            .filter(|o| o.row.kind == "component" && o.system_ref.is_none())
            .map(|o| o.row.clone())
            .collect();
        let without_system_total = without_system.len();
        let edges: Vec<teams::dependencies::Edge> = store
            .dependency_edges(&owned_refs)
            .await?
            .into_iter()
            .map(|e| teams::dependencies::Edge {
                source: e.source_ref,
                relation: e.relation_type,
                target: e.target_ref,
                target_kind: e.target_kind,
                target_owner: e.target_owner,
            })
            .collect();
        let problems = store
            .processing_problems(&owned_refs)
            .await?
            .into_iter()
            .map(|p| Problem {
                entity_ref: p.entity_ref,
                problem: p.problem,
                location: p.location,
                detail: p.detail,
            })
            .collect();
        let ours: BTreeSet<String> = in_scope.iter().cloned().collect();
        let links_to_teams = teams::dependencies::links(&edges, &ours);
        let owner_names = links_to_teams
            .depends_on
            .iter()
            .chain(&links_to_teams.depended_on_by)
            .map(|l| l.owner.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(named)
            .collect();
        let mut ancestors: Vec<Named> = hierarchy
            .ancestors(&entity_ref)
            .into_iter()
            .map(named)
            .collect();
        ancestors.reverse();
        let text = |pointer: &str| profile_text(&body, pointer);
        let data = TeamPageData {
            display_name: text("/spec/profile/displayName")
                .or_else(|| text("/metadata/title"))
                .unwrap_or_else(|| text("/metadata/name").unwrap_or_else(|| name.to_string())),
            spec_type: text("/spec/type"),
            description: text("/metadata/description"),
            email: text("/spec/profile/email"),
            picture: text("/spec/profile/picture").filter(|p| safe_picture(p)),
            links: profile_links(&body),
            ancestors,
            children: hierarchy.children(&entity_ref).map(named).collect(),
            with_child_teams: scope == Scope::WithChildTeams,
            members,
            owned: OwnedPage::default(),
            without_system: without_system.into_iter().take(PAGE).collect(),
            without_system_total,
            links_to_teams,
            problems,
            owner_names,
            warnings: hierarchy
                .warnings_about(&entity_ref)
                .map(ToString::to_string)
                .collect(),
            entity_ref,
        };
        Ok(WholeTeam::new(data, owned, owned_cut))
    }

    /// The people in any of `groups`, by name, with the teams (of `groups`) they are in.
    async fn members(
        store: &store::Store,
        groups: &[String],
        named: &impl Fn(&str) -> Named,
    ) -> Result<Vec<Member>, AppError> {
        let mut teams_of: BTreeMap<String, Vec<Named>> = BTreeMap::new();
        for (group, user) in store.group_members(Some(groups)).await? {
            teams_of.entry(user).or_default().push(named(&group));
        }
        let refs: Vec<String> = teams_of.keys().cloned().collect();
        let bodies = store.entity_json_by_refs(&refs).await?;
        let mut members: Vec<Member> = refs
            .into_iter()
            .zip(bodies)
            .map(|(user_ref, found)| {
                let body: Value = found
                    .and_then(|f| serde_json::from_str(&f.json).ok())
                    .unwrap_or(Value::Null);
                let text = |pointer: &str| profile_text(&body, pointer);
                Member {
                    display_name: text("/spec/profile/displayName")
                        .or_else(|| text("/metadata/title"))
                        .unwrap_or_else(|| short_ref(&user_ref)),
                    email: text("/spec/profile/email"),
                    picture: text("/spec/profile/picture").filter(|p| safe_picture(p)),
                    teams: teams_of.remove(&user_ref).unwrap_or_default(),
                    user_ref,
                }
            })
            .collect();
        members.sort_by_cached_key(|m| (m.display_name.to_lowercase(), m.user_ref.clone()));
        Ok(members)
    }

    /// `metadata.links` that are web or mail addresses (never `javascript:`), titled.
    fn profile_links(body: &Value) -> Vec<ProfileLink> {
        body.pointer("/metadata/links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|link| {
                let url = link.get("url")?.as_str()?.trim();
                let lower = url.to_lowercase();
                if !(lower.starts_with("https://")
                    || lower.starts_with("http://")
                    || lower.starts_with("mailto:"))
                {
                    return None;
                }
                let title = link
                    .get("title")
                    .and_then(Value::as_str)
                    .filter(|t| !t.trim().is_empty())
                    .unwrap_or(url);
                Some(ProfileLink {
                    url: url.to_string(),
                    title: title.to_string(),
                })
            })
            .take(20)
            .collect()
    }
}
