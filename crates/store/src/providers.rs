//! Entity providers (`catalog.providers` in `portico.yaml`): their schedule and last run,
//! the locations each one manages, and the GitHub answers kept for conditional requests.
//! A provider's run is background work the replicas share through a claim (`claims.rs`),
//! so three replicas run each provider once per interval between them.

use crate::claims::ClaimQueue;
use crate::locations::LocationRow;
use crate::{Store, StoreError, on_pool};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A configured provider and how its last run went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ProviderRow {
    /// The id in `catalog.providers`.
    pub id: String,
    /// `github-discovery` or `github-org`.
    pub kind: String,
    /// What it reads, as shown to admins (e.g. `github.com/acme: /catalog-info.yaml`).
    pub config: String,
    /// `None`: due now.
    pub next_run_at: Option<DateTime<Utc>>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTime<Utc>>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    /// Why the last run failed as a whole; `None` when it completed.
    pub last_error: Option<String>,
    /// The last run's report (JSON), written by the provider.
    pub status: Option<String>,
}

/// A provider as the configuration names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfiguredProvider {
    pub id: String,
    pub kind: String,
    pub config: String,
}

const PROVIDER_COLUMNS: &str = "id, kind, config, next_run_at, claimed_by, claimed_until, \
     last_started_at, last_finished_at, last_error, status";

const PROVIDER_QUEUE: ClaimQueue = ClaimQueue {
    table: "providers",
    due: "next_run_at IS NULL OR next_run_at <= $3",
    order: "next_run_at IS NOT NULL, next_run_at, id",
};

impl Store {
    /// Makes the providers table what the configuration says: new providers are due now,
    /// a provider whose configuration changed runs again now, and providers no longer
    /// configured are forgotten. Returns the ids of those, whose locations the caller
    /// removes.
    pub async fn sync_providers(
        &self,
        configured: &[ConfiguredProvider],
    ) -> Result<Vec<String>, StoreError> {
        let existing = self.providers().await?;
        let mut removed = Vec::new();
        for row in &existing {
            if !configured.iter().any(|c| c.id == row.id) {
                on_pool!(self, pool => {
                    sqlx::query("DELETE FROM providers WHERE id = $1")
                        .bind(&row.id)
                        .execute(pool)
                        .await?
                        .rows_affected()
                });
                removed.push(row.id.clone());
            }
        }
        for provider in configured {
            match existing.iter().find(|row| row.id == provider.id) {
                Some(row) if row.kind == provider.kind && row.config == provider.config => {}
                Some(_) => {
                    on_pool!(self, pool => {
                        sqlx::query(
                            "UPDATE providers SET kind = $1, config = $2, next_run_at = NULL \
                             WHERE id = $3",
                        )
                        .bind(&provider.kind)
                        .bind(&provider.config)
                        .bind(&provider.id)
                        .execute(pool)
                        .await?
                        .rows_affected()
                    });
                }
                None => {
                    // Another replica starting at the same moment may insert it first.
                    on_pool!(self, pool => {
                        sqlx::query(
                            "INSERT INTO providers (id, kind, config) VALUES ($1, $2, $3) \
                             ON CONFLICT (id) DO NOTHING",
                        )
                        .bind(&provider.id)
                        .bind(&provider.kind)
                        .bind(&provider.config)
                        .execute(pool)
                        .await?
                        .rows_affected()
                    });
                }
            }
        }
        Ok(removed)
    }

    /// Every provider, by id.
    pub async fn providers(&self) -> Result<Vec<ProviderRow>, StoreError> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM providers ORDER BY id");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        }))
    }

    /// Claims the provider most overdue for a run, for `lease`.
    pub async fn claim_due_provider(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<ProviderRow>, StoreError> {
        self.claim_next(&PROVIDER_QUEUE, PROVIDER_COLUMNS, worker, now, lease)
            .await
    }

    /// Extends `worker`'s claim while its run goes on; false when the claim lapsed.
    pub async fn extend_provider_claim(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.extend_claim(&PROVIDER_QUEUE, id, worker, now, lease)
            .await
    }

    /// Records how `worker`'s run ended, schedules the next and releases the claim. False
    /// (nothing recorded) when the claim was no longer `worker`'s.
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_provider_run(
        &self,
        id: &str,
        worker: &str,
        started: DateTime<Utc>,
        finished: DateTime<Utc>,
        next_run_at: DateTime<Utc>,
        error: Option<&str>,
        status: &str,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE providers SET last_started_at = $1, last_finished_at = $2, \
                   next_run_at = $3, last_error = $4, status = $5, \
                   claimed_by = NULL, claimed_until = NULL \
                 WHERE id = $6 AND claimed_by = $7",
            )
            .bind(started)
            .bind(finished)
            .bind(next_run_at)
            .bind(error)
            .bind(status)
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated > 0)
    }

    /// Makes a provider due now (the status page's "run now").
    pub async fn request_provider_run(&self, id: &str) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE providers SET next_run_at = NULL WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        }) > 0)
    }

    /// The locations `provider` manages.
    pub async fn provider_locations(&self, provider: &str) -> Result<Vec<LocationRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM locations WHERE provider_id = $1 ORDER BY target",
            crate::locations::LOCATION_COLUMNS
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(provider).fetch_all(pool).await?
        }))
    }

    /// Adds a location `provider` manages, due for a read now. A location someone
    /// registered already stays theirs: `false` then, as when it exists already.
    pub async fn add_provider_location(
        &self,
        location_type: &str,
        target: &str,
        provider: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO locations (id, type, target, created_at, provider_id) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (type, target) DO NOTHING",
            )
            .bind(&id)
            .bind(location_type)
            .bind(target)
            .bind(now)
            .bind(provider)
            .execute(pool)
            .await?
            .rows_affected()
        }) > 0)
    }

    /// For each provider with locations: how many locations it manages and how many
    /// entities they hold.
    pub async fn provider_counts(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let sql = "SELECT l.provider_id, COUNT(DISTINCT l.id), COUNT(e.uid) \
                   FROM locations l LEFT JOIN entities e ON e.location_id = l.id \
                   WHERE l.provider_id IS NOT NULL GROUP BY l.provider_id";
        Ok(on_pool!(self, pool => {
            sqlx::query_as(sql).fetch_all(pool).await?
        }))
    }

    /// A GitHub answer kept for `url`: its ETag and body.
    pub async fn github_response(&self, url: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as("SELECT etag, body FROM github_responses WHERE url = $1")
                .bind(url)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Forgets GitHub answers stored before `before`, so answers for repositories and
    /// pages that are gone do not pile up. One still in use costs one full request again.
    pub async fn forget_github_responses(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM github_responses WHERE stored_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Keeps a GitHub answer for the next conditional request to `url`.
    pub async fn keep_github_response(
        &self,
        url: &str,
        etag: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO github_responses (url, etag, body, stored_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, body = excluded.body, \
                   stored_at = excluded.stored_at",
            )
            .bind(url)
            .bind(etag)
            .bind(body)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}
