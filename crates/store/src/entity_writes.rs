//! Writing entities: a location's batch applied whole or not at all, an entity
//! unregistered through the API, and the end of a bulk load. Every write bumps the
//! catalog version first (the lock that orders writes, see `cache.rs`), then rebuilds
//! the search rows and stored JSON of what it touched (`stitching.rs`).

use crate::cache::bump_catalog_version;
use crate::stitching::{
    SearchRow, index_full_text, insert_search_rows, relation_sources, search_rows, stitch,
};
use crate::{Store, StoreError, Tx, on_pool, on_tx};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Where a batch of entities was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationRecord {
    pub location_type: String,
    pub target: String,
}

/// An entity ready to be stored: the indexed columns are computed by the caller from the
/// validated entity, so the store never interprets entity bodies.
#[derive(Clone, Debug)]
pub struct EntityRecord {
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    pub owner_ref: Option<String>,
    pub system_ref: Option<String>,
    pub body: serde_json::Value,
    pub etag: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationRecord {
    /// The entity whose spec implied this relation.
    pub origin_ref: String,
    pub source_ref: String,
    pub relation_type: String,
    pub target_ref: String,
}

/// The outcome of applying one location's batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub written: usize,
    pub removed: usize,
    /// Entities already claimed by another location; they were left untouched.
    pub conflicts: Vec<String>,
}

/// Rows per multi-row statement, keeping bound parameters under SQLite's limit (32,766)
/// and PostgreSQL's (65,535): 16 per entity row, 4 per relation row, 1 per deleted key.
const ENTITY_CHUNK: usize = 1_000;
const ROW_CHUNK: usize = 5_000;
const DELETE_CHUNK: usize = 5_000;

impl Store {
    /// Replaces everything `location` provided with `entities` and `relations`, in one
    /// transaction: a batch is applied whole or not at all. Entities the location no
    /// longer provides are removed; entities owned by another location are reported as
    /// conflicts and left as they are.
    pub async fn apply_location_batch(
        &self,
        location: &LocationRecord,
        entities: &[EntityRecord],
        relations: &[RelationRecord],
    ) -> Result<BatchOutcome, StoreError> {
        let now = Utc::now();
        // Statements are multi-row and chunked: a per-row statement costs tens of
        // microseconds in sqlx, which made a 100k-entity import take minutes.
        let (entities, duplicates) = first_of_each_ref(entities);
        if duplicates.is_empty() && self.stored_as_is(location, &entities, relations).await? {
            // Most refreshes find a location as it was. Writing nothing keeps the catalog
            // version, and with it every cached count, facet and aggregate of all replicas.
            return Ok(BatchOutcome {
                written: entities.len(),
                conflicts: Vec::new(),
                removed: 0,
            });
        }
        let mut tx = self.begin().await?;
        bump_catalog_version(&mut tx).await?;
        let location_id = upsert_location(&mut tx, location, now).await?;
        let written = upsert_entities(&mut tx, &entities, &location_id, now).await?;
        let mut outcome = BatchOutcome {
            written: written.len(),
            conflicts: entities
                .iter()
                .filter(|e| !written.contains_key(&e.entity_ref))
                .map(|e| e.entity_ref.clone())
                .chain(duplicates)
                .collect(),
            removed: 0,
        };

        // The search rows of every written entity are rebuilt from its body.
        let uids: Vec<&str> = written.values().map(String::as_str).collect();
        delete_where_in(&mut tx, "DELETE FROM search WHERE entity_uid IN ", &uids).await?;
        let bodies: Vec<(&str, Vec<SearchRow>)> = entities
            .iter()
            .filter_map(|e| {
                written
                    .get(&e.entity_ref)
                    .map(|uid| (uid.as_str(), search_rows(&e.body)))
            })
            .collect();
        let search: Vec<(&str, &SearchRow)> = bodies
            .iter()
            .flat_map(|(uid, rows)| rows.iter().map(move |row| (*uid, row)))
            .collect();
        insert_search_rows(&mut tx, &search).await?;
        index_full_text(&mut tx, &uids).await?;

        // Entities the location no longer provides go, with the relations they implied.
        let previous = refs_of_location(&mut tx, &location_id).await?;
        let stale: Vec<&str> = previous
            .iter()
            .filter(|r| !written.contains_key(*r))
            .map(String::as_str)
            .collect();
        outcome.removed = stale.len();
        // Entities whose stored JSON changes: the written ones, and the sources of every
        // relation that goes (read now, before it goes) or comes.
        let origins: Vec<&str> = written.keys().map(String::as_str).collect();
        let mut touched = relation_sources(&mut tx, origins.iter().chain(stale.iter())).await?;
        touched.extend(written.keys().cloned());
        delete_where_in(&mut tx, "DELETE FROM entities WHERE entity_ref IN ", &stale).await?;
        delete_where_in(
            &mut tx,
            "DELETE FROM relations WHERE origin_ref IN ",
            &stale,
        )
        .await?;

        // Relations implied by the written entities replace the ones they implied before.
        delete_where_in(
            &mut tx,
            "DELETE FROM relations WHERE origin_ref IN ",
            &origins,
        )
        .await?;
        let mut seen = HashSet::new();
        let implied: Vec<&RelationRecord> = relations
            .iter()
            .filter(|r| written.contains_key(&r.origin_ref))
            .filter(|r| {
                seen.insert((
                    &r.origin_ref,
                    &r.source_ref,
                    &r.relation_type,
                    &r.target_ref,
                ))
            })
            .collect();
        insert_relations(&mut tx, &implied).await?;
        touched.extend(implied.iter().map(|r| r.source_ref.clone()));

        if let Some(deferred) = &self.deferred_stitch {
            let (now, later): (Vec<String>, Vec<String>) =
                touched.into_iter().partition(|r| written.contains_key(r));
            deferred
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(later);
            touched = now.into_iter().collect();
        }
        stitch(&mut tx, &touched).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Whether the catalog holds exactly what applying the batch would write: the
    /// location exists and owns these entities and no others, each with the same etag
    /// and body, and they imply exactly these relations. Reads only, outside any
    /// transaction (on SQLite a transaction that reads before it writes can fail to
    /// become a writer when another write came in between).
    async fn stored_as_is(
        &self,
        location: &LocationRecord,
        entities: &[&EntityRecord],
        relations: &[RelationRecord],
    ) -> Result<bool, StoreError> {
        let stored: Vec<(String, String, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT e.entity_ref, e.etag, e.body FROM locations l \
                 JOIN entities e ON e.location_id = l.id WHERE l.type = $1 AND l.target = $2",
            )
            .bind(&location.location_type)
            .bind(&location.target)
            .fetch_all(pool)
            .await?
        });
        // An empty batch of a location that owns nothing: the location may not exist yet.
        if stored.is_empty() || stored.len() != entities.len() {
            return Ok(false);
        }
        let stored: HashMap<String, (String, String)> = stored
            .into_iter()
            .map(|(entity_ref, etag, body)| (entity_ref, (etag, body)))
            .collect();
        let same = entities.iter().all(|e| match stored.get(&e.entity_ref) {
            Some((etag, body)) => {
                // Bodies are stored as `Value::to_string` writes them (upsert_entities).
                let written = e.body.to_string();
                *etag == e.etag && *body == written
            }
            None => false,
        });
        if !same {
            return Ok(false);
        }
        let origins: Vec<&str> = entities.iter().map(|e| e.entity_ref.as_str()).collect();
        let mut implied: HashSet<(String, String, String, String)> = HashSet::new();
        for chunk in origins.chunks(DELETE_CHUNK) {
            let rows: Vec<(String, String, String, String)> = on_pool!(self, pool => {
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT origin_ref, source_ref, type, target_ref FROM relations \
                     WHERE origin_ref IN ",
                );
                select.push_tuples(chunk, |mut row, origin| {
                    row.push_bind(*origin);
                });
                select.build_query_as().fetch_all(pool).await?
            });
            implied.extend(rows);
        }
        let batch: HashSet<(String, String, String, String)> = relations
            .iter()
            .filter(|r| stored.contains_key(&r.origin_ref))
            .map(|r| {
                (
                    r.origin_ref.clone(),
                    r.source_ref.clone(),
                    r.relation_type.clone(),
                    r.target_ref.clone(),
                )
            })
            .collect();
        Ok(implied == batch)
    }

    /// Removes the entity and the relations its spec implied; its `search` rows go with
    /// it (ON DELETE CASCADE). False when there was no such entity. Like Backstage, the
    /// entity comes back if its location still provides it at the next refresh.
    pub async fn delete_entity_by_uid(&self, uid: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        bump_catalog_version(&mut tx).await?;
        let entity_ref: Option<String> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar("DELETE FROM entities WHERE uid = $1 RETURNING entity_ref")
                .bind(uid)
                .fetch_optional(conn)
                .await?
        });
        if let Some(entity_ref) = &entity_ref {
            let sources = relation_sources(&mut tx, [entity_ref]).await?;
            delete_where_in(
                &mut tx,
                "DELETE FROM relations WHERE origin_ref IN ",
                &[entity_ref.as_str()],
            )
            .await?;
            stitch(&mut tx, &sources).await?;
        }
        tx.commit().await?;
        Ok(entity_ref.is_some())
    }
}

/// Registers the batch's location if it is new; returns its id.
async fn upsert_location(
    tx: &mut Tx<'_>,
    location: &LocationRecord,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_scalar(
            "INSERT INTO locations (id, type, target, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (type, target) DO UPDATE SET type = excluded.type RETURNING id",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(&location.location_type)
        .bind(&location.target)
        .bind(now)
        .fetch_one(conn)
        .await?
    }))
}

/// Upserts `entities` for the location; entities owned by another location are not
/// touched and not returned. Returns entity ref → uid of the written ones.
async fn upsert_entities(
    tx: &mut Tx<'_>,
    entities: &[&EntityRecord],
    location_id: &str,
    now: DateTime<Utc>,
) -> Result<HashMap<String, String>, StoreError> {
    let mut written = HashMap::new();
    // SQLite numbers its entities for the full-text index (migration 0022): a new entity
    // takes the next number; one that exists keeps its own (the conflict clause leaves it).
    let mut next_text_id: Option<i64> = match tx {
        Tx::Sqlite(conn) => Some(
            sqlx::query_scalar("SELECT COALESCE(MAX(text_id), 0) + 1 FROM entities")
                .fetch_one(&mut **conn)
                .await?,
        ),
        Tx::Postgres(_) => None,
    };
    for chunk in entities.chunks(ENTITY_CHUNK) {
        let rows: Vec<(String, String)> = on_tx!(tx, conn => {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO entities (uid, entity_ref, kind, namespace, name, title, description, \
               spec_type, lifecycle, owner_ref, system_ref, body, etag, location_id, created_at, updated_at",
        );
        insert.push(if next_text_id.is_some() { ", text_id) " } else { ") " });
        insert.push_values(chunk, |mut row, entity| {
            // Random uids, not time-ordered ones (UUIDv7, measured: an import 8 s
            // faster): by-query's default order is the uid, and in a random order the
            // first page of a filter is found after about limit ÷ selectivity rows,
            // where in import order a filter matching only later files reads them all
            // (full-text p99 on PostgreSQL: 193 ms instead of 60 ms).
            row.push_bind(uuid::Uuid::new_v4().to_string())
                .push_bind(&entity.entity_ref)
                .push_bind(&entity.kind)
                .push_bind(&entity.namespace)
                .push_bind(&entity.name)
                .push_bind(&entity.title)
                .push_bind(&entity.description)
                .push_bind(&entity.spec_type)
                .push_bind(&entity.lifecycle)
                .push_bind(&entity.owner_ref)
                .push_bind(&entity.system_ref)
                .push_bind(entity.body.to_string())
                .push_bind(&entity.etag)
                .push_bind(location_id)
                .push_bind(now)
                .push_bind(now);
            if let Some(text_id) = next_text_id.as_mut() {
                row.push_bind(*text_id);
                *text_id += 1;
            }
        });
        insert.push(UPSERT_ENTITY);
        insert.build_query_as().fetch_all(conn).await?
        });
        written.extend(rows);
    }
    Ok(written)
}

/// The conflict clause of [`upsert_entities`]: an entity another location owns stays.
const UPSERT_ENTITY: &str = " ON CONFLICT (entity_ref) DO UPDATE SET \
       kind = excluded.kind, namespace = excluded.namespace, name = excluded.name, \
       title = excluded.title, description = excluded.description, \
       spec_type = excluded.spec_type, lifecycle = excluded.lifecycle, \
       owner_ref = excluded.owner_ref, system_ref = excluded.system_ref, \
       body = excluded.body, location_id = excluded.location_id, \
       updated_at = CASE WHEN entities.etag = excluded.etag \
                         THEN entities.updated_at ELSE excluded.updated_at END, \
       etag = excluded.etag \
     WHERE entities.location_id IS NULL OR entities.location_id = excluded.location_id \
     RETURNING entity_ref, uid";

/// The refs of the entities the location `location_id` owns.
pub(crate) async fn refs_of_location(
    tx: &mut Tx<'_>,
    location_id: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(on_tx!(tx, conn => {
        sqlx::query_scalar("SELECT entity_ref FROM entities WHERE location_id = $1")
            .bind(location_id)
            .fetch_all(conn)
            .await?
    }))
}

async fn insert_relations(
    tx: &mut Tx<'_>,
    relations: &[&RelationRecord],
) -> Result<(), StoreError> {
    for chunk in relations.chunks(ROW_CHUNK) {
        on_tx!(tx, conn => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO relations (origin_ref, source_ref, type, target_ref) ",
            );
            insert.push_values(chunk, |mut row, r| {
                row.push_bind(&r.origin_ref)
                    .push_bind(&r.source_ref)
                    .push_bind(&r.relation_type)
                    .push_bind(&r.target_ref);
            });
            insert.build().execute(conn).await?;
        });
    }
    Ok(())
}

/// Runs `statement` (ending in `… IN `) for `keys`, in chunks.
pub(crate) async fn delete_where_in(
    tx: &mut Tx<'_>,
    statement: &str,
    keys: &[&str],
) -> Result<(), StoreError> {
    for chunk in keys.chunks(DELETE_CHUNK) {
        on_tx!(tx, conn => {
            let mut delete = sqlx::QueryBuilder::new(statement);
            delete.push_tuples(chunk, |mut row, key| {
                row.push_bind(*key);
            });
            delete.build().execute(conn).await?;
        });
    }
    Ok(())
}

/// The first record of each entity ref, and the refs that came again (reported as
/// conflicts: one statement may not upsert the same row twice).
fn first_of_each_ref(entities: &[EntityRecord]) -> (Vec<&EntityRecord>, Vec<String>) {
    let mut seen = HashSet::new();
    let mut first = Vec::with_capacity(entities.len());
    let mut again = Vec::new();
    for entity in entities {
        if seen.insert(entity.entity_ref.as_str()) {
            first.push(entity);
        } else {
            again.push(entity.entity_ref.clone());
        }
    }
    (first, again)
}
