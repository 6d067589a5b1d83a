//! Tests of the entity queries (queries.rs), on SQLite and, when `TEST_DATABASE_URL` is
//! set, on PostgreSQL: every test runs the same assertions on every engine.

use crate::testing::{TestStore, test_stores};
use crate::{
    EntityFilter, EntityQuery, EntityRecord, FacetCount, LocationRecord, OrderField,
    RelationRecord, TextFilter, search_rows,
};
use serde_json::{Value, json};

fn record(kind: &str, name: &str, spec: Value, tags: &[&str]) -> EntityRecord {
    EntityRecord {
        entity_ref: format!("{}:default/{}", kind.to_lowercase(), name.to_lowercase()),
        kind: kind.to_lowercase(),
        namespace: "default".into(),
        name: name.into(),
        title: None,
        description: None,
        spec_type: spec["type"].as_str().map(str::to_string),
        lifecycle: spec["lifecycle"].as_str().map(str::to_string),
        owner_ref: None,
        system_ref: None,
        body: json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": kind,
            "metadata": {"name": name, "namespace": "default", "tags": tags,
                         "description": format!("The {name} thing")},
            "spec": spec,
        }),
        etag: format!("etag-{name}"),
    }
}

fn owned_by(name: &str, owner: &str) -> Vec<RelationRecord> {
    let source = format!("component:default/{name}");
    let owner = format!("group:default/{owner}");
    vec![
        RelationRecord {
            origin_ref: source.clone(),
            source_ref: source.clone(),
            relation_type: "ownedBy".into(),
            target_ref: owner.clone(),
        },
        RelationRecord {
            origin_ref: source.clone(),
            source_ref: owner,
            relation_type: "ownerOf".into(),
            target_ref: source,
        },
    ]
}

/// The location `seeded` reads its entities from.
fn seeded_location() -> LocationRecord {
    LocationRecord {
        location_type: "file".into(),
        target: "/catalog.yaml".into(),
    }
}

/// Four components, an API and a group, from one location.
async fn seeded() -> Vec<TestStore> {
    let entities = vec![
        record(
            "Component",
            "Alpha",
            json!({"type": "service", "lifecycle": "Production", "owner": "team-a"}),
            &["java", "web"],
        ),
        record(
            "Component",
            "beta",
            json!({"type": "website", "lifecycle": "experimental", "owner": "team-a"}),
            &["web"],
        ),
        record(
            "Component",
            "gamma",
            json!({"type": "service", "lifecycle": "production", "owner": "team-b"}),
            &[],
        ),
        record(
            "Component",
            "delta",
            json!({"type": "library", "lifecycle": "deprecated"}),
            &["java"],
        ),
        record(
            "API",
            "alpha-api",
            json!({"type": "openapi", "lifecycle": "production", "owner": "team-a"}),
            &[],
        ),
        record(
            "Group",
            "team-a",
            json!({"type": "team", "children": []}),
            &[],
        ),
    ];
    let mut relations = owned_by("alpha", "team-a");
    relations.extend(owned_by("beta", "team-a"));
    relations.extend(owned_by("gamma", "team-b"));
    let location = seeded_location();
    let mut stores = test_stores().await;
    for store in &mut stores {
        store
            .apply_location_batch(&location, &entities, &relations)
            .await
            .unwrap();
    }
    stores
}

fn eq(key: &str, values: &[&str]) -> EntityFilter {
    EntityFilter::Equals {
        key: key.into(),
        values: values.iter().map(|v| v.to_string()).collect(),
    }
}

fn exists(key: &str) -> EntityFilter {
    EntityFilter::Exists { key: key.into() }
}

/// The names (as written) of the entities `filter` selects, sorted.
async fn names(store: &TestStore, filter: EntityFilter) -> Vec<String> {
    let query = EntityQuery {
        filter: Some(filter),
        ..EntityQuery::default()
    };
    let mut names: Vec<String> = store
        .query_entities(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.body["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn search_rows_flatten_scalars_and_string_arrays_lowercased() {
    let rows = search_rows(&json!({
        "kind": "Component",
        "metadata": {"name": "Foo", "tags": ["Java", "java", "web"], "labels": {"Tier": "One"}},
        "spec": {"type": "service", "replicas": 3, "public": true, "nothing": null,
                 "ports": [{"name": "http"}]},
        "relations": [{"type": "ownedBy", "targetRef": "group:default/x"}],
        "status": {"items": []},
    }));
    let pairs: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r.key.as_str(), r.value.as_str(), r.original_value.as_str()))
        .collect();
    assert!(pairs.contains(&("kind", "component", "Component")));
    assert!(pairs.contains(&("metadata.name", "foo", "Foo")));
    assert!(pairs.contains(&("metadata.tags", "java", "Java")));
    assert!(pairs.contains(&("metadata.tags", "web", "web")));
    assert!(pairs.contains(&("metadata.labels.tier", "one", "One")));
    assert!(pairs.contains(&("spec.replicas", "3", "3")));
    assert!(pairs.contains(&("spec.public", "true", "true")));
    assert!(pairs.contains(&("spec.ports.name", "http", "http")));
    // One row per key and lowercased value (the table's primary key).
    assert_eq!(pairs.iter().filter(|p| p.0 == "metadata.tags").count(), 2);
    assert!(
        !pairs
            .iter()
            .any(|p| p.0.starts_with("relations") || p.0.starts_with("status"))
    );
    assert!(!pairs.iter().any(|p| p.0 == "spec.nothing"));
    let long = "x".repeat(2000);
    assert!(search_rows(&json!({"metadata": {"description": long}})).is_empty());
}

/// A NUL character can be in no stored key or value, and PostgreSQL refuses to be asked
/// about one: such filters and terms match nothing instead of failing (found by the API
/// fuzzer as a 500 from SQLite's full-text index).
#[tokio::test]
async fn nul_characters_in_filters_and_terms_match_nothing() {
    for store in seeded().await {
        let engine = store.engine();
        assert!(
            names(&store, eq("kind", &["compo\0nent"])).await.is_empty(),
            "{engine:?}"
        );
        assert!(
            names(&store, eq("spec.ty\0pe", &["service"]))
                .await
                .is_empty(),
            "{engine:?}"
        );
        assert!(
            names(&store, exists("spec.\0")).await.is_empty(),
            "{engine:?}"
        );
        assert_eq!(
            names(&store, eq("kind", &["a\0b", "api"])).await,
            ["alpha-api"],
            "{engine:?}: the other values still count"
        );
        for term in ["p\0q", "alp\0ha"] {
            let query = EntityQuery {
                text: Some(crate::TextFilter {
                    term: term.into(),
                    keys: Vec::new(),
                }),
                ..EntityQuery::default()
            };
            assert!(
                store.query_entities(&query).await.unwrap().is_empty(),
                "{engine:?}"
            );
            assert_eq!(
                store
                    .count_entities(None, query.text.as_ref())
                    .await
                    .unwrap(),
                0
            );
        }
    }
}

#[tokio::test]
async fn filters_match_keys_and_values_ignoring_case() {
    for store in seeded().await {
        let engine = store.engine();
        assert_eq!(
            names(&store, eq("KIND", &["component"])).await,
            ["Alpha", "beta", "delta", "gamma"],
            "{engine:?}"
        );
        assert_eq!(
            names(&store, eq("kind", &["API", "group"])).await,
            ["alpha-api", "team-a"],
            "{engine:?}"
        );
        assert_eq!(
            names(&store, eq("spec.lifecycle", &["PRODUCTION"])).await,
            ["Alpha", "alpha-api", "gamma"],
            "{engine:?}"
        );
        assert_eq!(
            names(&store, eq("metadata.tags", &["java"])).await,
            ["Alpha", "delta"],
            "{engine:?}"
        );
        assert_eq!(
            names(&store, eq("metadata.name", &["ALPHA"])).await,
            ["Alpha"],
            "{engine:?}"
        );
        assert_eq!(
            names(&store, eq("metadata.namespace", &["Default"]))
                .await
                .len(),
            6,
            "{engine:?}"
        );
        assert!(
            names(&store, eq("metadata.namespace", &["other"]))
                .await
                .is_empty(),
            "{engine:?}"
        );
        assert!(
            names(&store, eq("spec.type", &[])).await.is_empty(),
            "{engine:?}"
        );
        // Exists.
        assert_eq!(
            names(&store, exists("spec.owner")).await,
            ["Alpha", "alpha-api", "beta", "gamma"],
            "{engine:?}"
        );
        assert_eq!(names(&store, exists("kind")).await.len(), 6, "{engine:?}");
        // Relations, read from the relations table, type ignoring case.
        assert_eq!(
            names(&store, eq("relations.ownedby", &["group:default/team-a"])).await,
            ["Alpha", "beta"],
            "{engine:?}"
        );
        assert_eq!(
            names(
                &store,
                eq("relations.ownerOf", &["component:default/gamma"])
            )
            .await,
            Vec::<String>::new(),
            "{engine:?}"
        );
        assert_eq!(
            names(&store, exists("relations.ownedBy")).await,
            ["Alpha", "beta", "gamma"],
            "{engine:?}"
        );
        // Combinations.
        let service_or_api = EntityFilter::AnyOf(vec![
            EntityFilter::AllOf(vec![
                eq("kind", &["component"]),
                eq("spec.type", &["service"]),
            ]),
            eq("kind", &["api"]),
        ]);
        assert_eq!(
            names(&store, service_or_api).await,
            ["Alpha", "alpha-api", "gamma"],
            "{engine:?}"
        );
        let not_production = EntityFilter::AllOf(vec![
            eq("kind", &["component"]),
            EntityFilter::Not(Box::new(eq("spec.lifecycle", &["production"]))),
        ]);
        assert_eq!(
            names(&store, not_production).await,
            ["beta", "delta"],
            "{engine:?}"
        );
        assert!(
            names(&store, EntityFilter::AnyOf(vec![])).await.is_empty(),
            "{engine:?}"
        );
        // Values are bound, never spliced into the SQL.
        assert!(
            names(&store, eq("kind", &["x') OR 1=1 --"]))
                .await
                .is_empty(),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn queries_count_order_page_and_search_text() {
    for store in seeded().await {
        let engine = store.engine();
        let components = Some(eq("kind", &["component"]));
        assert_eq!(
            store
                .count_entities(components.as_ref(), None)
                .await
                .unwrap(),
            4,
            "{engine:?}"
        );
        assert_eq!(
            store.count_entities(None, None).await.unwrap(),
            6,
            "{engine:?}"
        );

        let by_name = |descending, offset, limit| EntityQuery {
            filter: components.clone(),
            order: vec![OrderField {
                key: "metadata.name".into(),
                descending,
            }],
            offset,
            limit,
            ..EntityQuery::default()
        };
        let page = |entities: Vec<crate::StoredEntity>| -> Vec<String> {
            entities.into_iter().map(|e| e.entity_ref).collect()
        };
        assert_eq!(
            page(
                store
                    .query_entities(&by_name(false, 0, Some(2)))
                    .await
                    .unwrap()
            ),
            ["component:default/alpha", "component:default/beta"],
            "{engine:?}"
        );
        assert_eq!(
            page(
                store
                    .query_entities(&by_name(false, 2, Some(2)))
                    .await
                    .unwrap()
            ),
            ["component:default/delta", "component:default/gamma"],
            "{engine:?}"
        );
        assert_eq!(
            page(store.query_entities(&by_name(true, 1, None)).await.unwrap()),
            [
                "component:default/delta",
                "component:default/beta",
                "component:default/alpha"
            ],
            "{engine:?}"
        );
        // Entities without the sort key come last in both directions.
        for descending in [false, true] {
            let query = EntityQuery {
                order: vec![OrderField {
                    key: "spec.owner".into(),
                    descending,
                }],
                ..EntityQuery::default()
            };
            let refs = page(store.query_entities(&query).await.unwrap());
            assert_eq!(refs.len(), 6);
            assert!(
                refs[4..].contains(&"component:default/delta".to_string()),
                "{engine:?} {refs:?}"
            );
            assert!(
                refs[4..].contains(&"group:default/team-a".to_string()),
                "{engine:?} {refs:?}"
            );
        }

        let text = |term: &str, keys: &[&str]| TextFilter {
            term: term.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        };
        let search = |text: TextFilter, filter: Option<EntityFilter>| {
            let store = &store;
            async move {
                let mut refs = page(
                    store
                        .query_entities(&EntityQuery {
                            filter,
                            text: Some(text),
                            ..EntityQuery::default()
                        })
                        .await
                        .unwrap(),
                );
                refs.sort();
                refs
            }
        };
        // Without fields, the name is searched (substring, ignoring case).
        assert_eq!(
            search(text("ALPH", &[]), None).await,
            ["api:default/alpha-api", "component:default/alpha"],
            "{engine:?}"
        );
        assert_eq!(
            search(text("alph", &[]), components.clone()).await,
            ["component:default/alpha"],
            "{engine:?}"
        );
        assert_eq!(
            search(
                text("GAMMA THING", &["metadata.description", "spec.type"]),
                None
            )
            .await,
            ["component:default/gamma"],
            "{engine:?}"
        );
        // LIKE wildcards in the term match literally.
        assert!(search(text("%", &[]), None).await.is_empty(), "{engine:?}");
        // So does full-text query syntax (quotes, operators, prefixes) on indexed keys.
        for term in ["al\"pha", "alpha OR beta", "alph*", "NEAR(alpha)", "\"\"\""] {
            assert!(
                search(text(term, &[]), None).await.is_empty(),
                "{engine:?} {term}"
            );
        }
        assert_eq!(
            store
                .count_entities(None, Some(&text("IBRA", &["spec.type"])))
                .await
                .unwrap(),
            1, // "library"
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn entities_are_found_by_ref_and_uid_with_their_relations() {
    for store in seeded().await {
        let engine = store.engine();
        let refs = [
            "group:default/team-a".to_string(),
            "component:default/missing".to_string(),
            "Component:Default/Alpha".to_string(),
        ];
        let found = store.entities_by_refs(&refs).await.unwrap();
        assert_eq!(found.len(), 3, "{engine:?}");
        assert!(found[1].is_none(), "{engine:?}");
        let group = found[0].as_ref().unwrap();
        let alpha = found[2].as_ref().unwrap();
        assert_eq!(alpha.entity_ref, "component:default/alpha");
        assert_eq!(alpha.etag, "etag-Alpha");
        assert_eq!(alpha.body["spec"]["type"], "service");
        // Relations that start at the entity, including those another entity implied.
        assert_eq!(alpha.relations.len(), 1, "{engine:?}");
        assert_eq!(alpha.relations[0].relation_type, "ownedBy");
        assert_eq!(alpha.relations[0].target_ref, "group:default/team-a");
        let mut owned: Vec<&str> = group
            .relations
            .iter()
            .map(|r| r.target_ref.as_str())
            .collect();
        owned.sort();
        assert_eq!(
            owned,
            ["component:default/alpha", "component:default/beta"],
            "{engine:?}"
        );

        let by_uid = store.entity_by_uid(&alpha.uid).await.unwrap().unwrap();
        assert_eq!(&by_uid, alpha, "{engine:?}");
        assert!(store.entity_by_uid("no-such-uid").await.unwrap().is_none());
        let by_ref = store
            .entity_by_ref("COMPONENT:default/alpha")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_ref.uid, alpha.uid, "{engine:?}");
        assert!(
            store
                .entity_by_ref("component:default/nope")
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.entities_by_refs(&[]).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn deleting_by_uid_removes_the_entity_its_rows_and_its_relations() {
    for store in seeded().await {
        let engine = store.engine();
        let alpha = store
            .entity_by_ref("component:default/alpha")
            .await
            .unwrap()
            .unwrap();
        assert!(
            store.delete_entity_by_uid(&alpha.uid).await.unwrap(),
            "{engine:?}"
        );
        assert!(
            !store.delete_entity_by_uid(&alpha.uid).await.unwrap(),
            "{engine:?}"
        );
        assert!(store.entity_by_uid(&alpha.uid).await.unwrap().is_none());
        assert_eq!(
            names(&store, eq("metadata.tags", &["java"])).await,
            ["delta"],
            "{engine:?}"
        );
        let group = store
            .entity_by_ref("group:default/team-a")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            group.relations.len(),
            1,
            "{engine:?}: {:?}",
            group.relations
        );
        let leftover: i64 = crate::on_pool!(store.store, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM search WHERE entity_uid = $1")
                .bind(&alpha.uid)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(leftover, 0, "{engine:?}");
    }
}

#[tokio::test]
async fn facets_count_original_values_of_the_filtered_entities() {
    for store in seeded().await {
        let engine = store.engine();
        let facets = [
            "spec.lifecycle".to_string(),
            "metadata.tags".to_string(),
            "relations.ownedBy".to_string(),
            "spec.nothing".to_string(),
        ];
        let counts = store
            .entity_facets(&facets, Some(&eq("kind", &["component"])))
            .await
            .unwrap();
        let facet = |value: &str, count| FacetCount {
            value: value.into(),
            count,
        };
        assert_eq!(
            counts["spec.lifecycle"],
            [
                facet("Production", 1),
                facet("deprecated", 1),
                facet("experimental", 1),
                facet("production", 1)
            ],
            "{engine:?}"
        );
        assert_eq!(
            counts["metadata.tags"],
            [facet("java", 2), facet("web", 2)],
            "{engine:?}"
        );
        assert_eq!(
            counts["relations.ownedBy"],
            [
                facet("group:default/team-a", 2),
                facet("group:default/team-b", 1)
            ],
            "{engine:?}"
        );
        assert!(counts["spec.nothing"].is_empty(), "{engine:?}");
        let all = store
            .entity_facets(&["kind".to_string()], None)
            .await
            .unwrap();
        assert_eq!(
            all["kind"],
            [facet("Component", 4), facet("API", 1), facet("Group", 1)],
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn rewriting_an_entity_replaces_its_search_rows() {
    for store in seeded().await {
        let engine = store.engine();
        let location = seeded_location();
        let changed = record("Component", "Alpha", json!({"type": "website"}), &["rust"]);
        store
            .apply_location_batch(&location, &[changed], &[])
            .await
            .unwrap();
        assert_eq!(
            names(&store, eq("metadata.tags", &["rust"])).await,
            ["Alpha"],
            "{engine:?}"
        );
        assert!(
            names(&store, eq("metadata.tags", &["java"]))
                .await
                .is_empty(),
            "{engine:?}"
        );
        // The others left the location, so they are gone with their rows.
        assert_eq!(names(&store, exists("kind")).await, ["Alpha"], "{engine:?}");
        // Rebuilding from the stored bodies gives the same answers.
        assert_eq!(store.rebuild_search_index().await.unwrap(), 1);
        assert_eq!(
            names(&store, eq("spec.type", &["website"])).await,
            ["Alpha"],
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn full_text_index_follows_writes_and_deletes() {
    let text = |term: &str, keys: &[&str]| {
        Some(TextFilter {
            term: term.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        })
    };
    for store in seeded().await {
        let engine = store.engine();
        let count = |text: Option<TextFilter>| {
            let store = &store;
            async move {
                store
                    .query_entities(&EntityQuery {
                        text,
                        ..EntityQuery::default()
                    })
                    .await
                    .unwrap()
                    .len()
            }
        };
        // Indexed keys (the trigram index) and a key outside it (a scan) agree.
        assert_eq!(
            count(text("thing", &["metadata.description"])).await,
            6,
            "{engine:?}"
        );
        assert_eq!(
            count(text("A THING", &["metadata.description"])).await,
            5,
            "{engine:?}"
        );
        assert_eq!(
            count(text(
                "thing",
                &["metadata.description", "metadata.namespace"]
            ))
            .await,
            6,
            "{engine:?}"
        );
        assert_eq!(count(text("team-", &["spec.owner"])).await, 4, "{engine:?}");
        // A key's values are matched one by one: SQLite's index keeps an entity's tags one
        // per line, and a term spanning two of them ("java" and "web") matches no tag.
        assert_eq!(
            count(text("java", &["metadata.tags"])).await,
            2,
            "{engine:?}"
        );
        assert_eq!(
            count(text("java\nweb", &["metadata.tags"])).await,
            0,
            "{engine:?}"
        );
        assert_eq!(
            count(text("a\nw", &["metadata.tags"])).await,
            0,
            "{engine:?}"
        );
        assert_eq!(
            count(text("ALPHA", &["metadata.name"])).await,
            2,
            "{engine:?}"
        );

        // A rewrite replaces the indexed values; entities that left the location leave
        // the index with their rows.
        let location = seeded_location();
        let mut renamed = record("Component", "Alpha", json!({"type": "website"}), &[]);
        renamed.body["metadata"]["description"] = json!("Payments ledger");
        store
            .apply_location_batch(&location, &[renamed], &[])
            .await
            .unwrap();
        assert_eq!(
            count(text("thing", &["metadata.description"])).await,
            0,
            "{engine:?}"
        );
        assert_eq!(
            count(text("LEDGER", &["metadata.description"])).await,
            1,
            "{engine:?}"
        );
        // The keys searched are the only ones matched: the word is in no name.
        assert_eq!(
            count(text("ledger", &["metadata.name"])).await,
            0,
            "{engine:?}"
        );
        assert_eq!(count(text("gamma", &[])).await, 0, "{engine:?}");

        // Deleting the entity removes it from the index too.
        let uid = store
            .entity_by_ref("component:default/alpha")
            .await
            .unwrap()
            .unwrap()
            .uid;
        assert!(store.delete_entity_by_uid(&uid).await.unwrap());
        assert_eq!(
            count(text("ledger", &["metadata.description"])).await,
            0,
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn entity_json_built_by_the_database_matches_the_stored_entity() {
    for store in seeded().await {
        let engine = store.engine();
        let query = EntityQuery {
            order: vec![OrderField {
                key: "metadata.name".into(),
                descending: false,
            }],
            ..EntityQuery::default()
        };
        let entities = store.query_entities(&query).await.unwrap();
        let texts = store.query_entity_json(&query).await.unwrap();
        assert_eq!(texts.len(), 6, "{engine:?}");
        for (entity, text) in entities.into_iter().zip(texts) {
            let mut expected = entity.body.clone();
            expected["metadata"]["uid"] = json!(entity.uid);
            expected["metadata"]["etag"] = json!(entity.etag);
            expected["relations"] = entity
                .relations
                .iter()
                .map(|r| json!({"type": r.relation_type, "targetRef": r.target_ref}))
                .collect();
            let actual: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(actual, expected, "{engine:?}");
        }
        // The group owns two components: its relations come from their specs.
        let team: Value = serde_json::from_str(
            &store
                .query_entity_json(&EntityQuery {
                    filter: Some(eq("kind", &["group"])),
                    ..EntityQuery::default()
                })
                .await
                .unwrap()[0],
        )
        .unwrap();
        assert_eq!(
            team["relations"],
            json!([
                {"type": "ownerOf", "targetRef": "component:default/alpha"},
                {"type": "ownerOf", "targetRef": "component:default/beta"},
            ]),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn entity_json_pages_keep_the_query_order() {
    for store in seeded().await {
        let engine = store.engine();
        for (key, descending) in [
            ("spec.owner", true),
            ("metadata.uid", false),
            ("kind", true),
        ] {
            let query = EntityQuery {
                order: vec![OrderField {
                    key: key.into(),
                    descending,
                }],
                offset: 1,
                limit: Some(4),
                ..EntityQuery::default()
            };
            let expected: Vec<String> = store
                .query_entities(&query)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.uid)
                .collect();
            let actual: Vec<String> = store
                .query_entity_json(&query)
                .await
                .unwrap()
                .iter()
                .map(|text| {
                    let entity: Value = serde_json::from_str(text).unwrap();
                    entity["metadata"]["uid"].as_str().unwrap().to_string()
                })
                .collect();
            assert_eq!(actual.len(), 4, "{engine:?} {key}");
            assert_eq!(actual, expected, "{engine:?} {key}");
        }
    }
}

#[test]
fn the_migrations_index_exactly_the_full_text_keys() {
    // The key lists in migrations 0006 (PostgreSQL) and 0022 (SQLite) are SQL text; a key
    // missing there would make indexed searches silently miss that key's values.
    let quoted = |key: &str| format!("'{key}'");
    for (engine, sql) in [
        (
            "sqlite",
            include_str!("../../../migrations/sqlite/0022_entity_text.sql"),
        ),
        (
            "postgres",
            include_str!("../../../migrations/postgres/0006_full_text.sql"),
        ),
    ] {
        let sql = sql.replace("''", "'");
        for (key, _) in crate::stitching::FULL_TEXT_KEYS {
            assert!(sql.contains(&quoted(key)), "{engine}: {key}");
        }
        let listed = sql.matches("'metadata.").count() + sql.matches("'spec.").count();
        let per_list = crate::stitching::FULL_TEXT_KEYS.len();
        assert_eq!(
            listed % per_list,
            0,
            "{engine}: a key list differs from FULL_TEXT_KEYS"
        );
    }
    // SQLite's migration fills the table the way the store does.
    let sqlite = include_str!("../../../migrations/sqlite/0022_entity_text.sql");
    let columns: Vec<&str> = crate::stitching::FULL_TEXT_KEYS
        .iter()
        .map(|(_, column)| *column)
        .collect();
    assert!(
        sqlite.contains(&format!("(rowid, {})", columns.join(", "))),
        "0022 fills other columns than FULL_TEXT_KEYS"
    );
}
