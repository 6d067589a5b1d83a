//! Entity validation, as Backstage's catalog-model does it: the envelope
//! schema, `FieldFormatEntityPolicy`, `NoForeignRootFieldsEntityPolicy` and
//! the kind schemas. Works on raw JSON so that every problem is found in one
//! pass, before anything is deserialized.

use std::fmt;

use serde_json::{Map, Value};

use crate::entity::Entity;
use crate::entity_ref::{DEFAULT_NAMESPACE, EntityRef};
use crate::kind::{Kind, Shape, SpecField};

/// One problem with one field: `path` says where (`metadata.name`,
/// `spec.providesApis[1]`), `message` says what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Prints `path message`, e.g. `metadata.name "foo bar" must be …`.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} {}", self.path, self.message)
        }
    }
}

impl std::error::Error for FieldError {}

/// Validates an entity built in code (e.g. from a form or the API).
pub fn validate(entity: &Entity) -> Vec<FieldError> {
    validate_value(&entity.to_value())
}

const ROOT_FIELDS: [&str; 6] = [
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "relations",
    "status",
];

const OBJECT_NAME_RULE: &str = "must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]";
const DNS_LABEL_RULE: &str = "must be 1-63 characters of [a-z0-9] separated by [-]";
const TAG_RULE: &str = "must be 1-63 characters of [a-z0-9:+#] separated by [-]";
const KEY_RULE: &str = "must be a name of 1-63 characters of [a-zA-Z0-9] separated by [-_.], optionally prefixed by a DNS subdomain and \"/\" (e.g. \"backstage.io/techdocs-ref\")";

/// Validates a raw entity and returns every problem found (empty when valid).
pub fn validate_value(value: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(root) = value.as_object() else {
        errors.push(FieldError::new(
            "",
            format!(
                "an entity must be a mapping with apiVersion, kind, metadata and spec, found {}",
                describe(value)
            ),
        ));
        return errors;
    };
    check_root_fields(root, &mut errors);
    let kind = check_kind(root, &mut errors);
    check_api_version(root, kind, &mut errors);
    let namespace = check_metadata(root, &mut errors);
    check_spec(root, kind, &namespace, &mut errors);
    check_relations(root, &mut errors);
    if let Some(status) = root.get("status")
        && !status.is_object()
    {
        errors.push(must_be("status", "a mapping", status));
    }
    errors
}

fn check_root_fields(root: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    for key in root.keys().filter(|k| !ROOT_FIELDS.contains(&k.as_str())) {
        errors.push(FieldError::new(
            key.clone(),
            "is not allowed at the top level, which only takes apiVersion, kind, metadata, spec, relations and status; move it under metadata or spec",
        ));
    }
}

/// Checks `kind` and returns it when Portico knows it.
fn check_kind(root: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Kind> {
    let text = required_str(root, "kind", "kind", errors)?;
    if !is_valid_kind(text) {
        errors.push(FieldError::new(
            "kind",
            format!("{text:?} must be 1-63 characters of [a-zA-Z0-9] starting with a letter, e.g. \"Component\""),
        ));
        return None;
    }
    let kind = Kind::parse(text);
    if kind.is_none() {
        let hint = match Kind::parse_ignore_case(text) {
            Some(kind) => format!("write it as {:?} (kinds are case-sensitive)", kind.as_str()),
            None => format!("use one of {}", kind_list()),
        };
        errors.push(FieldError::new(
            "kind",
            format!("{text:?} is not a supported kind; {hint}"),
        ));
    }
    kind
}

fn kind_list() -> String {
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    names.join(", ")
}

fn check_api_version(root: &Map<String, Value>, kind: Option<Kind>, errors: &mut Vec<FieldError>) {
    let Some(text) = required_str(root, "apiVersion", "apiVersion", errors) else {
        return;
    };
    if !is_valid_api_version(text) {
        errors.push(FieldError::new(
            "apiVersion",
            format!("{text:?} must be a version of [a-zA-Z0-9] with an optional DNS subdomain prefix and \"/\", e.g. \"backstage.io/v1alpha1\""),
        ));
        return;
    }
    if let Some(kind) = kind {
        let accepted = kind.api_versions();
        if !accepted.contains(&text) {
            errors.push(FieldError::new(
                "apiVersion",
                format!(
                    "{text:?} is not a version of kind {kind}; use {}",
                    accepted.join(" or ")
                ),
            ));
        }
    }
}

/// Checks `metadata` and returns the entity's namespace, for resolving refs.
fn check_metadata(root: &Map<String, Value>, errors: &mut Vec<FieldError>) -> String {
    let Some(meta) = required(root, "metadata", "metadata", errors) else {
        return DEFAULT_NAMESPACE.to_string();
    };
    let Some(meta) = meta.as_object() else {
        errors.push(must_be("metadata", "a mapping with at least a name", meta));
        return DEFAULT_NAMESPACE.to_string();
    };
    if let Some(name) = required_str(meta, "name", "metadata.name", errors)
        && !is_valid_object_name(name)
    {
        errors.push(FieldError::new(
            "metadata.name",
            format!("{name:?} {OBJECT_NAME_RULE}"),
        ));
    }
    let namespace = check_namespace(meta, errors);
    for field in ["title", "uid", "etag"] {
        optional_text(meta, field, &format!("metadata.{field}"), errors);
    }
    if let Some(description) = meta.get("description")
        && !description.is_string()
    {
        errors.push(must_be("metadata.description", "a string", description));
    }
    check_labels(meta, errors);
    check_annotations(meta, errors);
    check_tags(meta, errors);
    check_links(meta, errors);
    namespace
}

fn check_namespace(meta: &Map<String, Value>, errors: &mut Vec<FieldError>) -> String {
    let Some(value) = meta.get("namespace") else {
        return DEFAULT_NAMESPACE.to_string();
    };
    match value.as_str() {
        Some(ns) if is_valid_dns_label(ns) => ns.to_string(),
        Some(ns) => {
            errors.push(FieldError::new(
                "metadata.namespace",
                format!("{ns:?} {DNS_LABEL_RULE}, e.g. \"default\""),
            ));
            DEFAULT_NAMESPACE.to_string()
        }
        None => {
            errors.push(must_be("metadata.namespace", "a string", value));
            DEFAULT_NAMESPACE.to_string()
        }
    }
}

fn check_labels(meta: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(labels) = optional_map(meta, "labels", "metadata.labels", errors) else {
        return;
    };
    for (key, value) in labels {
        let path = format!("metadata.labels.{key}");
        if !is_valid_label_key(key) {
            errors.push(FieldError::new(&path, format!("key {key:?} {KEY_RULE}")));
        }
        match value.as_str() {
            Some(v) if is_valid_label_value(v) => {}
            Some(v) => errors.push(FieldError::new(
                &path,
                format!("value {v:?} must be empty or 1-63 characters of [a-zA-Z0-9] separated by [-_.]; put free text in an annotation instead"),
            )),
            None => errors.push(must_be(&path, "a string (quote it)", value)),
        }
    }
}

fn check_annotations(meta: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(annotations) = optional_map(meta, "annotations", "metadata.annotations", errors)
    else {
        return;
    };
    for (key, value) in annotations {
        let path = format!("metadata.annotations.{key}");
        if !is_valid_label_key(key) {
            errors.push(FieldError::new(&path, format!("key {key:?} {KEY_RULE}")));
        }
        if !value.is_string() {
            errors.push(must_be(&path, "a string (quote it)", value));
        }
    }
}

fn check_tags(meta: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(tags) = optional_list(meta, "tags", "metadata.tags", errors) else {
        return;
    };
    for (i, tag) in tags.iter().enumerate() {
        let path = format!("metadata.tags[{i}]");
        match tag.as_str() {
            Some(t) if is_valid_tag(t) => {}
            Some(t) => errors.push(FieldError::new(
                path,
                format!("{t:?} {TAG_RULE}, e.g. {:?}", suggest_tag(t)),
            )),
            None => errors.push(must_be(&path, "a string", tag)),
        }
    }
}

fn check_links(meta: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(links) = optional_list(meta, "links", "metadata.links", errors) else {
        return;
    };
    for (i, link) in links.iter().enumerate() {
        let path = format!("metadata.links[{i}]");
        let Some(link) = link.as_object() else {
            errors.push(must_be(&path, "a mapping with a url", link));
            continue;
        };
        if let Some(url) = required_str(link, "url", &format!("{path}.url"), errors)
            && !is_valid_url(url)
        {
            errors.push(FieldError::new(
                format!("{path}.url"),
                format!("{url:?} must be an absolute URL, e.g. \"https://example.com/dashboard\""),
            ));
        }
        for field in ["title", "icon", "type"] {
            optional_text(link, field, &format!("{path}.{field}"), errors);
        }
    }
}

fn check_spec(
    root: &Map<String, Value>,
    kind: Option<Kind>,
    namespace: &str,
    errors: &mut Vec<FieldError>,
) {
    let spec = root.get("spec");
    let Some(kind) = kind else {
        if let Some(spec) = spec.filter(|s| !s.is_object()) {
            errors.push(must_be("spec", "a mapping", spec));
        }
        return;
    };
    let fields = kind.spec_fields();
    let Some(spec) = spec else {
        errors.push(FieldError::new(
            "spec",
            format!(
                "is required for kind {kind}; add a spec with {}",
                required_names(fields)
            ),
        ));
        return;
    };
    let Some(spec) = spec.as_object() else {
        errors.push(must_be("spec", "a mapping", spec));
        return;
    };
    for field in fields {
        check_spec_field(spec, kind, field, errors);
    }
    check_refs(spec, kind, namespace, errors);
}

fn required_names(fields: &[SpecField]) -> String {
    let names: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    if names.is_empty() {
        "the fields of the kind".to_string()
    } else {
        names.join(", ")
    }
}

fn check_spec_field(
    spec: &Map<String, Value>,
    kind: Kind,
    field: &SpecField,
    errors: &mut Vec<FieldError>,
) {
    let path = format!("spec.{}", field.name);
    let Some(value) = spec.get(field.name) else {
        if field.required {
            errors.push(FieldError::new(
                path,
                format!(
                    "is required for kind {kind}; add it as {}",
                    shape_name(field.shape)
                ),
            ));
        }
        return;
    };
    match field.shape {
        Shape::Text => check_text(&path, value, errors),
        Shape::TextList => check_text_list(&path, value, errors),
        Shape::Object if !value.is_object() => errors.push(must_be(&path, "a mapping", value)),
        Shape::ObjectOrList if !(value.is_object() || value.is_array()) => {
            errors.push(must_be(&path, "a mapping or a list of mappings", value))
        }
        Shape::Steps => check_steps(&path, value, errors),
        Shape::Object | Shape::ObjectOrList => {}
    }
}

fn shape_name(shape: Shape) -> &'static str {
    match shape {
        Shape::Text => "a non-empty string",
        Shape::TextList => "a list of strings (it may be empty: [])",
        Shape::Object => "a mapping",
        Shape::ObjectOrList => "a mapping or a list of mappings",
        Shape::Steps => "a list of steps, each with an action",
    }
}

fn check_text(path: &str, value: &Value, errors: &mut Vec<FieldError>) {
    match value.as_str() {
        Some("") => errors.push(FieldError::new(path, "must not be empty")),
        Some(_) => {}
        None => errors.push(must_be(path, "a string", value)),
    }
}

fn check_text_list(path: &str, value: &Value, errors: &mut Vec<FieldError>) {
    let Some(items) = value.as_array() else {
        let hint = if value.is_string() {
            "a list of strings; write it as [item] or a \"- item\" list"
        } else {
            "a list of strings"
        };
        errors.push(must_be(path, hint, value));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        check_text(&format!("{path}[{i}]"), item, errors);
    }
}

fn check_steps(path: &str, value: &Value, errors: &mut Vec<FieldError>) {
    let Some(steps) = value.as_array() else {
        errors.push(must_be(path, "a list of steps", value));
        return;
    };
    for (i, step) in steps.iter().enumerate() {
        let step_path = format!("{path}[{i}]");
        match step.as_object() {
            Some(step) => {
                if let Some(action) =
                    required(step, "action", &format!("{step_path}.action"), errors)
                {
                    check_text(&format!("{step_path}.action"), action, errors);
                }
            }
            None => errors.push(must_be(&step_path, "a mapping with an action", step)),
        }
    }
}

/// Every entity ref in the spec must parse; `dependsOn` refs must carry a
/// kind, as Backstage's processor requires.
fn check_refs(
    spec: &Map<String, Value>,
    kind: Kind,
    namespace: &str,
    errors: &mut Vec<FieldError>,
) {
    for field in kind.ref_fields() {
        let texts: Vec<(String, &str)> = match spec.get(field.name) {
            Some(Value::String(text)) => vec![(format!("spec.{}", field.name), text.as_str())],
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((format!("spec.{}[{i}]", field.name), v.as_str()?)))
                .collect(),
            _ => Vec::new(),
        };
        for (path, text) in texts.into_iter().filter(|(_, t)| !t.is_empty()) {
            if let Err(e) = EntityRef::parse(text, field.default_kind, namespace) {
                errors.push(FieldError::new(path, e.to_string()));
            }
        }
    }
}

fn check_relations(root: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let Some(relations) = optional_list(root, "relations", "relations", errors) else {
        return;
    };
    for (i, relation) in relations.iter().enumerate() {
        let path = format!("relations[{i}]");
        let Some(relation) = relation.as_object() else {
            errors.push(must_be(
                &path,
                "a mapping with type and targetRef",
                relation,
            ));
            continue;
        };
        for field in ["type", "targetRef"] {
            if let Some(v) = required(relation, field, &format!("{path}.{field}"), errors) {
                check_text(&format!("{path}.{field}"), v, errors);
            }
        }
    }
}

// --- small helpers for reading raw JSON -----------------------------------

fn required<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Value> {
    let value = map.get(field);
    if value.is_none() {
        errors.push(FieldError::new(path, "is required"));
    }
    value
}

fn required_str<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    let value = required(map, field, path, errors)?;
    match value.as_str() {
        Some(text) => Some(text),
        None => {
            errors.push(must_be(path, "a string", value));
            None
        }
    }
}

fn optional_text(map: &Map<String, Value>, field: &str, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(value) = map.get(field) {
        check_text(path, value, errors);
    }
}

fn optional_map<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Map<String, Value>> {
    let value = map.get(field)?;
    let inner = value.as_object();
    if inner.is_none() {
        errors.push(must_be(
            path,
            "a mapping of string keys to string values",
            value,
        ));
    }
    inner
}

fn optional_list<'a>(
    map: &'a Map<String, Value>,
    field: &str,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Vec<Value>> {
    let value = map.get(field)?;
    let inner = value.as_array();
    if inner.is_none() {
        errors.push(must_be(path, "a list", value));
    }
    inner
}

fn must_be(path: &str, expected: &str, found: &Value) -> FieldError {
    FieldError::new(
        path,
        format!("must be {expected}, found {}", describe(found)),
    )
}

/// A short description of a JSON value for error messages.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_string(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}

/// A tag that would pass, to show in the error message.
fn suggest_tag(tag: &str) -> String {
    let lowered: String = tag
        .to_lowercase()
        .chars()
        .map(|c| if is_tag_char(c) { c } else { '-' })
        .collect();
    let parts: Vec<&str> = lowered.split('-').filter(|p| !p.is_empty()).collect();
    let joined = parts.join("-");
    let suggestion: String = joined.chars().take(63).collect();
    if suggestion.is_empty() {
        "java".to_string()
    } else {
        suggestion.trim_end_matches('-').to_string()
    }
}

// --- the format rules (catalog-model's validator functions) ---------------

/// Kubernetes object name: `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`,
/// 1-63 characters. Like Backstage, this allows repeated separators
/// (`a--b`); it only requires alphanumeric ends.
pub fn is_valid_object_name(text: &str) -> bool {
    let ends_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    (1..=63).contains(&text.len())
        && ends_ok(text.chars().next())
        && ends_ok(text.chars().last())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// DNS label (RFC 1123): `^[a-z0-9]+(-[a-z0-9]+)*$`, 1-63 characters.
pub fn is_valid_dns_label(text: &str) -> bool {
    (1..=63).contains(&text.len())
        && text.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// DNS subdomain: dot-separated DNS labels, 1-253 characters.
pub fn is_valid_dns_subdomain(text: &str) -> bool {
    (1..=253).contains(&text.len()) && text.split('.').all(is_valid_dns_label)
}

/// `<suffix>` or `<prefix>/<suffix>` with exactly one `/`.
fn is_valid_prefixed(text: &str, suffix_ok: impl Fn(&str) -> bool) -> bool {
    match text.split_once('/') {
        None => suffix_ok(text),
        Some((prefix, suffix)) => {
            !suffix.contains('/') && is_valid_dns_subdomain(prefix) && suffix_ok(suffix)
        }
    }
}

/// Label and annotation keys: optional DNS subdomain prefix and `/`, then
/// an object name.
pub fn is_valid_label_key(text: &str) -> bool {
    is_valid_prefixed(text, is_valid_object_name)
}

pub fn is_valid_label_value(text: &str) -> bool {
    text.is_empty() || is_valid_object_name(text)
}

/// `apiVersion`: optional DNS subdomain prefix and `/`, then 1-63 of
/// `[a-zA-Z0-9]`.
pub fn is_valid_api_version(text: &str) -> bool {
    is_valid_prefixed(text, |v| {
        (1..=63).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// `kind`: `^[a-zA-Z][a-zA-Z0-9]*$`, 1-63 characters.
pub fn is_valid_kind(text: &str) -> bool {
    (1..=63).contains(&text.len())
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '+' | '#')
}

/// Tags: `^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$`, 1-63 characters.
pub fn is_valid_tag(text: &str) -> bool {
    (1..=63).contains(&text.len())
        && text
            .split('-')
            .all(|part| !part.is_empty() && part.chars().all(is_tag_char))
}

/// An absolute URL: a scheme, `:`, and a non-empty rest without spaces; for
/// hierarchical schemes (`scheme://`) a non-empty host. This approximates
/// the WHATWG `new URL()` check Backstage uses.
pub fn is_valid_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let rest_ok = !rest.is_empty() && !rest.chars().any(char::is_whitespace);
    let host_ok = match rest.strip_prefix("//") {
        Some(after) => !after.is_empty() && !after.starts_with('/') || scheme == "file",
        None => true,
    };
    scheme_ok && rest_ok && host_ok
}

#[cfg(test)]
mod tests;
