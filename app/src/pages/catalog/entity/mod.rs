//! The page of one entity: processing errors first, then the about card, the relation
//! graph (server-rendered SVG), relations grouped by type, what the kind adds (an API's
//! operations, a group's members, a user's profile), where the entity came from, and its
//! raw YAML.
//!
//! Everything shown comes from user-written catalog files: it is rendered as text (Leptos
//! escapes it) and only http(s) and mailto links become anchors.
//!
//! Here: what the page shows ([`EntityPageData`]), the server function that gathers it
//! and the page's layout; the cards are in `cards`, the relation graph in `graph`.

mod cards;
mod graph;

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{EntityRow, display_kind};
use cards::{About, ApiDefinitionView, Origin, ProcessingErrors, Profile, Relations};
use catalog::OpenApiSummary;
use graph::RelationGraph;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

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
    /// Who registered the location: a User entity ref or a sign-in subject.
    pub registered_by: Option<String>,
}

/// An API's definition, as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApiDefinition {
    /// An OpenAPI document, summarised as an operations table.
    OpenApi {
        summary: OpenApiSummary,
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
    /// Whether it publishes documentation (`backstage.io/techdocs-ref`).
    pub documented: bool,
    /// Whether to ask the caller to rate that documentation now (decided here, with the
    /// page: asking the browser to find out would be refused for visitors).
    pub ask_docs_rating: bool,
}

#[server(prefix = "/_server")]
pub async fn fetch_entity_page(
    namespace: String,
    kind: String,
    name: String,
) -> Result<EntityPageData, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let entity_ref = format!("{kind}:{namespace}/{name}").to_lowercase();
    // No entity's name holds a NUL character (and PostgreSQL cannot be asked about one).
    let mut found = if entity_ref.contains('\0') {
        None
    } else {
        ssr::entity_page(&entity_ref).await?
    };
    if let Some(data) = found.as_mut().filter(|data| data.documented) {
        let store = crate::context::store()?;
        data.ask_docs_rating =
            crate::pages::insights::satisfaction::ssr::ask_docs_rating(&store, &entity_ref).await?;
    }
    found.ok_or_else(|| {
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
    // Groups have a team page: members and belongings rolled up through child teams.
    let team_page = (row.kind == "group").then(|| {
        let href = crate::pages::catalog::shared::team_href(&row.entity_ref);
        view! { <p><a class="button-link" href=href>"Open the team page"</a></p> }
    });
    // Components show their delivery figures and maturity.
    let delivery = (row.kind == "component").then(|| {
        view! {
            <crate::pages::insights::summary::DeliverySummaryCard component=row.entity_ref.clone()/>
        }
        .into_any()
    });
    // Signed-in people may rate the entity's documentation, when it publishes some.
    let docs_rating = data.ask_docs_rating.then(|| {
        view! {
            <crate::pages::insights::satisfaction::DocsRating entity=row.entity_ref.clone()/>
        }
    });
    let header = view! {
        <Title text=heading.clone()/>
        <p class="breadcrumb"><a href="/catalog">"Catalog"</a>" / "<a href=kind_href>{display_kind(&row.kind)}</a></p>
        <h1>{heading}</h1>
        {team_page}
    }
    .into_any();
    view! {
        {header}
        {errors}
        <div class="entity-grid">{about}{graph}</div>
        {delivery}
        {docs_rating}
        {profile}
        {api}
        {relations}
        {origin}
        {yaml}
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use crate::context::store;
    use crate::pages::catalog::shared::{parse_ref, ssr::row_of_body};
    use catalog::relation::PART_OF;
    use serde_json::Value;

    pub async fn entity_page(entity_ref: &str) -> Result<Option<EntityPageData>, AppError> {
        let Some(::store::EntityInContext {
            entity,
            related,
            location,
            refused_by,
        }) = store()?.entity_in_context(entity_ref).await?
        else {
            return Ok(None);
        };
        let relations = entity
            .relations
            .iter()
            .zip(related)
            .map(|(relation, target)| RelationView {
                relation_type: relation.relation_type.clone(),
                target_ref: relation.target_ref.clone(),
                resolved: target.is_some(),
                title: target.as_ref().and_then(|t| t.title.clone()),
                spec_type: target.as_ref().and_then(|t| t.spec_type.clone()),
                description: target.and_then(|t| t.description),
            })
            .collect::<Vec<_>>();
        let location = location.map(|row| LocationView {
            location_type: row.location_type,
            target: row.target,
            last_read_at: row.last_read_at.map(|t| t.to_rfc3339()),
            next_read_at: row.next_read_at.map(|t| t.to_rfc3339()),
            last_error: row.last_error,
            conflicts: refused_by,
            registered_by: row.registered_by,
        });

        let body = &entity.body;
        let row = row_of_body(&entity.entity_ref, body, &entity.relations);
        let part_of = |kind: &str| {
            relations
                .iter()
                .find(|r| {
                    r.relation_type == PART_OF
                        && parse_ref(&r.target_ref).is_some_and(|target| target.kind == kind)
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
            documented: body
                .pointer("/metadata/annotations/backstage.io~1techdocs-ref")
                .is_some_and(Value::is_string),
            ask_docs_rating: false,
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
        match catalog::summarize_openapi(&source) {
            Ok(summary) => ApiDefinition::OpenApi { summary, source },
            Err(error) => ApiDefinition::Source {
                spec_type,
                source,
                note: Some(format!(
                    "The OpenAPI document could not be read ({error}); it is shown as written."
                )),
            },
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;

        #[test]
        fn openapi_definitions_become_operations_and_others_stay_source() {
            let openapi = json!({"spec": {"type": "openapi", "definition":
                "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get: {summary: Get a}\n"}});
            let ApiDefinition::OpenApi { summary, source } = api_definition(&openapi) else {
                panic!("not openapi");
            };
            assert_eq!(summary.title.as_deref(), Some("T"));
            assert_eq!(summary.operations[0].method, "GET");
            assert!(source.starts_with("openapi: 3.0.0"));
            let graphql =
                json!({"spec": {"type": "graphql", "definition": "type Query { a: Int }"}});
            assert!(matches!(
                api_definition(&graphql),
                ApiDefinition::Source { note: None, .. }
            ));
            let broken = json!({"spec": {"type": "openapi", "definition": "paths: [unclosed"}});
            assert!(matches!(
                api_definition(&broken),
                ApiDefinition::Source { note: Some(_), .. }
            ));
        }
    }
}
