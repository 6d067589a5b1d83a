//! Scaffolder tasks and their events. A task is claimed by one replica at a time (see
//! `claims.rs`); every state change it makes checks the claim is still its own, so a
//! replica whose lease lapsed cannot overwrite the work of the one that took over.

use crate::claims::ClaimQueue;
use crate::{Store, StoreError, on_pool};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A task's status, in Backstage's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Open,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Processing => "processing",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<TaskStatus> {
        [
            TaskStatus::Open,
            TaskStatus::Processing,
            TaskStatus::Completed,
            TaskStatus::Failed,
            TaskStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Completed, failed and cancelled tasks do not change any more (but may be retried).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

/// One stored task.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TaskRow {
    pub id: String,
    pub template_ref: String,
    /// The task spec as JSON (no secrets).
    pub spec: String,
    pub status: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
    pub has_secrets: bool,
    /// JSON: step id → output, for the steps that finished.
    pub state: String,
    pub claimed_by: Option<String>,
}

impl TaskRow {
    pub fn status(&self) -> TaskStatus {
        TaskStatus::parse(&self.status).unwrap_or(TaskStatus::Failed)
    }
}

const COLUMNS: &str = "id, template_ref, spec, status, created_by, created_at, \
                       last_heartbeat_at, completed_at, cancel_requested, has_secrets, state, \
                       claimed_by";

/// Open tasks, and processing ones whose replica stopped heartbeating (their claim has
/// lapsed), oldest first.
const TASK_QUEUE: ClaimQueue = ClaimQueue {
    table: "scaffolder_tasks",
    due: "status IN ('open', 'processing')",
    order: "created_at, id",
};

/// A new task.
#[derive(Clone, Debug)]
pub struct NewTask<'a> {
    pub id: &'a str,
    pub template_ref: &'a str,
    pub spec: &'a str,
    pub created_by: Option<&'a str>,
    pub has_secrets: bool,
    pub created_at: DateTime<Utc>,
}

/// Which tasks to list, newest first.
#[derive(Clone, Debug, Default)]
pub struct TaskQuery {
    pub created_by: Option<String>,
    pub status: Option<TaskStatus>,
    pub limit: i64,
    pub offset: i64,
}

/// One event of a task.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct TaskEventRow {
    pub id: i64,
    pub task_id: String,
    pub event_type: String,
    /// JSON.
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// What a cancel request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The task had not started: it is cancelled now.
    Cancelled,
    /// It is running: its replica stops it before its next step.
    Requested,
    /// It had already ended.
    AlreadyEnded,
    NotFound,
}

impl Store {
    pub async fn create_task(&self, task: &NewTask<'_>) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO scaffolder_tasks (id, template_ref, spec, status, created_by, created_at, has_secrets) \
                 VALUES ($1, $2, $3, 'open', $4, $5, $6)",
            )
            .bind(task.id)
            .bind(task.template_ref)
            .bind(task.spec)
            .bind(task.created_by)
            .bind(task.created_at)
            .bind(task.has_secrets)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn task(&self, id: &str) -> Result<Option<TaskRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM scaffolder_tasks WHERE id = $1");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        }))
    }

    /// Tasks matching `query`, newest first, and how many match in all.
    pub async fn list_tasks(&self, query: &TaskQuery) -> Result<(Vec<TaskRow>, i64), StoreError> {
        let condition = "($1 IS NULL OR created_by = $1) AND ($2 IS NULL OR status = $2)";
        let list = format!(
            "SELECT {COLUMNS} FROM scaffolder_tasks WHERE {condition} \
             ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        );
        let count = format!("SELECT COUNT(*) FROM scaffolder_tasks WHERE {condition}");
        let status = query.status.map(TaskStatus::as_str);
        Ok(on_pool!(self, pool => {
            let rows = sqlx::query_as(&list)
                .bind(query.created_by.as_deref())
                .bind(status)
                .bind(query.limit)
                .bind(query.offset)
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(&count)
                .bind(query.created_by.as_deref())
                .bind(status)
                .fetch_one(pool)
                .await?;
            (rows, total)
        }))
    }

    /// Claims the oldest due task for `worker` and marks it processing.
    pub async fn claim_next_task(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<TaskRow>, StoreError> {
        let claimed: Option<TaskRow> = self
            .claim_next(&TASK_QUEUE, COLUMNS, worker, now, lease)
            .await?;
        match claimed {
            Some(task) => self.start_task(task, worker, now).await,
            None => Ok(None),
        }
    }

    /// Claims the task `id` (right after it was created, by the replica holding its
    /// secrets) unless another worker holds it or it is not due.
    pub async fn claim_task(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<TaskRow>, StoreError> {
        let claimed: Option<TaskRow> = self
            .claim_row(&TASK_QUEUE, id, COLUMNS, worker, now, lease)
            .await?;
        match claimed {
            Some(task) if !task.status().is_final() => self.start_task(task, worker, now).await,
            Some(_) => {
                self.release_task(id, worker).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn start_task(
        &self,
        mut task: TaskRow,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<TaskRow>, StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scaffolder_tasks SET status = 'processing', last_heartbeat_at = $1 \
                 WHERE id = $2 AND claimed_by = $3",
            )
            .bind(now)
            .bind(&task.id)
            .bind(worker)
            .execute(pool)
            .await?;
        });
        task.last_heartbeat_at = Some(now);
        Ok(Some(task))
    }

    async fn release_task(&self, id: &str, worker: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scaffolder_tasks SET claimed_by = NULL, claimed_until = NULL \
                 WHERE id = $1 AND claimed_by = $2",
            )
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Extends `worker`'s claim (a heartbeat). Answers whether the claim is still its own
    /// and whether cancelling was asked for: `Some(cancel)`, or `None` when it was lost.
    pub async fn heartbeat_task(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<bool>, StoreError> {
        if !self
            .extend_claim(&TASK_QUEUE, id, worker, now, lease)
            .await?
        {
            return Ok(None);
        }
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "UPDATE scaffolder_tasks SET last_heartbeat_at = $1 \
                 WHERE id = $2 AND claimed_by = $3 RETURNING cancel_requested",
            )
            .bind(now)
            .bind(id)
            .bind(worker)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records what the finished steps returned; false when the claim is not `worker`'s.
    pub async fn save_task_state(
        &self,
        id: &str,
        worker: &str,
        state: &str,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query("UPDATE scaffolder_tasks SET state = $1 WHERE id = $2 AND claimed_by = $3")
                .bind(state)
                .bind(id)
                .bind(worker)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(updated > 0)
    }

    /// Ends the task with `status` and lets go of it; false when the claim is not `worker`'s.
    pub async fn finish_task(
        &self,
        id: &str,
        worker: &str,
        status: TaskStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scaffolder_tasks SET status = $1, completed_at = $2, claimed_by = NULL, \
                 claimed_until = NULL WHERE id = $3 AND claimed_by = $4",
            )
            .bind(status.as_str())
            .bind(now)
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated > 0)
    }

    /// Cancels a task that has not started, or asks the replica running it to stop.
    pub async fn cancel_task(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<CancelOutcome, StoreError> {
        let Some(task) = self.task(id).await? else {
            return Ok(CancelOutcome::NotFound);
        };
        if task.status().is_final() {
            return Ok(CancelOutcome::AlreadyEnded);
        }
        // Unclaimed and open: nobody is running it, so it ends here. The claim columns are
        // part of the condition, so a replica claiming it at this moment wins or loses whole.
        let cancelled = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scaffolder_tasks SET status = 'cancelled', completed_at = $1 \
                 WHERE id = $2 AND status = 'open' AND (claimed_until IS NULL OR claimed_until < $1)",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        if cancelled > 0 {
            return Ok(CancelOutcome::Cancelled);
        }
        on_pool!(self, pool => {
            sqlx::query("UPDATE scaffolder_tasks SET cancel_requested = TRUE WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(CancelOutcome::Requested)
    }

    /// Opens a failed or cancelled task again: it runs from the first step that did not
    /// finish (finished steps' outputs are kept). False when it had not ended that way.
    pub async fn retry_task(&self, id: &str) -> Result<bool, StoreError> {
        let updated = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE scaffolder_tasks SET status = 'open', cancel_requested = FALSE, \
                 completed_at = NULL, claimed_by = NULL, claimed_until = NULL \
                 WHERE id = $1 AND status IN ('failed', 'cancelled')",
            )
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated > 0)
    }

    /// Appends an event to a task and returns its id.
    pub async fn append_task_event(
        &self,
        task_id: &str,
        event_type: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO scaffolder_task_events (task_id, event_type, body, created_at) \
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(task_id)
            .bind(event_type)
            .bind(body)
            .bind(now)
            .fetch_one(pool)
            .await?
        }))
    }

    /// A task's events after the event `after` (all for `None`), oldest first, at most `limit`.
    pub async fn task_events(
        &self,
        task_id: &str,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<TaskEventRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, task_id, event_type, body, created_at FROM scaffolder_task_events \
                 WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(task_id)
            .bind(after.unwrap_or(0))
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }
}
