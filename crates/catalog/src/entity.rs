//! The entity envelope, as in Backstage's `Entity` type.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::entity_ref::{DEFAULT_NAMESPACE, EntityRef};
use crate::kind::Kind;
use crate::validate::{FieldError, validate_value};

/// A catalog entity. Construct it with [`Entity::from_value`] (or by parsing
/// YAML), which validates; a struct literal skips validation, so call
/// [`crate::validate`] on entities built by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entity {
    pub api_version: String,
    pub kind: String,
    pub metadata: EntityMeta,
    /// Kept as JSON so every kind's spec round-trips untouched; read it
    /// through the typed accessors.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub spec: Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relations: Vec<EntityRelation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

/// `metadata`, with unknown keys kept in `extra` (Backstage allows them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityMeta {
    pub name: String,
    /// Always set: a missing namespace becomes `default`, as Backstage's
    /// DefaultNamespaceEntityPolicy does.
    #[serde(default = "default_namespace")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<EntityLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn default_namespace() -> String {
    DEFAULT_NAMESPACE.to_string()
}

/// An entry of `metadata.links`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityLink {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

/// An entry of the envelope's `relations`, as Backstage serves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityRelation {
    #[serde(rename = "type")]
    pub type_: String,
    pub target_ref: String,
}

impl Entity {
    /// Validates raw JSON against the envelope and kind rules and, when it
    /// passes, builds the entity. Returns every problem at once.
    pub fn from_value(value: Value) -> Result<Entity, Vec<FieldError>> {
        let errors = validate_value(&value);
        if !errors.is_empty() {
            return Err(errors);
        }
        serde_json::from_value(value).map_err(|e| {
            // Unreachable when validation is complete; kept as an error, not
            // a panic, so a gap in validation cannot crash a server.
            vec![FieldError::new("", format!("could not be read: {e}"))]
        })
    }

    /// The entity as JSON (the Backstage wire format).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn known_kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }

    pub fn entity_ref(&self) -> EntityRef {
        EntityRef::new(
            self.kind.clone(),
            self.metadata.namespace.clone(),
            self.metadata.name.clone(),
        )
    }

    pub fn title_or_name(&self) -> &str {
        match self.metadata.title.as_deref() {
            Some(title) if !title.trim().is_empty() => title,
            _ => &self.metadata.name,
        }
    }

    /// A string field of `spec`, if present and a string.
    pub fn spec_str(&self, field: &str) -> Option<&str> {
        self.spec.get(field).and_then(Value::as_str)
    }

    /// A list-of-strings field of `spec`; non-strings are skipped.
    pub fn spec_str_list(&self, field: &str) -> Vec<&str> {
        self.spec
            .get(field)
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// `spec.type`.
    pub fn spec_type(&self) -> Option<&str> {
        self.spec_str("type")
    }

    pub fn lifecycle(&self) -> Option<&str> {
        self.spec_str("lifecycle")
    }

    /// `spec.owner` as a ref (default kind Group, this entity's namespace).
    pub fn owner(&self) -> Option<EntityRef> {
        self.spec_ref("owner", "Group")
    }

    /// `spec.system` as a ref (default kind System, this entity's namespace).
    pub fn system(&self) -> Option<EntityRef> {
        self.spec_ref("system", "System")
    }

    /// `spec.domain` as a ref (default kind Domain, this entity's namespace).
    pub fn domain(&self) -> Option<EntityRef> {
        self.spec_ref("domain", "Domain")
    }

    pub fn tags(&self) -> &[String] {
        &self.metadata.tags
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key).map(String::as_str)
    }

    fn spec_ref(&self, field: &str, default_kind: &str) -> Option<EntityRef> {
        let text = self.spec_str(field)?;
        EntityRef::parse(text, Some(default_kind), &self.metadata.namespace).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn component() -> Entity {
        Entity::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Component",
            "metadata": {
                "name": "petstore",
                "namespace": "shop",
                "tags": ["java"],
                "annotations": {"github.com/project-slug": "acme/petstore"},
                "generation": 3
            },
            "spec": {
                "type": "service",
                "lifecycle": "production",
                "owner": "team-a",
                "system": "default/pets",
                "providesApis": ["petstore-api"]
            }
        }))
        .unwrap()
    }

    #[test]
    fn accessors_read_the_spec() {
        let e = component();
        assert_eq!(e.spec_type(), Some("service"));
        assert_eq!(e.lifecycle(), Some("production"));
        assert_eq!(e.spec_str("missing"), None);
        assert_eq!(e.tags(), ["java"]);
        assert_eq!(
            e.annotation("github.com/project-slug"),
            Some("acme/petstore")
        );
        assert_eq!(e.spec_str_list("providesApis"), ["petstore-api"]);
    }

    #[test]
    fn string_list_accessor_skips_non_strings() {
        let mut e = component();
        e.spec["providesApis"] = json!(["a", 7, "b"]);
        assert_eq!(e.spec_str_list("providesApis"), ["a", "b"]);
        assert_eq!(e.spec_str_list("owner"), Vec::<&str>::new());
    }

    #[test]
    fn owner_and_system_default_kind_and_own_namespace() {
        let e = component();
        assert_eq!(e.owner().unwrap().to_string(), "group:shop/team-a");
        assert_eq!(e.system().unwrap().to_string(), "system:default/pets");
        assert_eq!(e.domain(), None);
    }

    #[test]
    fn entity_ref_and_title() {
        let mut e = component();
        assert_eq!(e.entity_ref().to_string(), "component:shop/petstore");
        assert_eq!(e.title_or_name(), "petstore");
        e.metadata.title = Some("Pet Store".into());
        assert_eq!(e.title_or_name(), "Pet Store");
        e.metadata.title = Some("  ".into());
        assert_eq!(e.title_or_name(), "petstore");
    }

    #[test]
    fn missing_namespace_becomes_default() {
        let e = Entity::from_value(json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "System",
            "metadata": {"name": "pets"},
            "spec": {"owner": "team-a"}
        }))
        .unwrap();
        assert_eq!(e.metadata.namespace, "default");
    }

    #[test]
    fn unknown_metadata_keys_round_trip() {
        let e = component();
        assert_eq!(e.metadata.extra.get("generation"), Some(&json!(3)));
        let back = e.to_value();
        assert_eq!(back["metadata"]["generation"], json!(3));
        assert_eq!(Entity::from_value(back).unwrap(), e);
    }

    #[test]
    fn from_value_reports_errors_instead_of_building() {
        let errors = Entity::from_value(json!({"kind": "Component"})).unwrap_err();
        assert!(errors.iter().any(|e| e.path == "apiVersion"), "{errors:?}");
        assert!(errors.iter().any(|e| e.path == "metadata"), "{errors:?}");
    }
}
