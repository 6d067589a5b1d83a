//! Entities, their relations and the locations they come from.

use crate::{Store, StoreError, on_pool};
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

/// What lists and cards show of an entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct EntitySummary {
    pub entity_ref: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    pub owner_ref: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

/// The outcome of applying one location's batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub written: usize,
    pub removed: usize,
    /// Entities already claimed by another location; they were left untouched.
    pub conflicts: Vec<String>,
}

pub(crate) const SUMMARY_COLUMNS: &str = "entity_ref, kind, namespace, name, title, description, \
     spec_type, lifecycle, owner_ref, updated_at";

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
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            crate::cache::bump_catalog_version!(tx);
            let location_id: String = sqlx::query_scalar(
                "INSERT INTO locations (id, type, target, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (type, target) DO UPDATE SET type = excluded.type RETURNING id",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&location.location_type)
            .bind(&location.target)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;

            // Upsert; entities owned by another location are not touched and not returned.
            let mut written: HashMap<String, String> = HashMap::new(); // entity_ref -> uid
            for chunk in entities.chunks(ENTITY_CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO entities (uid, entity_ref, kind, namespace, name, title, description, \
                       spec_type, lifecycle, owner_ref, system_ref, body, etag, location_id, created_at, updated_at) ",
                );
                insert.push_values(chunk, |mut row, entity| {
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
                        .push_bind(&location_id)
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.push(
                    " ON CONFLICT (entity_ref) DO UPDATE SET \
                       kind = excluded.kind, namespace = excluded.namespace, name = excluded.name, \
                       title = excluded.title, description = excluded.description, \
                       spec_type = excluded.spec_type, lifecycle = excluded.lifecycle, \
                       owner_ref = excluded.owner_ref, system_ref = excluded.system_ref, \
                       body = excluded.body, location_id = excluded.location_id, \
                       updated_at = CASE WHEN entities.etag = excluded.etag \
                                         THEN entities.updated_at ELSE excluded.updated_at END, \
                       etag = excluded.etag \
                     WHERE entities.location_id IS NULL OR entities.location_id = excluded.location_id \
                     RETURNING entity_ref, uid",
                );
                let rows: Vec<(String, String)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                written.extend(rows);
            }

            let mut outcome = BatchOutcome { written: written.len(), ..BatchOutcome::default() };
            outcome.conflicts = entities
                .iter()
                .filter(|e| !written.contains_key(&e.entity_ref))
                .map(|e| e.entity_ref.clone())
                .chain(duplicates)
                .collect();

            // The search rows of every written entity are rebuilt from its body.
            let uids: Vec<&String> = written.values().collect();
            for chunk in uids.chunks(DELETE_CHUNK) {
                let mut delete = sqlx::QueryBuilder::new("DELETE FROM search WHERE entity_uid IN ");
                delete.push_tuples(chunk, |mut row, uid| { row.push_bind(*uid); });
                delete.build().execute(&mut *tx).await?;
            }
            let search: Vec<(&String, crate::SearchRow)> = entities
                .iter()
                .filter_map(|e| written.get(&e.entity_ref).map(|uid| (uid, e)))
                .flat_map(|(uid, e)| crate::search_rows(&e.body).into_iter().map(move |row| (uid, row)))
                .collect();
            for chunk in search.chunks(ROW_CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO search (entity_uid, key, value, original_value) ",
                );
                insert.push_values(chunk, |mut row, (uid, search)| {
                    row.push_bind(*uid)
                        .push_bind(&search.key)
                        .push_bind(&search.value)
                        .push_bind(&search.original_value);
                });
                insert.build().execute(&mut *tx).await?;
            }

            // Entities the location no longer provides go, with the relations they implied.
            let previous: Vec<String> =
                sqlx::query_scalar("SELECT entity_ref FROM entities WHERE location_id = $1")
                    .bind(&location_id)
                    .fetch_all(&mut *tx)
                    .await?;
            let stale: Vec<&String> = previous.iter().filter(|r| !written.contains_key(*r)).collect();
            outcome.removed = stale.len();
            // Entities whose stored JSON changes: the written ones, and the sources of every
            // relation that goes (read now, before it goes) or comes.
            let mut touched: HashSet<String> =
                crate::queries::relation_sources!(tx, written.keys().chain(stale.iter().copied()))
                    .into_iter()
                    .collect();
            touched.extend(written.keys().cloned());
            for chunk in stale.chunks(DELETE_CHUNK) {
                for table_column in ["entities WHERE entity_ref", "relations WHERE origin_ref"] {
                    let mut delete = sqlx::QueryBuilder::new(format!("DELETE FROM {table_column} IN "));
                    delete.push_tuples(chunk, |mut row, r| { row.push_bind(*r); });
                    delete.build().execute(&mut *tx).await?;
                }
            }

            // Relations implied by the written entities replace the ones they implied before.
            let origins: Vec<&String> = written.keys().collect();
            for chunk in origins.chunks(DELETE_CHUNK) {
                let mut delete = sqlx::QueryBuilder::new("DELETE FROM relations WHERE origin_ref IN ");
                delete.push_tuples(chunk, |mut row, r| { row.push_bind(*r); });
                delete.build().execute(&mut *tx).await?;
            }
            let mut seen = HashSet::new();
            let implied: Vec<&RelationRecord> = relations
                .iter()
                .filter(|r| written.contains_key(&r.origin_ref))
                .filter(|r| seen.insert((&r.origin_ref, &r.source_ref, &r.relation_type, &r.target_ref)))
                .collect();
            for chunk in implied.chunks(ROW_CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO relations (origin_ref, source_ref, type, target_ref) ",
                );
                insert.push_values(chunk, |mut row, r| {
                    row.push_bind(&r.origin_ref)
                        .push_bind(&r.source_ref)
                        .push_bind(&r.relation_type)
                        .push_bind(&r.target_ref);
                });
                insert.build().execute(&mut *tx).await?;
            }
            touched.extend(implied.iter().map(|r| r.source_ref.clone()));
            if let Some(deferred) = &self.deferred_stitch {
                let (now, later): (Vec<String>, Vec<String>) =
                    touched.into_iter().partition(|r| written.contains_key(r));
                deferred.lock().unwrap_or_else(|e| e.into_inner()).extend(later);
                touched = now.into_iter().collect();
            }
            crate::queries::stitch!(tx, self.engine(), &touched);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// How many entities of each kind the catalog holds, most common first.
    pub async fn kind_counts(&self) -> Result<Vec<KindCount>, StoreError> {
        let sql =
            "SELECT kind, COUNT(*) AS count FROM entities GROUP BY kind ORDER BY count DESC, kind";
        Ok(on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// The entities changed most recently.
    pub async fn recent_entities(&self, limit: i64) -> Result<Vec<EntitySummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM entities ORDER BY updated_at DESC, entity_ref LIMIT $1"
        );
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(limit).fetch_all(pool).await?))
    }

    /// Entities of one kind (or all), optionally matching `text` in name, title or
    /// description, ordered by name.
    pub async fn list_entities(
        &self,
        kind: Option<&str>,
        text: Option<&str>,
        limit: i64,
    ) -> Result<Vec<EntitySummary>, StoreError> {
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM entities \
             WHERE ($1 IS NULL OR kind = $1) \
               AND ($2 IS NULL OR LOWER(name) LIKE $2 ESCAPE '\\' OR LOWER(COALESCE(title, '')) LIKE $2 ESCAPE '\\' \
                    OR LOWER(COALESCE(description, '')) LIKE $2 ESCAPE '\\') \
             ORDER BY name, entity_ref LIMIT $3"
        );
        let kind = kind.map(str::to_lowercase);
        let pattern = text.map(|t| format!("%{}%", escape_like(&t.to_lowercase())));
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(kind).bind(pattern).bind(limit).fetch_all(pool).await?
        }))
    }

    /// The stored body of one entity, by its lowercased reference.
    pub async fn entity_body(
        &self,
        entity_ref: &str,
    ) -> Result<Option<serde_json::Value>, StoreError> {
        let body: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT body FROM entities WHERE entity_ref = $1")
                .bind(entity_ref)
                .fetch_optional(pool)
                .await?
        });
        body.map(|text| {
            serde_json::from_str(&text).map_err(|source| StoreError::CorruptBody {
                entity_ref: entity_ref.to_string(),
                source,
            })
        })
        .transpose()
    }

    /// Every relation that starts at `entity_ref`, whichever entity implied it.
    pub async fn relations_from(
        &self,
        entity_ref: &str,
    ) -> Result<Vec<RelationRecord>, StoreError> {
        let rows: Vec<(String, String, String, String)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT DISTINCT origin_ref, source_ref, type, target_ref FROM relations \
                 WHERE source_ref = $1 ORDER BY type, target_ref, origin_ref",
            )
            .bind(entity_ref)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(origin_ref, source_ref, relation_type, target_ref)| RelationRecord {
                    origin_ref,
                    source_ref,
                    relation_type,
                    target_ref,
                },
            )
            .collect())
    }

    /// The summaries of the entities with these lowercased references, in the same order,
    /// `None` where there is none. Read from columns: no entity JSON is read or parsed
    /// (an entity page lists dozens of related entities, APIs with long definitions).
    pub async fn entity_summaries_by_refs(
        &self,
        entity_refs: &[String],
    ) -> Result<Vec<Option<EntitySummary>>, StoreError> {
        let mut found: HashMap<String, EntitySummary> = HashMap::new();
        for chunk in entity_refs.chunks(DELETE_CHUNK) {
            let rows: Vec<EntitySummary> = on_pool!(self, pool => {
                let mut select = sqlx::QueryBuilder::new(format!(
                    "SELECT {SUMMARY_COLUMNS} FROM entities WHERE entity_ref IN "
                ));
                select.push_tuples(chunk, |mut row, r| {
                    row.push_bind(r.to_lowercase());
                });
                select.build_query_as().fetch_all(pool).await?
            });
            found.extend(rows.into_iter().map(|row| (row.entity_ref.clone(), row)));
        }
        Ok(entity_refs
            .iter()
            .map(|r| found.get(&r.to_lowercase()).cloned())
            .collect())
    }

    /// How many entities the catalog holds.
    pub async fn entity_count(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM entities").fetch_one(pool).await?
        }))
    }
}

/// Rows per multi-row statement, keeping bound parameters under SQLite's limit (32,766)
/// and PostgreSQL's (65,535): 16 per entity row, 4 per search or relation row.
const ENTITY_CHUNK: usize = 1_000;
const ROW_CHUNK: usize = 5_000;
const DELETE_CHUNK: usize = 5_000;

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

/// Escapes `%`, `_` and `\` so user text matches literally in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
