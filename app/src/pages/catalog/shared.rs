//! What every capability uses to show catalog entities: the list row ([`EntityRow`]) and
//! the server function that lists entities of a kind, how kinds and refs are written,
//! the address of an entity's page, and entity tables and owner links.
//!
//! Addresses are percent-encoded here and nowhere else in the app.

use crate::error::AppError;
use catalog::{DEFAULT_NAMESPACE, EntityRef, Kind};
use leptos::prelude::*;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// One entity as lists show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EntityRow {
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    pub owner_ref: Option<String>,
    /// RFC 3339.
    pub updated_at: String,
}

impl EntityRow {
    /// What a link to the entity says: its title, else its name.
    pub fn label(&self) -> String {
        self.title.clone().unwrap_or_else(|| self.name.clone())
    }

    /// The entity's page.
    pub fn href(&self) -> String {
        entity_href(&self.namespace, &self.kind, &self.name)
    }
}

/// How a kind is written in Backstage's documentation (`api` → `API`); kinds Portico
/// does not know get a capital letter.
pub fn display_kind(kind: &str) -> String {
    if let Some(known) = Kind::parse_ignore_case(kind) {
        return known.as_str().to_string();
    }
    let mut chars = kind.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads a stored entity ref (`kind:namespace/name`); `None` for text that is not one.
pub fn parse_ref(entity_ref: &str) -> Option<EntityRef> {
    entity_ref.parse().ok()
}

/// A ref as a label: the name, with the namespace when it is not the default one
/// (`group:default/team-a` → `team-a`, `group:ops/team-a` → `ops/team-a`); text that is
/// not a ref is kept.
pub fn short_ref(entity_ref: &str) -> String {
    match parse_ref(entity_ref) {
        Some(parsed) if parsed.namespace == DEFAULT_NAMESPACE => parsed.name,
        Some(parsed) => format!("{}/{}", parsed.namespace, parsed.name),
        None => entity_ref.to_string(),
    }
}

/// The page of an entity, in Backstage's URL shape (`/catalog/default/component/web`).
pub fn entity_href(namespace: &str, kind: &str, name: &str) -> String {
    format!(
        "/catalog/{}/{}/{}",
        utf8_percent_encode(namespace, PATH_SEGMENT),
        utf8_percent_encode(&kind.to_lowercase(), PATH_SEGMENT),
        utf8_percent_encode(name, PATH_SEGMENT)
    )
}

/// The team page of a group ref (`group:default/payments` → `/teams/default/payments`);
/// the directory for text that is not a ref.
pub fn team_href(group_ref: &str) -> String {
    person_or_team_href("/teams", group_ref)
}

/// The person page of a user ref (`user:default/ada` → `/people/default/ada`).
pub fn person_href(user_ref: &str) -> String {
    person_or_team_href("/people", user_ref)
}

fn person_or_team_href(base: &str, entity_ref: &str) -> String {
    match parse_ref(entity_ref) {
        Some(parsed) => format!(
            "{base}/{}/{}",
            utf8_percent_encode(&parsed.namespace, PATH_SEGMENT),
            utf8_percent_encode(&parsed.name, PATH_SEGMENT)
        ),
        None => base.to_string(),
    }
}

/// The page of the entity a ref names.
pub fn ref_href(entity_ref: &EntityRef) -> String {
    entity_href(&entity_ref.namespace, &entity_ref.kind, &entity_ref.name)
}

/// `2026-11-26T10:00:00.123+00:00` → `2026-11-26 10:00:00 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    rfc3339
        .get(..19)
        .map(|s| format!("{} UTC", s.replacen('T', " ", 1)))
        .unwrap_or_else(|| rfc3339.to_string())
}

/// Percent-encodes a query value the way forms do (a space becomes `+`); `:` and `/`
/// are left as they are, so refs stay readable in addresses (`owner=group:default/a`).
pub fn encode_query(text: &str) -> String {
    text.split(' ')
        .map(|part| utf8_percent_encode(part, QUERY_VALUE).to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// Everything but RFC 3986's unreserved characters is encoded in a path segment. Entity
/// names are restricted to `[a-zA-Z0-9-_.]`, but stored data is never trusted to be
/// valid.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
const QUERY_VALUE: &AsciiSet = &PATH_SEGMENT.remove(b':').remove(b'/');

/// Entities of one kind (all kinds without one), matching `text` in their name, title
/// or description; at most 500.
#[server(prefix = "/_server")]
pub async fn fetch_entities(
    kind: Option<String>,
    text: Option<String>,
) -> Result<Vec<EntityRow>, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = crate::context::store()?;
    let kind = kind.filter(|k| !k.trim().is_empty());
    let text = text.filter(|t| !t.trim().is_empty());
    let rows = store
        .list_entities(kind.as_deref(), text.as_deref().map(str::trim), 500)
        .await?;
    Ok(rows.into_iter().map(ssr::row).collect())
}

/// A table of entities, one row each, linked to their pages.
#[component]
pub fn EntityTable(rows: Vec<EntityRow>) -> impl IntoView {
    view! {
        <table class="entity-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Owner"</th>
                    <th scope="col">"Lifecycle"</th>
                    <th scope="col">"Description"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <EntityTableRow row/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn EntityTableRow(row: EntityRow) -> impl IntoView {
    view! {
        <tr>
            <td><a href=row.href()>{row.label()}</a></td>
            <td>{display_kind(&row.kind)}</td>
            <td>{row.spec_type.unwrap_or_default()}</td>
            <td><OwnerLink owner_ref=row.owner_ref/></td>
            <td>{row.lifecycle.unwrap_or_default()}</td>
            <td class="description">{row.description.unwrap_or_default()}</td>
        </tr>
    }
}

/// A link to an owner's page from its entity reference (`group:default/team-a`), labelled
/// with the owner's name.
#[component]
pub fn OwnerLink(owner_ref: Option<String>) -> impl IntoView {
    owner_ref.map(|owner| match parse_ref(&owner) {
        Some(owner) => {
            let href = ref_href(&owner);
            view! { <a href=href>{owner.name}</a> }.into_any()
        }
        None => view! { <span>{owner}</span> }.into_any(),
    })
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use catalog::relation::OWNED_BY;
    use serde_json::Value;

    /// The list row of a store summary.
    pub fn row(summary: store::EntitySummary) -> EntityRow {
        EntityRow {
            entity_ref: summary.entity_ref,
            kind: summary.kind,
            namespace: summary.namespace,
            name: summary.name,
            title: summary.title,
            description: summary.description,
            spec_type: summary.spec_type,
            lifecycle: summary.lifecycle,
            owner_ref: summary.owner_ref,
            updated_at: summary.updated_at.to_rfc3339(),
        }
    }

    /// The list row of a stored entity's body (without its update time).
    pub fn row_of_body(
        entity_ref: &str,
        body: &Value,
        relations: &[store::EntityRelationRow],
    ) -> EntityRow {
        let text = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let parsed = parse_ref(entity_ref);
        let part = |part: fn(&EntityRef) -> &String| {
            parsed.as_ref().map(part).cloned().unwrap_or_default()
        };
        let owner_ref = relations
            .iter()
            .find(|r| r.relation_type == OWNED_BY)
            .map(|r| r.target_ref.clone())
            .or_else(|| text("/spec/owner"));
        EntityRow {
            entity_ref: entity_ref.to_string(),
            kind: part(|r| &r.kind),
            namespace: text("/metadata/namespace").unwrap_or_else(|| part(|r| &r.namespace)),
            name: text("/metadata/name").unwrap_or_else(|| part(|r| &r.name)),
            title: text("/metadata/title"),
            description: text("/metadata/description"),
            spec_type: text("/spec/type"),
            lifecycle: text("/spec/lifecycle"),
            owner_ref,
            updated_at: String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_displayed_as_backstage_writes_them() {
        assert_eq!(display_kind("api"), "API");
        assert_eq!(display_kind("component"), "Component");
        assert_eq!(display_kind("widget"), "Widget");
        assert_eq!(display_kind(""), "");
    }

    #[test]
    fn entity_links_escape_unsafe_characters() {
        assert_eq!(
            entity_href("default", "Component", "web"),
            "/catalog/default/component/web"
        );
        assert_eq!(
            entity_href("default", "component", "a b/c~é"),
            "/catalog/default/component/a%20b%2Fc~%C3%A9"
        );
    }

    #[test]
    fn query_values_are_encoded_as_forms_do() {
        assert_eq!(
            encode_query("group:default/team a+b&c=d"),
            "group:default/team+a%2Bb%26c%3Dd"
        );
        assert_eq!(encode_query(" x "), "+x+");
        assert_eq!(encode_query("é~"), "%C3%A9~");
    }

    #[test]
    fn refs_are_labelled_by_name_outside_other_namespaces() {
        assert_eq!(short_ref("group:default/team-a"), "team-a");
        assert_eq!(short_ref("group:ops/team-a"), "ops/team-a");
        assert_eq!(short_ref("team-a"), "team-a");
        let pets = parse_ref("API:default/pets").unwrap();
        assert_eq!(ref_href(&pets), "/catalog/default/api/pets");
        assert!(parse_ref("team-a").is_none());
    }
}
