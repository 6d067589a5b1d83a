//! Register drafts: text pasted on the register page, stored so that its preview can be
//! reached by a short URL (post-redirect-get) instead of carrying the text in the URL.
//!
//! Anyone who can post the form can store a draft, so drafts are bounded: each lives for
//! a while only, each client keeps its latest few, and all together are capped. The
//! policy (sizes, which limits, what to tell people) is the server's; this file keeps the
//! counts exact under concurrent saves.

use crate::{Engine, Store, StoreError, on_pool};
use chrono::{DateTime, Duration, Utc};

/// How many drafts are kept, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DraftLimits {
    /// Drafts older than this are neither served nor kept.
    pub lifetime: Duration,
    /// Drafts one client keeps; saving one more removes that client's oldest.
    pub per_client: u32,
    /// Drafts kept in all; at the cap, saving is refused.
    pub total: u32,
}

/// The outcome of [`Store::save_register_draft`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftSave {
    /// Stored under this id.
    Saved(String),
    /// Not stored: `total` drafts are kept already.
    Full,
}

impl Store {
    /// Stores `yaml` as a new draft of `client` and returns its id. Drafts past their
    /// lifetime go first; then the client's oldest, so that it keeps at most `per_client`
    /// with the new one; if `total` drafts remain even so, nothing changes and the answer
    /// is [`DraftSave::Full`].
    pub async fn save_register_draft(
        &self,
        client: &str,
        yaml: &str,
        now: DateTime<Utc>,
        limits: &DraftLimits,
    ) -> Result<DraftSave, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Two saves at once must not both see room for one more. SQLite has one
            // writer at a time, and the first statement below writes; PostgreSQL needs
            // the table locked against other saves (reads go on).
            if self.engine() == Engine::Postgres {
                sqlx::query("LOCK TABLE register_drafts IN SHARE ROW EXCLUSIVE MODE")
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("DELETE FROM register_drafts WHERE created_at < $1")
                .bind(now - limits.lifetime)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM register_drafts WHERE client = $1 AND id NOT IN \
                 (SELECT id FROM register_drafts WHERE client = $1 \
                  ORDER BY created_at DESC, id DESC LIMIT $2)",
            )
            .bind(client)
            .bind(i64::from(limits.per_client.saturating_sub(1)))
            .execute(&mut *tx)
            .await?;
            let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM register_drafts")
                .fetch_one(&mut *tx)
                .await?;
            if kept >= i64::from(limits.total) {
                tx.rollback().await?;
                return Ok(DraftSave::Full);
            }
            sqlx::query(
                "INSERT INTO register_drafts (id, client, yaml, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(client)
            .bind(yaml)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(DraftSave::Saved(id))
    }

    /// The text of the draft `id`, unless it does not exist or was created before
    /// `not_before` (it has expired).
    pub async fn register_draft(
        &self,
        id: &str,
        not_before: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT yaml FROM register_drafts WHERE id = $1 AND created_at >= $2")
                .bind(id)
                .bind(not_before)
                .fetch_optional(pool)
                .await?
        }))
    }
}
