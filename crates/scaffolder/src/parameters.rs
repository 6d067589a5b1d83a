//! The values a person gives a template, checked against its form pages — JSON Schema
//! draft 07, as Backstage's templates are written (`dependencies`, `oneOf`, `allOf`,
//! `if`/`then`) — and split into the values kept with the task and the secrets that
//! never are.

use crate::template::Page;
use serde::Serialize;
use serde_json::{Map, Value};

/// One value that breaks the schema: where (`/repoUrl`, empty for the whole object) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// JSON pointer into the values.
    pub path: String,
    /// Backstage's (jsonschema's) form: `instance.repoUrl`.
    pub property: String,
    pub message: String,
}

/// Checks that a page's schema compiles as draft 07.
pub fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft7::new(schema).map_err(|e| format!("not a valid JSON Schema: {e}"))
}

/// Checks `values` against every page, as Backstage does before it accepts a task.
pub fn validate(pages: &[Page], values: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for page in pages {
        let Ok(validator) = compile(&page.schema) else {
            errors.push(FieldError {
                path: String::new(),
                property: "instance".into(),
                message: "the template's form has an invalid schema; ask its owner to fix it"
                    .into(),
            });
            continue;
        };
        for error in validator.iter_errors(values) {
            let path = error.instance_path().to_string();
            let property = std::iter::once("instance")
                .chain(path.split('/').filter(|s| !s.is_empty()))
                .collect::<Vec<_>>()
                .join(".");
            errors.push(FieldError {
                path,
                property,
                message: error.to_string(),
            });
        }
    }
    errors.dedup();
    errors
}

/// The top-level fields whose values are secrets: `ui:field: Secret` (Backstage's secret
/// field, sent as `secrets`) and `ui:widget: password`.
pub fn secret_fields(pages: &[Page]) -> Vec<String> {
    let mut fields = Vec::new();
    for page in pages {
        for (name, property) in properties(&page.schema) {
            let secret = property.get("ui:field").and_then(Value::as_str) == Some("Secret")
                || property.get("ui:widget").and_then(Value::as_str) == Some("password");
            if secret && !fields.contains(name) {
                fields.push(name.clone());
            }
        }
    }
    fields
}

/// The properties of a page, including those of its `dependencies` and `oneOf`/`allOf`
/// branches (where Backstage templates put conditional fields).
fn properties(schema: &Value) -> Vec<(&String, &Value)> {
    let mut found = Vec::new();
    let mut pending = vec![schema];
    while let Some(schema) = pending.pop() {
        if let Some(map) = schema.get("properties").and_then(Value::as_object) {
            found.extend(map.iter());
        }
        for key in ["oneOf", "anyOf", "allOf"] {
            if let Some(list) = schema.get(key).and_then(Value::as_array) {
                pending.extend(list.iter());
            }
        }
        for key in ["then", "else"] {
            if let Some(branch) = schema.get(key) {
                pending.push(branch);
            }
        }
        if let Some(map) = schema.get("dependencies").and_then(Value::as_object) {
            pending.extend(map.values().filter(|v| v.is_object()));
        }
    }
    found
}

/// Moves the secret fields out of `values` into `secrets`: values are stored with the
/// task, secrets only in memory. The template still reads them as `parameters.<name>`
/// (the runner puts them back) and as `secrets.<name>`.
pub fn split_secrets(
    pages: &[Page],
    values: &mut Map<String, Value>,
    secrets: &mut Map<String, Value>,
) {
    for field in secret_fields(pages) {
        if let Some(value) = values.remove(&field) {
            secrets.entry(field).or_insert(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(schema: Value) -> Page {
        Page {
            title: None,
            description: None,
            schema,
        }
    }

    #[test]
    fn values_are_checked_against_every_page_with_field_paths() {
        let pages = [
            page(
                json!({"required": ["name"], "properties": {"name": {"type": "string", "pattern": "^[a-z-]+$", "ui:autofocus": true}}}),
            ),
            page(
                json!({"properties": {"replicas": {"type": "integer", "minimum": 1}},
                        "dependencies": {"replicas": {"required": ["strategy"]}}}),
            ),
        ];
        assert!(validate(&pages, &json!({"name": "payments"})).is_empty());
        let errors = validate(&pages, &json!({"name": "Pay ments", "replicas": 0}));
        let paths: Vec<&str> = errors.iter().map(|e| e.property.as_str()).collect();
        assert!(paths.contains(&"instance.name"), "{errors:?}");
        assert!(paths.contains(&"instance.replicas"), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.message.contains("strategy")),
            "{errors:?}"
        );
        let missing = validate(&pages, &json!({}));
        assert_eq!(missing[0].property, "instance");
        assert!(missing[0].message.contains("name"));
    }

    #[test]
    fn secret_fields_leave_the_values() {
        let pages = [page(json!({"properties": {
            "name": {"type": "string"},
            "token": {"type": "string", "ui:field": "Secret"},
            "password": {"type": "string", "ui:widget": "password"}
        }, "dependencies": {"name": {"properties": {"apiKey": {"ui:field": "Secret"}}}}}))];
        let mut values = json!({"name": "a", "token": "t0k", "password": "pw", "apiKey": "k"})
            .as_object()
            .unwrap()
            .clone();
        let mut secrets = Map::new();
        split_secrets(&pages, &mut values, &mut secrets);
        assert_eq!(Value::Object(values), json!({"name": "a"}));
        assert_eq!(
            Value::Object(secrets),
            json!({"token": "t0k", "password": "pw", "apiKey": "k"})
        );
    }
}
