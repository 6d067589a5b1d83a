//! What an API entity's OpenAPI definition offers, in brief: its title, its version and
//! its operations (method, path, summary) — what the catalog shows on an API's page.
//!
//! The definition is read with the catalog's own YAML reader and [`Limits`] (JSON is
//! YAML), so an untrusted definition costs no more than a catalog file.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::yaml::{Limits, load_documents};

/// Operations listed from one definition; the rest are left out.
pub const MAX_OPERATIONS: usize = 500;

/// The HTTP methods a path item may define operations for, in OpenAPI's order.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// An OpenAPI definition, summarised.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenApiSummary {
    /// `info.title`.
    pub title: Option<String>,
    /// `info.version`.
    pub version: Option<String>,
    /// In the order of `paths`, then of [`METHODS`]; at most [`MAX_OPERATIONS`].
    pub operations: Vec<Operation>,
}

/// One operation: a method on a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Upper case (`GET`).
    pub method: String,
    pub path: String,
    /// The operation's `summary`, else its `operationId`, else its `description`; may
    /// be empty.
    pub summary: String,
}

/// Why a definition could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenApiError(String);

impl std::fmt::Display for OpenApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenApiError {}

/// Summarises an OpenAPI definition written in YAML or JSON. A document that is not an
/// OpenAPI mapping (no `paths`, no `info`) summarises to nothing rather than failing:
/// only text that does not read as one YAML document is an error.
pub fn summarize_openapi(definition: &str) -> Result<OpenApiSummary, OpenApiError> {
    let (mut documents, errors) = load_documents(definition, &Limits::default());
    if let Some(error) = errors.first() {
        return Err(OpenApiError(format!(
            "line {}, column {}: {}",
            error.line, error.column, error.message
        )));
    }
    if documents.len() > 1 {
        return Err(OpenApiError(format!(
            "it holds {} YAML documents; a definition is one",
            documents.len()
        )));
    }
    let document = documents.pop().map(|d| d.value).unwrap_or(Value::Null);
    Ok(summarize(&document))
}

fn summarize(document: &Value) -> OpenApiSummary {
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
                    .find_map(|key| operation.get(*key).and_then(Value::as_str))
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
            .get("info")
            .and_then(|info| info.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    OpenApiSummary {
        title: info("title"),
        version: info("version"),
        operations,
    }
}

#[cfg(test)]
mod tests;
