//! What pages ask the server for: data shapes shared by server and browser, and the
//! server functions that produce them from the store.

use crate::error::AppError;
use leptos::prelude::*;
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

/// What the home page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeSummary {
    pub total: i64,
    pub kinds: Vec<(String, i64)>,
    pub recent: Vec<EntityRow>,
}

/// How a lowercased kind is written in Backstage's documentation.
pub fn display_kind(kind: &str) -> String {
    match kind {
        "api" => "API".to_string(),
        other => {
            let mut chars = other.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        }
    }
}

/// The page of an entity, in Backstage's URL shape.
pub fn entity_href(namespace: &str, kind: &str, name: &str) -> String {
    format!(
        "/catalog/{}/{}/{}",
        encode_segment(namespace),
        encode_segment(&kind.to_lowercase()),
        encode_segment(name)
    )
}

/// Splits `kind:namespace/name` into its parts.
pub fn split_ref(entity_ref: &str) -> Option<(&str, &str, &str)> {
    let (kind, rest) = entity_ref.split_once(':')?;
    let (namespace, name) = rest.split_once('/')?;
    Some((kind, namespace, name))
}

/// Percent-encodes what is not safe in a path segment. Entity names are restricted to
/// `[a-zA-Z0-9-_.]`, but stored data is never trusted to be valid.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[server(prefix = "/_server")]
pub async fn fetch_home_summary() -> Result<HomeSummary, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = ssr::store()?;
    let kinds = store.kind_counts().await?;
    let recent = store.recent_entities(12).await?;
    Ok(HomeSummary {
        total: kinds.iter().map(|k| k.count).sum(),
        kinds: kinds.into_iter().map(|k| (k.kind, k.count)).collect(),
        recent: recent.into_iter().map(ssr::row).collect(),
    })
}

#[server(prefix = "/_server")]
pub async fn fetch_entities(
    kind: Option<String>,
    text: Option<String>,
) -> Result<Vec<EntityRow>, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let store = ssr::store()?;
    let kind = kind.filter(|k| !k.trim().is_empty());
    let text = text.filter(|t| !t.trim().is_empty());
    let rows = store
        .list_entities(kind.as_deref(), text.as_deref().map(str::trim), 500)
        .await?;
    Ok(rows.into_iter().map(ssr::row).collect())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;

    /// The store the server put in context.
    pub fn store() -> Result<store::Store, AppError> {
        use_context::<store::Store>().ok_or_else(|| AppError::internal("no store in context"))
    }

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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_displayed_as_backstage_writes_them() {
        assert_eq!(display_kind("api"), "API");
        assert_eq!(display_kind("component"), "Component");
        assert_eq!(display_kind(""), "");
    }

    #[test]
    fn entity_links_escape_unsafe_characters() {
        assert_eq!(
            entity_href("default", "Component", "web"),
            "/catalog/default/component/web"
        );
        assert_eq!(
            entity_href("default", "component", "a b/c"),
            "/catalog/default/component/a%20b%2Fc"
        );
    }

    #[test]
    fn refs_split_into_kind_namespace_and_name() {
        assert_eq!(
            split_ref("group:default/team-a"),
            Some(("group", "default", "team-a"))
        );
        assert_eq!(split_ref("team-a"), None);
    }
}
