//! Register drafts: text pasted on the register page, stored so that its preview can be
//! reached by a short URL (post-redirect-get) instead of carrying the text in the URL.

use crate::{Store, StoreError, on_pool};
use chrono::{Duration, Utc};

/// How long a draft can be previewed and registered after it was pasted.
pub const DRAFT_LIFETIME: Duration = Duration::hours(24);

impl Store {
    /// Stores `yaml` as a new draft and returns its id; drafts past their lifetime go.
    pub async fn save_register_draft(&self, yaml: &str) -> Result<String, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM register_drafts WHERE created_at < $1")
                .bind(now - DRAFT_LIFETIME)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO register_drafts (id, yaml, created_at) VALUES ($1, $2, $3)")
                .bind(&id)
                .bind(yaml)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(id)
    }

    /// The text of the draft `id`, unless it does not exist or has expired.
    pub async fn register_draft(&self, id: &str) -> Result<Option<String>, StoreError> {
        let oldest = Utc::now() - DRAFT_LIFETIME;
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT yaml FROM register_drafts WHERE id = $1 AND created_at >= $2")
                .bind(id)
                .bind(oldest)
                .fetch_optional(pool)
                .await?
        }))
    }
}
