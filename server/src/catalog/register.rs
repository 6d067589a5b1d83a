//! The register page's access to ingestion: pasted YAML becomes an `inline` location
//! applied in one transaction; a URL becomes a `url` location read at once, as
//! `POST /api/catalog/locations` does.

use crate::catalog::import::{ImportError, import_text, records};
use crate::catalog::ingest::{IngestError, Ingester, Target};
use app::{RegisterIssue, RegisterSource, Registrar, RegistrarError, RegistrarFuture};
use catalog::{CatalogError, Limits};
use chrono::Utc;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use store::{LocationRecord, Store};

/// What the pasted text is called in error messages.
const PASTED: &str = "pasted YAML";

pub struct PageRegistrar {
    pub store: Store,
    pub ingester: Arc<Ingester>,
    pub worker: Arc<str>,
}

impl Registrar for PageRegistrar {
    fn preview(&self, source: RegisterSource) -> RegistrarFuture<'_, Vec<(String, String)>> {
        Box::pin(async move {
            let entities = match source {
                RegisterSource::Yaml(text) => {
                    let parsed = catalog::parse_documents(PASTED, &text, &self.limits());
                    if !parsed.errors.is_empty() {
                        return Err(RegistrarError::Invalid(issues(&parsed.errors)));
                    }
                    parsed.entities.into_iter().map(|p| p.entity).collect()
                }
                RegisterSource::Url(url) => {
                    let target = Target::parse("url", &url).map_err(ingest_error)?;
                    self.ingester.preview(&target).await.map_err(ingest_error)?
                }
            };
            let (records, _) = records(&entities);
            Ok(records
                .into_iter()
                .map(|r| (r.entity_ref, r.etag))
                .collect())
        })
    }

    fn register(&self, source: RegisterSource) -> RegistrarFuture<'_, Vec<String>> {
        Box::pin(async move {
            match source {
                RegisterSource::Yaml(text) => {
                    let location = LocationRecord {
                        location_type: "inline".into(),
                        target: inline_target(&text),
                    };
                    let outcome = import_text(&self.store, &location, PASTED, &text)
                        .await
                        .map_err(|error| match error {
                            ImportError::Invalid(errors) => {
                                RegistrarError::Invalid(issues(&errors))
                            }
                            ImportError::Store(error) => {
                                RegistrarError::Internal(error.to_string())
                            }
                        })?;
                    if !outcome.conflicts.is_empty() {
                        return Err(RegistrarError::User(format!(
                            "Already defined by another location, so not registered: {}",
                            outcome.conflicts.join(", ")
                        )));
                    }
                    let parsed = catalog::parse_documents(PASTED, &text, &self.limits());
                    Ok(parsed
                        .entities
                        .iter()
                        .map(|p| p.entity.entity_ref().key())
                        .collect())
                }
                RegisterSource::Url(url) => {
                    let target = Target::parse("url", &url).map_err(ingest_error)?;
                    let (row, _) = self
                        .store
                        .add_location(target.location_type(), &target.target(), Utc::now())
                        .await
                        .map_err(|e| RegistrarError::Internal(e.to_string()))?;
                    match self
                        .ingester
                        .process_now(&self.store, &row.id, &self.worker)
                        .await
                        .map_err(|e| RegistrarError::Internal(e.to_string()))?
                    {
                        Some(Ok(applied)) => Ok(applied
                            .entities
                            .iter()
                            .map(|e| e.entity_ref().key())
                            .collect()),
                        Some(Err(error)) => Err(ingest_error(error)),
                        // Another replica is reading it right now; its entities follow.
                        None => Ok(Vec::new()),
                    }
                }
            }
        })
    }
}

impl PageRegistrar {
    fn limits(&self) -> Limits {
        Limits {
            max_bytes: self.ingester.config().max_file_bytes as usize,
            ..Limits::default()
        }
    }
}

/// The same text always gets the same target, so registering it twice updates one
/// location instead of conflicting with itself.
fn inline_target(text: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    format!("inline:{:016x}", hasher.finish())
}

fn issues(errors: &[CatalogError]) -> Vec<RegisterIssue> {
    errors
        .iter()
        .map(|e| RegisterIssue {
            source: e.source.clone(),
            line: e.line,
            column: e.column,
            entity: e.entity.clone(),
            path: e.path.clone(),
            message: e.message.clone(),
        })
        .collect()
}

fn ingest_error(error: IngestError) -> RegistrarError {
    match error {
        IngestError::Invalid(errors) => RegistrarError::Invalid(issues(&errors)),
        IngestError::Store(error) => RegistrarError::Internal(error.to_string()),
        other => RegistrarError::User(other.to_string()),
    }
}
