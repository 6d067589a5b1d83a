//! Tests of the team pages' reads (teams.rs), on SQLite and, when `TEST_DATABASE_URL` is
//! set, on PostgreSQL.

use crate::testing::{TestStore, test_stores};
use crate::{EntityRecord, LocationRecord, RelationRecord};
use serde_json::json;

fn entity(kind: &str, name: &str, owner: Option<&str>, system: Option<&str>) -> EntityRecord {
    EntityRecord {
        entity_ref: format!("{kind}:default/{name}"),
        kind: kind.into(),
        namespace: "default".into(),
        name: name.into(),
        title: None,
        description: None,
        spec_type: Some("service".into()),
        lifecycle: Some("production".into()),
        owner_ref: owner.map(|o| format!("group:default/{o}")),
        system_ref: system.map(|s| format!("system:default/{s}")),
        body: json!({"kind": kind, "metadata": {"name": name}, "spec": {}}),
        etag: format!("etag-{name}"),
    }
}

/// Both directions of a relation, as the catalog stores them, implied by `origin`.
fn both(
    origin: &str,
    source: &str,
    forward: &str,
    backward: &str,
    target: &str,
) -> [RelationRecord; 2] {
    let record = |s: &str, t: &str, ty: &str| RelationRecord {
        origin_ref: origin.into(),
        source_ref: s.into(),
        relation_type: ty.into(),
        target_ref: t.into(),
    };
    [
        record(source, target, forward),
        record(target, source, backward),
    ]
}

const ORG: &str = "group:default/org";
const PAYMENTS: &str = "group:default/payments";
const LEDGER: &str = "group:default/ledger";

/// org ⊃ payments ⊃ ledger; ann in payments and ledger, bob in ledger; ledger owns two
/// components and an API, payments one component that depends on ledger's and on one
/// of a team the catalog does not have.
async fn seeded() -> Vec<TestStore> {
    let entities = vec![
        entity("group", "org", None, None),
        entity("group", "payments", None, None),
        entity("group", "ledger", None, None),
        entity("user", "ann", None, None),
        entity("user", "bob", None, None),
        entity(
            "component",
            "ledger-api-service",
            Some("ledger"),
            Some("money"),
        ),
        entity("component", "ledger-worker", Some("ledger"), None),
        entity("api", "ledger-api", Some("ledger"), Some("money")),
        entity("component", "checkout", Some("payments"), Some("money")),
        entity("component", "stray", Some("ghosts"), None),
    ];
    let c = |name: &str| format!("component:default/{name}");
    let mut relations: Vec<RelationRecord> = Vec::new();
    for (child, parent) in [(PAYMENTS, ORG), (LEDGER, PAYMENTS)] {
        relations.extend(both(child, child, "childOf", "parentOf", parent));
    }
    for (group, user) in [
        (PAYMENTS, "user:default/ann"),
        (LEDGER, "user:default/ann"),
        (LEDGER, "user:default/bob"),
    ] {
        relations.extend(both(user, user, "memberOf", "hasMember", group));
    }
    relations.extend(both(
        &c("checkout"),
        &c("checkout"),
        "dependsOn",
        "dependencyOf",
        &c("ledger-api-service"),
    ));
    relations.extend(both(
        &c("checkout"),
        &c("checkout"),
        "dependsOn",
        "dependencyOf",
        &c("nowhere"),
    ));
    relations.extend(both(
        &c("checkout"),
        &c("checkout"),
        "consumesApi",
        "apiConsumedBy",
        "api:default/ledger-api",
    ));
    relations.extend(both(
        &c("ledger-api-service"),
        &c("ledger-api-service"),
        "providesApi",
        "apiProvidedBy",
        "api:default/ledger-api",
    ));
    let location = LocationRecord {
        location_type: "file".into(),
        target: "/org.yaml".into(),
    };
    let mut stores = test_stores().await;
    for store in &mut stores {
        store
            .apply_location_batch(&location, &entities, &relations)
            .await
            .unwrap();
    }
    stores
}

#[tokio::test]
async fn the_group_tree_is_every_group_and_its_child_of_links() {
    for store in seeded().await {
        let tree = store.group_tree().await.unwrap();
        let names: Vec<_> = tree.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["ledger", "org", "payments"], "{:?}", store.engine());
        assert_eq!(
            tree.links,
            [
                (LEDGER.to_string(), PAYMENTS.to_string()),
                (PAYMENTS.to_string(), ORG.to_string())
            ]
        );
    }
}

#[tokio::test]
async fn members_come_for_the_groups_asked_or_for_all() {
    for store in seeded().await {
        let all = store.group_members(None).await.unwrap();
        assert_eq!(all.len(), 3, "{:?}", store.engine());
        let ledger = store
            .group_members(Some(&[LEDGER.to_uppercase()]))
            .await
            .unwrap();
        let people: Vec<_> = ledger.iter().map(|(_, user)| user.as_str()).collect();
        assert_eq!(people, ["user:default/ann", "user:default/bob"]);
        assert!(
            store
                .group_members(Some(&[ORG.to_string()]))
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn ownership_is_counted_by_owner_and_kind_and_listed_for_several_owners() {
    for store in seeded().await {
        let counts: Vec<_> = store
            .owned_counts()
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.owner_ref, c.kind, c.count))
            .collect();
        assert_eq!(
            counts,
            [
                (
                    "group:default/ghosts".to_string(),
                    "component".to_string(),
                    1
                ),
                (LEDGER.to_string(), "api".to_string(), 1),
                (LEDGER.to_string(), "component".to_string(), 2),
                (PAYMENTS.to_string(), "component".to_string(), 1),
            ],
            "{:?}",
            store.engine()
        );
        let owned = store
            .entities_owned_by(&[LEDGER.to_string(), PAYMENTS.to_string()], 100)
            .await
            .unwrap();
        let listed: Vec<_> = owned
            .iter()
            .map(|e| (e.summary.name.as_str(), e.system_ref.as_deref()))
            .collect();
        assert_eq!(
            listed,
            [
                ("ledger-api", Some("system:default/money")),
                ("checkout", Some("system:default/money")),
                ("ledger-api-service", Some("system:default/money")),
                ("ledger-worker", None),
            ]
        );
        let first = store
            .entities_owned_by(&[LEDGER.to_string()], 1)
            .await
            .unwrap();
        assert_eq!(first.len(), 1, "the limit holds");
        assert!(store.entities_owned_by(&[], 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn dependency_edges_name_the_owner_of_what_they_point_at() {
    for store in seeded().await {
        let edges = store
            .dependency_edges(&["component:default/checkout".to_string()])
            .await
            .unwrap();
        let seen: Vec<_> = edges
            .iter()
            .map(|e| {
                (
                    e.relation_type.as_str(),
                    e.target_ref.as_str(),
                    e.target_kind.as_deref(),
                    e.target_owner.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "consumesApi",
                    "api:default/ledger-api",
                    Some("api"),
                    Some(LEDGER)
                ),
                (
                    "dependsOn",
                    "component:default/ledger-api-service",
                    Some("component"),
                    Some(LEDGER)
                ),
                ("dependsOn", "component:default/nowhere", None, None),
            ],
            "{:?}",
            store.engine()
        );
        // From the other side: who depends on ledger's service.
        let edges = store
            .dependency_edges(&["component:default/ledger-api-service".to_string()])
            .await
            .unwrap();
        let seen: Vec<_> = edges
            .iter()
            .map(|e| (e.relation_type.as_str(), e.target_owner.as_deref()))
            .collect();
        assert_eq!(
            seen,
            [
                ("dependencyOf", Some(PAYMENTS)),
                ("providesApi", Some(LEDGER))
            ]
        );
    }
}

#[tokio::test]
async fn processing_problems_name_failed_reads_conflicts_and_orphans() {
    let now = chrono::Utc::now();
    let lease = std::time::Duration::from_secs(60);
    for store in seeded().await {
        let location = |target: &str| LocationRecord {
            location_type: "file".into(),
            target: target.into(),
        };
        // Another location defines ledger-worker too: a conflict, recorded at its read.
        let other = location("/other.yaml");
        let batch = [entity("component", "ledger-worker", Some("ledger"), None)];
        let outcome = store
            .apply_location_batch(&other, &batch, &[])
            .await
            .unwrap();
        let other_id = store
            .location_by_target("file", "/other.yaml")
            .await
            .unwrap()
            .unwrap()
            .id;
        store
            .claim_location(&other_id, "w", now, lease)
            .await
            .unwrap()
            .unwrap();
        let applied = crate::ReadResult::Applied {
            conflicts: outcome.conflicts,
        };
        assert!(
            store
                .finish_location_read(&other_id, "w", now, now, &applied)
                .await
                .unwrap()
        );
        // The org file's next read fails; its entities stay with the error.
        let org_id = store
            .location_by_target("file", "/org.yaml")
            .await
            .unwrap()
            .unwrap()
            .id;
        store
            .claim_location(&org_id, "w", now, lease)
            .await
            .unwrap()
            .unwrap();
        let failed = crate::ReadResult::Failed {
            error: "line 3: bad YAML".into(),
        };
        assert!(
            store
                .finish_location_read(&org_id, "w", now, now, &failed)
                .await
                .unwrap()
        );
        // A third location's entity is orphaned when its location goes.
        let gone = location("/gone.yaml");
        let batch = [entity("component", "leftover", Some("ledger"), None)];
        store
            .apply_location_batch(&gone, &batch, &[])
            .await
            .unwrap();
        let gone_id = store
            .location_by_target("file", "/gone.yaml")
            .await
            .unwrap()
            .unwrap()
            .id;
        store.delete_location(&gone_id, false).await.unwrap();

        let asked = [
            "component:default/ledger-worker",
            "component:default/leftover",
            "group:default/org",
        ]
        .map(String::from);
        let mut problems: Vec<_> = store
            .processing_problems(&asked)
            .await
            .unwrap()
            .into_iter()
            .map(|p| (p.entity_ref, p.problem, p.location, p.detail))
            .collect();
        problems.sort();
        let row = |e: &str, p: &str, l: &str, d: &str| {
            (e.to_string(), p.to_string(), l.to_string(), d.to_string())
        };
        assert_eq!(
            problems,
            [
                row(
                    "component:default/ledger-worker",
                    "conflict",
                    "/other.yaml",
                    ""
                ),
                row(
                    "component:default/ledger-worker",
                    "error",
                    "/org.yaml",
                    "line 3: bad YAML"
                ),
                row("component:default/leftover", "orphan", "", ""),
                row(
                    "group:default/org",
                    "error",
                    "/org.yaml",
                    "line 3: bad YAML"
                ),
            ],
            "{:?}",
            store.engine()
        );
    }
}

#[tokio::test]
async fn a_cached_answer_lasts_until_the_catalog_changes() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for store in seeded().await {
        let computed = AtomicUsize::new(0);
        let count = || async {
            computed.fetch_add(1, Ordering::SeqCst);
            Ok::<_, crate::StoreError>(store.group_tree().await?.groups.len())
        };
        assert_eq!(*store.cached("groups".into(), count).await.unwrap(), 3);
        assert_eq!(*store.cached("groups".into(), count).await.unwrap(), 3);
        assert_eq!(computed.load(Ordering::SeqCst), 1, "{:?}", store.engine());
        // Another key is another answer; a value of another type under a key is not taken.
        assert_eq!(
            *store
                .cached("other".into(), || async { Ok::<_, crate::StoreError>(7) })
                .await
                .unwrap(),
            7
        );
        let text = store
            .cached("groups".into(), || async {
                Ok::<_, crate::StoreError>("x")
            })
            .await
            .unwrap();
        assert_eq!(*text, "x");
        // A write anywhere in the catalog: computed again.
        let location = LocationRecord {
            location_type: "file".into(),
            target: "/more.yaml".into(),
        };
        store
            .apply_location_batch(&location, &[entity("group", "new-team", None, None)], &[])
            .await
            .unwrap();
        assert_eq!(*store.cached("groups".into(), count).await.unwrap(), 4);
        assert_eq!(computed.load(Ordering::SeqCst), 2);
    }
}

#[tokio::test]
async fn catalog_reads_keep_to_their_selection() {
    use crate::Selection;
    for store in seeded().await {
        let owned = store
            .owners_of_kind("component", Selection::OwnedBy(LEDGER))
            .await
            .unwrap();
        let refs: Vec<_> = owned.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            refs,
            [
                "component:default/ledger-api-service",
                "component:default/ledger-worker"
            ]
        );
        let asked = [
            "Component:default/Checkout".to_string(),
            "component:default/nowhere".to_string(),
        ];
        let found = store
            .owners_of_kind("component", Selection::Refs(&asked))
            .await
            .unwrap();
        assert_eq!(
            found,
            [(
                "component:default/checkout".to_string(),
                Some(PAYMENTS.to_string())
            )]
        );
        assert!(
            store
                .owners_of_kind("component", Selection::Refs(&[]))
                .await
                .unwrap()
                .is_empty()
        );
        let named = store
            .bodies_of_kind("component", Selection::Names(&["STRAY".into()]), 10)
            .await
            .unwrap();
        assert_eq!(named.len(), 1);
        assert_eq!(named[0].0, "component:default/stray");
        let all = store
            .bodies_of_kind("component", Selection::All, 3)
            .await
            .unwrap();
        assert_eq!(all.len(), 3, "the limit holds");
    }
}
