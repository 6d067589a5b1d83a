//! Catalog files (multi-document YAML or JSON) to validated entities.

use std::collections::HashMap;
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::entity::Entity;
use crate::entity_ref::DEFAULT_NAMESPACE;
use crate::validate::FieldError;
use crate::yaml::{Limits, YamlError, YamlErrorKind, load_documents};

/// An entity and where its document's content starts in the file (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEntity {
    pub entity: Entity,
    pub line: usize,
    pub column: usize,
}

/// The outcome of reading one file: the valid entities, and an error for
/// every problem. Valid entities are returned even when other documents are
/// bad; the caller decides whether to apply a partial batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub entities: Vec<ParsedEntity>,
    pub errors: Vec<CatalogError>,
}

/// What kind of problem a [`CatalogError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ErrorKind {
    /// The bytes are not UTF-8.
    Encoding,
    /// A size, count or depth limit was exceeded.
    Limit,
    /// The text is not well-formed YAML.
    Syntax,
    /// A document is not a valid entity.
    Invalid,
    /// The same entity appears twice in the file.
    Duplicate,
}

/// A problem found in a catalog file, with its place:
/// `source:line:column: entity component:default/foo: metadata.name "foo bar" must be …`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogError {
    pub kind: ErrorKind,
    /// The file or URL the text came from, as the caller named it.
    pub source: String,
    /// 1-based; 0 when the problem concerns the whole text.
    pub line: usize,
    pub column: usize,
    /// The entity's ref, when the document got far enough to name one.
    pub entity: Option<String>,
    /// The field at fault, e.g. `metadata.name`.
    pub path: Option<String>,
    pub message: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if let Some(entity) = &self.entity {
            write!(f, "entity {entity}: ")?;
        }
        match self.path.as_deref() {
            Some(path) if !path.is_empty() => write!(f, "{path} {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for CatalogError {}

/// Reads a catalog file given as bytes, rejecting invalid UTF-8 with the
/// byte offset of the first bad byte.
pub fn parse_bytes(source: &str, bytes: &[u8], limits: &Limits) -> Parsed {
    if let Some(error) = check_size(source, bytes.len(), limits) {
        return only(error);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_documents(source, text, limits),
        Err(e) => {
            let offset = e.valid_up_to();
            let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
            let (line, column) = line_column(valid);
            only(CatalogError {
                kind: ErrorKind::Encoding,
                source: source.to_string(),
                line,
                column,
                entity: None,
                path: None,
                message: format!(
                    "invalid UTF-8 at byte offset {offset}; catalog files must be saved as UTF-8"
                ),
            })
        }
    }
}

/// Reads every document of a catalog file (YAML, or JSON, which is YAML)
/// and validates each as an entity. Empty documents are skipped.
pub fn parse_documents(source: &str, text: &str, limits: &Limits) -> Parsed {
    if let Some(error) = check_size(source, text.len(), limits) {
        return only(error);
    }
    let (documents, yaml_errors) = load_documents(text, limits);
    let mut parsed = Parsed {
        entities: Vec::new(),
        errors: yaml_errors
            .into_iter()
            .map(|e| yaml_error(source, e))
            .collect(),
    };
    let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
    for doc in documents {
        let label = entity_label(&doc.value);
        let at = |kind, path: Option<String>, message: String| CatalogError {
            kind,
            source: source.to_string(),
            line: doc.line,
            column: doc.column,
            entity: label.clone(),
            path,
            message,
        };
        match Entity::from_value(doc.value.clone()) {
            Err(errors) => {
                parsed
                    .errors
                    .extend(errors.into_iter().map(|FieldError { path, message }| {
                        at(ErrorKind::Invalid, Some(path), message)
                    }))
            }
            Ok(entity) => {
                let key = entity.entity_ref().key();
                if let Some((line, column)) = seen.get(&key) {
                    let message = format!(
                        "is defined twice in this file (first at line {line}, column {column}); remove one of them"
                    );
                    parsed.errors.push(at(ErrorKind::Duplicate, None, message));
                    continue;
                }
                seen.insert(key, (doc.line, doc.column));
                parsed.entities.push(ParsedEntity {
                    entity,
                    line: doc.line,
                    column: doc.column,
                });
            }
        }
    }
    parsed.errors.sort_by_key(|e| (e.line, e.column));
    cap_errors(source, &mut parsed.errors, limits.max_errors);
    parsed
}

/// Keeps the first `max_errors` errors (by position) and replaces the rest
/// with one that says where reporting stopped. The YAML reader has already
/// stopped reading at its own error after `max_errors`.
fn cap_errors(source: &str, errors: &mut Vec<CatalogError>, max_errors: usize) {
    let Some(next) = errors.get(max_errors) else {
        return;
    };
    let stopped = CatalogError {
        kind: ErrorKind::Limit,
        source: source.to_string(),
        line: next.line,
        column: next.column,
        entity: None,
        path: None,
        message: format!(
            "stopped after {max_errors} errors, the limit for one file; fix the errors above and check the file again"
        ),
    };
    errors.truncate(max_errors);
    errors.push(stopped);
}

fn check_size(source: &str, len: usize, limits: &Limits) -> Option<CatalogError> {
    (len > limits.max_bytes).then(|| CatalogError {
        kind: ErrorKind::Limit,
        source: source.to_string(),
        line: 0,
        column: 0,
        entity: None,
        path: None,
        message: format!(
            "file is {len} bytes, more than the limit of {} bytes; split it into several files",
            limits.max_bytes
        ),
    })
}

fn only(error: CatalogError) -> Parsed {
    Parsed {
        entities: Vec::new(),
        errors: vec![error],
    }
}

fn yaml_error(source: &str, e: YamlError) -> CatalogError {
    CatalogError {
        kind: match e.kind {
            YamlErrorKind::Syntax => ErrorKind::Syntax,
            YamlErrorKind::Limit => ErrorKind::Limit,
        },
        source: source.to_string(),
        line: e.line,
        column: e.column,
        entity: None,
        path: None,
        message: e.message,
    }
}

/// `kind:namespace/name` of a raw document, when it names a kind and name,
/// so errors can say which entity they are about.
fn entity_label(value: &Value) -> Option<String> {
    let kind = value.get("kind")?.as_str()?;
    let meta = value.get("metadata")?;
    let name = meta.get("name")?.as_str()?;
    let namespace = meta
        .get("namespace")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_NAMESPACE);
    Some(format!(
        "{}:{}/{name}",
        kind.to_lowercase(),
        namespace.to_lowercase()
    ))
}

/// 1-based line and column just after `text`.
fn line_column(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let last_line = text.rsplit('\n').next().unwrap_or_default();
    (line, last_line.chars().count() + 1)
}

#[cfg(test)]
mod tests;
