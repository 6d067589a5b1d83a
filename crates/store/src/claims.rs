//! Background work shared by replicas through the database. A unit of work is a row of
//! a table with `id`, `claimed_by` and `claimed_until` columns; a worker claims one row
//! for a lease, extends the lease while it works (a heartbeat), and releases the claim
//! when done. A replica that dies mid-work only delays its row until the lease lapses.
//!
//! Two workers never hold the same row: on PostgreSQL the candidate is locked with
//! `FOR UPDATE SKIP LOCKED`, so concurrent claims take different rows instead of
//! waiting; on SQLite the single `UPDATE` runs under the database's one writer lock.
//! Every time is passed in by the caller, never read from the database clock, so
//! replicas and both engines agree and tests can move time.

use crate::{Engine, Store, StoreError, on_pool};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use std::time::Duration;

/// A table of claimable work.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClaimQueue {
    pub table: &'static str,
    /// The condition a row must meet to be due; `$3` is the current time.
    pub due: &'static str,
    /// The order in which due rows are taken, most urgent first.
    pub order: &'static str,
}

/// A row type either engine can return.
pub(crate) trait ClaimedRow:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> ClaimedRow for T where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

impl Store {
    /// Claims the most urgent due row of `queue` for `worker` until `now + lease` and
    /// returns its `columns`; `None` when nothing is due or every due row is held.
    pub(crate) async fn claim_next<T: ClaimedRow>(
        &self,
        queue: &ClaimQueue,
        columns: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<T>, StoreError> {
        let lock = match self.engine() {
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let ClaimQueue { table, due, order } = queue;
        let sql = format!(
            "UPDATE {table} SET claimed_by = $1, claimed_until = $2 \
             WHERE id = (SELECT id FROM {table} \
                         WHERE ({due}) AND (claimed_until IS NULL OR claimed_until < $3) \
                         ORDER BY {order} LIMIT 1 {lock}) \
             RETURNING {columns}"
        );
        let until = now + lease_delta(lease);
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(worker).bind(until).bind(now).fetch_optional(pool).await?
        }))
    }

    /// Claims the row `id` of `queue` unless another worker holds it, due or not (e.g. to
    /// do the work right after it was created). `None` when it is held or unknown.
    pub(crate) async fn claim_row<T: ClaimedRow>(
        &self,
        queue: &ClaimQueue,
        id: &str,
        columns: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<T>, StoreError> {
        let table = queue.table;
        let sql = format!(
            "UPDATE {table} SET claimed_by = $1, claimed_until = $2 \
             WHERE id = $3 AND (claimed_until IS NULL OR claimed_until < $4) \
             RETURNING {columns}"
        );
        let until = now + lease_delta(lease);
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(worker).bind(until).bind(id).bind(now).fetch_optional(pool).await?
        }))
    }

    /// Extends `worker`'s claim on the row `id` to `now + lease` (a heartbeat). False
    /// when the claim is no longer `worker`'s: it lapsed and another worker took it.
    pub(crate) async fn extend_claim(
        &self,
        queue: &ClaimQueue,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        let table = queue.table;
        let sql =
            format!("UPDATE {table} SET claimed_until = $1 WHERE id = $2 AND claimed_by = $3");
        let until = now + lease_delta(lease);
        let updated = on_pool!(self, pool => {
            sqlx::query(&sql).bind(until).bind(id).bind(worker).execute(pool).await?.rows_affected()
        });
        Ok(updated > 0)
    }
}

pub(crate) fn lease_delta(lease: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(lease).unwrap_or(chrono::TimeDelta::MAX)
}
