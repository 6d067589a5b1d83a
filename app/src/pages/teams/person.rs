//! `/people/{namespace}/{name}`: a person of the catalog (a User entity) — who they are,
//! their teams with where each sits in the tree, and what those teams own.

use super::team::{Named, Owned};
use super::team_href;
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{display_kind, parse_ref, ref_href};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// The most entities the page lists for all of a person's teams.
const MAX_OWNED: usize = 1_000;

/// One of the person's teams: the team, its ancestors (top first), what it owns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonTeam {
    pub team: Named,
    pub path: Vec<Named>,
    pub owned: Vec<Owned>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PersonPageData {
    pub user_ref: String,
    pub display_name: String,
    pub email: Option<String>,
    pub picture: Option<String>,
    pub description: Option<String>,
    pub teams: Vec<PersonTeam>,
    /// More entities are owned than the page lists.
    pub owned_cut: bool,
}

#[server(prefix = "/_server")]
pub async fn fetch_person(namespace: String, name: String) -> Result<PersonPageData, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = crate::context::store()?;
    ssr::person(&store, &namespace, &name).await
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let param = move |key: &str| params.read().get(key).unwrap_or_default();
    let data = Resource::new(
        move || (param("namespace"), param("name")),
        |(namespace, name)| fetch_person(namespace, name),
    );
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Person data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Person(data: PersonPageData) -> impl IntoView {
    let entity = parse_ref(&data.user_ref)
        .map(|r| ref_href(&r))
        .unwrap_or_default();
    view! {
        <Title text=data.display_name.clone()/>
        <p class="breadcrumb"><a href="/teams">"Teams"</a></p>
        <header class="team-header">
            {data.picture.map(|src| view! { <img class="team-picture" src=src alt="" width="64" height="64"/> })}
            <div>
                <h1>{data.display_name.clone()}</h1>
                <p class="team-meta">
                    {data.email.map(|email| view! { <a href=format!("mailto:{email}")>{email.clone()}</a> " · " })}
                    <a href=entity>"Catalog entry"</a>
                </p>
                {data.description.map(|d| view! { <p class="description">{d}</p> })}
            </div>
        </header>
        <section aria-labelledby="person-teams-heading">
            <h2 id="person-teams-heading">{format!("Teams ({})", data.teams.len())}</h2>
            {data.owned_cut.then(|| view! {
                <p class="notice">{format!("Their teams own more than {MAX_OWNED} entities; the first {MAX_OWNED} are listed.")}</p>
            })}
            {if data.teams.is_empty() {
                view! { <p class="empty">"Not in any team: add teams to the User entity's spec.memberOf."</p> }.into_any()
            } else {
                data.teams.into_iter().map(|t| view! { <PersonTeamCard team=t/> }).collect_view().into_any()
            }}
        </section>
    }
}

#[component]
fn PersonTeamCard(team: PersonTeam) -> impl IntoView {
    let path = team
        .path
        .iter()
        .map(|p| p.name.clone())
        .collect::<Vec<_>>()
        .join(" › ");
    view! {
        <section class="card">
            <h3><a href=team_href(&team.team.entity_ref)>{team.team.name.clone()}</a></h3>
            {(!path.is_empty()).then(|| view! { <p class="description">{format!("In {path}")}</p> })}
            {if team.owned.is_empty() {
                view! { <p class="empty">"The team owns nothing yet."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {team.owned.into_iter().map(|o| view! {
                            <li><a href=o.row.href()>{o.row.label()}</a>{format!(" — {}", display_kind(&o.row.kind))}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::pages::catalog::shared::ssr::row;
    use crate::pages::teams::ssr::{Groups, profile_text};

    /// The person page, computed once per catalog version.
    pub async fn person(
        store: &store::Store,
        namespace: &str,
        name: &str,
    ) -> Result<PersonPageData, AppError> {
        let key = format!("teams:person:{namespace}/{name}").to_lowercase();
        let page = store
            .cached(key, || whole_person(store, namespace, name))
            .await?;
        Ok(PersonPageData::clone(&page))
    }

    async fn whole_person(
        store: &store::Store,
        namespace: &str,
        name: &str,
    ) -> Result<PersonPageData, AppError> {
        let user_ref = format!("user:{}/{}", namespace.to_lowercase(), name.to_lowercase());
        // No name holds a NUL character (and PostgreSQL cannot be asked about one).
        let body = match user_ref.contains('\0') {
            true => None,
            false => store.entity_body(&user_ref).await?,
        };
        let Some(body) = body else {
            return Err(AppError::NotFound(format!(
                "The catalog has no person {namespace}/{name}. People are User entities: register theirs, or find them through their team (/teams)."
            )));
        };
        let groups = Groups::read(store).await?;
        let named = |r: &str| Named {
            entity_ref: r.to_string(),
            name: groups.name_of(r),
        };
        let team_refs: Vec<String> = store
            .relations_from(&user_ref)
            .await?
            .into_iter()
            .filter(|r| r.relation_type == catalog::relation::MEMBER_OF)
            .map(|r| r.target_ref)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let owned = store
            .entities_owned_by(&team_refs, MAX_OWNED as i64 + 1)
            .await?;
        let owned_cut = owned.len() > MAX_OWNED;
        let mut teams: Vec<PersonTeam> = team_refs
            .iter()
            .map(|team| {
                let mut path: Vec<Named> = groups
                    .hierarchy
                    .ancestors(team)
                    .into_iter()
                    .map(named)
                    .collect();
                path.reverse();
                PersonTeam {
                    team: named(team),
                    path,
                    owned: Vec::new(),
                }
            })
            .collect();
        for entity in owned.into_iter().take(MAX_OWNED) {
            let owner = entity.summary.owner_ref.clone().unwrap_or_default();
            if let Some(team) = teams.iter_mut().find(|t| t.team.entity_ref == owner) {
                team.owned.push(Owned {
                    row: row(entity.summary),
                    system_ref: entity.system_ref,
                });
            }
        }
        let text = |pointer: &str| profile_text(&body, pointer);
        Ok(PersonPageData {
            display_name: text("/spec/profile/displayName")
                .or_else(|| text("/metadata/title"))
                .unwrap_or_else(|| name.to_string()),
            email: text("/spec/profile/email"),
            picture: text("/spec/profile/picture").filter(|p| super::super::team::safe_picture(p)),
            description: text("/metadata/description"),
            teams,
            owned_cut,
            user_ref,
        })
    }
}
