//! Edits to an Application spec's YAML: a form sets its common fields one at a time,
//! and the YAML, not the form, stays the source of truth. Each edit parses the text,
//! sets one path and writes the document back; what the user wrote elsewhere is kept,
//! comments, key order and formatting included: the edit changes the text of the YAML
//! (through `yaml-edit`'s lossless syntax tree), not a re-serialised copy of it.
//!
//! The lossless edit is checked against the same edit made on the parsed values: when
//! the two documents differ (a construct the lossless editor mishandles), the re-written
//! document is returned instead, so an edit may lose comments but never data.
//!
//! A field's text is what a form shows: numbers as digits, `monitoring` as `on`/`off`,
//! no service mesh as the empty string. A number field that is not a number is written
//! as text, so that parsing the spec reports it with its path instead of losing it.

use std::str::FromStr;

use yaml_serde::{Mapping, Value};

use crate::spec::Spec;

/// A field of the spec that a form edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Name,
    Namespace,
    Language,
    Framework,
    MinReplicas,
    MaxReplicas,
    TargetCpu,
    ServiceMesh,
    Monitoring,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Name,
        Field::Namespace,
        Field::Language,
        Field::Framework,
        Field::MinReplicas,
        Field::MaxReplicas,
        Field::TargetCpu,
        Field::ServiceMesh,
        Field::Monitoring,
    ];

    /// The field's name in a form (`min_replicas`).
    pub fn key(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Namespace => "namespace",
            Field::Language => "language",
            Field::Framework => "framework",
            Field::MinReplicas => "min_replicas",
            Field::MaxReplicas => "max_replicas",
            Field::TargetCpu => "target_cpu",
            Field::ServiceMesh => "service_mesh",
            Field::Monitoring => "monitoring",
        }
    }

    /// The field named `key` in a form.
    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.key() == key)
    }

    /// Where the field is in the spec's YAML (`spec.scaling.min_replicas`).
    pub fn path(self) -> &'static str {
        match self {
            Field::Name => "metadata.name",
            Field::Namespace => "metadata.namespace",
            Field::Language => "spec.language",
            Field::Framework => "spec.framework",
            Field::MinReplicas => "spec.scaling.min_replicas",
            Field::MaxReplicas => "spec.scaling.max_replicas",
            Field::TargetCpu => "spec.scaling.target_cpu",
            Field::ServiceMesh => "spec.service_mesh",
            Field::Monitoring => "spec.monitoring.enabled",
        }
    }

    /// The field's effective value in a valid spec, defaults included, as form text.
    pub fn value_in(self, spec: &Spec) -> String {
        let s = &spec.spec;
        match self {
            Field::Name => spec.metadata.name.clone(),
            Field::Namespace => spec.metadata.namespace.clone(),
            Field::Language => s.language.to_string(),
            Field::Framework => s.framework.to_string(),
            Field::MinReplicas => s.scaling.min_replicas.to_string(),
            Field::MaxReplicas => s.scaling.max_replicas.to_string(),
            Field::TargetCpu => s.scaling.target_cpu.to_string(),
            Field::ServiceMesh => s.service_mesh.map(|m| m.to_string()).unwrap_or_default(),
            Field::Monitoring => on_off(s.monitoring.enabled).to_string(),
        }
    }

    /// The YAML value form text stands for; `None` removes the key.
    fn value_of(self, text: &str) -> Option<Value> {
        let text = text.trim();
        match self {
            Field::Monitoring => Some(Value::Bool(text != "off")),
            _ if text.is_empty() => None,
            Field::MinReplicas | Field::MaxReplicas | Field::TargetCpu => {
                Some(match text.parse::<i64>() {
                    Ok(n) => Value::Number(n.into()),
                    Err(_) => Value::String(text.to_string()),
                })
            }
            _ => Some(Value::String(text.to_string())),
        }
    }
}

fn on_off(enabled: bool) -> &'static str {
    if enabled { "on" } else { "off" }
}

/// Why an edit could not be made; the message says how to go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("The YAML does not parse ({0}): fix it before using the form.")]
    Unparsable(String),
    #[error("The YAML is not a mapping: fix it before using the form.")]
    NotAMapping,
    /// Something on the way to the field (such as `spec.scaling`) is a list or a scalar.
    #[error("{0}: a parent is not a mapping")]
    ParentNotAMapping(&'static str),
    #[error("{0}")]
    Unwritable(String),
}

/// Sets one field to its form text.
pub fn set_field(yaml: &str, field: Field, text: &str) -> Result<String, EditError> {
    set_fields(yaml, [(field, text)])
}

/// Sets each field to its form text, in order.
pub fn set_fields<'a>(
    yaml: &str,
    values: impl IntoIterator<Item = (Field, &'a str)>,
) -> Result<String, EditError> {
    let mut document = mapping(yaml)?;
    let edits: Vec<(Field, Option<Value>)> = values
        .into_iter()
        .map(|(field, text)| (field, field.value_of(text)))
        .collect();
    for (field, value) in &edits {
        set(&mut document, field.path(), value.clone())?;
    }
    // The lossless editor is young: whatever it does on odd input (even a panic), the
    // check below or the rewrite keeps the edit right.
    let text = std::panic::catch_unwind(|| lossless(yaml, &edits))
        .ok()
        .flatten();
    match text {
        Some(text) if yaml_serde::from_str::<Value>(&text).ok().as_ref() == Some(&document) => {
            Ok(text)
        }
        _ => yaml_serde::to_string(&document).map_err(|e| EditError::Unwritable(e.to_string())),
    }
}

/// The edits made on the text of `yaml`, comments and order kept; `None` when the
/// lossless editor cannot make them (the caller re-writes the document instead).
fn lossless(yaml: &str, edits: &[(Field, Option<Value>)]) -> Option<String> {
    let document = yaml_edit::Document::from_str(yaml).ok()?;
    let root = document.as_mapping()?;
    for (field, value) in edits {
        edit_text(&root, field.path(), value.as_ref())?;
    }
    Some(document.to_string())
}

/// Sets (or removes) the value at a dotted `path` in the syntax tree under `root`.
fn edit_text(root: &yaml_edit::Mapping, path: &str, value: Option<&Value>) -> Option<()> {
    let keys: Vec<&str> = path.split('.').collect();
    let (last, parents) = keys.split_last()?;
    let mut map = root.clone();
    for key in parents {
        if !map.contains_key(*key) {
            if value.is_none() {
                return Some(()); // nothing to remove
            }
            map.set(*key, yaml_edit::Mapping::new());
        }
        map = map.get_mapping(*key)?;
    }
    match value {
        None => {
            map.remove(*last);
        }
        Some(Value::Number(n)) => map.set(*last, n.as_i64()?),
        Some(Value::Bool(b)) => map.set(*last, *b),
        Some(Value::String(s)) => map.set(*last, s.as_str()),
        Some(_) => return None,
    }
    Some(())
}

/// The fields as written in `yaml`, as form text (for a spec that does not validate, so
/// has no effective values): empty where absent or not a scalar, `monitoring` `off` only
/// when written `false`.
pub fn written_fields(yaml: &str) -> Vec<(Field, String)> {
    let document = yaml_serde::from_str::<Value>(yaml).unwrap_or(Value::Null);
    Field::ALL
        .into_iter()
        .map(|field| {
            let text = written(&document, field.path());
            let text = match field {
                Field::Monitoring => on_off(text != "false").to_string(),
                _ => text,
            };
            (field, text)
        })
        .collect()
}

/// The effective values of all fields in a valid spec.
pub fn effective_fields(spec: &Spec) -> Vec<(Field, String)> {
    Field::ALL
        .into_iter()
        .map(|field| (field, field.value_in(spec)))
        .collect()
}

fn mapping(yaml: &str) -> Result<Value, EditError> {
    match yaml_serde::from_str::<Value>(yaml) {
        Ok(value @ Value::Mapping(_)) => Ok(value),
        Ok(_) => Err(EditError::NotAMapping),
        Err(error) => Err(EditError::Unparsable(error.to_string())),
    }
}

/// Sets (or, with `None`, removes) the value at a dotted `path`, creating mappings on the
/// way.
fn set(document: &mut Value, path: &'static str, value: Option<Value>) -> Result<(), EditError> {
    let keys: Vec<&str> = path.split('.').collect();
    let (last, parents) = keys.split_last().expect("field paths are not empty");
    let mut node = document;
    for key in parents {
        let map = node
            .as_mapping_mut()
            .ok_or(EditError::ParentNotAMapping(path))?;
        if !map.contains_key(*key) {
            map.insert(
                Value::String(key.to_string()),
                Value::Mapping(Mapping::new()),
            );
        }
        node = map.get_mut(*key).expect("just inserted");
    }
    let map = node
        .as_mapping_mut()
        .ok_or(EditError::ParentNotAMapping(path))?;
    match value {
        Some(value) => {
            map.insert(Value::String(last.to_string()), value);
        }
        None => {
            map.remove(*last);
        }
    }
    Ok(())
}

/// The scalar at a dotted `path` as text; empty when there is none.
fn written(document: &Value, path: &str) -> String {
    let mut node = document;
    for key in path.split('.') {
        match node.get(key) {
            Some(next) => node = next,
            None => return String::new(),
        }
    }
    match node {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;
