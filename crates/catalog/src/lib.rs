//! Portico's catalog model: Backstage-compatible entities, entity refs,
//! validation, relations, catalog-file parsing, OpenAPI summaries and the
//! Component proposed for a repository without a catalog file. Pure:
//! no I/O, so the server and the wasm UI run the same rules.
//!
//! The pipeline for a catalog file is [`parse_documents`] (YAML → validated
//! [`Entity`] values with positions and errors) → [`relations`] (spec refs →
//! relation pairs) → the store. Rules follow `@backstage/catalog-model`:
//! the kind JSON schemas, `FieldFormatEntityPolicy`,
//! `NoForeignRootFieldsEntityPolicy`, `DefaultNamespaceEntityPolicy`,
//! `parseEntityRef` and `BuiltinKindsEntityProcessor`.
//!
//! Where Portico differs from, or pins down, Backstage:
//! - `metadata.name` uses catalog-model's actual rule
//!   (`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`, ≤ 63), which accepts
//!   repeated separators such as `a--b`, so every Backstage-valid file loads.
//! - `EntityRef`'s `Display` keeps the name's case; `key()` is the fully
//!   lowercased form that current Backstage's `stringifyEntityRef` prints,
//!   and equality/hashing follow `key()`.
//! - Refs in spec fields must parse (Backstage fails processing instead);
//!   `dependsOn`/`dependencyOf` refs must name their kind.
//! - `Application` (`platform.company.com/v1`) requires `spec.language`
//!   and relates to the Component of the same name by
//!   `generates`/`generatedFrom`, a Portico-only pair.
//! - The same entity twice in one file is an error.
//!
//! YAML: `saphyr-parser`, a maintained pure-Rust YAML 1.2 event parser with
//! positions, so limits (depth, alias expansion) are enforced as events
//! arrive and it builds for wasm32.

mod emit;
mod entity;
mod entity_ref;
pub mod generate;
pub mod github;
mod kind;
pub mod openapi;
mod parse;
pub mod relation;
mod validate;
mod yaml;

pub use emit::{SearchDocument, etag, search_document, to_yaml, value_to_yaml};
pub use entity::{Entity, EntityLink, EntityMeta, EntityRelation};
pub use entity_ref::{DEFAULT_NAMESPACE, EntityRef, RefError};
pub use kind::Kind;
pub use openapi::{OpenApiSummary, summarize_openapi};
pub use parse::{CatalogError, ErrorKind, Parsed, ParsedEntity, parse_bytes, parse_documents};
pub use relation::{Relation, relations};
pub use validate::{
    FieldError, is_valid_api_version, is_valid_dns_label, is_valid_dns_subdomain, is_valid_kind,
    is_valid_label_key, is_valid_label_value, is_valid_object_name, is_valid_tag, is_valid_url,
    validate, validate_value,
};
pub use yaml::Limits;
