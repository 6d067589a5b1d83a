//! The register page's access to drafts and ingestion: pasted YAML is kept as a bounded
//! draft for its preview URL, and becomes an `inline` location applied in one
//! transaction; a URL becomes a `url` location read at once, as
//! `POST /api/catalog/locations` does. Text is parsed off the async threads. A GitHub
//! repository's URL is read from its catalog file, or, without one, answered with the
//! Component proposed for it (`catalog::api::generate`).

use crate::catalog::api::generate::{self, Analysis, AnalyzeError};
use crate::catalog::import::{ImportError, import_parsed, records};
use crate::catalog::ingest::{IngestError, Ingester, Target};
use crate::catalog::parsing::ParseError;
use crate::config::DraftConfig;
use crate::integrations::github::GithubIntegration;
use app::{
    RegisterIssue, RegisterPreviewRaw, RegisterProposal, RegisterSource, Registrar, RegistrarError,
    RegistrarFuture,
};
use catalog::{CatalogError, Parsed};
use chrono::Utc;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;
use store::{DraftLimits, DraftSave, LocationRecord, Store};

/// What the pasted text is called in error messages.
const PASTED: &str = "pasted YAML";

/// Registration for one request, from one client.
pub struct PageRegistrar {
    pub store: Store,
    pub ingester: Arc<Ingester>,
    pub worker: Arc<str>,
    pub drafts: DraftConfig,
    /// The GitHub hosts whose repository URLs get a proposed entity.
    pub github: GithubIntegration,
    /// Who is asking ([`crate::identity::client_key`]); drafts are counted per client.
    pub client: String,
}

impl Registrar for PageRegistrar {
    fn save_draft(&self, yaml: String) -> RegistrarFuture<'_, String> {
        Box::pin(async move {
            let max = self.ingester.config().max_file_bytes;
            if yaml.len() as u64 > max {
                return Err(RegistrarError::User(format!(
                    "The pasted text is {} bytes, more than the {max} bytes a catalog file may \
                     have (catalog_max_file_bytes), so it was not kept. Split it into smaller \
                     parts and register each, or register the file from a URL.",
                    yaml.len()
                )));
            }
            // Per client the oldest drafts go: someone previewing edit after edit needs
            // only the latest, and a client can push out only its own drafts. At the total
            // new drafts are refused instead: evicting there would let one client (or one
            // with many addresses) push out everyone's drafts in progress, whereas
            // refusing leaves them alone, and it bounds storage at
            // register_drafts_total × catalog_max_file_bytes.
            let limits = self.draft_limits();
            match self
                .store
                .save_register_draft(&self.client, &yaml, Utc::now(), &limits)
                .await
            {
                Ok(DraftSave::Saved(id)) => Ok(id),
                Ok(DraftSave::Full) => {
                    tracing::warn!(
                        client = %self.client,
                        total = limits.total,
                        "register drafts: the portal keeps the most it may; a new one was refused"
                    );
                    Err(RegistrarError::User(format!(
                        "The portal already keeps {} register drafts, the most it keeps at once \
                         (register_drafts_total), so this one was not kept. Drafts expire {} \
                         after they are pasted: try again in a few minutes, or register the \
                         file from a URL.",
                        limits.total,
                        lifetime(self.drafts.lifetime)
                    )))
                }
                Err(error) => Err(RegistrarError::Internal(error.to_string())),
            }
        })
    }

    fn draft(&self, id: String) -> RegistrarFuture<'_, String> {
        Box::pin(async move {
            let oldest = Utc::now() - self.draft_limits().lifetime;
            match self.store.register_draft(&id, oldest).await {
                Ok(Some(yaml)) => Ok(yaml),
                Ok(None) => Err(RegistrarError::User(format!(
                    "This draft is no longer here (drafts are kept for {}, and only the {} \
                     latest of each client); paste the YAML again.",
                    lifetime(self.drafts.lifetime),
                    self.drafts.per_client
                ))),
                Err(error) => Err(RegistrarError::Internal(error.to_string())),
            }
        })
    }

    fn preview(&self, source: RegisterSource) -> RegistrarFuture<'_, RegisterPreviewRaw> {
        Box::pin(async move {
            let mut file_url = None;
            let entities = match source {
                RegisterSource::Yaml(text) => {
                    let parsed = self.parse(text).await?;
                    if !parsed.errors.is_empty() {
                        return Err(RegistrarError::Invalid(issues(&parsed.errors)));
                    }
                    parsed.entities.into_iter().map(|p| p.entity).collect()
                }
                RegisterSource::Url(url) => {
                    let target = Target::parse("url", &url).map_err(ingest_error)?;
                    match generate::analyze(&self.ingester, &self.github, &target)
                        .await
                        .map_err(analyze_error)?
                    {
                        Analysis::Entities { location, entities } => {
                            file_url = (location != target).then(|| location.target());
                            entities
                        }
                        Analysis::Proposal {
                            repository,
                            proposal,
                        } => {
                            let yaml = proposal.to_yaml();
                            return Ok(RegisterPreviewRaw {
                                proposal: Some((
                                    yaml,
                                    RegisterProposal {
                                        repository,
                                        fields: proposal.fields,
                                    },
                                )),
                                ..Default::default()
                            });
                        }
                    }
                }
            };
            let (records, _) = records(&entities);
            Ok(RegisterPreviewRaw {
                entities: records
                    .into_iter()
                    .map(|r| (r.entity_ref, r.etag))
                    .collect(),
                file_url,
                proposal: None,
            })
        })
    }

    fn register(
        &self,
        source: RegisterSource,
        registrant: Option<String>,
    ) -> RegistrarFuture<'_, Vec<String>> {
        Box::pin(async move {
            match source {
                RegisterSource::Yaml(text) => {
                    let location = LocationRecord {
                        location_type: "inline".into(),
                        target: inline_target(&text),
                    };
                    let parsed = self.parse(text).await?;
                    if let Some(who) = &registrant {
                        crate::catalog::ingest::refuse_people(
                            parsed.entities.iter().map(|p| &p.entity),
                            who,
                        )
                        .map_err(ingest_error)?;
                    }
                    let refs = parsed
                        .entities
                        .iter()
                        .map(|p| p.entity.entity_ref().key())
                        .collect();
                    let outcome = import_parsed(&self.store, &location, parsed)
                        .await
                        .map_err(|error| match error {
                            ImportError::Invalid(errors) => {
                                RegistrarError::Invalid(issues(&errors))
                            }
                            other => RegistrarError::Internal(other.to_string()),
                        })?;
                    if !outcome.conflicts.is_empty() {
                        return Err(RegistrarError::User(format!(
                            "Already defined by another location, so not registered: {}",
                            outcome.conflicts.join(", ")
                        )));
                    }
                    let row = self
                        .store
                        .location_by_target(&location.location_type, &location.target)
                        .await
                        .map_err(|e| RegistrarError::Internal(e.to_string()))?;
                    self.record_registrant(row, registrant).await?;
                    Ok(refs)
                }
                RegisterSource::Url(url) => {
                    let mut target = Target::parse("url", &url).map_err(ingest_error)?;
                    // A repository is registered through its catalog file.
                    if generate::names_repository(&target, &self.github) {
                        match generate::analyze(&self.ingester, &self.github, &target)
                            .await
                            .map_err(analyze_error)?
                        {
                            Analysis::Entities { location, .. } => target = location,
                            Analysis::Proposal { repository, .. } => {
                                return Err(RegistrarError::User(format!(
                                    "{repository} has no catalog-info.yaml: preview its URL \
                                     to get a proposed entity, edit it and register that."
                                )));
                            }
                        }
                    }
                    let (row, _) = self
                        .store
                        .add_location_by(
                            target.location_type(),
                            &target.target(),
                            registrant.as_deref(),
                            Utc::now(),
                        )
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
    /// Records who registered `location`, unless someone did before.
    async fn record_registrant(
        &self,
        location: Option<store::LocationRow>,
        registrant: Option<String>,
    ) -> Result<(), RegistrarError> {
        let (Some(location), Some(who)) = (location, registrant) else {
            return Ok(());
        };
        if location.registered_by.is_some() {
            return Ok(());
        }
        self.store
            .set_location_registrant(&location.id, &who)
            .await
            .map_err(|e| RegistrarError::Internal(e.to_string()))
    }

    fn draft_limits(&self) -> DraftLimits {
        DraftLimits {
            // The configuration keeps it within a day, far inside chrono's range.
            lifetime: chrono::Duration::from_std(self.drafts.lifetime).unwrap_or_default(),
            per_client: self.drafts.per_client,
            total: self.drafts.total,
        }
    }

    /// Parses pasted text with the ingester's limits, off the async threads.
    async fn parse(&self, text: String) -> Result<Parsed, RegistrarError> {
        self.ingester
            .parser()
            .parse_text(PASTED, text)
            .await
            .map_err(|error: ParseError| RegistrarError::User(format!("The {PASTED} {error}")))
    }
}

/// A lifetime as people say it: `1 hour`, `90 minutes`.
fn lifetime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let (n, unit) = if seconds.is_multiple_of(3600) {
        (seconds / 3600, "hour")
    } else if seconds.is_multiple_of(60) {
        (seconds / 60, "minute")
    } else {
        (seconds, "second")
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
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

fn analyze_error(error: AnalyzeError) -> RegistrarError {
    match error {
        AnalyzeError::NotFound(message) => RegistrarError::User(message),
        AnalyzeError::Ingest(error) => ingest_error(error),
    }
}

fn ingest_error(error: IngestError) -> RegistrarError {
    match error {
        IngestError::Invalid(errors) => RegistrarError::Invalid(issues(&errors)),
        IngestError::Store(error) => RegistrarError::Internal(error.to_string()),
        other => RegistrarError::User(other.to_string()),
    }
}
