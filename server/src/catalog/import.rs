//! Turning catalog files into stored entities: parse and validate with the `catalog`
//! crate (off the async threads, see `parsing`), then apply the whole batch in one
//! transaction, or nothing.

use crate::catalog::parsing::{CatalogParser, ParseError};
use catalog::{CatalogError, Entity, Limits, Parsed};
use std::time::Duration;
use store::{BatchOutcome, EntityRecord, LocationRecord, RelationRecord, Store, StoreError};

/// How long [`import_text`] waits for its text to be parsed.
const TEXT_PARSE_DEADLINE: Duration = Duration::from_secs(60);

/// Why a batch was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} problem(s) in the catalog files; nothing was imported", .0.len())]
    Invalid(Vec<CatalogError>),
    #[error("the catalog text {0}")]
    Parse(ParseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses `text` (read from `source`) with the default limits and, when every document
/// is valid, replaces what `location` provided before with its entities. For text the
/// portal trusts (the built-in demo); what users send is parsed with the ingester's
/// parser ([`crate::catalog::ingest::Ingester::parser`]), whose limits are configured.
pub async fn import_text(
    store: &Store,
    location: &LocationRecord,
    source: &str,
    text: &str,
) -> Result<BatchOutcome, ImportError> {
    let parsed = CatalogParser::new(Limits::default(), TEXT_PARSE_DEADLINE)
        .parse_text(source, text.to_string())
        .await
        .map_err(ImportError::Parse)?;
    import_parsed(store, location, parsed).await
}

/// Applies already parsed documents; any error refuses the whole batch.
pub async fn import_parsed(
    store: &Store,
    location: &LocationRecord,
    parsed: Parsed,
) -> Result<BatchOutcome, ImportError> {
    if !parsed.errors.is_empty() {
        return Err(ImportError::Invalid(parsed.errors));
    }
    let entities: Vec<Entity> = parsed.entities.into_iter().map(|p| p.entity).collect();
    let (records, relations) = records(&entities);
    Ok(store
        .apply_location_batch(location, &records, &relations)
        .await?)
}

/// The rows the store keeps for `entities`: indexed columns, the body with its outgoing
/// relations (as Backstage returns entities), and every relation in both directions.
pub fn records(entities: &[Entity]) -> (Vec<EntityRecord>, Vec<RelationRecord>) {
    let mut records = Vec::with_capacity(entities.len());
    let mut relations = Vec::new();
    for entity in entities {
        let origin = entity.entity_ref().key();
        let implied = catalog::relations(entity);
        let mut body = entity.clone();
        body.relations = implied
            .iter()
            .filter(|r| r.source.key() == origin)
            .map(|r| r.to_entity_relation())
            .collect();
        relations.extend(implied.iter().map(|r| RelationRecord {
            origin_ref: origin.clone(),
            source_ref: r.source.key(),
            relation_type: r.type_.clone(),
            target_ref: r.target.key(),
        }));
        records.push(EntityRecord {
            entity_ref: origin,
            kind: entity.kind.to_lowercase(),
            namespace: entity.metadata.namespace.to_lowercase(),
            name: entity.metadata.name.clone(),
            title: entity.metadata.title.clone(),
            description: entity.metadata.description.clone(),
            spec_type: entity.spec_type().map(str::to_string),
            lifecycle: entity.lifecycle().map(str::to_string),
            owner_ref: entity.owner().map(|r| r.key()),
            system_ref: entity.system().map(|r| r.key()),
            etag: catalog::etag(&body),
            body: body.to_value(),
        });
    }
    (records, relations)
}
