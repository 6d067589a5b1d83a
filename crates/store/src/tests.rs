//! Store tests: each runs on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::testing::test_stores;
use crate::{EntityRecord, LocationRecord, RelationRecord};
use serde_json::json;

fn location(target: &str) -> LocationRecord {
    LocationRecord {
        location_type: "file".into(),
        target: target.into(),
    }
}

fn component(name: &str, owner: &str, etag: &str) -> EntityRecord {
    EntityRecord {
        entity_ref: format!("component:default/{name}"),
        kind: "component".into(),
        namespace: "default".into(),
        name: name.into(),
        title: None,
        description: Some(format!("The {name} service")),
        spec_type: Some("service".into()),
        lifecycle: Some("production".into()),
        owner_ref: Some(format!("group:default/{owner}")),
        system_ref: None,
        body: json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": name}}),
        etag: etag.into(),
    }
}

fn owned_by(name: &str, owner: &str) -> RelationRecord {
    RelationRecord {
        origin_ref: format!("component:default/{name}"),
        source_ref: format!("component:default/{name}"),
        relation_type: "ownedBy".into(),
        target_ref: format!("group:default/{owner}"),
    }
}

#[tokio::test]
async fn a_new_store_is_ready_and_empty() {
    for store in test_stores().await {
        store.check_ready().await.unwrap();
        assert_eq!(
            store.entity_count().await.unwrap(),
            0,
            "{:?}",
            store.engine()
        );
        assert!(store.kind_counts().await.unwrap().is_empty());
        // Migrating twice is harmless: start-up always migrates.
        store.migrate().await.unwrap();
    }
}

#[tokio::test]
async fn a_batch_is_stored_with_its_relations_and_can_be_read_back() {
    for store in test_stores().await {
        let engine = store.engine();
        let entities = [
            component("web", "team-a", "e1"),
            component("api", "team-b", "e2"),
        ];
        let relations = [owned_by("web", "team-a"), owned_by("api", "team-b")];
        let outcome = store
            .apply_location_batch(&location("a.yaml"), &entities, &relations)
            .await
            .unwrap();
        assert_eq!(outcome.written, 2, "{engine:?}");
        assert!(outcome.conflicts.is_empty());

        assert_eq!(store.kind_counts().await.unwrap()[0].count, 2);
        let body = store
            .entity_body("component:default/web")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(body["metadata"]["name"], "web");
        assert!(
            store
                .entity_body("component:default/nope")
                .await
                .unwrap()
                .is_none()
        );
        let relations = store.relations_from("component:default/api").await.unwrap();
        assert_eq!(relations, vec![owned_by("api", "team-b")]);
        // The reverse direction, implied by the component, is found from the group.
        let owner_of = RelationRecord {
            origin_ref: "component:default/api".into(),
            source_ref: "group:default/team-b".into(),
            relation_type: "ownerOf".into(),
            target_ref: "component:default/api".into(),
        };
        let entities = [component("api", "team-b", "e2")];
        store
            .apply_location_batch(
                &location("a.yaml"),
                &entities,
                std::slice::from_ref(&owner_of),
            )
            .await
            .unwrap();
        assert_eq!(
            store.relations_from("group:default/team-b").await.unwrap(),
            vec![owner_of]
        );
        // "web" is no longer provided by a.yaml, so it went.
        assert_eq!(store.recent_entities(10).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn reapplying_a_location_removes_what_it_no_longer_provides() {
    for store in test_stores().await {
        let loc = location("a.yaml");
        let both = [
            component("web", "team-a", "e1"),
            component("api", "team-a", "e2"),
        ];
        store
            .apply_location_batch(&loc, &both, &[owned_by("api", "team-a")])
            .await
            .unwrap();

        let outcome = store
            .apply_location_batch(&loc, &both[..1], &[])
            .await
            .unwrap();
        assert_eq!(
            (outcome.written, outcome.removed),
            (1, 1),
            "{:?}",
            store.engine()
        );
        assert_eq!(store.entity_count().await.unwrap(), 1);
        assert!(
            store
                .relations_from("component:default/api")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn an_entity_claimed_by_another_location_is_a_conflict_not_an_overwrite() {
    for store in test_stores().await {
        store
            .apply_location_batch(
                &location("a.yaml"),
                &[component("web", "team-a", "e1")],
                &[],
            )
            .await
            .unwrap();
        let outcome = store
            .apply_location_batch(
                &location("b.yaml"),
                &[component("web", "team-b", "e9")],
                &[],
            )
            .await
            .unwrap();
        assert_eq!(
            outcome.conflicts,
            vec!["component:default/web".to_string()],
            "{:?}",
            store.engine()
        );
        let row = &store.list_entities(None, None, 10).await.unwrap()[0];
        assert_eq!(row.owner_ref.as_deref(), Some("group:default/team-a"));
    }
}

#[tokio::test]
async fn listing_filters_by_kind_and_matches_text_literally() {
    for store in test_stores().await {
        let entities = [
            component("web", "team-a", "e1"),
            component("web_50%", "team-a", "e2"),
        ];
        store
            .apply_location_batch(&location("a.yaml"), &entities, &[])
            .await
            .unwrap();
        assert_eq!(
            store
                .list_entities(Some("Component"), None, 10)
                .await
                .unwrap()
                .len(),
            2
        );
        assert!(
            store
                .list_entities(Some("api"), None, 10)
                .await
                .unwrap()
                .is_empty()
        );
        let hits = store.list_entities(None, Some("50%"), 10).await.unwrap();
        assert_eq!(hits.len(), 1, "{:?}", store.engine());
        assert_eq!(hits[0].name, "web_50%");
        // `_` and `%` are not wildcards.
        assert_eq!(
            store
                .list_entities(None, Some("b_5"), 10)
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .list_entities(None, Some("w%b"), 10)
                .await
                .unwrap()
                .len(),
            0
        );
    }
}

#[tokio::test]
async fn large_batches_are_written_in_chunks_and_duplicates_are_conflicts() {
    for store in test_stores().await {
        // More rows than one multi-row statement takes, on every table.
        let entities: Vec<EntityRecord> = (0..2_500)
            .map(|i| component(&format!("svc-{i}"), "team-a", "e"))
            .collect();
        let relations: Vec<RelationRecord> = (0..2_500)
            .flat_map(|i| {
                let name = format!("svc-{i}");
                (0..3).map(move |j| RelationRecord {
                    origin_ref: format!("component:default/{name}"),
                    source_ref: format!("component:default/{name}"),
                    relation_type: "dependsOn".into(),
                    target_ref: format!("resource:default/db-{j}"),
                })
            })
            .collect();
        let mut with_duplicate = entities.clone();
        with_duplicate.push(component("svc-7", "team-b", "other"));
        let outcome = store
            .apply_location_batch(&location("big.yaml"), &with_duplicate, &relations)
            .await
            .unwrap();
        assert_eq!(outcome.written, 2_500, "{:?}", store.engine());
        assert_eq!(
            outcome.conflicts,
            vec!["component:default/svc-7".to_string()]
        );
        assert_eq!(store.entity_count().await.unwrap(), 2_500);
        let rels = store
            .relations_from("component:default/svc-2499")
            .await
            .unwrap();
        assert_eq!(rels.len(), 3);
        // The first record of a duplicated ref wins.
        let svc7 = store
            .entity_by_ref("component:default/svc-7")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(svc7.etag, "e");

        // Re-applying half removes the other half with its relations.
        let outcome = store
            .apply_location_batch(
                &location("big.yaml"),
                &entities[..1_250],
                &relations[..3_750],
            )
            .await
            .unwrap();
        assert_eq!((outcome.written, outcome.removed), (1_250, 1_250));
        assert!(
            store
                .relations_from("component:default/svc-2499")
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn cached_facets_and_counts_follow_every_write() {
    for store in test_stores().await {
        let facets = ["kind".to_string()];
        let loc = location("a.yaml");
        store
            .apply_location_batch(&loc, &[component("web", "team-a", "e1")], &[])
            .await
            .unwrap();
        let before = store.entity_facets(&facets, None).await.unwrap();
        assert_eq!(before["kind"][0].count, 1, "{:?}", store.engine());
        assert_eq!(store.count_entities(None, None).await.unwrap(), 1);
        // Served again from the cache: same answer.
        assert_eq!(store.entity_facets(&facets, None).await.unwrap(), before);

        let both = [
            component("web", "team-a", "e1"),
            component("api", "team-a", "e2"),
        ];
        store.apply_location_batch(&loc, &both, &[]).await.unwrap();
        let after = store.entity_facets(&facets, None).await.unwrap();
        assert_eq!(after["kind"][0].count, 2);
        assert_eq!(store.count_entities(None, None).await.unwrap(), 2);

        let uid = store
            .entity_by_ref("component:default/api")
            .await
            .unwrap()
            .unwrap()
            .uid;
        assert!(store.delete_entity_by_uid(&uid).await.unwrap());
        assert_eq!(store.count_entities(None, None).await.unwrap(), 1);

        // A second store on the same database (another replica) sees the first one's writes.
        let version = store.catalog_version().await.unwrap();
        store.apply_location_batch(&loc, &both, &[]).await.unwrap();
        assert!(store.catalog_version().await.unwrap() > version);
    }
}

#[tokio::test]
async fn register_drafts_keep_pasted_text_until_they_expire() {
    for test in test_stores().await {
        let store = &test.store;
        let yaml = "kind: Component\nmetadata:\n  name: ünïcode — and a long line\n".repeat(500);
        let id = store.save_register_draft(&yaml).await.unwrap();
        assert_eq!(
            store.register_draft(&id).await.unwrap().as_deref(),
            Some(yaml.as_str())
        );
        assert_eq!(store.register_draft("no-such-draft").await.unwrap(), None);

        // A draft past its lifetime is not served, and the next save removes it.
        let old = chrono::Utc::now() - crate::DRAFT_LIFETIME - chrono::Duration::minutes(1);
        crate::on_pool!(store, pool => {
            sqlx::query("UPDATE register_drafts SET created_at = $1 WHERE id = $2")
                .bind(old)
                .bind(&id)
                .execute(pool)
                .await
                .unwrap();
        });
        assert_eq!(store.register_draft(&id).await.unwrap(), None);
        store.save_register_draft("x").await.unwrap();
        let left: i64 = crate::on_pool!(store, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM register_drafts WHERE id = $1")
                .bind(&id)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(left, 0);
    }
}
