//! What every entity write derives from the entity: its `search` rows (the filter and
//! facet index) and its stored API JSON (`final_json`, Backstage's "final entity": the
//! body with `metadata.uid`, `metadata.etag` and the relations that start at it).
//!
//! Writes call [`write_search_rows`] or [`insert_search_rows`] for the entities they
//! write, and [`stitch`] for every entity whose body, etag or relations changed (for a
//! relation: its source, found with [`relation_sources`] before the relation goes).

use crate::cache::bump_catalog_version;
use crate::entity_reads::parse_body;
use crate::{Engine, Store, StoreError, Tx, on_pool, on_tx};
use serde_json::Value;
use std::collections::HashSet;

/// Rows per multi-row statement: 4 bound parameters per search row keep a statement under
/// SQLite's limit (32,766) and PostgreSQL's (65,535).
const ROW_CHUNK: usize = 5_000;

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
/// The keys whose values the trigram indexes hold (the migrations list them too: 0006 for
/// PostgreSQL, 0022 for SQLite; keep them equal), each with its column in SQLite's
/// `entity_text`. Full-text filters over other keys scan.
pub const FULL_TEXT_KEYS: [(&str, &str); 8] = [
    ("metadata.name", "name"),
    ("metadata.title", "title"),
    ("metadata.description", "description"),
    ("metadata.tags", "tags"),
    ("spec.type", "type"),
    ("spec.lifecycle", "lifecycle"),
    ("spec.owner", "owner"),
    ("spec.profile.displayname", "displayname"),
];

/// The column of SQLite's `entity_text` that holds the values of the full-text key `key`.
pub(crate) fn full_text_column(key: &str) -> Option<&'static str> {
    FULL_TEXT_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, column)| *column)
}

/// `INSERT OR REPLACE INTO entity_text … SELECT … FROM entities e` (SQLite, migration
/// 0022): the full-text row of each selected entity, read from its `search` rows, a
/// key's values one per line. The caller appends a WHERE clause, or none for all.
pub(crate) fn full_text_fill_sql() -> String {
    let columns: Vec<&str> = FULL_TEXT_KEYS.iter().map(|(_, column)| *column).collect();
    let values: Vec<String> = FULL_TEXT_KEYS
        .iter()
        .map(|(key, _)| {
            format!(
                "(SELECT group_concat(value, char(10)) FROM search \
                 WHERE entity_uid = e.uid AND key = '{key}')"
            )
        })
        .collect();
    format!(
        "INSERT OR REPLACE INTO entity_text (rowid, {}) SELECT e.text_id, {} FROM entities e",
        columns.join(", "),
        values.join(", ")
    )
}

/// The name under which a bulk load defers SQLite's full-text rows in `deferred_indexes`
/// (with [`full_text_fill_sql`] as its statement): its batches skip [`index_full_text`].
pub(crate) const DEFERRED_FULL_TEXT: &str = "entity_text";

/// Rewrites SQLite's full-text rows of the entities `uids` after their `search` rows
/// changed (PostgreSQL's trigram index follows `search` by itself). Skipped while a bulk
/// load defers them. An entity's row goes with it (migration 0022's trigger).
pub(crate) async fn index_full_text(tx: &mut Tx<'_>, uids: &[&str]) -> Result<(), StoreError> {
    let Tx::Sqlite(conn) = tx else {
        return Ok(());
    };
    let deferred: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM deferred_indexes WHERE name = $1)")
            .bind(DEFERRED_FULL_TEXT)
            .fetch_one(&mut **conn)
            .await?;
    if deferred {
        return Ok(());
    }
    let fill = full_text_fill_sql();
    for chunk in uids.chunks(ROW_CHUNK) {
        let mut insert = sqlx::QueryBuilder::new(format!("{fill} WHERE e.uid IN "));
        insert.push_tuples(chunk, |mut row, uid| {
            row.push_bind(*uid);
        });
        insert.build().execute(&mut **conn).await?;
    }
    Ok(())
}

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

/// Replaces the `search` rows of the entity `entity_ref` with those of `body`.
pub(crate) async fn write_search_rows(
    tx: &mut Tx<'_>,
    entity_ref: &str,
    body: &Value,
) -> Result<(), StoreError> {
    let uid: String = on_tx!(tx, conn => {
        sqlx::query_scalar("SELECT uid FROM entities WHERE entity_ref = $1")
            .bind(entity_ref)
            .fetch_one(conn)
            .await?
    });
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM search WHERE entity_uid = $1")
            .bind(&uid)
            .execute(conn)
            .await?;
    });
    let rows = search_rows(body);
    let rows: Vec<(&str, &SearchRow)> = rows.iter().map(|row| (uid.as_str(), row)).collect();
    insert_search_rows(tx, &rows).await?;
    index_full_text(tx, &[uid.as_str()]).await
}

/// Inserts `(entity uid, row)` pairs into `search`.
pub(crate) async fn insert_search_rows(
    tx: &mut Tx<'_>,
    rows: &[(&str, &SearchRow)],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROW_CHUNK) {
        on_tx!(tx, conn => {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO search (entity_uid, key, value, original_value) ",
            );
            insert.push_values(chunk, |mut row, (uid, search)| {
                row.push_bind(*uid)
                    .push_bind(&search.key)
                    .push_bind(&search.value)
                    .push_bind(&search.original_value);
            });
            insert.build().execute(conn).await?;
        });
    }
    Ok(())
}

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

/// Rebuilds the stored API JSON of the entities `refs` (lowercased refs). Every write that
/// changes a body, an etag or a relation calls it for the entities it touched (for a
/// relation: its source), so reads serve the stored text as it is.
pub(crate) async fn stitch<R: AsRef<str>>(
    tx: &mut Tx<'_>,
    refs: impl IntoIterator<Item = R>,
) -> Result<(), StoreError> {
    let refs: Vec<R> = refs.into_iter().collect();
    let engine = tx.engine();
    for chunk in refs.chunks(5_000) {
        on_tx!(tx, conn => {
            let mut update = sqlx::QueryBuilder::new(stitch_sql(engine));
            update.push(" WHERE entity_ref IN ");
            update.push_tuples(chunk, |mut row, r| {
                row.push_bind(r.as_ref());
            });
            update.build().execute(conn).await?;
        });
    }
    Ok(())
}

/// The entities whose relations come from `origins` (the sources of the relations those
/// entities implied), read before the relations change.
pub(crate) async fn relation_sources<R: AsRef<str>>(
    tx: &mut Tx<'_>,
    origins: impl IntoIterator<Item = R>,
) -> Result<HashSet<String>, StoreError> {
    let origins: Vec<R> = origins.into_iter().collect();
    let mut sources = HashSet::new();
    for chunk in origins.chunks(5_000) {
        let found: Vec<String> = on_tx!(tx, conn => {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT DISTINCT source_ref FROM relations WHERE origin_ref IN ",
            );
            select.push_tuples(chunk, |mut row, r| {
                row.push_bind(r.as_ref());
            });
            select.build_query_scalar().fetch_all(conn).await?
        });
        sources.extend(found);
    }
    Ok(sources)
}

impl Store {
    /// Recomputes every entity's `search` rows from its stored body (for databases that
    /// held entities before migration 0002, and after a change to [`search_rows`]).
    pub async fn rebuild_search_index(&self) -> Result<usize, StoreError> {
        let refs: Vec<(String, String)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT entity_ref, body FROM entities").fetch_all(pool).await?
        });
        for chunk in refs.chunks(500) {
            let mut tx = self.begin().await?;
            bump_catalog_version(&mut tx).await?;
            for (entity_ref, body) in chunk {
                let body: Value = parse_body(entity_ref, body)?;
                write_search_rows(&mut tx, entity_ref, &body).await?;
            }
            tx.commit().await?;
        }
        Ok(refs.len())
    }
}
