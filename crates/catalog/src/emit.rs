//! Output derived from an entity: YAML text, an etag, a search document.

use serde::Serialize;
use serde_json::Value;

use crate::entity::Entity;
use crate::yaml::resolve_plain;

/// The entity as YAML, in the envelope's field order. Strings that YAML
/// would read as something else are quoted; multi-line strings (API
/// definitions) become literal blocks. Reading the output back gives the
/// same entity.
pub fn to_yaml(entity: &Entity) -> String {
    value_to_yaml(&entity.to_value())
}

/// Entity-shaped JSON (possibly partial, as a proposed entity is) as a YAML
/// document, laid out like [`to_yaml`].
pub fn value_to_yaml(value: &Value) -> String {
    let mut out = String::new();
    for line in block_lines(value, ROOT_ORDER) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

// Keys written first, in this order, at each level; other keys follow
// alphabetically. Matches how Backstage's docs lay entities out.
const ROOT_ORDER: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "spec",
    "relations",
    "status",
];
const META_ORDER: &[&str] = &[
    "name",
    "namespace",
    "title",
    "description",
    "labels",
    "annotations",
    "tags",
    "links",
    "uid",
    "etag",
];
const SPEC_ORDER: &[&str] = &["type", "lifecycle", "owner", "system", "domain"];
const LINK_ORDER: &[&str] = &["url", "title", "icon", "type"];

/// The key order for the value under `key`.
fn order_for(key: &str) -> &'static [&'static str] {
    match key {
        "metadata" => META_ORDER,
        "spec" => SPEC_ORDER,
        "links" => LINK_ORDER,
        _ => &[],
    }
}

fn ordered<'a>(
    map: &'a serde_json::Map<String, Value>,
    order: &[&str],
) -> Vec<(&'a String, &'a Value)> {
    let rank = |key: &str| order.iter().position(|k| *k == key).unwrap_or(order.len());
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
    entries
}

/// Lines of a value written in block style at indent 0. Scalars and empty
/// collections come back as a single line. `order` ranks mapping keys; a
/// list passes it on to its items.
fn block_lines(value: &Value, order: &[&str]) -> Vec<String> {
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut lines = Vec::new();
            for (key, child) in ordered(map, order) {
                entry_lines(&mut lines, key, child);
            }
            lines
        }
        Value::Array(items) if !items.is_empty() => {
            let mut lines = Vec::new();
            for item in items {
                item_lines(&mut lines, item, order);
            }
            lines
        }
        other => vec![inline(other)],
    }
}

/// `key: value`, with nested collections and blocks indented below it.
fn entry_lines(lines: &mut Vec<String>, key: &str, value: &Value) {
    let label = format!("{}:", scalar_text(key));
    if let Some(block) = literal_block(value) {
        lines.push(format!("{label} {}", block[0]));
        lines.extend(block[1..].iter().map(|l| indent(l, "  ")));
        return;
    }
    let child = block_lines(value, order_for(key));
    if is_nested(value) {
        lines.push(label);
        lines.extend(child.iter().map(|l| indent(l, "  ")));
    } else {
        lines.push(format!("{label} {}", child[0]));
    }
}

/// `- item`, with the item's later lines aligned under its first.
fn item_lines(lines: &mut Vec<String>, value: &Value, order: &[&str]) {
    let child = literal_block(value).unwrap_or_else(|| block_lines(value, order));
    let (first, rest) = child
        .split_first()
        .map_or(("", &[][..]), |(f, r)| (f.as_str(), r));
    lines.push(format!("- {first}"));
    lines.extend(rest.iter().map(|l| indent(l, "  ")));
}

fn indent(line: &str, by: &str) -> String {
    if line.is_empty() {
        String::new()
    } else {
        format!("{by}{line}")
    }
}

fn is_nested(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

fn inline(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_text(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// A multi-line string as `|` block lines (header first, content unindented),
/// or `None` when a literal block could not hold it exactly.
fn literal_block(value: &Value) -> Option<Vec<String>> {
    let text = value.as_str()?;
    if !text.contains('\n') || !literal_safe(text) {
        return None;
    }
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let header = match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    let mut lines = vec![header.to_string()];
    lines.extend(body.split('\n').map(str::to_string));
    // Keep: extra trailing newlines become empty lines.
    lines.extend(std::iter::repeat_n(
        String::new(),
        trailing.saturating_sub(1),
    ));
    Some(lines)
}

/// Literal blocks cannot start with a space on their first non-empty line
/// (it would set the indentation),
/// cannot hold lines of only spaces (they would be read as empty) and
/// cannot hold control characters other than tab.
fn literal_safe(text: &str) -> bool {
    let bad_char = text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{feff}');
    let blank_line = text
        .split('\n')
        .any(|line| !line.is_empty() && line.trim_matches([' ', '\t']).is_empty());
    let indented_start = text
        .split('\n')
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.starts_with([' ', '\t']));
    !bad_char && !blank_line && !indented_start
}

/// A string as a plain scalar when that reads back as the same string,
/// otherwise double-quoted (a JSON string is a valid YAML one).
fn scalar_text(text: &str) -> String {
    if plain_safe(text) {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

fn plain_safe(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    let indicator = "-?:,[]{}#&*!|>'\"%@`".contains(first);
    let edge_space = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    let special = text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.chars().any(|c| c.is_control() || c == '\u{feff}');
    let stays_string = matches!(resolve_plain(text), Value::String(_));
    !indicator && !edge_space && !special && stays_string && !text.starts_with("...")
}

/// A content hash for `metadata.etag`: SHA-1 (as Backstage uses) of the
/// entity's canonical JSON (sorted keys, no spaces), leaving out the etag
/// itself so that storing it does not change it.
pub fn etag(entity: &Entity) -> String {
    let mut value = entity.to_value();
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("etag");
    }
    let mut canonical = String::new();
    write_canonical(&value, &mut canonical);
    sha1_smol::Sha1::from(canonical.as_bytes())
        .digest()
        .to_string()
}

/// JSON with object keys sorted, whatever map order serde_json was built
/// with (its `preserve_order` feature may be on in the workspace).
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, child)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(':');
                write_canonical(child, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// What full-text search indexes for an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchDocument {
    /// `key()` of the entity's ref, to find it again.
    pub entity_ref: String,
    pub kind: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// The owner's ref (`group:default/team-a`).
    pub owner: Option<String>,
    /// The system's ref (`system:default/pets`).
    pub system: Option<String>,
}

impl SearchDocument {
    /// All fields as one text, one per line, for an FTS column.
    pub fn text(&self) -> String {
        let mut parts = vec![self.kind.as_str(), self.name.as_str()];
        parts.extend(self.title.as_deref());
        parts.extend(self.description.as_deref());
        parts.extend(self.tags.iter().map(String::as_str));
        parts.extend(self.type_.as_deref());
        parts.extend(self.owner.as_deref());
        parts.extend(self.system.as_deref());
        parts.join("\n")
    }
}

pub fn search_document(entity: &Entity) -> SearchDocument {
    SearchDocument {
        entity_ref: entity.entity_ref().key(),
        kind: entity.kind.clone(),
        name: entity.metadata.name.clone(),
        title: entity.metadata.title.clone(),
        description: entity.metadata.description.clone(),
        tags: entity.metadata.tags.clone(),
        type_: entity.spec_type().map(str::to_string),
        owner: entity.owner().map(|r| r.to_string()),
        system: entity.system().map(|r| r.to_string()),
    }
}

#[cfg(test)]
mod tests;
