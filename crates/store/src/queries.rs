//! Reading entities the way Backstage's catalog API asks for them: filters on any dotted
//! key, full-text filters, ordering, pagination, facets, lookups by ref and uid.
//!
//! Filters turn into SQL in exactly one place, [`Sql::condition`]. Every key goes through
//! an index: `kind` and `metadata.namespace` are columns of `entities`; `relations.<type>`
//! reads `relations`; any other key reads the `search` table (migration 0002), whose rows
//! [`search_rows`] flattens from an entity's body when it is written.

use crate::{Engine, Store, StoreError, on_pool};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Which entities to return. Keys are dotted paths (`spec.type`, `metadata.tags`,
/// `relations.ownedby`); keys and values match ignoring case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityFilter {
    /// Any of the filters matches (Backstage: repeated `filter` parameters, `$any`).
    AnyOf(Vec<EntityFilter>),
    /// Every filter matches (Backstage: comma-separated conditions, `$all`).
    AllOf(Vec<EntityFilter>),
    Not(Box<EntityFilter>),
    /// The key has one of `values`.
    Equals {
        key: String,
        values: Vec<String>,
    },
    /// The key is present with any value.
    Exists {
        key: String,
    },
}

/// One sort key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderField {
    pub key: String,
    pub descending: bool,
}

/// Case-insensitive substring match of `term` in the values of `keys`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextFilter {
    pub term: String,
    pub keys: Vec<String>,
}

/// A page of entities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EntityQuery {
    pub filter: Option<EntityFilter>,
    pub text: Option<TextFilter>,
    /// Ties (and an empty order) are broken by uid, so pages never overlap.
    pub order: Vec<OrderField>,
    pub offset: i64,
    /// `None`: every matching entity.
    pub limit: Option<i64>,
}

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

/// An entity as the catalog API serves it: its stored JSON text (see [`stitch!`]).
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

/// One row of the `search` table for an entity.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SearchRow {
    pub key: String,
    pub value: String,
    pub original_value: String,
}

/// Longer keys and values are not indexed (B-tree entries have a size limit); Backstage
/// drops them too.
const MAX_KEY_BYTES: usize = 200;
const MAX_VALUE_BYTES: usize = 1000;
/// Root fields that are not filter keys: relations are read from their own table.
const UNINDEXED_ROOTS: [&str; 3] = ["relations", "status", "attachments"];
/// The keys whose values the trigram index of migration 0006 holds (the migrations list
/// them too; keep all three equal). Full-text filters over other keys scan.
pub const FULL_TEXT_KEYS: [&str; 8] = [
    "metadata.name",
    "metadata.title",
    "metadata.description",
    "metadata.tags",
    "spec.type",
    "spec.lifecycle",
    "spec.owner",
    "spec.profile.displayname",
];

/// The `search` rows for an entity body: every scalar leaf under its dotted, lowercased
/// path; arrays give one row per item under the array's path (`metadata.tags`).
pub fn search_rows(body: &Value) -> Vec<SearchRow> {
    fn visit(
        path: &str,
        value: &Value,
        seen: &mut HashSet<(String, String)>,
        out: &mut Vec<SearchRow>,
    ) {
        let text = match value {
            Value::Null => return,
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => {
                for item in items {
                    visit(path, item, seen, out);
                }
                return;
            }
            Value::Object(map) => {
                for (key, value) in map {
                    if path.is_empty() && UNINDEXED_ROOTS.contains(&key.as_str()) {
                        continue;
                    }
                    let child = if path.is_empty() {
                        key.to_lowercase()
                    } else {
                        format!("{path}.{}", key.to_lowercase())
                    };
                    visit(&child, value, seen, out);
                }
                return;
            }
        };
        let lower = text.to_lowercase();
        if path.len() > MAX_KEY_BYTES
            || text.len() > MAX_VALUE_BYTES
            || lower.len() > MAX_VALUE_BYTES
        {
            return;
        }
        let row = SearchRow {
            key: path.to_string(),
            value: lower,
            original_value: text,
        };
        // One row per (key, value): the table's primary key.
        if seen.insert((row.key.clone(), row.value.clone())) {
            out.push(row);
        }
    }
    let mut out = Vec::new();
    visit("", body, &mut HashSet::new(), &mut out);
    out
}

/// Replaces the `search` rows of the entity `$entity_ref` with those of `$body`, inside
/// the transaction `$tx` (of either engine). Used by every write of an entity.
macro_rules! write_search_rows {
    ($tx:ident, $entity_ref:expr, $body:expr) => {{
        let uid: String = sqlx::query_scalar("SELECT uid FROM entities WHERE entity_ref = $1")
            .bind($entity_ref)
            .fetch_one(&mut *$tx)
            .await?;
        sqlx::query("DELETE FROM search WHERE entity_uid = $1")
            .bind(&uid)
            .execute(&mut *$tx)
            .await?;
        let rows = $crate::queries::search_rows($body);
        for chunk in rows.chunks(200) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO search (entity_uid, key, value, original_value) ",
            );
            insert.push_values(chunk, |mut row, search| {
                row.push_bind(&uid)
                    .push_bind(&search.key)
                    .push_bind(&search.value)
                    .push_bind(&search.original_value);
            });
            insert.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use write_search_rows;

/// `UPDATE entities SET final_json = …` (see migration 0008): the body with `metadata.uid`,
/// `metadata.etag` and the relations that start at the entity, ordered by type and target.
/// The caller appends the WHERE clause.
pub(crate) fn stitch_sql(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            "UPDATE entities SET final_json = json_set(body, '$.metadata.uid', uid, \
             '$.metadata.etag', etag, '$.relations', json((SELECT json_group_array(json_object(\
             'type', r.type, 'targetRef', r.target_ref)) FROM (SELECT DISTINCT type, target_ref \
             FROM relations WHERE source_ref = entities.entity_ref ORDER BY type, target_ref) r)))"
        }
        Engine::Postgres => {
            "UPDATE entities SET final_json = (jsonb_set(jsonb_set(body::jsonb, '{metadata,uid}', \
             to_jsonb(uid)), '{metadata,etag}', to_jsonb(etag)) || jsonb_build_object('relations', \
             COALESCE((SELECT jsonb_agg(jsonb_build_object('type', r.type, 'targetRef', r.target_ref) \
             ORDER BY r.type, r.target_ref) FROM (SELECT DISTINCT type, target_ref FROM relations \
             WHERE source_ref = entities.entity_ref) r), '[]'::jsonb)))::text"
        }
    }
}

/// Rebuilds the stored API JSON of the entities `$refs` (lowercased refs) inside the
/// transaction `$tx` on `$engine`. Every write that changes a body, an etag or a relation
/// calls it for the entities it touched (for a relation: its source), so reads serve the
/// stored text as it is.
macro_rules! stitch {
    ($tx:ident, $engine:expr, $refs:expr) => {{
        let refs: Vec<&str> = $refs.into_iter().map(|r| AsRef::<str>::as_ref(r)).collect();
        for chunk in refs.chunks(5_000) {
            let mut update = sqlx::QueryBuilder::new($crate::queries::stitch_sql($engine));
            update.push(" WHERE entity_ref IN ");
            update.push_tuples(chunk, |mut row, r| {
                row.push_bind(*r);
            });
            update.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use stitch;

/// The entities whose relations come from `$origins` (the sources of the relations those
/// entities implied), read inside `$tx` before the relations change.
macro_rules! relation_sources {
    ($tx:ident, $origins:expr) => {{
        let origins: Vec<&str> = $origins
            .into_iter()
            .map(|r| AsRef::<str>::as_ref(r))
            .collect();
        let mut sources: Vec<String> = Vec::new();
        for chunk in origins.chunks(5_000) {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT DISTINCT source_ref FROM relations WHERE origin_ref IN ",
            );
            select.push_tuples(chunk, |mut row, r| {
                row.push_bind(*r);
            });
            let found: Vec<String> = select.build_query_scalar().fetch_all(&mut *$tx).await?;
            sources.extend(found);
        }
        sources
    }};
}
pub(crate) use relation_sources;

/// SQL text with its string arguments, numbered `$1…` in the order they were pushed.
struct Sql {
    engine: Engine,
    text: String,
    args: Vec<String>,
}

impl Sql {
    fn new(engine: Engine) -> Sql {
        Sql {
            engine,
            text: String::new(),
            args: Vec::new(),
        }
    }

    /// The statement and its arguments, as a key for cached results.
    fn cache_key(&self) -> String {
        format!("{}|{:?}", self.text, self.args)
    }

    fn arg(&mut self, value: impl Into<String>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    fn args_list<'a>(&mut self, values: impl IntoIterator<Item = &'a String>) -> String {
        values
            .into_iter()
            .map(|v| self.arg(v.to_lowercase()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A boolean SQL expression over the row `e` of `entities`.
    fn condition(&mut self, filter: &EntityFilter) -> String {
        match filter {
            EntityFilter::AnyOf(filters) if filters.is_empty() => "1 = 0".into(),
            EntityFilter::AllOf(filters) if filters.is_empty() => "1 = 1".into(),
            EntityFilter::AnyOf(filters) => {
                let parts: Vec<String> = filters.iter().map(|f| self.condition(f)).collect();
                format!("({})", parts.join(" OR "))
            }
            EntityFilter::AllOf(filters) => {
                let parts: Vec<String> = filters.iter().map(|f| self.condition(f)).collect();
                format!("({})", parts.join(" AND "))
            }
            EntityFilter::Not(filter) => format!("NOT {}", self.condition(filter)),
            EntityFilter::Equals { values, .. } if values.is_empty() => "1 = 0".into(),
            EntityFilter::Equals { key, values } => {
                let key = key.to_lowercase();
                match key.as_str() {
                    "kind" => format!("e.kind IN ({})", self.args_list(values)),
                    "metadata.namespace" => format!("e.namespace IN ({})", self.args_list(values)),
                    "metadata.uid" => format!("e.uid IN ({})", self.args_list(values)),
                    _ => match key.strip_prefix("relations.") {
                        Some(relation) => {
                            let relation = self.arg(relation);
                            let targets = self.args_list(values);
                            format!(
                                "e.entity_ref IN (SELECT source_ref FROM relations \
                                 WHERE LOWER(type) = {relation} AND target_ref IN ({targets}))"
                            )
                        }
                        None => {
                            let key = self.arg(key.as_str());
                            let values = self.args_list(values);
                            format!(
                                "e.uid IN (SELECT entity_uid FROM search \
                                 WHERE key = {key} AND value IN ({values}))"
                            )
                        }
                    },
                }
            }
            EntityFilter::Exists { key } => {
                let key = key.to_lowercase();
                match key.as_str() {
                    "kind" | "metadata.namespace" | "metadata.uid" | "metadata.name" => {
                        "1 = 1".into()
                    }
                    _ => match key.strip_prefix("relations.") {
                        Some(relation) => {
                            let relation = self.arg(relation);
                            format!(
                                "e.entity_ref IN (SELECT source_ref FROM relations \
                                 WHERE LOWER(type) = {relation})"
                            )
                        }
                        None => {
                            let key = self.arg(key.as_str());
                            format!("e.uid IN (SELECT entity_uid FROM search WHERE key = {key})")
                        }
                    },
                }
            }
        }
    }

    /// The WHERE clause (with its keyword) for a filter and a text filter.
    fn where_clause(&mut self, filter: Option<&EntityFilter>, text: Option<&TextFilter>) -> String {
        let mut parts = Vec::new();
        if let Some(filter) = filter {
            parts.push(self.condition(filter));
        }
        if let Some(text) = text.filter(|t| !t.term.trim().is_empty()) {
            parts.push(self.text_condition(text));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        }
    }

    /// A case-insensitive substring match of the text filter's term in any of its keys.
    fn text_condition(&mut self, text: &TextFilter) -> String {
        let mut keys: Vec<String> = text.keys.iter().map(|k| k.to_lowercase()).collect();
        if keys.is_empty() {
            keys.push("metadata.name".into());
        }
        let term = text.term.trim().to_lowercase();
        // The trigram index answers terms of three characters or more over its keys; a
        // pattern character would need LIKE's ESCAPE, which the index does not serve.
        let indexed = term.chars().count() >= 3
            && !term.contains(['%', '_', '\\'])
            && keys.iter().all(|k| FULL_TEXT_KEYS.contains(&k.as_str()));
        if !indexed {
            let keys = self.args_list(&keys);
            let pattern = self.arg(format!("%{}%", escape_like(&term)));
            return format!(
                "e.uid IN (SELECT entity_uid FROM search WHERE key IN ({keys}) \
                 AND value LIKE {pattern} ESCAPE '\\')"
            );
        }
        // Keys are written into the statement (they come from FULL_TEXT_KEYS, never from
        // the request) so that PostgreSQL can prove its partial index applies.
        let keys = keys
            .iter()
            .map(|k| format!("'{k}'"))
            .collect::<Vec<_>>()
            .join(", ");
        match self.engine {
            // A trigram phrase matches exactly where the term is a substring; unlike LIKE,
            // MATCH is answered from the index without re-reading each candidate.
            Engine::Sqlite => {
                let phrase = self.arg(format!("\"{}\"", term.replace('"', "\"\"")));
                format!(
                    "e.uid IN (SELECT entity_uid FROM search_text \
                     WHERE search_text MATCH {phrase} AND key IN ({keys}))"
                )
            }
            Engine::Postgres => {
                let pattern = self.arg(format!("%{term}%"));
                format!(
                    "e.uid IN (SELECT entity_uid FROM search WHERE key IN ({keys}) \
                     AND value LIKE {pattern})"
                )
            }
        }
    }

    /// The sort value of `key` for the row `e`.
    fn order_expression(&mut self, key: &str) -> String {
        match key.to_lowercase().as_str() {
            "kind" => "e.kind".into(),
            "metadata.namespace" => "e.namespace".into(),
            "metadata.uid" => "e.uid".into(),
            // Real columns: no per-row subquery, and the name order reads an index.
            "metadata.name" => "LOWER(e.name)".into(),
            "spec.type" => "LOWER(e.spec_type)".into(),
            "spec.lifecycle" => "LOWER(e.lifecycle)".into(),
            other => {
                let key = self.arg(other);
                format!(
                    "(SELECT MIN(s.value) FROM search s WHERE s.entity_uid = e.uid AND s.key = {key})"
                )
            }
        }
    }

    fn order_clause(&mut self, order: &[OrderField]) -> String {
        let mut parts = Vec::new();
        for field in order {
            let expression = self.order_expression(&field.key);
            let direction = if field.descending { "DESC" } else { "ASC" };
            if field.key.eq_ignore_ascii_case("metadata.name") {
                // Every entity has a name; a plain expression lets the index serve the order.
                parts.push(format!("{expression} {direction}"));
                continue;
            }
            // Entities without the key come last, in either direction.
            parts.push(format!(
                "CASE WHEN {expression} IS NULL THEN 1 ELSE 0 END, {expression} {direction}"
            ));
        }
        parts.push("e.uid".into());
        format!(" ORDER BY {}", parts.join(", "))
    }
}

/// `LIMIT … OFFSET …` for the page `query` asks for.
fn page_clause(query: &EntityQuery) -> String {
    let mut page = String::new();
    if let Some(limit) = query.limit {
        page.push_str(&format!(" LIMIT {}", limit.max(0)));
    } else if query.offset > 0 {
        // Both engines accept a LIMIT that no catalog reaches.
        page.push_str(" LIMIT 9223372036854775807");
    }
    if query.offset > 0 {
        page.push_str(&format!(" OFFSET {}", query.offset));
    }
    page
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

impl Store {
    /// `SELECT columns` of the page of entities (as `e`) that `query` asks for.
    fn page_sql(&self, columns: &str, query: &EntityQuery) -> Sql {
        let mut sql = Sql::new(self.engine());
        let condition = sql.where_clause(query.filter.as_ref(), query.text.as_ref());
        let order = sql.order_clause(&query.order);
        let page = page_clause(query);
        sql.text = format!("SELECT {columns} FROM entities e{condition}{order}{page}");
        sql
    }

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
        let sql = self.page_sql(crate::entities::SUMMARY_COLUMNS, query);
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
    /// as stored with the entity ([`stitch!`]): a page is one statement, and no JSON is
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

    /// Removes the entity and the relations its spec implied; its `search` rows go with
    /// it (ON DELETE CASCADE). False when there was no such entity. Like Backstage, the
    /// entity comes back if its location still provides it at the next refresh.
    pub async fn delete_entity_by_uid(&self, uid: &str) -> Result<bool, StoreError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            crate::cache::bump_catalog_version!(tx);
            let entity_ref: Option<String> =
                sqlx::query_scalar("DELETE FROM entities WHERE uid = $1 RETURNING entity_ref")
                    .bind(uid)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(entity_ref) = &entity_ref {
                let sources = relation_sources!(tx, [entity_ref]);
                sqlx::query("DELETE FROM relations WHERE origin_ref = $1")
                    .bind(entity_ref)
                    .execute(&mut *tx)
                    .await?;
                stitch!(tx, self.engine(), &sources);
            }
            tx.commit().await?;
            Ok(entity_ref.is_some())
        })
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

    /// Recomputes every entity's `search` rows from its stored body (for databases that
    /// held entities before migration 0002, and after a change to [`search_rows`]).
    pub async fn rebuild_search_index(&self) -> Result<usize, StoreError> {
        let refs: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT entity_ref, body FROM entities").fetch_all(pool).await?
        });
        for chunk in refs.chunks(500) {
            on_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                crate::cache::bump_catalog_version!(tx);
                for (entity_ref, body) in chunk {
                    let body: Value = parse_body(entity_ref, body)?;
                    write_search_rows!(tx, entity_ref, &body);
                }
                tx.commit().await?;
            });
        }
        Ok(refs.len())
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
