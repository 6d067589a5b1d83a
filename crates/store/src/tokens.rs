//! API tokens: only their hashes are kept. The server makes and checks tokens
//! (`server/src/identity/tokens.rs`); this is where they are stored, found and revoked.

use crate::{Store, StoreError, on_pool};
use chrono::{DateTime, Utc};

/// One stored token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    /// The first characters of the token, to tell tokens apart (`pt_3f9a2c`).
    pub prefix: String,
    /// The person who created it (`provider:subject`).
    pub subject: String,
    /// That person as JSON, as they were when the token was made.
    pub person: String,
    pub name: String,
    /// Scope names (`read`, `catalog.write`).
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    /// Whether the token may still be used at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

const COLUMNS: &str = "id, prefix, subject, person, name, scopes, created_at, expires_at, \
                       last_used_at, revoked_at";

fn token(row: Row) -> TokenRow {
    let (id, prefix, subject, person, name, scopes, created_at, expires_at, last_used, revoked) =
        row;
    TokenRow {
        id,
        prefix,
        subject,
        person,
        name,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_at,
        expires_at,
        last_used_at: last_used,
        revoked_at: revoked,
    }
}

impl Store {
    /// Stores a new token under the hash of its secret.
    pub async fn create_token(
        &self,
        token: &TokenRow,
        secret_hash: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(&format!(
                "INSERT INTO api_tokens ({COLUMNS}, secret_hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(&token.id)
            .bind(&token.prefix)
            .bind(&token.subject)
            .bind(&token.person)
            .bind(&token.name)
            .bind(token.scopes.join(" "))
            .bind(token.created_at)
            .bind(token.expires_at)
            .bind(token.last_used_at)
            .bind(token.revoked_at)
            .bind(secret_hash)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The token whose secret hashes to `secret_hash`, live or not.
    pub async fn token_by_hash(&self, secret_hash: &str) -> Result<Option<TokenRow>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!("SELECT {COLUMNS} FROM api_tokens WHERE secret_hash = $1"))
                .bind(secret_hash)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(token))
    }

    /// Every token `subject` created, newest first.
    pub async fn tokens_of(&self, subject: &str) -> Result<Vec<TokenRow>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM api_tokens WHERE subject = $1 \
                 ORDER BY created_at DESC, id"
            ))
            .bind(subject)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(token).collect())
    }

    /// Revokes `subject`'s token `id`; the token as it was, `None` when they have no such
    /// live token.
    pub async fn revoke_token(
        &self,
        subject: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TokenRow>, StoreError> {
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&format!(
                "UPDATE api_tokens SET revoked_at = $3 \
                 WHERE subject = $1 AND id = $2 AND revoked_at IS NULL RETURNING {COLUMNS}"
            ))
            .bind(subject)
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(token))
    }

    /// Records that token `id` was used at `now`.
    pub async fn touch_token(&self, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_stores;
    use chrono::Duration;

    fn row(id: &str, subject: &str, now: DateTime<Utc>) -> TokenRow {
        TokenRow {
            id: id.into(),
            prefix: format!("pt_{id}"),
            subject: subject.into(),
            person: "{}".into(),
            name: format!("token {id}"),
            scopes: vec!["read".into(), "catalog.write".into()],
            created_at: now,
            expires_at: now + Duration::days(30),
            last_used_at: None,
            revoked_at: None,
        }
    }

    #[tokio::test]
    async fn tokens_are_found_by_hash_listed_per_person_used_and_revoked() {
        for store in test_stores().await {
            let store = &store.store;
            let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
            store
                .create_token(&row("a", "guest:ada", now), "hash-a")
                .await
                .unwrap();
            store
                .create_token(&row("b", "guest:ada", now + Duration::seconds(1)), "hash-b")
                .await
                .unwrap();
            store
                .create_token(&row("c", "guest:bob", now), "hash-c")
                .await
                .unwrap();
            assert!(
                store
                    .create_token(&row("d", "guest:bob", now), "hash-c")
                    .await
                    .is_err(),
                "a hash is never stored twice"
            );

            let found = store.token_by_hash("hash-a").await.unwrap().unwrap();
            assert_eq!(found, row("a", "guest:ada", now));
            assert!(found.is_live(now));
            assert!(!found.is_live(now + Duration::days(30)), "expired");
            assert!(store.token_by_hash("hash-x").await.unwrap().is_none());

            let ids: Vec<_> = store
                .tokens_of("guest:ada")
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.id)
                .collect();
            assert_eq!(ids, ["b", "a"], "newest first, only the person's own");

            store
                .touch_token("a", now + Duration::hours(1))
                .await
                .unwrap();
            assert!(
                store
                    .revoke_token("guest:bob", "a", now)
                    .await
                    .unwrap()
                    .is_none(),
                "only its creator revokes a token"
            );
            let revoked = store.revoke_token("guest:ada", "a", now).await.unwrap();
            assert_eq!(revoked.map(|t| t.revoked_at), Some(Some(now)));
            assert!(
                store
                    .revoke_token("guest:ada", "a", now)
                    .await
                    .unwrap()
                    .is_none()
            );
            let used = store.token_by_hash("hash-a").await.unwrap().unwrap();
            assert_eq!(used.last_used_at, Some(now + Duration::hours(1)));
            assert_eq!(used.revoked_at, Some(now));
            assert!(!used.is_live(now));
        }
    }
}
