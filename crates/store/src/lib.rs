//! All SQL of Portico, for both engines: embedded SQLite (the default) and PostgreSQL.
//! One file per aggregate: entity writes, entity reads, the filter compiler, search rows
//! and stitching, locations, claims, drafts, sessions, API tokens, the audit log, the
//! team pages' reads.
//!
//! Queries are written once with `$n` placeholders, which sqlx accepts on both engines.
//! A single statement runs on whichever pool is configured through [`on_pool!`]; a
//! transaction is a [`Tx`] passed to ordinary async functions, each statement running on
//! the concrete connection through [`on_tx!`]. Engine-specific SQL sits side by side in
//! the same function where it pays.

mod audit;
mod bulk_load;
mod cache;
mod claims;
mod drafts;
mod entity_reads;
mod entity_writes;
mod error;
mod filters;
mod insights;
mod locations;
mod providers;
mod sessions;
mod stitching;
mod surveys;
mod tasks;
mod teams;
mod tokens;
mod usage;

pub use audit::{AuditEntry, AuditQuery, MAX_AUDIT_PAGE};
pub use drafts::{DraftLimits, DraftSave};
pub use entity_reads::{
    EntityInContext, EntityJson, EntityRelationRow, EntitySummary, FacetCount, KindCount,
    StoredEntity,
};
pub use entity_writes::{BatchOutcome, EntityRecord, LocationRecord, RelationRecord};
pub use error::StoreError;
pub use filters::{EntityFilter, EntityQuery, LocationQuery, OrderField, TextFilter};
pub use insights::{
    ChangeRow, DeliveryCounts, DeliveryRow, DeploymentReport, DeploymentRow, DeploymentState,
    FactQuery, IncidentRow, MAX_SELECTED, ProjectSlug, Selection, ServiceFilter,
};
pub use locations::{
    LocationConflict, LocationPage, LocationRow, LocationStatus, LocationUpdate, ORPHAN_ANNOTATION,
    ReadResult,
};
pub use providers::{ConfiguredProvider, ProviderRow};
pub use sessions::SessionRow;
pub use stitching::{SearchRow, search_rows};
pub use surveys::{AnswerRow, Asked, FeatureRequestRow, NewAnswer};
pub use tasks::{CancelOutcome, NewTask, TaskEventRow, TaskQuery, TaskRow, TaskStatus};
pub use teams::{
    DependencyEdge, GroupTree, MAX_OWNERS, OwnedCount, OwnedEntity, ProcessingProblem,
};
pub use tokens::TokenRow;
pub use usage::RequestDayRow;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The database behind the portal.
/// Session settings for every PostgreSQL connection. No JIT: the catalog's statements
/// are short, and with estimates skewed (right after a large import, before autovacuum
/// analyses) JIT compilation cost ≈ 170 ms per page query, 20 times the query itself.
pub const POSTGRES_SESSION: [(&str, &str); 1] = [("jit", "off")];

/// PostgreSQL connections per replica unless configured (`database_max_connections`):
/// three replicas take 48 of the server's default 100.
pub const POSTGRES_CONNECTIONS: u32 = 16;

/// A pooled PostgreSQL connection idle for longer than this is pinged before it is used.
pub(crate) const POSTGRES_PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// SQLite page cache per connection while serving: 8 MiB (SQLite's default is 2 MiB), so
/// the hot index pages of a large catalog stay in memory; 8 connections, ≤ 64 MiB.
const SQLITE_CACHE_KIB: u32 = 8 * 1024;
/// The same for a bulk import (one process, writes only): 256 MiB.
const BULK_SQLITE_CACHE_KIB: u32 = 256 * 1024;
/// Pages the write-ahead log grows to before SQLite copies them into the database:
/// SQLite's default while serving; 64 MiB for a bulk import, whose batches rewrite many
/// of the same index pages, each then copied once per checkpoint instead of once per
/// batch.
const WAL_PAGES: u32 = 1000;
const BULK_WAL_PAGES: u32 = 16 * 1024;

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of either engine.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs `$body` with `$conn` bound to one connection taken from the pool of either engine,
/// for reads that take several statements: one acquisition, and on PostgreSQL one ping
/// when it is given back (sqlx pings every connection it is given back) instead of one
/// per statement.
macro_rules! on_connection {
    ($store:expr, $conn:ident => $body:expr) => {
        match &$store.pool {
            $crate::Pool::Sqlite(pool) => {
                let mut held = pool.acquire().await?;
                let $conn = &mut *held;
                $body
            }
            $crate::Pool::Postgres(pool) => {
                let mut held = pool.acquire().await?;
                let $conn = &mut *held;
                $body
            }
        }
    };
}
pub(crate) use on_connection;

/// A transaction on either engine. Multi-statement writes are ordinary async functions
/// over `&mut Tx`; each statement runs on the concrete connection through [`on_tx!`].
pub(crate) enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection of either engine.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Tx<'_> {
    pub(crate) fn engine(&self) -> Engine {
        match self {
            Tx::Sqlite(_) => Engine::Sqlite,
            Tx::Postgres(_) => Engine::Postgres,
        }
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Which engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    facet_cache:
        std::sync::Arc<cache::VersionedCache<std::collections::BTreeMap<String, Vec<FacetCount>>>>,
    count_cache: std::sync::Arc<cache::VersionedCache<i64>>,
    /// Answers callers compute from the catalog ([`Store::cached`]).
    aggregates: std::sync::Arc<cache::VersionedCache<cache::Aggregate>>,
    /// In a bulk load: entities of other batches whose stored JSON waits for
    /// [`Store::finish_bulk_load`] (see [`Store::connect_for_bulk_load`]).
    deferred_stitch: Option<std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>>,
}

impl Store {
    /// Connects to `url`: `sqlite://path` (the file and its folder are created) or
    /// `postgres://…`. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::connect_with_cache(url, false, POSTGRES_CONNECTIONS).await
    }

    /// [`Store::connect`] with at most `connections` PostgreSQL connections (each
    /// replica's share of the server's `max_connections`; ignored for SQLite).
    pub async fn connect_with_pool(url: &str, connections: u32) -> Result<Store, StoreError> {
        Store::connect_with_cache(url, false, connections).await
    }

    /// [`Store::connect`] for one-off bulk writes (`portico catalog import`), ended by
    /// [`Store::finish_bulk_load`]. SQLite gets a page cache of `BULK_SQLITE_CACHE_KIB` per
    /// connection, so that the indexes a large import writes at random places (entity refs and uids are
    /// random) stay in memory instead of being read and written back page by page.
    ///
    /// Each batch stores the API JSON of the entities it writes at once, but that of other
    /// entities whose relations it changes (a group owning components of many files) only
    /// when the load finishes: rebuilding them after every file cost more than the rest
    /// of a 100k-entity import. Until then those entities show their previous relations.
    pub async fn connect_for_bulk_load(url: &str) -> Result<Store, StoreError> {
        let mut store = Store::connect_with_cache(url, true, POSTGRES_CONNECTIONS).await?;
        store.deferred_stitch = Some(Default::default());
        Ok(store)
    }

    async fn connect_with_cache(
        url: &str,
        bulk: bool,
        postgres_connections: u32,
    ) -> Result<Store, StoreError> {
        let pool = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)
                .map_err(StoreError::connect)?
                .options(POSTGRES_SESSION);
            let pool = PgPoolOptions::new()
                .max_connections(postgres_connections)
                .acquire_timeout(Duration::from_secs(5))
                // sqlx pings a connection before each use and again when it is given
                // back: three round trips per statement. The ping on return stays (it
                // finds connections left broken); before use, only a connection idle for
                // a while is pinged, the one a database restart may have closed.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for > POSTGRES_PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .connect_with(options)
                .await
                .map_err(StoreError::connect)?;
            Pool::Postgres(pool)
        } else if url.starts_with("sqlite:") {
            let (sqlite_cache_kib, wal_pages) = if bulk {
                (BULK_SQLITE_CACHE_KIB, BULK_WAL_PAGES)
            } else {
                (SQLITE_CACHE_KIB, WAL_PAGES)
            };
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5))
                // WAL with NORMAL: a crash cannot corrupt the database; a power cut may
                // lose the last commits. FULL syncs every commit, which halves import speed.
                .synchronous(SqliteSynchronous::Normal)
                .pragma("cache_size", format!("-{sqlite_cache_kib}"))
                .pragma("wal_autocheckpoint", wal_pages.to_string());
            create_parent_dir(options.get_filename())?;
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(StoreError::connect)?;
            Pool::Sqlite(pool)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(Store::from_pool(pool))
    }

    pub(crate) fn from_pool(pool: Pool) -> Store {
        Store {
            pool,
            facet_cache: Default::default(),
            count_cache: Default::default(),
            aggregates: Default::default(),
            deferred_stitch: None,
        }
    }

    /// Starts a transaction.
    pub(crate) async fn begin(&self) -> Result<Tx<'static>, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Applies every migration that has not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        // A bulk load that stopped half way left read indexes to build.
        self.build_deferred_indexes().await
    }

    /// Ok when the database answers and every migration this binary knows has been applied.
    pub async fn check_ready(&self) -> Result<(), StoreError> {
        let expected = match &self.pool {
            Pool::Sqlite(_) => SQLITE_MIGRATIONS.iter().count(),
            Pool::Postgres(_) => POSTGRES_MIGRATIONS.iter().count(),
        } as i64;
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        // Before the first migration the bookkeeping table does not exist.
        let applied: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await
                .unwrap_or(0)
        });
        if applied < expected {
            return Err(StoreError::NotMigrated { applied, expected });
        }
        Ok(())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

fn create_parent_dir(file: &std::path::Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                dir: dir.display().to_string(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_insights;
#[cfg(test)]
mod tests_providers;
#[cfg(test)]
mod tests_queries;
#[cfg(test)]
mod tests_surveys;
#[cfg(test)]
mod tests_tasks;
#[cfg(test)]
mod tests_teams;
