//! Store tests: each runs on SQLite and, when `TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::testing::test_stores;
use crate::{EntityRecord, LocationRecord, RelationRecord, Store};
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

const DRAFTS: crate::DraftLimits = crate::DraftLimits {
    lifetime: chrono::Duration::hours(1),
    per_client: 3,
    total: 5,
};

/// Saves a draft that must be stored; returns its id.
async fn save_draft(store: &crate::Store, client: &str, yaml: &str) -> String {
    match store
        .save_register_draft(client, yaml, chrono::Utc::now(), &DRAFTS)
        .await
        .unwrap()
    {
        crate::DraftSave::Saved(id) => id,
        crate::DraftSave::Full => panic!("no room for a draft of {client}"),
    }
}

async fn draft_count(store: &crate::Store) -> i64 {
    crate::on_pool!(store, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM register_drafts")
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

fn an_hour_ago() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - DRAFTS.lifetime
}

#[tokio::test]
async fn register_drafts_keep_pasted_text_until_they_expire() {
    for test in test_stores().await {
        let store = &test.store;
        let yaml = "kind: Component\nmetadata:\n  name: ünïcode — and a long line\n".repeat(500);
        let id = save_draft(store, "203.0.113.7", &yaml).await;
        assert_eq!(
            store
                .register_draft(&id, an_hour_ago())
                .await
                .unwrap()
                .as_deref(),
            Some(yaml.as_str())
        );
        assert_eq!(
            store
                .register_draft("no-such-draft", an_hour_ago())
                .await
                .unwrap(),
            None
        );

        // A draft past its lifetime is not served, and the next save removes it.
        let old = chrono::Utc::now() - DRAFTS.lifetime - chrono::Duration::minutes(1);
        crate::on_pool!(store, pool => {
            sqlx::query("UPDATE register_drafts SET created_at = $1 WHERE id = $2")
                .bind(old)
                .bind(&id)
                .execute(pool)
                .await
                .unwrap();
        });
        assert_eq!(
            store.register_draft(&id, an_hour_ago()).await.unwrap(),
            None
        );
        save_draft(store, "198.51.100.1", "x").await;
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

#[tokio::test]
async fn a_client_keeps_its_latest_drafts_and_all_drafts_are_capped() {
    for test in test_stores().await {
        let store = &test.store;
        let mut ids = Vec::new();
        for n in 0..4 {
            ids.push(save_draft(store, "a", &format!("draft {n}")).await);
            // Distinct creation times, so "oldest" is well defined.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The fourth draft of client a replaced its first; the other three stay.
        assert_eq!(
            store.register_draft(&ids[0], an_hour_ago()).await.unwrap(),
            None
        );
        for (n, id) in ids.iter().enumerate().skip(1) {
            assert_eq!(
                store.register_draft(id, an_hour_ago()).await.unwrap(),
                Some(format!("draft {n}"))
            );
        }
        assert_eq!(draft_count(store).await, 3);

        // Other clients are not affected by a's drafts, up to the total.
        let b = save_draft(store, "b", "b's").await;
        save_draft(store, "c", "c's").await;
        assert_eq!(draft_count(store).await, 5);
        let full = store
            .save_register_draft("d", "d's", chrono::Utc::now(), &DRAFTS)
            .await
            .unwrap();
        assert_eq!(full, crate::DraftSave::Full);
        assert_eq!(
            draft_count(store).await,
            5,
            "a refused save changes nothing"
        );
        assert!(
            store
                .register_draft(&b, an_hour_ago())
                .await
                .unwrap()
                .is_some()
        );
        // At the total, a client at its own cap still replaces its oldest draft.
        save_draft(store, "a", "draft 4").await;
        assert_eq!(
            store.register_draft(&ids[1], an_hour_ago()).await.unwrap(),
            None
        );
        assert_eq!(draft_count(store).await, 5);
    }
}

#[tokio::test]
async fn concurrent_draft_saves_never_exceed_the_total() {
    for test in test_stores().await {
        let saves = (0..12).map(|n| {
            let store = test.store.clone();
            tokio::spawn(async move {
                store
                    .save_register_draft(&format!("client-{n}"), "x", chrono::Utc::now(), &DRAFTS)
                    .await
                    .unwrap()
            })
        });
        let mut saved = 0;
        for save in saves.collect::<Vec<_>>() {
            if matches!(save.await.unwrap(), crate::DraftSave::Saved(_)) {
                saved += 1;
            }
        }
        assert_eq!(saved, 5, "{:?}", test.store.engine());
        assert_eq!(draft_count(&test.store).await, 5);
    }
}

/// Every entity's stored API JSON is what its body, uid, etag and relations make now
/// (relations compared as a set: the engines' text orders may differ).
async fn assert_stitched(store: &crate::Store) {
    type Row = (String, String, String, String, Option<String>);
    let rows: Vec<Row> = crate::on_pool!(store, pool => {
        sqlx::query_as("SELECT uid, entity_ref, etag, body, final_json FROM entities")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    for (uid, entity_ref, etag, body, final_json) in rows {
        let mut expected: serde_json::Value = serde_json::from_str(&body).unwrap();
        expected["metadata"]["uid"] = uid.into();
        expected["metadata"]["etag"] = etag.into();
        let mut pairs: Vec<(String, String)> = store
            .relations_from(&entity_ref)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.relation_type, r.target_ref))
            .collect();
        pairs.sort();
        pairs.dedup();
        let final_json = final_json.unwrap_or_else(|| panic!("{entity_ref} was never stitched"));
        let mut actual: serde_json::Value = serde_json::from_str(&final_json).unwrap();
        let mut stored: Vec<(String, String)> = actual["relations"]
            .as_array()
            .unwrap_or_else(|| panic!("{entity_ref}: no relations array in {final_json}"))
            .iter()
            .map(|r| {
                (
                    r["type"].as_str().unwrap().to_string(),
                    r["targetRef"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        stored.sort();
        assert_eq!(stored, pairs, "relations of {entity_ref}");
        actual.as_object_mut().unwrap().remove("relations");
        assert_eq!(actual, expected, "{entity_ref}");
    }
}

fn group(name: &str) -> EntityRecord {
    EntityRecord {
        entity_ref: format!("group:default/{name}"),
        kind: "group".into(),
        namespace: "default".into(),
        name: name.into(),
        title: None,
        description: None,
        spec_type: Some("team".into()),
        lifecycle: None,
        owner_ref: None,
        system_ref: None,
        body: json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": name}}),
        etag: format!("{name}-1"),
    }
}

fn owner_of(owner: &str, name: &str) -> RelationRecord {
    RelationRecord {
        origin_ref: format!("component:default/{name}"),
        source_ref: format!("group:default/{owner}"),
        relation_type: "ownerOf".into(),
        target_ref: format!("component:default/{name}"),
    }
}

/// The targets of `relation_type` relations in the API JSON of `entity_ref`.
async fn served_relations(
    store: &crate::Store,
    entity_ref: &str,
    relation_type: &str,
) -> Vec<String> {
    let found = store
        .entity_json_by_refs(&[entity_ref.to_string()])
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&found[0].as_ref().unwrap().json).unwrap();
    let mut targets: Vec<String> = json["relations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == relation_type)
        .map(|r| r["targetRef"].as_str().unwrap().to_string())
        .collect();
    targets.sort();
    targets
}

#[tokio::test]
async fn every_write_keeps_the_stored_api_json_in_step_with_bodies_and_relations() {
    for test in test_stores().await {
        let store = &test.store;
        let (a, b) = (location("a.yaml"), location("b.yaml"));
        let batch = |names: &[&str]| -> (Vec<EntityRecord>, Vec<RelationRecord>) {
            let entities = names.iter().map(|n| component(n, "team", "1")).collect();
            let relations = names
                .iter()
                .flat_map(|n| [owned_by(n, "team"), owner_of("team", n)])
                .collect();
            (entities, relations)
        };
        let (mut entities, relations) = batch(&["c1"]);
        entities.push(group("team"));
        store
            .apply_location_batch(&a, &entities, &relations)
            .await
            .unwrap();
        assert_stitched(store).await;

        // Another location's component changes the group's JSON too.
        let (entities, relations) = batch(&["c2", "c3"]);
        store
            .apply_location_batch(&b, &entities, &relations)
            .await
            .unwrap();
        assert_stitched(store).await;
        let owned = [
            "component:default/c1",
            "component:default/c2",
            "component:default/c3",
        ];
        assert_eq!(
            served_relations(store, "group:default/team", "ownerOf").await,
            owned
        );

        // A component its location no longer provides takes its relations with it.
        let (entities, relations) = batch(&["c2"]);
        store
            .apply_location_batch(&b, &entities, &relations)
            .await
            .unwrap();
        assert_stitched(store).await;
        assert_eq!(
            served_relations(store, "group:default/team", "ownerOf").await,
            owned[..2]
        );

        let uid = store
            .entity_by_ref("component:default/c2")
            .await
            .unwrap()
            .unwrap()
            .uid;
        assert!(store.delete_entity_by_uid(&uid).await.unwrap());
        assert_stitched(store).await;
        assert_eq!(
            served_relations(store, "group:default/team", "ownerOf").await,
            owned[..1]
        );

        // Orphans kept on location delete carry the annotation in what is served.
        let b_id = store
            .location_by_target("file", "b.yaml")
            .await
            .unwrap()
            .unwrap()
            .id;
        let (entities, relations) = batch(&["c4"]);
        store
            .apply_location_batch(&b, &entities, &relations)
            .await
            .unwrap();
        store.delete_location(&b_id, false).await.unwrap();
        assert_stitched(store).await;
        let c4 = store
            .entity_json_by_refs(&["component:default/c4".into()])
            .await
            .unwrap();
        assert!(
            c4[0]
                .as_ref()
                .unwrap()
                .json
                .contains(crate::ORPHAN_ANNOTATION)
        );

        // A removed location's entities go, and so do their relations on the group.
        let a_id = store
            .location_by_target("file", "a.yaml")
            .await
            .unwrap()
            .unwrap()
            .id;
        store.delete_location(&a_id, true).await.unwrap();
        assert_stitched(store).await;
        let rest = store
            .entity_json_by_refs(&["group:default/team".into()])
            .await
            .unwrap();
        assert_eq!(rest, [None]);
        assert_eq!(
            served_relations(store, "component:default/c4", "ownedBy").await,
            ["group:default/team"]
        );
    }
}

#[tokio::test]
async fn concurrent_batches_that_touch_each_others_entities_both_apply() {
    for test in test_stores().await {
        let store = &test.store;
        // Each location's components are owned by the other location's group, so each
        // batch rebuilds the JSON of an entity the other batch writes.
        let batch = |own: &str, other: &str, round: usize| {
            let mut entities = vec![group(own)];
            let mut relations = Vec::new();
            for i in 0..20 {
                let name = format!("{own}-c{i}-r{round}");
                entities.push(component(&name, other, "1"));
                relations.extend([owned_by(&name, other), owner_of(other, &name)]);
            }
            (entities, relations)
        };
        let (at_x, at_y) = (location("x.yaml"), location("y.yaml"));
        for round in 0..10 {
            let (x, y) = (batch("gx", "gy", round), batch("gy", "gx", round));
            let (a, b) = tokio::join!(
                store.apply_location_batch(&at_x, &x.0, &x.1),
                store.apply_location_batch(&at_y, &y.0, &y.1),
            );
            a.unwrap();
            b.unwrap();
        }
        assert_stitched(store).await;
        assert_eq!(
            served_relations(store, "group:default/gx", "ownerOf")
                .await
                .len(),
            20
        );
    }
}

#[tokio::test]
async fn a_bulk_load_stores_the_json_of_other_locations_entities_when_it_finishes() {
    for test in test_stores().await {
        let mut store = test.store.clone();
        store.deferred_stitch = Some(Default::default());
        let first = vec![group("team"), component("c1", "team", "1")];
        let relations = vec![owned_by("c1", "team"), owner_of("team", "c1")];
        store
            .apply_location_batch(&location("a.yaml"), &first, &relations)
            .await
            .unwrap();
        let relations = vec![owned_by("c2", "team"), owner_of("team", "c2")];
        store
            .apply_location_batch(
                &location("b.yaml"),
                &[component("c2", "team", "1")],
                &relations,
            )
            .await
            .unwrap();
        // What a batch writes is served at once; the group of another file waits.
        assert_eq!(
            served_relations(&store, "component:default/c2", "ownedBy").await,
            ["group:default/team"]
        );
        assert_eq!(
            served_relations(&store, "group:default/team", "ownerOf").await,
            ["component:default/c1"]
        );
        store.finish_bulk_load().await.unwrap();
        assert_stitched(&store).await;
        assert_eq!(
            served_relations(&store, "group:default/team", "ownerOf").await,
            ["component:default/c1", "component:default/c2"]
        );
    }
}

#[tokio::test]
async fn a_bulk_load_into_an_empty_catalog_builds_its_read_indexes_at_the_end() {
    for test in test_stores().await {
        let store = &test.store;
        let indexes = async || {
            let mut tx = store.begin().await.unwrap();
            let mut found = crate::bulk_load::index_statements(&mut tx).await.unwrap();
            tx.commit().await.unwrap();
            found.sort();
            found
        };
        let before = indexes().await;
        // Ten indexes, and SQLite's (uid, text_id) index or PostgreSQL's trigram index.
        assert_eq!(before.len(), 11, "{before:?}");
        let ledger = |store: &Store| {
            let store = store.clone();
            async move {
                let query = crate::EntityQuery {
                    text: Some(crate::TextFilter {
                        term: "ledger".into(),
                        keys: Vec::new(),
                    }),
                    ..Default::default()
                };
                store.query_entities(&query).await.unwrap().len()
            }
        };

        assert!(store.begin_bulk_load().await.unwrap());
        assert_eq!(indexes().await, []);
        let entities = [component("ledger-api", "team", "1"), group("team")];
        store
            .apply_location_batch(
                &location("a.yaml"),
                &entities,
                &[owned_by("ledger-api", "team")],
            )
            .await
            .unwrap();
        // A second load into what is no longer empty keeps the indexes as they are.
        assert!(!store.begin_bulk_load().await.unwrap());
        store.finish_bulk_load().await.unwrap();
        // PostgreSQL vacuums, which no transaction may wrap.
        store.analyze_after_bulk_load().await.unwrap();
        assert_eq!(indexes().await, before);
        assert_eq!(ledger(store).await, 1);

        // A load that stops half way is completed by the next start.
        for entity_ref in ["group:default/team", "component:default/ledger-api"] {
            let uid = store.entity_by_ref(entity_ref).await.unwrap().unwrap().uid;
            assert!(store.delete_entity_by_uid(&uid).await.unwrap());
        }
        assert!(store.begin_bulk_load().await.unwrap());
        store
            .apply_location_batch(
                &location("b.yaml"),
                &[component("ledger-ui", "team", "1")],
                &[],
            )
            .await
            .unwrap();
        store.migrate().await.unwrap();
        assert_eq!(indexes().await, before);
        assert_eq!(ledger(store).await, 1);
        store.finish_bulk_load().await.unwrap();
        assert_eq!(indexes().await, before);
    }
}

#[tokio::test]
async fn a_batch_the_catalog_already_holds_writes_nothing_and_keeps_the_caches() {
    for test in test_stores().await {
        let store = &test.store;
        let batch = [component("same", "team", "1"), group("team")];
        let relations = [owned_by("same", "team")];
        let apply = |entities: Vec<EntityRecord>, relations: Vec<RelationRecord>| async move {
            store
                .apply_location_batch(&location("same.yaml"), &entities, &relations)
                .await
                .unwrap()
        };
        apply(batch.to_vec(), relations.to_vec()).await;
        let version = store.catalog_version().await.unwrap();
        let outcome = apply(batch.to_vec(), relations.to_vec()).await;
        assert_eq!((outcome.written, outcome.removed), (2, 0));
        assert_eq!(
            store.catalog_version().await.unwrap(),
            version,
            "nothing changed"
        );

        // Any difference is written: a body under the same etag, a relation, an entity
        // deleted through the API (it comes back, as in Backstage).
        let mut renamed = component("same", "team", "1");
        renamed.body["metadata"]["title"] = json!("Same");
        apply(vec![renamed.clone(), group("team")], relations.to_vec()).await;
        assert!(
            store.catalog_version().await.unwrap() > version,
            "a new body"
        );
        let version = store.catalog_version().await.unwrap();
        apply(vec![renamed.clone(), group("team")], Vec::new()).await;
        assert!(
            store.catalog_version().await.unwrap() > version,
            "a relation less"
        );
        assert_eq!(
            served_relations(store, "component:default/same", "ownedBy").await,
            Vec::<String>::new()
        );
        let uid = store
            .entity_by_ref("group:default/team")
            .await
            .unwrap()
            .unwrap()
            .uid;
        assert!(store.delete_entity_by_uid(&uid).await.unwrap());
        apply(vec![renamed, group("team")], Vec::new()).await;
        assert!(
            store
                .entity_by_ref("group:default/team")
                .await
                .unwrap()
                .is_some()
        );
    }
}

#[tokio::test]
async fn summaries_by_refs_keep_the_order_and_mark_missing_entities() {
    for test in test_stores().await {
        let store = &test.store;
        let entities = [component("s1", "team", "1"), component("s2", "team", "1")];
        store
            .apply_location_batch(&location("s.yaml"), &entities, &[])
            .await
            .unwrap();
        let refs = [
            "Component:default/S2",
            "component:default/none",
            "component:default/s1",
        ]
        .map(String::from);
        let found = store.entity_summaries_by_refs(&refs).await.unwrap();
        let names: Vec<Option<&str>> = found
            .iter()
            .map(|s| s.as_ref().map(|s| s.name.as_str()))
            .collect();
        assert_eq!(names, [Some("s2"), None, Some("s1")]);
        assert_eq!(
            found[0].as_ref().unwrap().description.as_deref(),
            Some("The s2 service")
        );
    }
}

#[tokio::test]
async fn summary_pages_follow_the_same_filter_order_and_page_as_entity_pages() {
    for test in test_stores().await {
        let store = &test.store;
        let entities: Vec<EntityRecord> = ["b", "a", "d", "c"]
            .iter()
            .map(|n| component(n, if *n == "d" { "other" } else { "team" }, "1"))
            .collect();
        store
            .apply_location_batch(&location("p.yaml"), &entities, &[owned_by("a", "team")])
            .await
            .unwrap();
        let query = crate::EntityQuery {
            filter: Some(crate::EntityFilter::Equals {
                key: "kind".into(),
                values: vec!["Component".into()],
            }),
            order: vec![crate::OrderField {
                key: "metadata.name".into(),
                descending: true,
            }],
            offset: 1,
            limit: Some(2),
            ..Default::default()
        };
        let summaries = store.query_entity_summaries(&query).await.unwrap();
        let entities = store.query_entities(&query).await.unwrap();
        let names: Vec<&str> = summaries.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["c", "b"]);
        let refs: Vec<&str> = entities.iter().map(|e| e.entity_ref.as_str()).collect();
        assert_eq!(refs, ["component:default/c", "component:default/b"]);
        assert_eq!(
            summaries[1].owner_ref.as_deref(),
            Some("group:default/team")
        );
    }
}

/// Connections are not pinged before each statement (a round trip each), but one that sat
/// idle is: a database restart or a proxy's idle timeout may have closed it meanwhile.
#[tokio::test]
async fn a_postgres_connection_closed_while_idle_is_replaced_before_use() {
    let Some(url) = crate::testing::postgres_url() else {
        return;
    };
    let store = Store::connect_with_pool(&url, 1).await.unwrap();
    let crate::Pool::Postgres(pool) = store.pool() else {
        panic!("not PostgreSQL: {url}")
    };
    let backend = || async {
        sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
    };
    let first = backend().await.unwrap();
    tokio::time::sleep(crate::POSTGRES_PING_AFTER_IDLE + std::time::Duration::from_millis(200))
        .await;
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(first)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert!(terminated);
    // The backend exits shortly after the signal: wait until it has gone.
    for _ in 0..100 {
        let alive: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                .bind(first)
                .fetch_one(&admin)
                .await
                .unwrap();
        if !alive {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = backend()
        .await
        .expect("the closed connection is replaced, not handed out");
    assert_ne!(first, second);
}
