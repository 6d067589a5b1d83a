//! Reading entities: pages of a filtered, ordered query (as stored API JSON, parsed
//! entities or summaries read from columns), counts, facets and lookups by ref and uid.
//! Filters become SQL in `filters.rs`; the stored JSON is written in `stitching.rs`.

use crate::entity_writes::RelationRecord;
use crate::filters::{EntityFilter, EntityQuery, Sql, TextFilter};
use crate::locations::{LocationRow, location_of_entity_sql};
use crate::{Store, StoreError, on_connection, on_pool};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// An entity as stored, with the relations that start at it (whichever entity's spec
/// implied them, so a group's `ownerOf` relations are here too).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEntity {
    pub uid: String,
    pub entity_ref: String,
    pub etag: String,
    pub body: Value,
    pub relations: Vec<EntityRelationRow>,
}

/// An entity as the catalog API serves it: its stored JSON text (see `stitching::stitch`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntityJson {
    pub uid: String,
    pub entity_ref: String,
    pub etag: String,
    pub json: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRelationRow {
    /// `type` and `targetRef` in JSON, as in Backstage's relations.
    #[serde(rename = "type")]
    pub relation_type: String,
    #[serde(rename = "targetRef")]
    pub target_ref: String,
}

/// One value of a facet and how many entities have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
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

/// An entity with what its page shows around it: see [`Store::entity_in_context`].
#[derive(Clone, Debug, PartialEq)]
pub struct EntityInContext {
    pub entity: StoredEntity,
    /// The targets of its relations, in the order of `entity.relations`; `None` where the
    /// catalog holds no such entity.
    pub related: Vec<Option<EntitySummary>>,
    /// The location that provides it; `None` for an entity no location provides.
    pub location: Option<LocationRow>,
    /// The targets of the other locations that define it too and were refused it, in order.
    pub refused_by: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct KindCount {
    pub kind: String,
    pub count: i64,
}

pub(crate) const SUMMARY_COLUMNS: &str = "entity_ref, kind, namespace, name, title, description, \
     spec_type, lifecycle, owner_ref, updated_at";

impl Store {
    /// One page of the entities that match `query`.
    pub async fn query_entities(
        &self,
        query: &EntityQuery,
    ) -> Result<Vec<StoredEntity>, StoreError> {
        let sql = self.page_sql("e.uid, e.entity_ref, e.etag, e.final_json", query);
        self.entity_rows(sql)
            .await?
            .into_iter()
            .map(parse_entity)
            .collect()
    }

    /// [`Store::query_entities`] as summaries, read from columns (what lists show).
    pub async fn query_entity_summaries(
        &self,
        query: &EntityQuery,
    ) -> Result<Vec<crate::EntitySummary>, StoreError> {
        let sql = self.page_sql(SUMMARY_COLUMNS, query);
        Ok(on_pool!(self, pool => {
            let mut statement = sqlx::query_as(&sql.text);
            for arg in &sql.args {
                statement = statement.bind(arg);
            }
            statement.fetch_all(pool).await?
        }))
    }

    /// [`Store::query_entities`], each entity as the JSON text the catalog API serves:
    /// the body with `metadata.uid`, `metadata.etag` and the relations that start at it,
    /// as stored with the entity (`stitching::stitch`): a page is one statement, and no JSON is
    /// built, decoded or encoded per request (the API's hottest path).
    pub async fn query_entity_json(&self, query: &EntityQuery) -> Result<Vec<String>, StoreError> {
        let sql = self.page_sql("e.final_json", query);
        Ok(on_pool!(self, pool => {
            let mut statement = sqlx::query_scalar(&sql.text);
            for arg in &sql.args {
                statement = statement.bind(arg);
            }
            statement.fetch_all(pool).await?
        }))
    }

    /// [`Store::analyze`] at the end of a bulk load. PostgreSQL also vacuums the catalog's
    /// tables: until their pages are marked all-visible, an index-only scan reads the
    /// table too, which made counts and facets over 100k freshly loaded entities 3 to 10
    /// times slower (count of components 112 ms instead of 9 ms; a tag facet 264 ms
    /// instead of 76). Autovacuum would get there in its own time, if it is on.
    pub async fn analyze_after_bulk_load(&self) -> Result<(), StoreError> {
        match &self.pool {
            crate::Pool::Sqlite(_) => self.analyze().await,
            crate::Pool::Postgres(pool) => {
                sqlx::query("VACUUM (ANALYZE) entities, relations, search")
                    .execute(pool)
                    .await?;
                Ok(())
            }
        }
    }

    /// Refreshes the planner's statistics after a large write (a bulk import): without
    /// them PostgreSQL plans for an empty catalog until autovacuum runs, if it runs.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        match &self.pool {
            crate::Pool::Sqlite(pool) => {
                sqlx::query("PRAGMA optimize").execute(pool).await?;
            }
            crate::Pool::Postgres(pool) => {
                sqlx::query("ANALYZE entities, relations, search")
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    /// How many entities match `filter` and `text`.
    pub async fn count_entities(
        &self,
        filter: Option<&EntityFilter>,
        text: Option<&TextFilter>,
    ) -> Result<i64, StoreError> {
        let mut sql = Sql::new(self.engine());
        let condition = sql.where_clause(filter, text);
        sql.text = format!("SELECT COUNT(*) FROM entities e{condition}");
        let version = self.catalog_version().await?;
        let key = sql.cache_key();
        self.count_cache
            .get_or_compute(key, version, || async {
                Ok(on_pool!(self, pool => {
                    let mut query = sqlx::query_scalar(&sql.text);
                    for arg in &sql.args {
                        query = query.bind(arg);
                    }
                    query.fetch_one(pool).await?
                }))
            })
            .await
    }

    /// The entity with the lowercased reference `entity_ref` (`component:default/foo`).
    pub async fn entity_by_ref(
        &self,
        entity_ref: &str,
    ) -> Result<Option<StoredEntity>, StoreError> {
        Ok(self
            .entities_by_refs(&[entity_ref.to_lowercase()])
            .await?
            .pop()
            .flatten())
    }

    pub async fn entity_by_uid(&self, uid: &str) -> Result<Option<StoredEntity>, StoreError> {
        self.entity_json_by_uid(uid)
            .await?
            .map(parse_entity)
            .transpose()
    }

    /// The stored API JSON of the entity with this uid.
    pub async fn entity_json_by_uid(&self, uid: &str) -> Result<Option<EntityJson>, StoreError> {
        let mut sql = Sql::new(self.engine());
        let uid = sql.arg(uid);
        sql.text = format!(
            "SELECT e.uid, e.entity_ref, e.etag, e.final_json FROM entities e WHERE e.uid = {uid}"
        );
        Ok(self.entity_rows(sql).await?.pop())
    }

    /// The entities with these lowercased references, in the same order, `None` where
    /// there is none.
    pub async fn entities_by_refs(
        &self,
        entity_refs: &[String],
    ) -> Result<Vec<Option<StoredEntity>>, StoreError> {
        self.entity_json_by_refs(entity_refs)
            .await?
            .into_iter()
            .map(|found| found.map(parse_entity).transpose())
            .collect()
    }

    /// [`Store::entities_by_refs`] as the stored API JSON.
    pub async fn entity_json_by_refs(
        &self,
        entity_refs: &[String],
    ) -> Result<Vec<Option<EntityJson>>, StoreError> {
        let mut found: HashMap<String, EntityJson> = HashMap::new();
        // Bounded argument lists: both engines limit the number of bind parameters.
        for chunk in entity_refs.chunks(500) {
            let mut sql = Sql::new(self.engine());
            let refs = sql.args_list(chunk);
            sql.text = format!(
                "SELECT e.uid, e.entity_ref, e.etag, e.final_json FROM entities e WHERE e.entity_ref IN ({refs})"
            );
            for entity in self.entity_rows(sql).await? {
                found.insert(entity.entity_ref.clone(), entity);
            }
        }
        Ok(entity_refs
            .iter()
            .map(|r| found.get(&r.to_lowercase()).cloned())
            .collect())
    }

    /// For each facet key, the values the matching entities have and how many have each,
    /// most common first. Keys are returned as given.
    pub async fn entity_facets(
        &self,
        facets: &[String],
        filter: Option<&EntityFilter>,
    ) -> Result<BTreeMap<String, Vec<FacetCount>>, StoreError> {
        self.entity_facets_matching(facets, filter, None).await
    }

    /// [`Store::entity_facets`] over the entities that also match the full-text filter
    /// `text` (the catalog page counts what its search leaves).
    pub async fn entity_facets_matching(
        &self,
        facets: &[String],
        filter: Option<&EntityFilter>,
        text: Option<&TextFilter>,
    ) -> Result<BTreeMap<String, Vec<FacetCount>>, StoreError> {
        let version = self.catalog_version().await?;
        let cache_key = format!("{facets:?}|{filter:?}|{text:?}");
        self.facet_cache
            .get_or_compute(cache_key, version, || {
                self.compute_facets(facets, filter, text)
            })
            .await
    }

    async fn compute_facets(
        &self,
        facets: &[String],
        filter: Option<&EntityFilter>,
        text: Option<&TextFilter>,
    ) -> Result<BTreeMap<String, Vec<FacetCount>>, StoreError> {
        let mut out = BTreeMap::new();
        for facet in facets {
            let mut sql = Sql::new(self.engine());
            let key = facet.to_lowercase();
            let condition = match sql.where_clause(filter, text) {
                clause if clause.is_empty() => String::new(),
                clause => format!(" AND {}", clause.trim_start().trim_start_matches("WHERE ")),
            };
            sql.text = match key.strip_prefix("relations.") {
                Some(relation) => {
                    let relation = sql.arg(relation);
                    format!(
                        "SELECT r.target_ref, COUNT(DISTINCT e.uid) AS n FROM relations r \
                         JOIN entities e ON e.entity_ref = r.source_ref \
                         WHERE LOWER(r.type) = {relation}{condition} \
                         GROUP BY r.target_ref ORDER BY n DESC, r.target_ref"
                    )
                }
                None => {
                    let key = sql.arg(key.as_str());
                    format!(
                        "SELECT s.original_value, COUNT(*) AS n FROM search s \
                         JOIN entities e ON e.uid = s.entity_uid \
                         WHERE s.key = {key}{condition} \
                         GROUP BY s.original_value ORDER BY n DESC, s.original_value"
                    )
                }
            };
            let rows: Vec<(String, i64)> = on_pool!(self, pool => {
                let mut query = sqlx::query_as(&sql.text);
                for arg in &sql.args {
                    query = query.bind(arg);
                }
                query.fetch_all(pool).await?
            });
            let counts = rows
                .into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            out.insert(facet.clone(), counts);
        }
        Ok(out)
    }

    async fn entity_rows(&self, sql: Sql) -> Result<Vec<EntityJson>, StoreError> {
        let rows: Vec<(String, String, String, String)> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql.text);
            for arg in &sql.args {
                query = query.bind(arg);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(uid, entity_ref, etag, json)| EntityJson {
                uid,
                entity_ref,
                etag,
                json,
            })
            .collect())
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
        let pattern = text.map(|t| format!("%{}%", crate::filters::escape_like(&t.to_lowercase())));
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
        for chunk in entity_refs.chunks(5_000) {
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

    /// The entity with this lowercased reference, its relations' targets, its location and
    /// the locations refused it: four statements on one connection (an entity page is
    /// read often, and on PostgreSQL each pooled use costs a round trip of its own).
    pub async fn entity_in_context(
        &self,
        entity_ref: &str,
    ) -> Result<Option<EntityInContext>, StoreError> {
        let location_sql = location_of_entity_sql();
        let refused_sql = "SELECT r.target FROM location_conflicts c \
                           JOIN locations r ON r.id = c.location_id \
                           WHERE c.entity_ref = $1 ORDER BY r.target";
        on_connection!(self, conn => {
            let row: Option<(String, String, String, String)> = sqlx::query_as(
                "SELECT uid, entity_ref, etag, final_json FROM entities WHERE entity_ref = $1",
            )
            .bind(entity_ref)
            .fetch_optional(&mut *conn)
            .await?;
            let Some((uid, entity_ref, etag, json)) = row else {
                return Ok(None);
            };
            let entity = parse_entity(EntityJson { uid, entity_ref, etag, json })?;
            let targets: Vec<String> =
                entity.relations.iter().map(|r| r.target_ref.to_lowercase()).collect();
            let mut found: HashMap<String, EntitySummary> = HashMap::new();
            for chunk in targets.chunks(5_000) {
                let mut select = sqlx::QueryBuilder::new(format!(
                    "SELECT {SUMMARY_COLUMNS} FROM entities WHERE entity_ref IN "
                ));
                select.push_tuples(chunk, |mut row, r| {
                    row.push_bind(r);
                });
                let rows: Vec<EntitySummary> =
                    select.build_query_as().fetch_all(&mut *conn).await?;
                found.extend(rows.into_iter().map(|row| (row.entity_ref.clone(), row)));
            }
            let location = sqlx::query_as(&location_sql)
                .bind(&entity.entity_ref)
                .fetch_optional(&mut *conn)
                .await?;
            let refused_by = sqlx::query_scalar(refused_sql)
                .bind(&entity.entity_ref)
                .fetch_all(&mut *conn)
                .await?;
            let related = targets.iter().map(|r| found.get(r).cloned()).collect();
            Ok(Some(EntityInContext { entity, related, location, refused_by }))
        })
    }

    /// How many entities the catalog holds.
    pub async fn entity_count(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM entities").fetch_one(pool).await?
        }))
    }
}

/// An entity from its stored API JSON: the relations are taken out of it, and so are
/// `metadata.uid` and `metadata.etag`, which leaves the body as it was written.
fn parse_entity(entity: EntityJson) -> Result<StoredEntity, StoreError> {
    let EntityJson {
        uid,
        entity_ref,
        etag,
        json,
    } = entity;
    let corrupt = |source| StoreError::CorruptBody {
        entity_ref: entity_ref.clone(),
        source,
    };
    let mut body: Value = serde_json::from_str(&json).map_err(corrupt)?;
    let relations = match body
        .as_object_mut()
        .and_then(|root| root.remove("relations"))
    {
        Some(relations) => serde_json::from_value(relations).map_err(corrupt)?,
        None => Vec::new(),
    };
    if let Some(metadata) = body.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("uid");
        metadata.remove("etag");
    }
    Ok(StoredEntity {
        body,
        relations,
        uid,
        entity_ref,
        etag,
    })
}

pub(crate) fn parse_body(entity_ref: &str, body: &str) -> Result<Value, StoreError> {
    serde_json::from_str(body).map_err(|source| StoreError::CorruptBody {
        entity_ref: entity_ref.to_string(),
        source,
    })
}
