//! Bulk loads (`portico catalog import`, see [`Store::connect_for_bulk_load`]).
//!
//! A load into an empty catalog drops the indexes that only serve reads and builds each
//! once when it finishes: sorting a table once is several times cheaper than updating
//! five indexes at random places for every row (measured in BENCHMARKS.md, issue 14).
//! The batches themselves need none of them: they find rows by entity ref, uid, location
//! and relation origin or source, whose indexes stay.
//!
//! Each dropped index's CREATE statement is kept in `deferred_indexes` (migration 0021)
//! in the same transaction that drops it, and [`Store::build_deferred_indexes`] runs on
//! every start of a portal process too: a load that stops half way loses nothing.

use crate::cache::bump_catalog_version;
use crate::stitching::{DEFERRED_FULL_TEXT, full_text_fill_sql, stitch};
use crate::{Engine, Store, StoreError, Tx, on_pool, on_tx};

/// The read indexes of the catalog's tables (both engines use these names).
const READ_INDEXES: [&str; 12] = [
    "entities_kind_name",
    "entities_uid_text",
    "entities_kind_uid",
    "entities_kind_lower_name",
    "entities_owner_kind",
    "entities_updated",
    "relations_target",
    "relations_type_source",
    "relations_lower_type_target",
    "search_key_value",
    "search_key_original",
    // PostgreSQL's trigram index over the full-text keys (migration 0006).
    "search_text",
];

impl Store {
    /// Starts a bulk load: when the catalog holds no entity yet, drops its read indexes
    /// until [`Store::finish_bulk_load`]. Returns whether it did. Reads during the load
    /// are correct but slow, and full-text search finds the loaded entities only once
    /// the load finishes.
    pub async fn begin_bulk_load(&self) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let empty: bool = on_tx!(&mut tx, conn => {
            sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM entities)")
                .fetch_one(conn)
                .await?
        });
        if !empty {
            return Ok(false);
        }
        let indexes = index_statements(&mut tx).await?;
        for (name, statement) in &indexes {
            on_tx!(&mut tx, conn => {
                sqlx::query("INSERT INTO deferred_indexes (name, statement) VALUES ($1, $2)")
                    .bind(name)
                    .bind(statement)
                    .execute(&mut *conn)
                    .await?;
                sqlx::raw_sql(&format!("DROP INDEX {name}")).execute(&mut *conn).await?;
            });
        }
        if let Tx::Sqlite(conn) = &mut tx {
            // SQLite's full-text rows (migration 0022) are written in one statement at
            // the end: the batches skip them while this row is here.
            sqlx::query(
                "INSERT INTO deferred_indexes (name, statement) VALUES ($1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(DEFERRED_FULL_TEXT)
            .bind(format!("DELETE FROM entity_text; {}", full_text_fill_sql()))
            .execute(&mut **conn)
            .await?;
        }
        tx.commit().await?;
        Ok(!indexes.is_empty())
    }

    /// Called before each batch of a bulk load with how many came before it. On
    /// PostgreSQL the planner's statistics follow the tables as they grow (after 1, 2,
    /// 4, 8 … batches): planned for the empty tables they started as, the deletes of a
    /// file's old relations scan every relation, and autovacuum may be off. SQLite's
    /// planner needs no statistics for the batches' statements (measured: analysing as
    /// the tables grow made a 100k import slower).
    pub async fn bulk_load_grew(&self, batches: usize) -> Result<(), StoreError> {
        if self.engine() == crate::Engine::Postgres && batches.is_power_of_two() {
            self.analyze().await?;
        }
        Ok(())
    }

    /// Ends a bulk load: stores the API JSON of the entities its batches left for the
    /// end (see [`Store::connect_for_bulk_load`]) and builds the indexes it deferred.
    pub async fn finish_bulk_load(&self) -> Result<(), StoreError> {
        if let Some(deferred) = &self.deferred_stitch {
            let refs: Vec<String> =
                std::mem::take(&mut *deferred.lock().unwrap_or_else(|e| e.into_inner()))
                    .into_iter()
                    .collect();
            if !refs.is_empty() {
                let mut tx = self.begin().await?;
                bump_catalog_version(&mut tx).await?;
                stitch(&mut tx, &refs).await?;
                tx.commit().await?;
            }
        }
        self.build_deferred_indexes().await
    }

    /// Builds every index a bulk load deferred, and SQLite's full-text rows if it
    /// deferred them. Does nothing (one read) when none is deferred; runs on
    /// every start, so that a load that stopped half way is completed.
    pub async fn build_deferred_indexes(&self) -> Result<(), StoreError> {
        let names: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT name FROM deferred_indexes ORDER BY name")
                .fetch_all(pool)
                .await?
        });
        match self.engine() {
            // One writer at a time: SQLite builds one index after the other.
            Engine::Sqlite => {
                for name in names {
                    self.build_deferred_index(name).await?;
                }
            }
            // PostgreSQL builds indexes of one table side by side (each takes a SHARE
            // lock): two builders, one per core of the machine the figures come from.
            Engine::Postgres => {
                let queue = std::sync::Mutex::new(names);
                let builder = async || -> Result<(), StoreError> {
                    loop {
                        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop();
                        match next {
                            Some(name) => self.build_deferred_index(name).await?,
                            None => return Ok(()),
                        }
                    }
                };
                let (first, second) = tokio::join!(builder(), builder());
                first?;
                second?;
            }
        }
        Ok(())
    }

    /// Builds the deferred index `name`, unless another process did.
    async fn build_deferred_index(&self, name: String) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        // Deleting first: a second process building at the same time waits for this
        // transaction and then finds nothing left to build.
        let statement: Option<String> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar("DELETE FROM deferred_indexes WHERE name = $1 RETURNING statement")
                .bind(&name)
                .fetch_optional(conn)
                .await?
        });
        let Some(statement) = statement else {
            return Ok(());
        };
        on_tx!(&mut tx, conn => {
            sqlx::raw_sql(&statement).execute(conn).await?;
        });
        tx.commit().await?;
        Ok(())
    }
}

/// The name and CREATE statement of each read index that exists now.
pub(crate) async fn index_statements(tx: &mut Tx<'_>) -> Result<Vec<(String, String)>, StoreError> {
    let names: Vec<String> = READ_INDEXES.into_iter().map(String::from).collect();
    Ok(match tx {
        Tx::Sqlite(conn) => {
            let mut select = sqlx::QueryBuilder::new(
                "SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND sql IS NOT NULL AND name IN ",
            );
            select.push_tuples(&names, |mut row, name| {
                row.push_bind(name);
            });
            select.build_query_as().fetch_all(&mut **conn).await?
        }
        Tx::Postgres(conn) => {
            sqlx::query_as(
                "SELECT indexname::text, indexdef FROM pg_indexes \
                 WHERE schemaname = current_schema() AND indexname = ANY($1)",
            )
            .bind(&names)
            .fetch_all(&mut **conn)
            .await?
        }
    })
}
