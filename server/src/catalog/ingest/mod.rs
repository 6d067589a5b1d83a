//! Ingestion: reading registered locations into the catalog.
//!
//! A location (`url` or `file`) is read together with every location its `Location`
//! entities point at, recursively and relative to the file that names them; all the
//! entities found form one batch, which the store applies in one transaction or not at
//! all. A read that fails (unreachable, invalid, too large) changes no entity: the last
//! good ones stay and the error is recorded on the location.

mod file;
mod github;
mod net;
mod url;

pub use net::{AddressPolicy, forbidden_reason};

use crate::catalog::import::records;
use crate::catalog::parsing::{CatalogParser, ParseError};
use crate::config::{IngestConfig, OrphanStrategy};
use crate::integrations::github::GithubIntegration;
use catalog::{CatalogError, Entity, ErrorKind, Limits};
use chrono::Utc;
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::{BatchOutcome, LocationRecord, LocationRow, ReadResult, Store, StoreError};
use url::UrlReader;

/// How deep `Location` entities may nest below the registered location.
pub const MAX_DEPTH: usize = 8;
/// Most files one registered location may expand to.
pub const MAX_FILES: usize = 200;

/// A location's type and target, checked: parse, don't validate.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// An absolute path.
    File(PathBuf),
    /// An http(s) URL.
    Url(::url::Url),
}

impl Target {
    /// Checks a type and target given by a user or read from the database.
    pub fn parse(location_type: &str, target: &str) -> Result<Target, IngestError> {
        let target = target.trim();
        match location_type {
            "url" => {
                let url = ::url::Url::parse(target)
                    .map_err(|e| IngestError::Target(format!("{target:?} is not a URL ({e})")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(IngestError::Target(format!(
                        "{target:?}: url locations must be http or https URLs"
                    )));
                }
                Ok(Target::Url(url))
            }
            "file" => {
                let path = PathBuf::from(target.strip_prefix("file://").unwrap_or(target));
                if !path.is_absolute() {
                    return Err(IngestError::Target(format!(
                        "{target:?}: file locations need an absolute path"
                    )));
                }
                Ok(Target::File(path))
            }
            other => Err(IngestError::Target(format!(
                "location type {other:?} is not supported; use url or file"
            ))),
        }
    }

    pub fn location_type(&self) -> &'static str {
        match self {
            Target::File(_) => "file",
            Target::Url(_) => "url",
        }
    }

    pub fn target(&self) -> String {
        match self {
            Target::File(path) => path.display().to_string(),
            Target::Url(url) => url.to_string(),
        }
    }

    /// Backstage's location ref, e.g. `url:https://…`.
    pub fn location_ref(&self) -> String {
        format!("{}:{}", self.location_type(), self.target())
    }

    /// A `Location` entity's target, relative to this location. A remote file may not
    /// point at local files.
    fn child(&self, spec_type: Option<&str>, target: &str) -> Result<Target, IngestError> {
        let child_type = spec_type.unwrap_or(self.location_type());
        match (self, child_type) {
            (Target::Url(base), "url") => {
                let url = base
                    .join(target)
                    .map_err(|e| IngestError::Target(format!("{target:?} is not a URL ({e})")))?;
                Target::parse("url", url.as_str())
            }
            (Target::File(_), "url") => Target::parse("url", target),
            (Target::File(base), "file") => {
                let dir = base.parent().unwrap_or(Path::new("/"));
                Ok(Target::File(normalize(&dir.join(target))))
            }
            (Target::Url(_), "file") => Err(IngestError::Target(format!(
                "{target:?}: a url location cannot point at a file location"
            ))),
            (_, other) => Err(IngestError::Target(format!(
                "location type {other:?} is not supported; use url or file"
            ))),
        }
    }
}

impl Target {
    /// The problems of this file as they may be shown: a URL's answer can be anything
    /// (an internal service's page, a secret in a private repository), and the parser's
    /// messages quote the text, so for URLs only where and what kind of problem remain.
    /// Local files are under the operator's roots and keep every detail.
    fn shown(&self, errors: Vec<CatalogError>) -> Vec<CatalogError> {
        match self {
            Target::File(_) => errors,
            Target::Url(_) => without_content(errors),
        }
    }
}

/// `errors` reduced to place and kind. Encoding and limit messages name only offsets and
/// limits, so they stay; the others quote values, keys or names and are replaced.
fn without_content(errors: Vec<CatalogError>) -> Vec<CatalogError> {
    let hidden = |what: &str| {
        format!(
            "{what} (details are not shown for URL locations; check the file with \
             `portico catalog validate` or paste it on the register page)"
        )
    };
    let mut shown: Vec<CatalogError> = Vec::new();
    for error in errors {
        let message = match error.kind {
            ErrorKind::Encoding | ErrorKind::Limit => error.message,
            ErrorKind::Syntax => hidden("is not valid YAML"),
            ErrorKind::Invalid => hidden("is not a valid catalog entity"),
            ErrorKind::Duplicate => hidden("defines an entity that is defined elsewhere too"),
        };
        let error = CatalogError {
            entity: None,
            path: None,
            message,
            ..error
        };
        if !shown.contains(&error) {
            shown.push(error);
        }
    }
    shown
}

/// Removes `.` and resolves `..` lexically (the file reader resolves symlinks and checks
/// the roots; this only gives cycles one spelling).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Why one file could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("{0}")]
    Other(String),
}

impl ReadError {
    pub(crate) fn not_found(message: impl Into<String>) -> ReadError {
        ReadError::NotFound(message.into())
    }
    pub(crate) fn refused(message: impl Into<String>) -> ReadError {
        ReadError::Refused(message.into())
    }
    pub(crate) fn other(message: impl Into<String>) -> ReadError {
        ReadError::Other(message.into())
    }
    pub(crate) fn too_large(max: u64) -> ReadError {
        ReadError::Refused(format!(
            "is larger than {max} bytes (catalog_max_file_bytes); split it into several files"
        ))
    }
}

/// Why a location's batch was not applied.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The type or target cannot be used.
    #[error("{0}")]
    Target(String),
    #[error("{target}: {error}")]
    Read { target: String, error: ReadError },
    #[error("{}", invalid_summary(.0))]
    Invalid(Vec<CatalogError>),
    #[error("{target}: {error}")]
    Parse { target: String, error: ParseError },
    #[error("{0}")]
    Limit(String),
    /// The location holds what whoever registered it may not provide.
    #[error("{0}")]
    NotAllowed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Refuses User and Group entities from a location a person registered (`registrant`).
/// They say who is in which team, and so who may change what: were anyone signed in able
/// to register them, they could make themselves a member of the admins' group, or a child
/// team of it. People and teams come from locations the operators add (`portico catalog
/// import`, the configuration), as Backstage reads them from an org provider.
pub fn refuse_people<'a>(
    entities: impl IntoIterator<Item = &'a Entity>,
    registrant: &str,
) -> Result<(), IngestError> {
    let people: Vec<String> = entities
        .into_iter()
        .filter(|e| e.kind.eq_ignore_ascii_case("user") || e.kind.eq_ignore_ascii_case("group"))
        .map(|e| e.entity_ref().key())
        .collect();
    if people.is_empty() {
        return Ok(());
    }
    Err(IngestError::NotAllowed(format!(
        "{}: User and Group entities decide who may change what, so they are read only from \
         locations the portal's operators add (portico catalog import), not from one {registrant} \
         registered. Move them to a file the operators import, or ask them to.",
        people.join(", ")
    )))
}

impl IngestError {
    /// Whether the problem is with the input (as opposed to the portal's database).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, IngestError::Store(_))
    }
}

fn invalid_summary(errors: &[CatalogError]) -> String {
    const SHOWN: usize = 20;
    let mut lines: Vec<String> = errors.iter().take(SHOWN).map(|e| e.to_string()).collect();
    if errors.len() > SHOWN {
        lines.push(format!("… and {} more", errors.len() - SHOWN));
    }
    lines.join("\n")
}

/// An entity read from a location, with the file it came from.
#[derive(Debug, Clone)]
pub struct ReadEntity {
    pub entity: Entity,
    pub source: Target,
}

/// The outcome of applying a location.
#[derive(Debug, Clone)]
pub struct Applied {
    pub entities: Vec<Entity>,
    pub outcome: BatchOutcome,
    /// Entities kept although the location no longer provides them (strategy `keep`).
    pub kept_orphans: Vec<String>,
}

/// Reads locations and applies them to the store. One per process; cheap to share.
pub struct Ingester {
    config: IngestConfig,
    /// How long a claim on a location lasts unless extended (`background_lease_secs`).
    lease: Duration,
    urls: UrlReader,
    parser: CatalogParser,
}

impl Ingester {
    pub fn new(config: &IngestConfig, github: &GithubIntegration, lease: Duration) -> Ingester {
        let urls = UrlReader::new(config, github);
        let limits = Limits {
            max_bytes: config.max_file_bytes as usize,
            ..Limits::default()
        };
        Ingester {
            config: config.clone(),
            lease,
            urls,
            parser: CatalogParser::new(limits, config.parse_timeout),
        }
    }

    /// How long a claim on a location lasts unless extended.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    pub fn config(&self) -> &IngestConfig {
        &self.config
    }

    /// Parses catalog text with the configured limits, off the async threads.
    pub fn parser(&self) -> &CatalogParser {
        &self.parser
    }

    async fn read_bytes(&self, target: &Target) -> Result<Vec<u8>, ReadError> {
        match target {
            Target::File(path) => {
                file::read(
                    &self.config.file_roots,
                    path,
                    self.config.max_file_bytes,
                    self.config.read_timeout,
                )
                .await
            }
            Target::Url(url) => self.urls.read(url).await,
        }
    }

    /// Reads `root` and every location its `Location` entities point at. Any unreadable
    /// or invalid file fails the whole read; a target named twice is read once (cycles
    /// end there); a target marked `presence: optional` may be missing.
    pub async fn read(&self, root: &Target) -> Result<Vec<ReadEntity>, IngestError> {
        let mut queue = VecDeque::from([(root.clone(), 0usize, false)]);
        let mut seen = HashSet::from([root.clone()]);
        let mut entities: Vec<ReadEntity> = Vec::new();
        let mut defined: HashMap<String, String> = HashMap::new();
        let mut files = 0;
        while let Some((target, depth, optional)) = queue.pop_front() {
            files += 1;
            if files > MAX_FILES {
                return Err(IngestError::Limit(format!(
                    "{}: expands to more than {MAX_FILES} files through Location entities",
                    root.target()
                )));
            }
            let bytes = match self.read_bytes(&target).await {
                Ok(bytes) => bytes,
                Err(ReadError::NotFound(_)) if optional => continue,
                Err(error) => {
                    return Err(IngestError::Read {
                        target: target.target(),
                        error,
                    });
                }
            };
            let parsed = self
                .parser
                .parse_bytes(&target.target(), bytes)
                .await
                .map_err(|error| IngestError::Parse {
                    target: target.target(),
                    error,
                })?;
            if !parsed.errors.is_empty() {
                return Err(IngestError::Invalid(target.shown(parsed.errors)));
            }
            for parsed in parsed.entities {
                let key = parsed.entity.entity_ref().key();
                if let Some(first) = defined.insert(key.clone(), target.target()) {
                    return Err(IngestError::Invalid(target.shown(vec![CatalogError {
                        kind: ErrorKind::Duplicate,
                        source: target.target(),
                        line: parsed.line,
                        column: parsed.column,
                        entity: Some(key),
                        path: None,
                        message: format!(
                            "is also defined in {first}; an entity may come from one file only"
                        ),
                    }])));
                }
                if parsed.entity.is_kind_location() {
                    let spec = &parsed.entity.spec;
                    let spec_type = spec.get("type").and_then(|v| v.as_str());
                    let optional =
                        spec.get("presence").and_then(|v| v.as_str()) == Some("optional");
                    let targets = spec
                        .get("target")
                        .and_then(|v| v.as_str())
                        .into_iter()
                        .chain(
                            spec.get("targets")
                                .and_then(|v| v.as_array())
                                .into_iter()
                                .flatten()
                                .filter_map(|v| v.as_str()),
                        );
                    for child in targets {
                        let child = target.child(spec_type, child)?;
                        if depth + 1 > MAX_DEPTH {
                            return Err(IngestError::Limit(format!(
                                "{}: Location entities nest more than {MAX_DEPTH} levels deep",
                                target.target()
                            )));
                        }
                        if seen.insert(child.clone()) {
                            queue.push_back((child, depth + 1, optional));
                        }
                    }
                }
                entities.push(ReadEntity {
                    entity: parsed.entity,
                    source: target.clone(),
                });
            }
        }
        Ok(entities)
    }

    /// Reads `root` and returns its entities as the catalog would store them (with
    /// Backstage's `managed-by-location` annotations), without writing anything.
    pub async fn preview(&self, root: &Target) -> Result<Vec<Entity>, IngestError> {
        let read = self.read(root).await?;
        Ok(read
            .into_iter()
            .map(|r| annotated(r.entity, &r.source, root))
            .collect())
    }

    /// Reads `location` and applies its batch in one transaction. Nothing is written when
    /// the read fails.
    pub async fn apply(
        &self,
        store: &Store,
        location: &LocationRow,
    ) -> Result<Applied, IngestError> {
        let root = Target::parse(&location.location_type, &location.target)?;
        let entities = self.preview(&root).await?;
        if let Some(registrant) = &location.registered_by {
            refuse_people(&entities, registrant)?;
        }
        let (records, relations) = records(&entities);
        let kept_orphans = match self.config.orphan_strategy {
            OrphanStrategy::Delete => Vec::new(),
            OrphanStrategy::Keep => {
                let provided: Vec<String> = records.iter().map(|r| r.entity_ref.clone()).collect();
                store.detach_orphans(&location.id, &provided).await?
            }
        };
        let record = LocationRecord {
            location_type: location.location_type.clone(),
            target: location.target.clone(),
        };
        let outcome = store
            .apply_location_batch(&record, &records, &relations)
            .await?;
        Ok(Applied {
            entities,
            outcome,
            kept_orphans,
        })
    }

    /// Applies a location `worker` has claimed, then records the result on it, schedules
    /// the next read and releases the claim.
    pub async fn process_claimed(
        &self,
        store: &Store,
        location: &LocationRow,
        worker: &str,
    ) -> Result<Applied, IngestError> {
        // A tree of many slow files can take longer than one lease: keep the claim.
        let result = crate::work::with_heartbeat(self.apply(store, location), self.lease, || {
            store.extend_location_claim(&location.id, worker, Utc::now(), self.lease)
        })
        .await;
        let now = Utc::now();
        let next =
            now + chrono::TimeDelta::from_std(self.config.refresh_interval).unwrap_or_default();
        let recorded = match &result {
            Ok(applied) => ReadResult::Applied {
                conflicts: applied.outcome.conflicts.clone(),
            },
            Err(error) => ReadResult::Failed {
                error: error.to_string(),
            },
        };
        match &result {
            Ok(applied) => tracing::info!(
                location = %location.id, target = %location.target,
                written = applied.outcome.written, removed = applied.outcome.removed,
                conflicts = applied.outcome.conflicts.len(), "location read"
            ),
            Err(error) if error.is_user_error() => tracing::warn!(
                location = %location.id, target = %location.target, %error,
                "location could not be read; its last good entities stay"
            ),
            Err(error) => tracing::error!(location = %location.id, %error, "location read failed"),
        }
        store
            .finish_location_read(&location.id, worker, now, next, &recorded)
            .await?;
        result
    }

    /// Reads a location now if no other worker is reading it; otherwise asks for a read
    /// as soon as that worker is done. `Ok(None)` when it was handed over.
    pub async fn process_now(
        &self,
        store: &Store,
        location_id: &str,
        worker: &str,
    ) -> Result<Option<Result<Applied, IngestError>>, StoreError> {
        // Locations the loop does not read (the demo's, a GitHub org provider's) are
        // written by whoever made them: refreshing one asks its provider to run.
        if let Some(location) = store.location(location_id).await?
            && !matches!(location.location_type.as_str(), "url" | "file")
        {
            if let Some(provider) = &location.provider_id {
                store.request_provider_run(provider).await?;
            }
            return Ok(None);
        }
        match store
            .claim_location(location_id, worker, Utc::now(), self.lease)
            .await?
        {
            Some(location) => Ok(Some(self.process_claimed(store, &location, worker).await)),
            None => {
                store.request_location_read(location_id).await?;
                Ok(None)
            }
        }
    }
}

/// Backstage's origin annotations: the file an entity came from, and the registered
/// location that led there.
fn annotated(mut entity: Entity, source: &Target, root: &Target) -> Entity {
    let annotations = &mut entity.metadata.annotations;
    annotations.insert(
        "backstage.io/managed-by-location".into(),
        source.location_ref(),
    );
    annotations.insert(
        "backstage.io/managed-by-origin-location".into(),
        root.location_ref(),
    );
    entity
}

trait KindLocation {
    fn is_kind_location(&self) -> bool;
}

impl KindLocation for Entity {
    fn is_kind_location(&self) -> bool {
        self.kind.eq_ignore_ascii_case("location")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_and_children_resolve_relative_to_their_parent() {
        assert!(Target::parse("url", "ftp://x/y").is_err());
        assert!(Target::parse("file", "relative/catalog.yaml").is_err());
        assert!(Target::parse("git", "x").is_err());
        let file = Target::parse("file", "/srv/catalog/all.yaml").unwrap();
        assert_eq!(
            file.child(None, "../teams/a.yaml").unwrap(),
            Target::File("/srv/teams/a.yaml".into())
        );
        assert_eq!(
            file.child(Some("url"), "https://example.com/c.yaml")
                .unwrap(),
            Target::parse("url", "https://example.com/c.yaml").unwrap()
        );
        let url = Target::parse("url", "https://example.com/org/all.yaml").unwrap();
        assert_eq!(
            url.child(None, "teams/a.yaml").unwrap().target(),
            "https://example.com/org/teams/a.yaml"
        );
        let error = url.child(Some("file"), "/etc/passwd").unwrap_err();
        assert!(
            error.to_string().contains("cannot point at a file"),
            "{error}"
        );
    }

    #[test]
    fn url_problems_keep_their_place_and_kind_but_not_the_text() {
        let text = "password: hunter2\n---\nSECRET-TOKEN-abc\n---\nkey: [1, 2\n";
        let errors = catalog::parse_documents("https://x/c.yaml", text, &Limits::default()).errors;
        let url = Target::parse("url", "https://x/c.yaml").unwrap();
        let shown: Vec<String> = url
            .shown(errors.clone())
            .iter()
            .map(|e| e.to_string())
            .collect();
        let all = shown.join("\n");
        for secret in ["hunter2", "password", "SECRET-TOKEN"] {
            assert!(!all.contains(secret), "{secret} in {all}");
        }
        assert!(
            all.contains("https://x/c.yaml:1:1: is not a valid catalog entity"),
            "{all}"
        );
        assert!(
            all.contains("https://x/c.yaml:3:1: is not a valid catalog entity"),
            "{all}"
        );
        assert!(all.contains("is not valid YAML"), "{all}");
        assert!(all.contains("portico catalog validate"), "{all}");
        assert_eq!(shown.len(), 3, "one line per place and kind: {all}");
        let file = Target::parse("file", "/srv/c.yaml").unwrap();
        assert_eq!(
            file.shown(errors.clone()),
            errors,
            "local files keep every detail"
        );
    }
}
