//! Tests of delivery facts (insights.rs), on SQLite and, when `TEST_DATABASE_URL` is set,
//! on PostgreSQL.

use crate::testing::test_stores;
use crate::{DeploymentReport, DeploymentState, FactQuery, IncidentRow, ServiceFilter};
use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn report<'a>(
    id: &'a str,
    state: Option<DeploymentState>,
    time: &str,
    created: &str,
) -> DeploymentReport<'a> {
    DeploymentReport {
        id,
        repository: Some("acme/payments"),
        component_ref: None,
        environment: "production",
        sha: Some("b2"),
        created_at: at(created),
        state,
        at: at(time),
    }
}

#[tokio::test]
async fn a_redelivery_is_stored_once_and_deliveries_are_claimed_once() {
    for store in test_stores().await {
        let now = Utc::now();
        assert!(store.save_delivery("d1", "push", "{}", now).await.unwrap());
        assert!(
            !store
                .save_delivery("d1", "push", r#"{"other":1}"#, now)
                .await
                .unwrap()
        );
        assert_eq!(store.delivery("d1").await.unwrap().unwrap().payload, "{}");
        assert!(
            store
                .save_delivery("d2", "ping", "{}", now + TimeDelta::seconds(1))
                .await
                .unwrap()
        );

        let first = store
            .claim_next_delivery("a", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        let second = store
            .claim_next_delivery("b", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((first.id.as_str(), second.id.as_str()), ("d1", "d2"));
        assert!(
            store
                .claim_next_delivery("c", now, LEASE)
                .await
                .unwrap()
                .is_none()
        );

        assert!(store.finish_delivery("d1", "a", now, None).await.unwrap());
        // b's lease lapses: c takes d2 over, and b can no longer finish it.
        let later = now + TimeDelta::seconds(31);
        let taken = store
            .claim_next_delivery("c", later, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken.id, "d2");
        assert!(!store.finish_delivery("d2", "b", later, None).await.unwrap());
        assert!(
            store
                .finish_delivery("d2", "c", later, Some("bad"))
                .await
                .unwrap()
        );
        assert!(
            store
                .claim_next_delivery("a", later, LEASE)
                .await
                .unwrap()
                .is_none()
        );

        let counts = store.delivery_counts().await.unwrap();
        assert_eq!((counts.pending, counts.processed, counts.failed), (0, 1, 1));
    }
}

#[tokio::test]
async fn deployment_statuses_apply_in_time_order_whatever_order_they_arrive_in() {
    for store in test_stores().await {
        use DeploymentState::*;
        // The success arrives first, then the older in-progress status, then the
        // deployment's own delivery: the deployment stays succeeded at 12:00.
        store
            .report_deployment(&report(
                "g:1",
                Some(Succeeded),
                "2026-11-02T12:00:00Z",
                "2026-11-02T11:30:00Z",
            ))
            .await
            .unwrap();
        store
            .report_deployment(&report(
                "g:1",
                Some(InProgress),
                "2026-11-02T11:40:00Z",
                "2026-11-02T11:30:00Z",
            ))
            .await
            .unwrap();
        store
            .report_deployment(&report(
                "g:1",
                None,
                "2026-11-02T11:30:00Z",
                "2026-11-02T11:30:00Z",
            ))
            .await
            .unwrap();
        let stored = store.deployment("g:1").await.unwrap().unwrap();
        assert_eq!(stored.status, "succeeded");
        assert_eq!(stored.finished_at, Some(at("2026-11-02T12:00:00Z")));

        // A deployment that only exists is pending and not finished; a later failure is.
        store
            .report_deployment(&report(
                "g:2",
                None,
                "2026-11-03T09:00:00Z",
                "2026-11-03T09:00:00Z",
            ))
            .await
            .unwrap();
        assert_eq!(
            store.deployment("g:2").await.unwrap().unwrap().status,
            "pending"
        );
        store
            .report_deployment(&report(
                "g:2",
                Some(Failed),
                "2026-11-03T09:05:00Z",
                "2026-11-03T09:00:00Z",
            ))
            .await
            .unwrap();

        let query = FactQuery {
            since: at("2026-11-01T00:00:00Z"),
            until: at("2026-11-04T00:00:00Z"),
            environments: vec!["Production".into()],
            services: None,
        };
        let finished = store.finished_deployments(&query).await.unwrap();
        let ids: Vec<_> = finished
            .iter()
            .map(|d| (d.id.as_str(), d.status.as_str()))
            .collect();
        assert_eq!(ids, [("g:1", "succeeded"), ("g:2", "failed")]);
        let staging = FactQuery {
            environments: vec!["staging".into()],
            ..query.clone()
        };
        assert!(
            store
                .finished_deployments(&staging)
                .await
                .unwrap()
                .is_empty()
        );
        // A service filter keeps the facts naming its components or repositories.
        let only = |components: &[&str], repositories: &[&str]| FactQuery {
            services: Some(ServiceFilter {
                components: components.iter().map(|c| c.to_string()).collect(),
                repositories: repositories.iter().map(|r| r.to_string()).collect(),
            }),
            ..query.clone()
        };
        for (filter, expected) in [
            (only(&[], &["Acme/Payments"]), 2),
            (only(&["component:default/payments"], &["acme/shop"]), 0),
            (only(&["component:default/payments"], &["acme/payments"]), 2),
            (only(&[], &[]), 0),
        ] {
            let found = store.finished_deployments(&filter).await.unwrap();
            assert_eq!(found.len(), expected, "{:?}", filter.services);
        }
        let too_many = only(&[], &vec!["r"; crate::MAX_SELECTED + 1]);
        assert!(matches!(
            store.finished_deployments(&too_many).await,
            Err(crate::StoreError::TooMany { .. })
        ));
        assert_eq!(
            store.deployed_repositories().await.unwrap(),
            [("acme/payments".to_string(), 2)]
        );
    }
}

#[tokio::test]
async fn changes_keep_push_order_and_incidents_update() {
    for store in test_stores().await {
        let t = at("2026-11-02T10:00:00Z");
        let changes = vec![
            ("a1".to_string(), t),
            ("b2".to_string(), t + TimeDelta::minutes(5)),
        ];
        store
            .record_changes("acme/payments", "b2", &changes)
            .await
            .unwrap();
        // Pushed again (another branch, a force-push): keeps its first place.
        store
            .record_changes(
                "acme/payments",
                "c3",
                &[("a1".to_string(), t), ("c3".to_string(), t)],
            )
            .await
            .unwrap();
        let stored = store
            .changes_of(&["acme/payments".into()], t)
            .await
            .unwrap();
        let shas: Vec<_> = stored
            .iter()
            .map(|c| (c.sha.as_str(), c.head.as_str()))
            .collect();
        assert_eq!(shas, [("a1", "b2"), ("b2", "b2"), ("c3", "c3")]);
        assert!(store.changes_of(&[], t).await.unwrap().is_empty());
        let later = store
            .changes_of(&["acme/payments".into()], t + TimeDelta::minutes(1))
            .await
            .unwrap();
        assert_eq!(later.len(), 1, "only b2 was committed after 10:01");

        let mut incident = IncidentRow {
            id: "github:acme/payments#3".into(),
            repository: Some("acme/payments".into()),
            component_ref: None,
            opened_at: t,
            resolved_at: None,
            caused_by: Some("g:2".into()),
        };
        store.report_incident(&incident).await.unwrap();
        incident.resolved_at = Some(t + TimeDelta::minutes(90));
        incident.caused_by = None;
        store.report_incident(&incident).await.unwrap();
        let query = FactQuery {
            since: t - TimeDelta::days(1),
            until: t + TimeDelta::days(1),
            environments: vec![],
            services: None,
        };
        let stored = store.incidents(&query).await.unwrap();
        assert_eq!(stored.len(), 1);
        let elsewhere = FactQuery {
            services: Some(ServiceFilter {
                components: vec!["component:default/payments".into()],
                repositories: vec!["acme/shop".into()],
            }),
            ..query.clone()
        };
        assert!(store.incidents(&elsewhere).await.unwrap().is_empty());
        assert_eq!(stored[0].resolved_at, incident.resolved_at);
        assert_eq!(stored[0].caused_by.as_deref(), Some("g:2"));
    }
}

#[tokio::test]
async fn a_push_makes_the_locations_it_changed_due_and_no_others() {
    for store in test_stores().await {
        let now = Utc::now();
        let (a, _) = store
            .add_location(
                "url",
                "https://github.com/Acme/Payments/blob/main/catalog-info.yaml",
                now,
            )
            .await
            .unwrap();
        let (b, _) = store
            .add_location(
                "url",
                "https://github.com/acme/payments_x/blob/main/catalog-info.yaml",
                now,
            )
            .await
            .unwrap();
        for id in [&a.id, &b.id] {
            store
                .claim_location(id, "w", now, LEASE)
                .await
                .unwrap()
                .unwrap();
            let read = crate::ReadResult::Failed {
                error: "offline".into(),
            };
            let next = now + TimeDelta::hours(1);
            assert!(
                store
                    .finish_location_read(id, "w", now, next, &read)
                    .await
                    .unwrap()
            );
        }
        // `_` is not a wildcard: acme/payments_x is not under acme/payments/.
        let made_due = store
            .request_reads_under("https://github.com/acme/payments/blob/main/")
            .await
            .unwrap();
        assert_eq!(made_due, 1);
        let made_due = store
            .request_reads_under("https://github.com/acme/payments_/blob/main/")
            .await
            .unwrap();
        assert_eq!(made_due, 0);
        let due = |id: String| {
            let store = &store;
            async move {
                store
                    .location(&id)
                    .await
                    .unwrap()
                    .unwrap()
                    .next_read_at
                    .is_none()
            }
        };
        assert!(due(a.id.clone()).await);
        assert!(!due(b.id.clone()).await);
    }
}

/// Three replicas draining one queue at once: every delivery is processed exactly once,
/// and one whose worker died (its lease ran out) is taken over by another.
#[tokio::test]
async fn three_workers_process_every_delivery_exactly_once() {
    for test in test_stores().await {
        let now = Utc::now();
        for n in 0..60 {
            let at = now - TimeDelta::seconds(120 - n);
            test.store
                .save_delivery(&format!("d{n}"), "push", "{}", at)
                .await
                .unwrap();
        }
        // A replica killed mid-delivery: its claim stays until the lease ends.
        let dead = test
            .store
            .claim_next_delivery("dead", now - TimeDelta::seconds(60), LEASE)
            .await
            .unwrap()
            .unwrap();
        let workers = ["a", "b", "c"].map(|worker| {
            let store = test.store.clone();
            tokio::spawn(async move {
                let mut done = Vec::new();
                while let Some(delivery) = store
                    .claim_next_delivery(worker, Utc::now(), LEASE)
                    .await
                    .unwrap()
                {
                    assert!(
                        store
                            .finish_delivery(&delivery.id, worker, Utc::now(), None)
                            .await
                            .unwrap()
                    );
                    done.push(delivery.id);
                }
                done
            })
        });
        let mut processed = Vec::new();
        for worker in workers {
            processed.extend(worker.await.unwrap());
        }
        processed.sort();
        let before = processed.len();
        processed.dedup();
        assert_eq!(before, processed.len(), "a delivery processed twice");
        assert_eq!(processed.len(), 60, "{:?}", test.store.engine());
        assert!(
            processed.contains(&dead.id),
            "the dead worker's delivery was taken over"
        );
        assert!(
            !test
                .store
                .finish_delivery(&dead.id, "dead", Utc::now(), None)
                .await
                .unwrap(),
            "the dead worker's claim is gone"
        );
    }
}
