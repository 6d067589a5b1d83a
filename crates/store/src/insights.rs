//! Platform metrics: webhook deliveries (stored first, claimed and processed like other
//! background work, see `claims.rs`) and the delivery facts they become — deployments,
//! changes and incidents — read back for the figures.

use crate::claims::ClaimQueue;
use crate::{Store, StoreError, on_pool};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// One stored webhook delivery.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: String,
    pub event: String,
    pub payload: String,
    pub received_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

const DELIVERY_COLUMNS: &str = "id, event, payload, received_at, processed_at, error";

/// Deliveries not processed yet, oldest first.
const DELIVERY_QUEUE: ClaimQueue = ClaimQueue {
    table: "webhook_deliveries",
    due: "processed_at IS NULL",
    order: "received_at, id",
};

/// How many deliveries there are, by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryCounts {
    pub pending: i64,
    pub processed: i64,
    pub failed: i64,
}

/// A deployment's state as stored. `Pending` and `InProgress` are not finished; the
/// others are, and a finished deployment's time is when it got there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeploymentState {
    Pending,
    InProgress,
    Succeeded,
    Failed,
    RolledBack,
}

impl DeploymentState {
    pub const ALL: [DeploymentState; 5] = [
        DeploymentState::Pending,
        DeploymentState::InProgress,
        DeploymentState::Succeeded,
        DeploymentState::Failed,
        DeploymentState::RolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Pending => "pending",
            DeploymentState::InProgress => "in_progress",
            DeploymentState::Succeeded => "succeeded",
            DeploymentState::Failed => "failed",
            DeploymentState::RolledBack => "rolled_back",
        }
    }

    pub fn parse(text: &str) -> Option<DeploymentState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        !matches!(self, DeploymentState::Pending | DeploymentState::InProgress)
    }
}

/// A deployment as a source reports it: created, or with a newer status.
#[derive(Clone, Debug)]
pub struct DeploymentReport<'a> {
    pub id: &'a str,
    pub repository: Option<&'a str>,
    pub component_ref: Option<&'a str>,
    pub environment: &'a str,
    pub sha: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    /// `None`: the report only says the deployment exists (a status may be stored already).
    pub state: Option<DeploymentState>,
    /// When `state` was set.
    pub at: DateTime<Utc>,
}

/// A stored deployment.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct DeploymentRow {
    pub id: String,
    pub repository: Option<String>,
    pub component_ref: Option<String>,
    pub environment: String,
    pub sha: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const DEPLOYMENT_COLUMNS: &str =
    "id, repository, component_ref, environment, sha, status, created_at, finished_at";

/// A stored change (a commit that reached a default branch).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangeRow {
    pub seq: i64,
    pub repository: String,
    pub sha: String,
    pub head: String,
    pub committed_at: DateTime<Utc>,
}

/// An incident as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: String,
    pub repository: Option<String>,
    pub component_ref: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub caused_by: Option<String>,
}

/// A component and the GitHub repository its `github.com/project-slug` annotation names.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectSlug {
    pub entity_ref: String,
    /// Lowercased `owner/name`.
    pub slug: String,
    pub owner_ref: Option<String>,
}

/// Which facts to read: a time range of finished deployments (and the incidents opened
/// in it), optionally only some environments and some services.
#[derive(Clone, Debug)]
pub struct FactQuery {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Lowercased environment names; empty: every environment.
    pub environments: Vec<String>,
    /// Only the facts of these services; `None`: every service.
    pub services: Option<ServiceFilter>,
}

/// The facts of some services: those naming one of `components`, or one of
/// `repositories` (both lowercased). At most [`MAX_SELECTED`] of each: both engines bound
/// the number of parameters a statement takes, and a caller with more reads everything.
#[derive(Clone, Debug, Default)]
pub struct ServiceFilter {
    pub components: Vec<String>,
    pub repositories: Vec<String>,
}

/// The most refs, names or repositories one filtered read takes.
pub const MAX_SELECTED: usize = 1_000;

/// Which entities a catalog read covers.
#[derive(Clone, Copy, Debug)]
pub enum Selection<'a> {
    /// Every entity of the kind.
    All,
    /// Those with these refs.
    Refs(&'a [String]),
    /// Those with these names (compared without case), in any namespace.
    Names(&'a [String]),
    /// Those owned by this owner ref.
    OwnedBy(&'a str),
}

impl Store {
    /// Stores a delivery unless one with its id is stored already (a redelivery). True
    /// when it was new.
    pub async fn save_delivery(
        &self,
        id: &str,
        event: &str,
        payload: &str,
        received_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, event, payload, received_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(event)
            .bind(payload)
            .bind(received_at)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted > 0)
    }

    pub async fn delivery(&self, id: &str) -> Result<Option<DeliveryRow>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// Claims the oldest unprocessed delivery for `worker` until `now + lease`.
    pub async fn claim_next_delivery(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<DeliveryRow>, StoreError> {
        self.claim_next(&DELIVERY_QUEUE, DELIVERY_COLUMNS, worker, now, lease)
            .await
    }

    /// Marks `worker`'s claimed delivery processed, with the reason when it could not be.
    /// False when the claim is no longer `worker`'s.
    pub async fn finish_delivery(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries SET processed_at = $1, error = $2, \
                 claimed_by = NULL, claimed_until = NULL WHERE id = $3 AND claimed_by = $4",
            )
            .bind(now)
            .bind(error)
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated > 0)
    }

    pub async fn delivery_counts(&self) -> Result<DeliveryCounts, StoreError> {
        let (pending, processed, failed): (i64, i64, i64) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COALESCE(SUM(CASE WHEN processed_at IS NULL THEN 1 ELSE 0 END), 0), \
                        COALESCE(SUM(CASE WHEN processed_at IS NOT NULL AND error IS NULL THEN 1 ELSE 0 END), 0), \
                        COALESCE(SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END), 0) \
                 FROM webhook_deliveries",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(DeliveryCounts {
            pending,
            processed,
            failed,
        })
    }

    /// Stores a deployment report: creates the deployment, or applies its status when it is
    /// newer than the stored one (statuses may arrive out of order; a deployment's own
    /// delivery may come after its first status). Fields a report leaves empty keep what
    /// an earlier report said.
    pub async fn report_deployment(&self, report: &DeploymentReport<'_>) -> Result<(), StoreError> {
        let state = report.state.unwrap_or(DeploymentState::Pending);
        let finished_at = state.is_finished().then_some(report.at);
        // A report without a state must not move the status time forward, or a late
        // "created" delivery would hide the status it follows.
        let status_at = if report.state.is_some() {
            report.at
        } else {
            report.created_at
        };
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO deployments \
                   (id, repository, component_ref, environment, sha, status, created_at, status_at, finished_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (id) DO UPDATE SET \
                   repository = COALESCE(excluded.repository, deployments.repository), \
                   component_ref = COALESCE(excluded.component_ref, deployments.component_ref), \
                   sha = COALESCE(excluded.sha, deployments.sha), \
                   status = CASE WHEN $10 AND excluded.status_at >= deployments.status_at \
                                 THEN excluded.status ELSE deployments.status END, \
                   finished_at = CASE WHEN $10 AND excluded.status_at >= deployments.status_at \
                                      THEN excluded.finished_at ELSE deployments.finished_at END, \
                   status_at = CASE WHEN $10 AND excluded.status_at >= deployments.status_at \
                                    THEN excluded.status_at ELSE deployments.status_at END",
            )
            .bind(report.id)
            .bind(report.repository)
            .bind(report.component_ref)
            .bind(report.environment)
            .bind(report.sha)
            .bind(state.as_str())
            .bind(report.created_at)
            .bind(status_at)
            .bind(finished_at)
            .bind(report.state.is_some())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn deployment(&self, id: &str) -> Result<Option<DeploymentRow>, StoreError> {
        let sql = format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE id = $1");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// Stores the commits a push brought to `repository`'s default branch, in order;
    /// a commit already stored (pushed before, or to another branch) keeps its place.
    pub async fn record_changes(
        &self,
        repository: &str,
        head: &str,
        changes: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (sha, committed_at) in changes {
            crate::on_tx!(&mut tx, conn => {
                sqlx::query(
                    "INSERT INTO changes (repository, sha, head, committed_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (repository, sha) DO NOTHING",
                )
                .bind(repository)
                .bind(sha)
                .bind(head)
                .bind(committed_at)
                .execute(conn)
                .await?;
            });
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens or updates an incident: a later report may resolve it, or name its cause.
    pub async fn report_incident(&self, incident: &IncidentRow) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO incidents (id, repository, component_ref, opened_at, resolved_at, caused_by) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (id) DO UPDATE SET \
                   repository = COALESCE(excluded.repository, incidents.repository), \
                   component_ref = COALESCE(excluded.component_ref, incidents.component_ref), \
                   opened_at = excluded.opened_at, resolved_at = excluded.resolved_at, \
                   caused_by = COALESCE(excluded.caused_by, incidents.caused_by)",
            )
            .bind(&incident.id)
            .bind(&incident.repository)
            .bind(&incident.component_ref)
            .bind(incident.opened_at)
            .bind(incident.resolved_at)
            .bind(&incident.caused_by)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Finished deployments in the query's range (by `finished_at`), oldest first.
    pub async fn finished_deployments(
        &self,
        query: &FactQuery,
    ) -> Result<Vec<DeploymentRow>, StoreError> {
        let (env_clause, mut binds) = environment_clause(&query.environments, 3);
        let (service_clause, services) = service_clause(&query.services, 3 + binds.len())?;
        binds.extend(services);
        let sql = format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM deployments \
             WHERE finished_at >= $1 AND finished_at < $2 {env_clause} {service_clause} \
             ORDER BY finished_at, id"
        );
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(query.since).bind(query.until);
            for bind in &binds {
                q = q.bind(bind);
            }
            q.fetch_all(pool).await?
        }))
    }

    /// Incidents opened in the query's range.
    pub async fn incidents(&self, query: &FactQuery) -> Result<Vec<IncidentRow>, StoreError> {
        let (service_clause, binds) = service_clause(&query.services, 3)?;
        let sql = format!(
            "SELECT id, repository, component_ref, opened_at, resolved_at, caused_by \
             FROM incidents WHERE opened_at >= $1 AND opened_at < $2 {service_clause} \
             ORDER BY opened_at, id"
        );
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(query.since).bind(query.until);
            for bind in &binds {
                q = q.bind(bind);
            }
            q.fetch_all(pool).await?
        }))
    }

    /// The changes of the repositories `repositories` committed since `since`, in push
    /// order.
    pub async fn changes_of(
        &self,
        repositories: &[String],
        since: DateTime<Utc>,
    ) -> Result<Vec<ChangeRow>, StoreError> {
        if repositories.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT seq, repository, sha, head, committed_at FROM changes \
             WHERE committed_at >= $1 AND repository IN ({}) ORDER BY seq",
            placeholders(2, repositories.len())
        );
        Ok(on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(since);
            for repository in repositories {
                q = q.bind(repository);
            }
            q.fetch_all(pool).await?
        }))
    }

    /// Repositories with deployments but no component named by their source, with how
    /// many deployments each has: the caller leaves out those the catalog knows.
    pub async fn deployed_repositories(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT repository, COUNT(*) FROM deployments \
                 WHERE repository IS NOT NULL AND component_ref IS NULL \
                 GROUP BY repository ORDER BY repository",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// The selected components with a `github.com/project-slug` annotation: how events,
    /// which name repositories, reach the catalog. By ref.
    pub async fn project_slugs(
        &self,
        selection: Selection<'_>,
    ) -> Result<Vec<ProjectSlug>, StoreError> {
        let mut found = Vec::new();
        for (clause, binds) in selection_clauses(selection, 1) {
            let sql = format!(
                "SELECT e.entity_ref, s.value AS slug, e.owner_ref FROM search s \
                 JOIN entities e ON e.uid = s.entity_uid \
                 WHERE s.key = 'metadata.annotations.github.com/project-slug' \
                   AND e.kind = 'component' {clause} ORDER BY e.entity_ref"
            );
            let rows: Vec<ProjectSlug> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql);
                for bind in &binds {
                    q = q.bind(bind);
                }
                q.fetch_all(pool).await?
            });
            found.extend(rows);
        }
        found.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        Ok(found)
    }

    /// Entities of `kind` (lowercased) that have the search key `key` (e.g.
    /// `metadata.annotations.backstage.io/source-template`), by ref.
    pub async fn entities_with_key(
        &self,
        kind: &str,
        key: &str,
    ) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT e.entity_ref FROM search s JOIN entities e ON e.uid = s.entity_uid \
                 WHERE s.key = $1 AND e.kind = $2 ORDER BY e.entity_ref",
            )
            .bind(key)
            .bind(kind)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The selected entities of `kind` (lowercased) with their owners:
    /// `(entity_ref, owner_ref)`, by ref.
    pub async fn owners_of_kind(
        &self,
        kind: &str,
        selection: Selection<'_>,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut found = Vec::new();
        for (clause, binds) in selection_clauses(selection, 2) {
            let sql = format!(
                "SELECT e.entity_ref, e.owner_ref FROM entities e \
                 WHERE e.kind = $1 {clause} ORDER BY e.entity_ref"
            );
            let rows: Vec<(String, Option<String>)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(kind);
                for bind in &binds {
                    q = q.bind(bind);
                }
                q.fetch_all(pool).await?
            });
            found.extend(rows);
        }
        found.sort();
        Ok(found)
    }

    /// The stored JSON of the selected entities of `kind` (lowercased), at most `limit`,
    /// by ref: `(entity_ref, body)`.
    pub async fn bodies_of_kind(
        &self,
        kind: &str,
        selection: Selection<'_>,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut found = Vec::new();
        for (clause, binds) in selection_clauses(selection, 3) {
            let sql = format!(
                "SELECT e.entity_ref, e.body FROM entities e \
                 WHERE e.kind = $1 {clause} ORDER BY e.entity_ref LIMIT $2"
            );
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(kind).bind(limit);
                for bind in &binds {
                    q = q.bind(bind);
                }
                q.fetch_all(pool).await?
            });
            found.extend(rows);
        }
        found.sort();
        found.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(found)
    }

    /// Makes every `url` location whose target starts with `prefix` (compared without
    /// case) due now: a push changed the files they read. Returns how many.
    pub async fn request_reads_under(&self, prefix: &str) -> Result<u64, StoreError> {
        let pattern = format!("{}%", escape_like(&prefix.to_lowercase()));
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "UPDATE locations SET next_read_at = NULL \
                 WHERE type = 'url' AND LOWER(target) LIKE $1 ESCAPE '\\'",
            )
            .bind(&pattern)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}

/// `$first, $first+1, …`: `n` numbered placeholders (both engines accept `$n` through sqlx).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `AND LOWER(environment) IN ($n, …)` for `environments` (placeholders from `first`),
/// or nothing when every environment counts.
fn environment_clause(environments: &[String], first: usize) -> (String, Vec<String>) {
    if environments.is_empty() {
        return (String::new(), vec![]);
    }
    (
        format!(
            "AND LOWER(environment) IN ({})",
            placeholders(first, environments.len())
        ),
        environments.iter().map(|e| e.to_lowercase()).collect(),
    )
}

/// The clause (placeholders from `$first`) and binds that keep a fact query to its
/// services.
fn service_clause(
    services: &Option<ServiceFilter>,
    first: usize,
) -> Result<(String, Vec<String>), StoreError> {
    let Some(services) = services else {
        return Ok((String::new(), vec![]));
    };
    if services.components.len() > MAX_SELECTED || services.repositories.len() > MAX_SELECTED {
        return Err(StoreError::TooMany {
            what: "services",
            limit: MAX_SELECTED,
        });
    }
    let (components, repositories) = (services.components.len(), services.repositories.len());
    let mut either = Vec::new();
    if components > 0 {
        either.push(format!(
            "component_ref IN ({})",
            placeholders(first, components)
        ));
    }
    if repositories > 0 {
        either.push(format!(
            "repository IN ({})",
            placeholders(first + components, repositories)
        ));
    }
    if either.is_empty() {
        // No services: no facts.
        return Ok(("AND 1 = 0".into(), vec![]));
    }
    let binds = services
        .components
        .iter()
        .chain(&services.repositories)
        .map(|v| v.to_lowercase())
        .collect();
    Ok((format!("AND ({})", either.join(" OR ")), binds))
}

/// The clauses (placeholders from `$first`, on the entities aliased `e`) and binds that
/// keep a catalog read to `selection`: one per statement, lists cut to [`MAX_SELECTED`]
/// per statement.
fn selection_clauses(selection: Selection<'_>, first: usize) -> Vec<(String, Vec<String>)> {
    let list = |column: &str, values: &[String]| {
        values
            .chunks(MAX_SELECTED)
            .map(|chunk| {
                (
                    format!("AND {column} IN ({})", placeholders(first, chunk.len())),
                    chunk.iter().map(|v| v.to_lowercase()).collect(),
                )
            })
            .collect()
    };
    match selection {
        Selection::All => vec![(String::new(), vec![])],
        Selection::Refs(refs) => list("e.entity_ref", refs),
        Selection::Names(names) => list("LOWER(e.name)", names),
        Selection::OwnedBy(owner) => vec![(
            format!("AND e.owner_ref = ${first}"),
            vec![owner.to_lowercase()],
        )],
    }
}

/// Escapes LIKE's wildcards so `text` matches only itself.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}
