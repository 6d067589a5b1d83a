//! Tests of scaffolder tasks (tasks.rs), on SQLite and, when `TEST_DATABASE_URL` is set,
//! on PostgreSQL.

use crate::testing::test_stores;
use crate::{CancelOutcome, NewTask, TaskQuery, TaskStatus};
use chrono::{TimeDelta, Utc};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);

fn task<'a>(id: &'a str, by: Option<&'a str>, at: chrono::DateTime<Utc>) -> NewTask<'a> {
    NewTask {
        id,
        template_ref: "template:default/service",
        spec: r#"{"steps":[]}"#,
        created_by: by,
        has_secrets: false,
        created_at: at,
    }
}

#[tokio::test]
async fn tasks_are_claimed_once_and_taken_over_when_the_lease_lapses() {
    for store in test_stores().await {
        let now = Utc::now();
        store
            .create_task(&task("t1", Some("user:default/ann"), now))
            .await
            .unwrap();
        store
            .create_task(&task("t2", None, now + TimeDelta::seconds(1)))
            .await
            .unwrap();

        let first = store
            .claim_next_task("a", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.id, "t1");
        let second = store
            .claim_next_task("b", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.id, "t2");
        assert!(
            store
                .claim_next_task("c", now, LEASE)
                .await
                .unwrap()
                .is_none()
        );
        assert_eq!(
            store.task("t1").await.unwrap().unwrap().status(),
            TaskStatus::Processing
        );

        // Replica a dies: after its lease, c takes t1 over and a can no longer write.
        let later = now + TimeDelta::seconds(31);
        let taken = store
            .claim_next_task("c", later, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken.id, "t1");
        assert_eq!(taken.status(), TaskStatus::Processing);
        assert!(!store.save_task_state("t1", "a", "{}").await.unwrap());
        assert_eq!(
            store.heartbeat_task("t1", "a", later, LEASE).await.unwrap(),
            None
        );
        assert!(
            store
                .save_task_state("t1", "c", r#"{"fetch":{}}"#)
                .await
                .unwrap()
        );
        assert_eq!(
            store.heartbeat_task("t1", "c", later, LEASE).await.unwrap(),
            Some(false)
        );
        assert!(
            !store
                .finish_task("t1", "a", TaskStatus::Failed, later)
                .await
                .unwrap()
        );
        assert!(
            store
                .finish_task("t1", "c", TaskStatus::Completed, later)
                .await
                .unwrap()
        );
        let done = store.task("t1").await.unwrap().unwrap();
        assert_eq!(
            (done.status(), done.state.as_str()),
            (TaskStatus::Completed, r#"{"fetch":{}}"#)
        );
        // A finished task is never due again.
        let much_later = later + TimeDelta::seconds(600);
        let next = store
            .claim_next_task("d", much_later, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(next.id, "t2");
        assert!(
            store
                .claim_task("t1", "d", much_later, LEASE)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn cancel_ends_an_open_task_and_asks_a_running_one_to_stop_and_retry_reopens() {
    for store in test_stores().await {
        let now = Utc::now();
        store.create_task(&task("open", None, now)).await.unwrap();
        store
            .create_task(&task("running", None, now))
            .await
            .unwrap();
        store
            .claim_task("running", "a", now, LEASE)
            .await
            .unwrap()
            .unwrap();

        assert_eq!(
            store.cancel_task("open", now).await.unwrap(),
            CancelOutcome::Cancelled
        );
        assert_eq!(
            store.cancel_task("open", now).await.unwrap(),
            CancelOutcome::AlreadyEnded
        );
        assert_eq!(
            store.cancel_task("running", now).await.unwrap(),
            CancelOutcome::Requested
        );
        assert_eq!(
            store.cancel_task("nope", now).await.unwrap(),
            CancelOutcome::NotFound
        );
        assert_eq!(
            store
                .heartbeat_task("running", "a", now, LEASE)
                .await
                .unwrap(),
            Some(true)
        );
        store
            .finish_task("running", "a", TaskStatus::Cancelled, now)
            .await
            .unwrap();

        assert!(store.retry_task("running").await.unwrap());
        assert!(
            !store.retry_task("running").await.unwrap(),
            "an open task is not retried"
        );
        let again = store
            .claim_task("running", "b", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert!(!again.cancel_requested);
        assert!(
            store
                .claim_task("open", "b", now, LEASE)
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test]
async fn tasks_list_by_creator_and_status_and_events_page_in_order() {
    for store in test_stores().await {
        let now = Utc::now();
        for (i, by) in ["user:default/ann", "user:default/bob", "user:default/ann"]
            .iter()
            .enumerate()
        {
            let id = format!("t{i}");
            store
                .create_task(&task(&id, Some(by), now + TimeDelta::seconds(i as i64)))
                .await
                .unwrap();
        }
        let query = TaskQuery {
            created_by: Some("user:default/ann".into()),
            limit: 10,
            ..TaskQuery::default()
        };
        let (rows, total) = store.list_tasks(&query).await.unwrap();
        assert_eq!(total, 2);
        assert_eq!(
            rows.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["t2", "t0"]
        );
        let query = TaskQuery {
            status: Some(TaskStatus::Completed),
            limit: 10,
            ..TaskQuery::default()
        };
        assert_eq!(store.list_tasks(&query).await.unwrap().1, 0);
        let (page, total) = store
            .list_tasks(&TaskQuery {
                limit: 1,
                offset: 1,
                ..TaskQuery::default()
            })
            .await
            .unwrap();
        assert_eq!((page[0].id.as_str(), total), ("t1", 3));

        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(
                store
                    .append_task_event("t0", "log", &format!(r#"{{"message":"{i}"}}"#), now)
                    .await
                    .unwrap(),
            );
        }
        store
            .append_task_event("t1", "log", "{}", now)
            .await
            .unwrap();
        let all = store.task_events("t0", None, 100).await.unwrap();
        assert_eq!(all.len(), 5);
        let after = store.task_events("t0", Some(ids[2]), 100).await.unwrap();
        assert_eq!(
            after.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(),
            [r#"{"message":"3"}"#, r#"{"message":"4"}"#]
        );
        assert_eq!(store.task_events("t0", None, 2).await.unwrap().len(), 2);
    }
}
