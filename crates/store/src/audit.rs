//! The audit log: one row per write, or attempted write (the server's authorisation seam
//! records them). Rows are added, read newest first with filters, and pruned by age.

use crate::{Store, StoreError, on_pool};
use chrono::{DateTime, Utc};

/// One audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// Assigned by the database; ignored when recording.
    pub id: i64,
    pub at: DateTime<Utc>,
    /// How messages name the caller.
    pub actor: String,
    /// The person's User entity ref, or their sign-in subject; `None`: anonymous.
    pub actor_ref: Option<String>,
    pub subject: Option<String>,
    /// The API token's name, when one was used.
    pub token: Option<String>,
    /// The action's stable name (`catalog.entity.unregister`).
    pub action: String,
    /// The entity ref or location the write was done to; empty when refused before it
    /// was loaded.
    pub target: String,
    /// `succeeded`, `refused` or `failed`.
    pub outcome: String,
    /// The refusal's reason or the error the caller saw.
    pub detail: String,
    pub client_ip: String,
    pub user_agent: String,
}

/// Which entries to read: every filter set must match. Newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// `actor_ref` equals this (case-insensitively); `anonymous` for anonymous callers.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// `target` contains this, case-insensitively.
    pub target_contains: Option<String>,
    /// At or after.
    pub since: Option<DateTime<Utc>>,
    /// Before.
    pub until: Option<DateTime<Utc>>,
    /// Only entries older than the entry with this id (the next page's cursor).
    pub before_id: Option<i64>,
    /// At most this many; clamped to 1..=1000.
    pub limit: i64,
}

/// The largest page [`Store::audit_entries`] returns.
pub const MAX_AUDIT_PAGE: i64 = 1000;

enum Param {
    Text(String),
    Time(DateTime<Utc>),
    Int(i64),
}

const COLUMNS: &str = "id, at, actor, actor_ref, subject, token, action, target, outcome, \
                       detail, client_ip, user_agent";

type Row = (
    i64,
    DateTime<Utc>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    String,
);

impl Store {
    /// Adds `entry` (its `id` is ignored).
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO audit_log (at, actor, actor_ref, subject, token, action, target, \
                   outcome, detail, client_ip, user_agent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(entry.at)
            .bind(&entry.actor)
            .bind(&entry.actor_ref)
            .bind(&entry.subject)
            .bind(&entry.token)
            .bind(&entry.action)
            .bind(&entry.target)
            .bind(&entry.outcome)
            .bind(&entry.detail)
            .bind(&entry.client_ip)
            .bind(&entry.user_agent)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The entries `query` selects, newest first.
    pub async fn audit_entries(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        match query.actor.as_deref().map(str::trim) {
            Some("") | None => {}
            Some(actor) if actor.eq_ignore_ascii_case("anonymous") => {
                conditions.push("actor_ref IS NULL".into())
            }
            Some(actor) => {
                let p = next(Param::Text(actor.to_lowercase()), &mut params);
                conditions.push(format!("LOWER(actor_ref) = {p}"));
            }
        }
        if let Some(action) = query.action.as_deref().filter(|a| !a.is_empty()) {
            let p = next(Param::Text(action.into()), &mut params);
            conditions.push(format!("action = {p}"));
        }
        if let Some(outcome) = query.outcome.as_deref().filter(|o| !o.is_empty()) {
            let p = next(Param::Text(outcome.into()), &mut params);
            conditions.push(format!("outcome = {p}"));
        }
        if let Some(text) = query.target_contains.as_deref().filter(|t| !t.is_empty()) {
            let pattern = format!("%{}%", escape_like(&text.to_lowercase()));
            let p = next(Param::Text(pattern), &mut params);
            conditions.push(format!("LOWER(target) LIKE {p} ESCAPE '\\'"));
        }
        if let Some(since) = query.since {
            let p = next(Param::Time(since), &mut params);
            conditions.push(format!("at >= {p}"));
        }
        if let Some(until) = query.until {
            let p = next(Param::Time(until), &mut params);
            conditions.push(format!("at < {p}"));
        }
        if let Some(before) = query.before_id {
            let p = next(Param::Int(before), &mut params);
            conditions.push(format!("id < {p}"));
        }
        let limit = next(
            Param::Int(query.limit.clamp(1, MAX_AUDIT_PAGE)),
            &mut params,
        );
        let condition = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql =
            format!("SELECT {COLUMNS} FROM audit_log {condition} ORDER BY id DESC LIMIT {limit}");
        let rows: Vec<Row> = on_pool!(self, pool => {
            let mut statement = sqlx::query_as(&sql);
            for param in params {
                statement = match param {
                    Param::Text(text) => statement.bind(text),
                    Param::Time(time) => statement.bind(time),
                    Param::Int(int) => statement.bind(int),
                };
            }
            statement.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    at,
                    actor,
                    actor_ref,
                    subject,
                    token,
                    action,
                    target,
                    outcome,
                    detail,
                    client_ip,
                    user_agent,
                )| AuditEntry {
                    id,
                    at,
                    actor,
                    actor_ref,
                    subject,
                    token,
                    action,
                    target,
                    outcome,
                    detail,
                    client_ip,
                    user_agent,
                },
            )
            .collect())
    }

    /// Removes entries recorded before `cutoff`; returns how many. Idempotent, so every
    /// replica may run it.
    pub async fn prune_audit(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("DELETE FROM audit_log WHERE at < $1")
                .bind(cutoff)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

/// Adds `param` and returns its placeholder.
fn next(param: Param, params: &mut Vec<Param>) -> String {
    params.push(param);
    format!("${}", params.len())
}

/// `text` with LIKE's wildcards and the escape character escaped (`ESCAPE '\'`).
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::test_stores;
    use chrono::Duration;

    fn entry(
        at: DateTime<Utc>,
        actor_ref: Option<&str>,
        action: &str,
        target: &str,
        outcome: &str,
    ) -> AuditEntry {
        AuditEntry {
            id: 0,
            at,
            actor: actor_ref.unwrap_or("an anonymous visitor").into(),
            actor_ref: actor_ref.map(Into::into),
            subject: actor_ref.map(|r| format!("guest:{r}")),
            token: None,
            action: action.into(),
            target: target.into(),
            outcome: outcome.into(),
            detail: String::new(),
            client_ip: "192.0.2.1".into(),
            user_agent: "test".into(),
        }
    }

    #[tokio::test]
    async fn entries_are_read_newest_first_filtered_paged_and_pruned() {
        for store in test_stores().await {
            let store = &store.store;
            let now = Utc::now();
            let ada = Some("user:default/ada");
            let rows = [
                entry(
                    now - Duration::days(400),
                    ada,
                    "catalog.entity.unregister",
                    "component:default/old",
                    "succeeded",
                ),
                entry(
                    now - Duration::hours(2),
                    ada,
                    "catalog.location.create",
                    "url:https://git.example/a_b%.yaml",
                    "succeeded",
                ),
                entry(
                    now - Duration::hours(1),
                    None,
                    "catalog.entity.unregister",
                    "",
                    "refused",
                ),
                entry(
                    now,
                    Some("user:default/grace"),
                    "catalog.entity.refresh",
                    "component:default/Checkout",
                    "failed",
                ),
            ];
            for row in &rows {
                store.record_audit(row).await.unwrap();
            }
            let all = store
                .audit_entries(&AuditQuery {
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            let outcomes: Vec<&str> = all.iter().map(|e| e.outcome.as_str()).collect();
            assert_eq!(outcomes, ["failed", "refused", "succeeded", "succeeded"]);
            assert_eq!(all[0].target, "component:default/Checkout");
            assert_eq!(all[0].client_ip, "192.0.2.1");
            assert_eq!(all[0].subject.as_deref(), Some("guest:user:default/grace"));
            assert!((all[0].at - now).num_milliseconds().abs() < 1);

            let count = |query: AuditQuery| async move {
                store
                    .audit_entries(&AuditQuery { limit: 10, ..query })
                    .await
                    .unwrap()
                    .len()
            };
            let by = |actor: &str| AuditQuery {
                actor: Some(actor.into()),
                ..Default::default()
            };
            assert_eq!(count(by("User:Default/Ada")).await, 2);
            assert_eq!(count(by("anonymous")).await, 1);
            assert_eq!(
                count(AuditQuery {
                    action: Some("catalog.entity.unregister".into()),
                    ..Default::default()
                })
                .await,
                2
            );
            assert_eq!(
                count(AuditQuery {
                    outcome: Some("refused".into()),
                    ..Default::default()
                })
                .await,
                1
            );
            let contains = |text: &str| AuditQuery {
                target_contains: Some(text.into()),
                ..Default::default()
            };
            assert_eq!(count(contains("checkout")).await, 1, "case-insensitive");
            assert_eq!(count(contains("a_b%")).await, 1);
            assert_eq!(count(contains("_")).await, 1, "wildcards are literal");
            assert_eq!(
                count(AuditQuery {
                    since: Some(now - Duration::hours(3)),
                    until: Some(now - Duration::minutes(30)),
                    ..Default::default()
                })
                .await,
                2
            );
            let first = store
                .audit_entries(&AuditQuery {
                    limit: 3,
                    ..Default::default()
                })
                .await
                .unwrap();
            let rest = store
                .audit_entries(&AuditQuery {
                    limit: 3,
                    before_id: Some(first.last().unwrap().id),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert_eq!(first.len(), 3);
            assert_eq!(rest.len(), 1);
            assert_eq!(rest[0].target, "component:default/old");

            assert_eq!(
                store.prune_audit(now - Duration::days(365)).await.unwrap(),
                1
            );
            assert_eq!(
                store.prune_audit(now - Duration::days(365)).await.unwrap(),
                0
            );
            assert_eq!(count(AuditQuery::default()).await, 3);
        }
    }
}
