//! Tests of entity providers (providers.rs), on SQLite and, when `TEST_DATABASE_URL` is
//! set, on PostgreSQL.

use crate::ConfiguredProvider;
use crate::testing::test_stores;
use chrono::{TimeDelta, Utc};
use std::time::Duration;

const LEASE: Duration = Duration::from_secs(30);

fn provider(id: &str, config: &str) -> ConfiguredProvider {
    ConfiguredProvider {
        id: id.into(),
        kind: "github-discovery".into(),
        config: config.into(),
    }
}

#[tokio::test]
async fn providers_follow_the_configuration_and_run_once_per_claim() {
    for store in test_stores().await {
        let now = Utc::now();
        let removed = store
            .sync_providers(&[provider("a", "acme"), provider("b", "beta")])
            .await
            .unwrap();
        assert!(removed.is_empty());

        let first = store
            .claim_due_provider("w1", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        let second = store
            .claim_due_provider("w2", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(
            first.id, second.id,
            "two workers never hold the same provider"
        );
        assert!(
            store
                .claim_due_provider("w3", now, LEASE)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .extend_provider_claim(&first.id, "w1", now, LEASE)
                .await
                .unwrap()
        );
        assert!(
            !store
                .extend_provider_claim(&first.id, "w2", now, LEASE)
                .await
                .unwrap()
        );

        let next = now + TimeDelta::minutes(30);
        assert!(
            !store
                .finish_provider_run(&first.id, "w2", now, now, next, None, "{}")
                .await
                .unwrap(),
            "only the claim's holder records the run"
        );
        assert!(
            store
                .finish_provider_run(&first.id, "w1", now, now, next, Some("boom"), r#"{"n":1}"#)
                .await
                .unwrap()
        );
        let rows = store.providers().await.unwrap();
        let row = rows.iter().find(|r| r.id == first.id).unwrap();
        assert_eq!(row.last_error.as_deref(), Some("boom"));
        assert_eq!(row.status.as_deref(), Some(r#"{"n":1}"#));
        assert!(row.claimed_by.is_none());

        // Not due again until its next run; a lapsed claim is taken over.
        let later = now + TimeDelta::seconds(31);
        let taken = store
            .claim_due_provider("w3", later, LEASE)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(taken.id, second.id, "w2's claim lapsed");
        assert!(
            store
                .claim_due_provider("w3", later, LEASE)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.request_provider_run(&first.id).await.unwrap());
        assert_eq!(
            store
                .claim_due_provider("w3", later, LEASE)
                .await
                .unwrap()
                .unwrap()
                .id,
            first.id
        );

        // A changed configuration runs again; a provider no longer configured goes.
        let removed = store
            .sync_providers(&[provider("a", "acme2")])
            .await
            .unwrap();
        assert_eq!(removed, ["b"]);
        let rows = store.providers().await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].config, "acme2");
        assert!(rows[0].next_run_at.is_none());
    }
}

#[tokio::test]
async fn provider_locations_never_take_over_registered_ones() {
    for store in test_stores().await {
        let now = Utc::now();
        store
            .add_location(
                "url",
                "https://github.com/acme/mine/blob/main/catalog-info.yaml",
                now,
            )
            .await
            .unwrap();
        assert!(
            !store
                .add_provider_location(
                    "url",
                    "https://github.com/acme/mine/blob/main/catalog-info.yaml",
                    "acme",
                    now
                )
                .await
                .unwrap()
        );
        assert!(
            store
                .add_provider_location(
                    "url",
                    "https://github.com/acme/web/blob/main/catalog-info.yaml",
                    "acme",
                    now
                )
                .await
                .unwrap()
        );
        assert_eq!(
            store.provider_counts().await.unwrap(),
            [("acme".to_string(), 1, 0)]
        );
        let managed = store.provider_locations("acme").await.unwrap();
        assert_eq!(managed.len(), 1);
        assert_eq!(managed[0].provider_id.as_deref(), Some("acme"));
        assert!(managed[0].next_read_at.is_none(), "due for a read now");
    }
}

#[tokio::test]
async fn github_answers_are_kept_with_their_etag() {
    for store in test_stores().await {
        let now = Utc::now();
        let url = "https://api.github.com/orgs/acme/repos?per_page=100";
        assert!(store.github_response(url).await.unwrap().is_none());
        store
            .keep_github_response(url, "\"e1\"", "[1]", now)
            .await
            .unwrap();
        store
            .keep_github_response(url, "\"e2\"", "[2]", now)
            .await
            .unwrap();
        assert_eq!(
            store.github_response(url).await.unwrap(),
            Some(("\"e2\"".to_string(), "[2]".to_string()))
        );
        let later = now + TimeDelta::days(31);
        assert_eq!(store.forget_github_responses(now).await.unwrap(), 0);
        assert_eq!(store.forget_github_responses(later).await.unwrap(), 1);
        assert!(store.github_response(url).await.unwrap().is_none());
    }
}
