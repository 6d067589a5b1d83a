//! Sign-in sessions. The server's session layer (tower-sessions) keeps each session's data
//! here as JSON; `subject` names the signed-in person so that all of their sessions can
//! be ended at once.

use crate::{Store, StoreError, on_pool};
use chrono::{DateTime, Utc};

/// One stored session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    pub subject: Option<String>,
    /// The session's data, as JSON text.
    pub data: String,
    pub expires_at: DateTime<Utc>,
}

impl Store {
    /// Stores a new session; `false` (nothing stored) when the id is taken.
    pub async fn create_session(
        &self,
        session: &SessionRow,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (id, subject, data, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&session.id)
            .bind(&session.subject)
            .bind(&session.data)
            .bind(session.expires_at)
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted > 0)
    }

    /// Stores a session's data and expiry, creating it if it is not there.
    pub async fn save_session(
        &self,
        session: &SessionRow,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (id, subject, data, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, \
                   data = excluded.data, expires_at = excluded.expires_at",
            )
            .bind(&session.id)
            .bind(&session.subject)
            .bind(&session.data)
            .bind(session.expires_at)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The session `id`, unless it does not exist or expired before `now`.
    pub async fn load_session(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row: Option<(String, Option<String>, String, DateTime<Utc>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, subject, data, expires_at FROM sessions \
                 WHERE id = $1 AND expires_at > $2",
            )
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(id, subject, data, expires_at)| SessionRow {
            id,
            subject,
            data,
            expires_at,
        }))
    }

    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(pool).await?;
        });
        Ok(())
    }

    /// Ends every session of the person `subject` ("sign out everywhere"); returns how
    /// many there were.
    pub async fn delete_sessions_of(&self, subject: &str) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE subject = $1")
                .bind(subject)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Removes sessions that expired before `now`; returns how many.
    pub async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_stores;
    use chrono::Duration;

    fn session(id: &str, subject: Option<&str>, expires_at: DateTime<Utc>) -> SessionRow {
        SessionRow {
            id: id.into(),
            subject: subject.map(Into::into),
            data: format!("{{\"n\":\"{id}\"}}"),
            expires_at,
        }
    }

    #[tokio::test]
    async fn sessions_are_created_once_saved_loaded_until_they_expire_and_ended() {
        for store in test_stores().await {
            let store = &store.store;
            let now = Utc::now();
            let later = now + Duration::hours(1);
            assert!(
                store
                    .create_session(&session("a", None, later), now)
                    .await
                    .unwrap()
            );
            assert!(
                !store
                    .create_session(&session("a", None, later), now)
                    .await
                    .unwrap(),
                "an id is never given twice"
            );
            let mut signed_in = session("a", Some("oidc:okta:1"), later);
            signed_in.data = "{\"person\":1}".into();
            store.save_session(&signed_in, now).await.unwrap();
            let loaded = store.load_session("a", now).await.unwrap().unwrap();
            assert_eq!(loaded.subject.as_deref(), Some("oidc:okta:1"));
            assert_eq!(loaded.data, "{\"person\":1}");
            assert!(
                store.load_session("a", later).await.unwrap().is_none(),
                "expired"
            );
            assert!(store.load_session("missing", now).await.unwrap().is_none());
            store.delete_session("a").await.unwrap();
            assert!(store.load_session("a", now).await.unwrap().is_none());
        }
    }

    #[tokio::test]
    async fn signing_out_everywhere_ends_only_that_persons_sessions() {
        for store in test_stores().await {
            let store = &store.store;
            let now = Utc::now();
            let later = now + Duration::hours(1);
            for (id, subject) in [("a", "github:1"), ("b", "github:1"), ("c", "github:2")] {
                store
                    .save_session(&session(id, Some(subject), later), now)
                    .await
                    .unwrap();
            }
            store
                .save_session(&session("old", None, now - Duration::seconds(1)), now)
                .await
                .unwrap();
            assert_eq!(store.delete_sessions_of("github:1").await.unwrap(), 2);
            assert!(store.load_session("a", now).await.unwrap().is_none());
            assert!(store.load_session("c", now).await.unwrap().is_some());
            assert_eq!(store.delete_expired_sessions(now).await.unwrap(), 1);
            assert!(store.load_session("c", now).await.unwrap().is_some());
        }
    }
}
