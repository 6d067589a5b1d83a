//! The page of one entity: processing errors first, then the about card, the relation
//! graph (server-rendered SVG), relations grouped by type, what the kind adds (an API's
//! operations, a group's members, a user's profile), where the entity came from, and its
//! raw YAML.
//!
//! Everything shown comes from user-written catalog files: it is rendered as text (Leptos
//! escapes it) and only http(s) and mailto links become anchors.

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{EntityRow, display_kind, entity_href, split_ref};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// Relations drawn in the graph; the lists below it show all of them.
const GRAPH_NODES: usize = 24;

/// One relation of the entity, with what the catalog knows of its target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationView {
    pub relation_type: String,
    pub target_ref: String,
    /// False when the target is not in the catalog (a dangling reference).
    pub resolved: bool,
    pub title: Option<String>,
    pub spec_type: Option<String>,
    pub description: Option<String>,
}

/// Where the entity was read from, and how the last read went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationView {
    pub location_type: String,
    pub target: String,
    /// RFC 3339.
    pub last_read_at: Option<String>,
    pub next_read_at: Option<String>,
    pub last_error: Option<String>,
    /// Other locations that also define this entity (their copies were refused).
    pub conflicts: Vec<String>,
}

/// One operation of an OpenAPI definition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    pub method: String,
    pub path: String,
    pub summary: String,
}

/// An API's definition, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiDefinition {
    OpenApi {
        title: Option<String>,
        version: Option<String>,
        operations: Vec<Operation>,
        source: String,
    },
    /// Other types, or an OpenAPI document that could not be read (`note` says why).
    Source {
        spec_type: String,
        source: String,
        note: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

/// Everything the entity page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntityPageData {
    pub row: EntityRow,
    pub system_ref: Option<String>,
    pub domain_ref: Option<String>,
    pub tags: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// (title, url).
    pub links: Vec<(String, String)>,
    pub relations: Vec<RelationView>,
    pub yaml: String,
    pub location: Option<LocationView>,
    pub api: Option<ApiDefinition>,
    pub profile: Option<UserProfile>,
}

#[server(prefix = "/_server")]
pub async fn fetch_entity_page(
    namespace: String,
    kind: String,
    name: String,
) -> Result<EntityPageData, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let entity_ref = format!("{kind}:{namespace}/{name}").to_lowercase();
    ssr::entity_page(&entity_ref).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "The catalog has no {kind} named \"{name}\" in namespace \"{namespace}\". It may \
             have been removed from its source, or the address is mistyped."
        ))
    })
}

#[component]
pub fn EntityPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("kind").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
        )
    };
    let data = Resource::new(key, |(namespace, kind, name)| {
        fetch_entity_page(namespace, kind, name)
    });
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <EntityView data/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EntityView(data: EntityPageData) -> impl IntoView {
    let row = data.row.clone();
    let heading = row.title.clone().unwrap_or_else(|| row.name.clone());
    let kind_href = format!("/catalog?kind={}", row.kind);
    let problems = data
        .location
        .as_ref()
        .filter(|l| l.last_error.is_some() || !l.conflicts.is_empty())
        .cloned();
    // Each part is type-erased: the page is too deep a type for the compiler otherwise.
    let errors = problems.map(|location| view! { <ProcessingErrors location/> }.into_any());
    let about = view! { <About data=data.clone()/> }.into_any();
    let graph =
        view! { <RelationGraph row=row.clone() relations=data.relations.clone()/> }.into_any();
    let profile = data
        .profile
        .clone()
        .map(|profile| view! { <Profile profile/> }.into_any());
    let api = data
        .api
        .clone()
        .map(|api| view! { <ApiDefinitionView api/> }.into_any());
    let relations =
        view! { <Relations kind=row.kind.clone() relations=data.relations.clone()/> }.into_any();
    let origin = view! { <Origin location=data.location.clone()/> }.into_any();
    let yaml = view! {
        <section class="card" aria-labelledby="yaml-heading">
            <h2 id="yaml-heading">"Definition (YAML)"</h2>
            <details>
                <summary>"Show the entity as stored"</summary>
                <pre class="entity-yaml"><code>{data.yaml}</code></pre>
            </details>
        </section>
    }
    .into_any();
    let header = view! {
        <Title text=heading.clone()/>
        <p class="breadcrumb"><a href="/catalog">"Catalog"</a>" / "<a href=kind_href>{display_kind(&row.kind)}</a></p>
        <h1>{heading}</h1>
    }
    .into_any();
    view! {
        {header}
        {errors}
        <div class="entity-grid">{about}{graph}</div>
        {profile}
        {api}
        {relations}
        {origin}
        {yaml}
    }
}

/// The last read of the entity's location failed, or another location defines it too:
/// said first, because the page may show an outdated version.
#[component]
fn ProcessingErrors(location: LocationView) -> impl IntoView {
    view! {
        <section class="processing-errors" role="alert" aria-labelledby="errors-heading">
            <h2 id="errors-heading">"Processing problems"</h2>
            {location.last_error.map(|error| view! {
                <p>"The last read of "<code>{format!("{}:{}", location.location_type, location.target)}</code>
                   " failed; this page shows the last good version."</p>
                <pre class="error-text">{error}</pre>
            })}
            {(!location.conflicts.is_empty()).then(|| view! {
                <p>"Other locations also define this entity; their copies were refused:"</p>
                <ul>{location.conflicts.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
            })}
        </section>
    }
}

#[component]
fn About(data: EntityPageData) -> impl IntoView {
    let row = data.row;
    let owner = data
        .relations
        .iter()
        .find(|r| r.relation_type == "ownedBy")
        .cloned();
    let find = |wanted: &Option<String>| {
        wanted.as_ref().map(|target| {
            data.relations
                .iter()
                .find(|r| &r.target_ref == target)
                .cloned()
                .unwrap_or(RelationView {
                    relation_type: String::new(),
                    target_ref: target.clone(),
                    resolved: false,
                    title: None,
                    spec_type: None,
                    description: None,
                })
        })
    };
    let system = find(&data.system_ref);
    let domain = find(&data.domain_ref);
    let fact = |label: &'static str, value: Option<String>| {
        value.map(|value| view! { <dt>{label}</dt><dd>{value}</dd> })
    };
    let ref_fact = |label: &'static str, target: Option<RelationView>| {
        target.map(|target| view! { <dt>{label}</dt><dd><RefLink target/></dd> })
    };
    view! {
        <section class="card about" aria-labelledby="about-heading">
            <h2 id="about-heading">"About"</h2>
            <p class="description">{row.description.clone().unwrap_or_else(|| "No description.".to_string())}</p>
            <dl class="facts">
                {ref_fact("Owner", owner.or_else(|| row.owner_ref.clone().map(|target_ref| RelationView {
                    relation_type: String::new(), target_ref, resolved: false, title: None, spec_type: None, description: None,
                })))}
                {ref_fact("System", system)}
                {ref_fact("Domain", domain)}
                {fact("Type", row.spec_type.clone())}
                {fact("Lifecycle", row.lifecycle.clone())}
                <dt>"Kind"</dt><dd>{display_kind(&row.kind)}</dd>
                <dt>"Namespace"</dt><dd>{row.namespace.clone()}</dd>
                {(!data.tags.is_empty()).then(|| view! {
                    <dt>"Tags"</dt>
                    <dd><ul class="tags">{data.tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul></dd>
                })}
                {(!data.labels.is_empty()).then(|| view! {
                    <dt>"Labels"</dt>
                    <dd><ul class="tags">{data.labels.into_iter().map(|(k, v)| view! { <li><code>{format!("{k}={v}")}</code></li> }).collect_view()}</ul></dd>
                })}
            </dl>
            <Links links=data.links/>
        </section>
    }
}

/// A link to an entity in the catalog, or its ref marked as not in the catalog.
#[component]
fn RefLink(target: RelationView) -> impl IntoView {
    let label = target
        .title
        .clone()
        .unwrap_or_else(|| short_ref(&target.target_ref));
    match (target.resolved, split_ref(&target.target_ref)) {
        (true, Some((kind, namespace, name))) => {
            view! { <a href=entity_href(namespace, kind, name)>{label}</a> }.into_any()
        }
        _ => view! {
            <span class="unresolved" title="Not in the catalog">{target.target_ref.clone()}<span class="badge">" not in the catalog"</span></span>
        }
        .into_any(),
    }
}

/// `group:default/team-a` → `team-a`; other namespaces keep theirs.
fn short_ref(entity_ref: &str) -> String {
    match split_ref(entity_ref) {
        Some((_, "default", name)) => name.to_string(),
        Some((_, namespace, name)) => format!("{namespace}/{name}"),
        None => entity_ref.to_string(),
    }
}

/// Links from the entity's metadata. Only http(s) and mailto links become anchors: anything
/// else (such as `javascript:`) is shown as text.
#[component]
fn Links(links: Vec<(String, String)>) -> impl IntoView {
    (!links.is_empty()).then(|| view! {
        <h3>"Links"</h3>
        <ul class="links">
            {links.into_iter().map(|(title, url)| {
                if is_safe_link(&url) {
                    view! { <li><a href=url rel="noopener noreferrer">{title}</a></li> }.into_any()
                } else {
                    view! { <li>{title}" ("<code>{url}</code>")"</li> }.into_any()
                }
            }).collect_view()}
        </ul>
    })
}

fn is_safe_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// How a relation type is read aloud; a group's and a user's relations get the names
/// the team pages use.
fn relation_heading(kind: &str, relation_type: &str) -> String {
    let text = match (kind, relation_type) {
        ("group", "hasMember") => "Members",
        ("group", "childOf") => "Parent group",
        ("group", "parentOf") => "Child groups",
        ("group" | "user", "ownerOf") => "Owned entities",
        ("user", "memberOf") => "Groups",
        (_, "ownedBy") => "Owned by",
        (_, "ownerOf") => "Owns",
        (_, "partOf") => "Part of",
        (_, "hasPart") => "Has part",
        (_, "dependsOn") => "Depends on",
        (_, "dependencyOf") => "Dependency of",
        (_, "providesApi") => "Provides API",
        (_, "apiProvidedBy") => "API provided by",
        (_, "consumesApi") => "Consumes API",
        (_, "apiConsumedBy") => "API consumed by",
        (_, "memberOf") => "Member of",
        (_, "hasMember") => "Has member",
        (_, "childOf") => "Child of",
        (_, "parentOf") => "Parent of",
        (_, "generates") => "Generates",
        (_, "generatedFrom") => "Generated from",
        (_, other) => other,
    };
    text.to_string()
}

#[component]
fn Relations(kind: String, relations: Vec<RelationView>) -> impl IntoView {
    let mut groups: Vec<(String, Vec<RelationView>)> = Vec::new();
    for relation in relations {
        match groups
            .iter_mut()
            .find(|(t, _)| *t == relation.relation_type)
        {
            Some((_, list)) => list.push(relation),
            None => groups.push((relation.relation_type.clone(), vec![relation])),
        }
    }
    view! {
        <section class="card" aria-labelledby="relations-heading">
            <h2 id="relations-heading">"Relations"</h2>
            {if groups.is_empty() {
                view! { <p class="empty">"No relations."</p> }.into_any()
            } else {
                groups.into_iter().map(|(relation_type, list)| {
                    let heading = relation_heading(&kind, &relation_type);
                    view! {
                        <h3>{heading}" "<span class="relation-type">{relation_type}</span></h3>
                        <table class="entity-table relation-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|relation| {
                                    let kind = split_ref(&relation.target_ref).map(|(k, _, _)| display_kind(k)).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row"><RefLink target=relation.clone()/></th>
                                            <td>{kind}</td>
                                            <td>{relation.spec_type.unwrap_or_default()}</td>
                                            <td class="description">{relation.description.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                }).collect_view().into_any()
            }}
        </section>
    }
}

/// The entity in the centre and its direct relations around it, one node per related
/// entity (its relation types on the edge). Drawn on the server; nodes are links.
#[component]
fn RelationGraph(row: EntityRow, relations: Vec<RelationView>) -> impl IntoView {
    let mut nodes: Vec<(RelationView, Vec<String>)> = Vec::new();
    for relation in relations {
        match nodes
            .iter_mut()
            .find(|(n, _)| n.target_ref == relation.target_ref)
        {
            Some((_, types)) => types.push(relation.relation_type.clone()),
            None => {
                let types = vec![relation.relation_type.clone()];
                nodes.push((relation, types));
            }
        }
    }
    let hidden = nodes.len().saturating_sub(GRAPH_NODES);
    nodes.truncate(GRAPH_NODES);
    let (width, height) = (720.0_f64, 440.0_f64);
    let (cx, cy) = (width / 2.0, height / 2.0);
    let count = nodes.len().max(1) as f64;
    let center_label = clip(&row.title.clone().unwrap_or_else(|| row.name.clone()), 22);
    let description = format!(
        "{} and its {} directly related entities",
        row.name,
        nodes.len()
    );
    let positioned: Vec<_> = nodes
        .into_iter()
        .enumerate()
        .map(|(i, (node, types))| {
            let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / count;
            // Radii keep the 160-wide node boxes inside the 720-wide view box.
            let x = cx + 270.0 * angle.cos();
            let y = cy + 170.0 * angle.sin();
            (x, y, node, types.join(", "))
        })
        .collect();
    view! {
        <section class="card graph" aria-labelledby="graph-heading">
            <h2 id="graph-heading">"Relation graph"</h2>
            <svg class="relation-graph" viewBox=format!("0 0 {width} {height}") role="img" aria-label=description>
                {positioned.iter().map(|(x, y, _, label)| {
                    let (mx, my) = ((cx + x) / 2.0, (cy + y) / 2.0);
                    view! {
                        <g class="edge">
                            <line x1=cx y1=cy x2=*x y2=*y/>
                            <text x=mx y=my text-anchor="middle">{clip(label, 28)}</text>
                        </g>
                    }
                }).collect_view()}
                <g class="node center">
                    <rect x=cx - 90.0 y=cy - 18.0 width="180" height="36" rx="6"/>
                    <text x=cx y=cy + 5.0 text-anchor="middle">{center_label}</text>
                </g>
                {positioned.into_iter().map(|(x, y, node, _)| {
                    let kind = split_ref(&node.target_ref).map(|(k, _, _)| k.to_string()).unwrap_or_default();
                    let label = clip(&short_ref(&node.target_ref), 20);
                    let full = node.target_ref.clone();
                    let class = format!("node kind-{kind}{}", if node.resolved { "" } else { " unresolved" });
                    let shape = view! {
                        <rect x=x - 80.0 y=y - 16.0 width="160" height="32" rx="6"/>
                        <text x=x y=y + 5.0 text-anchor="middle">{label}</text>
                    };
                    match (node.resolved, split_ref(&node.target_ref)) {
                        (true, Some((kind, namespace, name))) => view! {
                            <g class=class>
                                <a href=entity_href(namespace, kind, name)>
                                    <title>{full}</title>
                                    {shape}
                                </a>
                            </g>
                        }.into_any(),
                        _ => view! {
                            <g class=class>
                                <title>{format!("{full} (not in the catalog)")}</title>
                                {shape}
                            </g>
                        }.into_any(),
                    }
                }).collect_view()}
            </svg>
            {(hidden > 0).then(|| view! { <p class="empty">{format!("{hidden} more related entities are listed below.")}</p> })}
        </section>
    }
}

/// At most `max` characters, with an ellipsis when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

#[component]
fn Profile(profile: UserProfile) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <dl class="facts">
                {profile.display_name.map(|name| view! { <dt>"Name"</dt><dd>{name}</dd> })}
                {profile.email.map(|email| {
                    let href = format!("mailto:{email}");
                    let anchor = is_plain_email(&email);
                    view! {
                        <dt>"Email"</dt>
                        <dd>{if anchor { view! { <a href=href>{email}</a> }.into_any() } else { view! { <span>{email}</span> }.into_any() }}</dd>
                    }
                })}
            </dl>
        </section>
    }
}

/// An address that is safe in a mailto link (no scheme tricks, no extra headers).
fn is_plain_email(email: &str) -> bool {
    email.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '?' | '&' | ':' | '<' | '>' | '"' | '/'))
}

#[component]
fn ApiDefinitionView(api: ApiDefinition) -> impl IntoView {
    match api {
        ApiDefinition::OpenApi {
            title,
            version,
            operations,
            source,
        } => {
            let caption = match (title, version) {
                (Some(t), Some(v)) => format!("{t} {v}"),
                (Some(t), None) => t,
                (None, Some(v)) => format!("Version {v}"),
                (None, None) => "OpenAPI".to_string(),
            };
            view! {
                <section class="card" aria-labelledby="api-heading">
                    <h2 id="api-heading">"API definition"</h2>
                    {if operations.is_empty() {
                        view! { <p class="empty">"The OpenAPI document defines no operations."</p> }.into_any()
                    } else {
                        view! {
                            <table class="entity-table operations">
                                <caption>{caption}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Method"</th>
                                        <th scope="col">"Path"</th>
                                        <th scope="col">"Summary"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {operations.into_iter().map(|op| {
                                        let class = format!("method method-{}", op.method.to_lowercase());
                                        view! {
                                            <tr>
                                                <td><span class=class>{op.method}</span></td>
                                                <th scope="row"><code>{op.path}</code></th>
                                                <td>{op.summary}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <details>
                        <summary>"Show the OpenAPI document"</summary>
                        <pre><code>{source}</code></pre>
                    </details>
                </section>
            }
            .into_any()
        }
        ApiDefinition::Source {
            spec_type,
            source,
            note,
        } => view! {
            <section class="card" aria-labelledby="api-heading">
                <h2 id="api-heading">"API definition"<span class="relation-type">" "{spec_type}</span></h2>
                {note.map(|note| view! { <p class="note">{note}</p> })}
                <pre class="api-source"><code>{source}</code></pre>
            </section>
        }
        .into_any(),
    }
}

#[component]
fn Origin(location: Option<LocationView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="origin-heading">
            <h2 id="origin-heading">"Where it comes from"</h2>
            {match location {
                None => view! { <p class="empty">"No location: the entity was kept after its location stopped providing it, or was added directly."</p> }.into_any(),
                Some(location) => {
                    let status = match &location.last_error {
                        Some(_) => "Last read failed",
                        None if location.last_read_at.is_some() => "Read successfully",
                        None => "Imported",
                    };
                    view! {
                        <dl class="facts">
                            <dt>"Location type"</dt><dd>{location.location_type.clone()}</dd>
                            <dt>"Target"</dt><dd><code class="location-target">{location.target.clone()}</code></dd>
                            <dt>"Status"</dt><dd>{status}</dd>
                            {location.last_read_at.map(|at| view! { <dt>"Last read"</dt><dd><time datetime=at.clone()>{short_time(&at)}</time></dd> })}
                            {location.next_read_at.map(|at| view! { <dt>"Next read"</dt><dd><time datetime=at.clone()>{short_time(&at)}</time></dd> })}
                        </dl>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// `2026-11-26T10:00:00.123+00:00` → `2026-11-26 10:00:00 UTC`.
fn short_time(rfc3339: &str) -> String {
    rfc3339
        .get(..19)
        .map(|s| format!("{} UTC", s.replacen('T', " ", 1)))
        .unwrap_or_else(|| rfc3339.to_string())
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::pages::catalog::shared::ssr::store;
    use serde_json::Value;

    /// Operations listed from one OpenAPI document.
    const MAX_OPERATIONS: usize = 500;
    const METHODS: [&str; 8] = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];

    pub async fn entity_page(entity_ref: &str) -> Result<Option<EntityPageData>, AppError> {
        let store = store()?;
        let Some(entity) = store.entity_by_ref(entity_ref).await? else {
            return Ok(None);
        };
        let targets: Vec<String> = entity
            .relations
            .iter()
            .map(|r| r.target_ref.clone())
            .collect();
        let found = store.entity_summaries_by_refs(&targets).await?;
        let relations = entity
            .relations
            .iter()
            .zip(found)
            .map(|(relation, target)| RelationView {
                relation_type: relation.relation_type.clone(),
                target_ref: relation.target_ref.clone(),
                resolved: target.is_some(),
                title: target.as_ref().and_then(|t| t.title.clone()),
                spec_type: target.as_ref().and_then(|t| t.spec_type.clone()),
                description: target.and_then(|t| t.description),
            })
            .collect::<Vec<_>>();

        let location = match store.location_of_entity(&entity.entity_ref).await? {
            None => None,
            Some(row) => {
                let status = store.location_status(&row.id).await?;
                let conflicts = status
                    .map(|s| {
                        s.conflicts
                            .into_iter()
                            .filter(|c| c.entity_ref == entity.entity_ref)
                            .map(|c| c.rejected_target)
                            .filter(|t| *t != row.target)
                            .collect()
                    })
                    .unwrap_or_default();
                Some(LocationView {
                    location_type: row.location_type,
                    target: row.target,
                    last_read_at: row.last_read_at.map(|t| t.to_rfc3339()),
                    next_read_at: row.next_read_at.map(|t| t.to_rfc3339()),
                    last_error: row.last_error,
                    conflicts,
                })
            }
        };

        let body = &entity.body;
        let row =
            crate::pages::catalog::browse::ssr::row(&entity.entity_ref, body, &entity.relations);
        let part_of = |kind: &str| {
            relations
                .iter()
                .find(|r| {
                    r.relation_type == "partOf"
                        && split_ref(&r.target_ref).is_some_and(|(k, _, _)| k == kind)
                })
                .map(|r| r.target_ref.clone())
        };
        let strings = |pointer: &str| -> Vec<String> {
            body.pointer(pointer)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let labels = body
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let links = body
            .pointer("/metadata/links")
            .and_then(Value::as_array)
            .map(|links| {
                links
                    .iter()
                    .filter_map(|link| {
                        let url = link.get("url")?.as_str()?.to_string();
                        let title = link
                            .get("title")
                            .and_then(Value::as_str)
                            .unwrap_or(&url)
                            .to_string();
                        Some((title, url))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let yaml = match serde_json::from_value::<catalog::Entity>(body.clone()) {
            Ok(parsed) => catalog::to_yaml(&parsed),
            Err(_) => serde_yaml_ng::to_string(body).unwrap_or_else(|_| body.to_string()),
        };
        let api = (row.kind == "api").then(|| api_definition(body));
        let profile = (row.kind == "user").then(|| {
            let text = |pointer: &str| {
                body.pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            UserProfile {
                display_name: text("/spec/profile/displayName"),
                email: text("/spec/profile/email"),
                picture: text("/spec/profile/picture"),
            }
        });
        Ok(Some(EntityPageData {
            system_ref: part_of("system"),
            domain_ref: part_of("domain"),
            tags: strings("/metadata/tags"),
            labels,
            links,
            relations,
            yaml,
            location,
            api,
            profile,
            row,
        }))
    }

    /// An API's `spec.definition`: an operations table for OpenAPI (YAML or JSON), the
    /// source for anything else.
    pub fn api_definition(body: &Value) -> ApiDefinition {
        let spec_type = body
            .pointer("/spec/type")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string();
        let source = match body.pointer("/spec/definition") {
            Some(Value::String(text)) => text.clone(),
            Some(other) => serde_yaml_ng::to_string(other).unwrap_or_default(),
            None => String::new(),
        };
        if !spec_type.eq_ignore_ascii_case("openapi") {
            return ApiDefinition::Source {
                spec_type,
                source,
                note: None,
            };
        }
        let document: Value = match serde_yaml_ng::from_str(&source) {
            Ok(document) => document,
            Err(error) => {
                return ApiDefinition::Source {
                    spec_type,
                    source,
                    note: Some(format!(
                        "The OpenAPI document could not be read ({error}); it is shown as written."
                    )),
                };
            }
        };
        let mut operations = Vec::new();
        if let Some(paths) = document.get("paths").and_then(Value::as_object) {
            'paths: for (path, item) in paths {
                for method in METHODS {
                    let Some(operation) = item.get(method) else {
                        continue;
                    };
                    if operations.len() == MAX_OPERATIONS {
                        break 'paths;
                    }
                    let summary = ["summary", "operationId", "description"]
                        .iter()
                        .find_map(|k| operation.get(*k).and_then(Value::as_str))
                        .unwrap_or_default()
                        .to_string();
                    operations.push(Operation {
                        method: method.to_uppercase(),
                        path: path.clone(),
                        summary,
                    });
                }
            }
        }
        let info = |key: &str| {
            document
                .pointer(&format!("/info/{key}"))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        ApiDefinition::OpenApi {
            title: info("title"),
            version: info("version"),
            operations,
            source,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn openapi_yaml_and_json_become_operations() {
            let yaml = json!({"spec": {"type": "openapi", "definition":
                "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get: {summary: Get a}\n    post: {operationId: makeA}\n"}});
            let ApiDefinition::OpenApi {
                operations, title, ..
            } = api_definition(&yaml)
            else {
                panic!("not openapi");
            };
            assert_eq!(title.as_deref(), Some("T"));
            assert_eq!(operations.len(), 2);
            assert_eq!(operations[0].method, "GET");
            assert_eq!(operations[1].summary, "makeA");
            let json_doc = json!({"spec": {"type": "openapi", "definition":
                r#"{"paths": {"/b": {"delete": {"summary": "Remove"}}}}"#}});
            let ApiDefinition::OpenApi { operations, .. } = api_definition(&json_doc) else {
                panic!("not openapi");
            };
            assert_eq!(operations[0].path, "/b");
            let graphql =
                json!({"spec": {"type": "graphql", "definition": "type Query { a: Int }"}});
            assert!(matches!(
                api_definition(&graphql),
                ApiDefinition::Source { .. }
            ));
            let broken = json!({"spec": {"type": "openapi", "definition": "paths: [unclosed"}});
            assert!(matches!(
                api_definition(&broken),
                ApiDefinition::Source { note: Some(_), .. }
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_web_and_mail_links_are_safe() {
        assert!(super::is_safe_link("https://example.com"));
        assert!(super::is_safe_link("mailto:team@example.com"));
        assert!(!super::is_safe_link("javascript:alert(1)"));
        assert!(!super::is_safe_link(" JavaScript:alert(1)"));
    }

    #[test]
    fn only_plain_addresses_become_mailto_links() {
        assert!(super::is_plain_email("ada@example.com"));
        assert!(!super::is_plain_email("ada@example.com?bcc=x@y"));
        assert!(!super::is_plain_email("javascript:alert(1)"));
    }

    #[test]
    fn long_labels_are_clipped() {
        assert_eq!(super::clip("abcdef", 4), "abc…");
        assert_eq!(super::clip("abc", 4), "abc");
    }
}
