//! The platform's own use: people active per day, requests per day (added to by every
//! replica), support requests.

use crate::{Store, StoreError, on_pool, on_tx};
use chrono::{DateTime, Utc};

/// One day's requests.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestDayRow {
    pub day: String,
    pub requests: i64,
    pub server_errors: i64,
    pub b10: i64,
    pub b25: i64,
    pub b50: i64,
    pub b100: i64,
    pub b250: i64,
    pub b500: i64,
    pub b1000: i64,
    pub b2500: i64,
    pub b_inf: i64,
}

impl RequestDayRow {
    /// The buckets in order, as `insights::usage` has them.
    pub fn buckets(&self) -> [i64; 9] {
        [
            self.b10, self.b25, self.b50, self.b100, self.b250, self.b500, self.b1000, self.b2500,
            self.b_inf,
        ]
    }
}

impl Store {
    /// Adds `row`'s counts to its day.
    pub async fn add_request_day(&self, row: &RequestDayRow) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO request_days \
                   (day, requests, server_errors, b10, b25, b50, b100, b250, b500, b1000, b2500, b_inf) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (day) DO UPDATE SET \
                   requests = request_days.requests + excluded.requests, \
                   server_errors = request_days.server_errors + excluded.server_errors, \
                   b10 = request_days.b10 + excluded.b10, b25 = request_days.b25 + excluded.b25, \
                   b50 = request_days.b50 + excluded.b50, b100 = request_days.b100 + excluded.b100, \
                   b250 = request_days.b250 + excluded.b250, b500 = request_days.b500 + excluded.b500, \
                   b1000 = request_days.b1000 + excluded.b1000, b2500 = request_days.b2500 + excluded.b2500, \
                   b_inf = request_days.b_inf + excluded.b_inf",
            )
            .bind(&row.day)
            .bind(row.requests)
            .bind(row.server_errors)
            .bind(row.b10)
            .bind(row.b25)
            .bind(row.b50)
            .bind(row.b100)
            .bind(row.b250)
            .bind(row.b500)
            .bind(row.b1000)
            .bind(row.b2500)
            .bind(row.b_inf)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The days from `since` (YYYY-MM-DD) on, oldest first.
    pub async fn request_days(&self, since: &str) -> Result<Vec<RequestDayRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT * FROM request_days WHERE day >= $1 ORDER BY day")
                .bind(since)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Records that `subjects` used the portal on `day`.
    pub async fn record_activity(&self, day: &str, subjects: &[String]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for subject in subjects {
            on_tx!(&mut tx, conn => {
                sqlx::query(
                    "INSERT INTO activity_days (day, subject) VALUES ($1, $2) \
                     ON CONFLICT (day, subject) DO NOTHING",
                )
                .bind(day)
                .bind(subject)
                .execute(conn)
                .await?;
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Forgets who was active before `day` (YYYY-MM-DD).
    pub async fn prune_activity(&self, day: &str) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM activity_days WHERE day < $1")
                .bind(day)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// People active each day from `since` (YYYY-MM-DD) on: `(day, people)`.
    pub async fn active_per_day(&self, since: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT day, COUNT(*) FROM activity_days WHERE day >= $1 GROUP BY day ORDER BY day",
            )
            .bind(since)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Different people active from `since` (YYYY-MM-DD) on.
    pub async fn active_people(&self, since: &str) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(DISTINCT subject) FROM activity_days WHERE day >= $1")
                .bind(since)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Writes of `actions` that succeeded since `since`, from the audit log.
    pub async fn succeeded_actions(
        &self,
        actions: &[&str],
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let placeholders = (0..actions.len())
            .map(|i| format!("${}", i + 2))
            .collect::<Vec<_>>()
            .join(", ");
        if actions.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "SELECT COUNT(*) FROM audit_log WHERE at >= $1 AND outcome = 'succeeded' \
             AND action IN ({placeholders})"
        );
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::query_scalar(&sql).bind(since);
            for action in actions {
                q = q.bind(*action);
            }
            q.fetch_one(pool).await?
        }))
    }

    /// Opens or closes a support request.
    pub async fn report_support_request(
        &self,
        id: &str,
        repository: Option<&str>,
        opened_at: DateTime<Utc>,
        closed_at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO support_requests (id, repository, opened_at, closed_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET closed_at = excluded.closed_at",
            )
            .bind(id)
            .bind(repository)
            .bind(opened_at)
            .bind(closed_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Support requests opened since `since`.
    pub async fn support_requests_since(&self, since: DateTime<Utc>) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM support_requests WHERE opened_at >= $1")
                .bind(since)
                .fetch_one(pool)
                .await?
        }))
    }
}
