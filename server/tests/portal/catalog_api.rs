//! The entities part of the catalog API, through HTTP, on every engine, against the demo
//! catalog. Shapes and status codes are Backstage's (`@backstage/catalog-client` reads them).

use crate::support::{TestPortal, each_engine_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Backstage's error body: `{"error": {"name", "message"}, "request", "response"}`.
fn assert_error(body: &Value, status: StatusCode, name: &str, needle: &str) {
    assert_eq!(body["error"]["name"], name, "{body}");
    assert_eq!(body["response"]["statusCode"], status.as_u16(), "{body}");
    assert!(body["request"]["url"].is_string(), "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

fn names(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[tokio::test]
async fn by_name_returns_the_entity_with_uid_etag_and_relations() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, entity) = app
            .get_json("/api/catalog/entities/by-name/Component/default/Web-Shop")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(entity["kind"], "Component");
        assert_eq!(entity["metadata"]["name"], "web-shop");
        assert!(entity["metadata"]["uid"].as_str().unwrap().len() >= 32);
        assert!(!entity["metadata"]["etag"].as_str().unwrap().is_empty());
        let relations = entity["relations"].as_array().unwrap();
        assert!(
            relations
                .contains(&json!({"type": "ownedBy", "targetRef": "group:default/checkout-team"})),
            "{relations:?}"
        );
        assert!(
            relations.contains(
                &json!({"type": "dependsOn", "targetRef": "component:default/basket-service"})
            ),
            "{relations:?}"
        );
        // Relations implied by other entities' specs are on the group as well.
        let (_, group) = app
            .get_json("/api/catalog/entities/by-name/group/default/checkout-team")
            .await;
        assert!(
            group["relations"]
                .as_array()
                .unwrap()
                .contains(&json!({"type": "ownerOf", "targetRef": "component:default/web-shop"}))
        );

        let (status, body) = app
            .get_json("/api/catalog/entities/by-name/component/default/nope")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error(&body, status, "NotFoundError", "No entity named 'nope'");
    })
    .await;
}

#[tokio::test]
async fn by_uid_gets_and_deletes_and_unknown_uids_are_404() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (_, entity) = app
            .get_json("/api/catalog/entities/by-name/component/default/web-shop")
            .await;
        let uid = entity["metadata"]["uid"].as_str().unwrap().to_string();
        let (status, by_uid) = app
            .get_json(&format!("/api/catalog/entities/by-uid/{uid}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(by_uid, entity);

        let path = format!("/api/catalog/entities/by-uid/{uid}");
        let deleted = app.delete(&path).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let (status, body) = app
            .get_json(&format!("/api/catalog/entities/by-uid/{uid}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error(&body, status, "NotFoundError", &uid);
        let (status, _) = app
            .get_json("/api/catalog/entities/by-name/component/default/web-shop")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let again = app.delete(&path).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let body = again.json();
        assert_error(
            &body,
            StatusCode::NOT_FOUND,
            "NotFoundError",
            "No entity with uid",
        );
    })
    .await;
}

#[tokio::test]
async fn entities_filters_and_combinations() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, all) = app.get_json("/api/catalog/entities").await;
        assert_eq!(status, StatusCode::OK);
        let total = all.as_array().unwrap().len();
        assert!(total >= 25, "{total}");

        let (_, components) = app
            .get_json("/api/catalog/entities?filter=kind=component")
            .await;
        let components = names(&components);
        assert!(components.contains(&"web-shop".to_string()));
        let (_, services) = app
            .get_json("/api/catalog/entities?filter=kind=Component,spec.type=SERVICE")
            .await;
        let services = names(&services);
        assert!(!services.is_empty() && services.len() < components.len());
        assert!(services.contains(&"basket-service".to_string()));
        assert!(!services.contains(&"web-shop".to_string()));

        // Several values of one key: any of them; repeated filters: any filter.
        let (_, either) = app
            .get_json(
                "/api/catalog/entities?filter=kind=component,spec.type=service,spec.type=website",
            )
            .await;
        let either = names(&either);
        assert!(
            either.contains(&"web-shop".to_string())
                && either.contains(&"basket-service".to_string())
        );
        let (_, or) = app
            .get_json("/api/catalog/entities?filter=kind=group&filter=kind=user")
            .await;
        let (_, groups) = app
            .get_json("/api/catalog/entities?filter=kind=group")
            .await;
        let (_, users) = app.get_json("/api/catalog/entities?filter=kind=user").await;
        assert_eq!(
            or.as_array().unwrap().len(),
            groups.as_array().unwrap().len() + users.as_array().unwrap().len()
        );
        assert!(!users.as_array().unwrap().is_empty());

        // Exists, tags, relations.
        let (_, tagged) = app
            .get_json("/api/catalog/entities?filter=metadata.tags=java")
            .await;
        assert!(names(&tagged).contains(&"payment-service".to_string()));
        let (_, owned) = app
            .get_json("/api/catalog/entities?filter=relations.ownedBy=group:default/checkout-team")
            .await;
        assert!(names(&owned).contains(&"web-shop".to_string()));
        assert!(
            owned
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["spec"]["owner"] == "checkout-team"),
            "{owned}"
        );
        let (_, with_owner) = app
            .get_json("/api/catalog/entities?filter=kind=component,spec.owner")
            .await;
        assert_eq!(with_owner.as_array().unwrap().len(), components.len());
        let (_, none) = app
            .get_json("/api/catalog/entities?filter=kind=component,spec.nosuchfield")
            .await;
        assert_eq!(none, json!([]));

        let (status, body) = app
            .get_json("/api/catalog/entities?filter==component")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, status, "InputError", "Invalid filter");
    })
    .await;
}

#[tokio::test]
async fn entities_fields_order_and_pages() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (_, projected) = app.get_json("/api/catalog/entities?filter=kind=component&fields=metadata.name,kind",
        )
        .await;
        for entity in projected.as_array().unwrap() {
            assert_eq!(entity.as_object().unwrap().len(), 2, "{entity}");
            assert_eq!(entity["metadata"].as_object().unwrap().len(), 1, "{entity}");
        }
        let (_, ordered) = app.get_json("/api/catalog/entities?filter=kind=component&order=desc:metadata.name",
        )
        .await;
        let ordered = names(&ordered);
        let mut expected = ordered.clone();
        expected.sort_by_key(|name| std::cmp::Reverse(name.to_lowercase()));
        assert_eq!(ordered, expected);

        // limit/offset, then `after` from the Link header until the end.
        let (_, page) = app.get_json("/api/catalog/entities?filter=kind=component&order=asc:metadata.name&limit=2&offset=1",
        )
        .await;
        assert_eq!(names(&page), {
            let mut asc = ordered.clone();
            asc.reverse();
            asc[1..3].to_vec()
        });
        let mut collected = Vec::new();
        let mut path =
            "/api/catalog/entities?filter=kind=component&order=asc:metadata.name&limit=3"
                .to_string();
        loop {
            let response = app.get(&path).await;
            let link = response
                .headers
                .get("link")
                .map(|l| l.to_str().unwrap().to_string());
            collected.extend(names(&response.json()));
            let Some(link) = link else { break };
            let query = link
                .trim_start_matches("<?")
                .split('>')
                .next()
                .unwrap()
                .to_string();
            path = format!("/api/catalog/entities?{query}");
            assert!(collected.len() <= ordered.len());
        }
        let mut asc = ordered.clone();
        asc.reverse();
        assert_eq!(collected, asc);

        let (status, body) = app.get_json("/api/catalog/entities?order=sideways:metadata.name").await;
        assert_error(&body, status, "InputError", "asc or desc");
        let (status, body) = app.get_json("/api/catalog/entities?limit=-1").await;
        assert_error(&body, status, "InputError", "limit");
        let (status, body) = app.get_json("/api/catalog/entities?after=garbage!").await;
        assert_error(&body, status, "InputError", "cursor");
    })
    .await;
}

#[tokio::test]
async fn by_query_pages_with_cursors_and_counts() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (_, components) = app.get_json("/api/catalog/entities?filter=kind=component").await;
        let expected = sorted(names(&components));

        let (status, first) = app.get_json("/api/catalog/entities/by-query?filter=kind=component&limit=2&orderField=metadata.name,asc").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(first["totalItems"], expected.len());
        assert!(first["pageInfo"].get("prevCursor").is_none());
        let mut seen = names(&first["items"]);
        let mut cursor = first["pageInfo"]["nextCursor"].as_str().map(str::to_string);
        let mut last_page = first.clone();
        while let Some(next) = cursor {
            let (status, page) = app.get_json(&format!("/api/catalog/entities/by-query?cursor={}", urlencode(&next)),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            assert!(page["pageInfo"]["prevCursor"].is_string());
            assert_eq!(
                page["totalItems"],
                expected.len(),
                "the count travels in the cursor"
            );
            seen.extend(names(&page["items"]));
            cursor = page["pageInfo"]["nextCursor"].as_str().map(str::to_string);
            last_page = page;
        }
        assert_eq!(
            sorted(seen.clone()),
            expected,
            "every component exactly once"
        );
        assert_eq!(
            seen.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>(),
            sorted(expected.iter().map(|s| s.to_lowercase()).collect())
        );
        // prevCursor of the last page gives the page before it.
        let prev = last_page["pageInfo"]["prevCursor"].as_str().unwrap();
        let (_, before) = app.get_json(&format!("/api/catalog/entities/by-query?cursor={}", urlencode(prev)),
        )
        .await;
        assert_eq!(before["items"].as_array().unwrap().len(), 2);

        // Full text, in the named fields, ignoring case; totalItems=exclude gives 0.
        let (_, found) = app.get_json("/api/catalog/entities/by-query?fullTextFilterTerm=BASKET&fullTextFilterFields=metadata.name,metadata.title&totalItems=exclude").await;
        assert!(
            names(&found["items"]).contains(&"basket-service".to_string()),
            "{found}"
        );
        assert!(found["items"].as_array().unwrap().iter().all(|e| {
            e["metadata"]["name"].as_str().unwrap().contains("basket")
                || e["metadata"]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .to_lowercase()
                    .contains("basket")
        }));
        assert_eq!(found["totalItems"], 0);
        let (_, fields) = app.get_json("/api/catalog/entities/by-query?filter=kind=api&fields=metadata.name",
        )
        .await;
        assert_eq!(
            fields["items"][0]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["metadata"]
        );

        for bad in [
            "cursor=%%%",
            "cursor=bm90IGpzb24=",
            "orderField=metadata.name,up",
            "totalItems=maybe",
            "filter==x",
        ] {
            let (status, body) = app.get_json(&format!("/api/catalog/entities/by-query?{bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
            assert_eq!(body["error"]["name"], "InputError", "{bad}: {body}");
        }
    })
    .await;
}

#[tokio::test]
async fn by_query_predicates_page_through_post() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let query =
            json!({"$all": [{"kind": "component"}, {"$not": {"spec.type": {"$in": ["website"]}}}]});
        let (status, first) = app.post_json("/api/catalog/entities/by-query", json!({"query": query, "limit": 1, "orderBy": [{"field": "metadata.name", "order": "asc"}]})).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let total = first["totalItems"].as_u64().unwrap();
        let (_, expected) = app.get_json("/api/catalog/entities?filter=kind=component").await;
        let expected: Vec<String> = sorted(
            expected
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["spec"]["type"] != "website")
                .map(|e| e["metadata"]["name"].as_str().unwrap().to_string())
                .collect(),
        );
        assert_eq!(total as usize, expected.len());
        let mut seen = names(&first["items"]);
        let mut cursor = first["pageInfo"]["nextCursor"].as_str().map(str::to_string);
        while let Some(next) = cursor {
            let (status, page) = app.post_json("/api/catalog/entities/by-query",
                json!({"cursor": next}),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(names(&page["items"]));
            cursor = page["pageInfo"]["nextCursor"].as_str().map(str::to_string);
        }
        assert_eq!(sorted(seen), expected);

        let (status, body) = app.post_json("/api/catalog/entities/by-query",
            json!({"query": {"kind": {"$regex": "."}}}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, status, "InputError", "Invalid query");
        let (status, body) = app.post_json("/api/catalog/entities/by-query",
            json!({"cursor": "garbage"}),
        )
        .await;
        assert_error(&body, status, "InputError", "cursor");
    })
    .await;
}

#[tokio::test]
async fn by_refs_keeps_order_and_gives_null_for_missing() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let refs = json!({"entityRefs": ["group:default/checkout-team", "component:default/nope", "Component:web-shop"], "fields": ["kind", "metadata.name"]});
        let (status, body) = app.post_json("/api/catalog/entities/by-refs", refs.clone()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"items": [
                {"kind": "Group", "metadata": {"name": "checkout-team"}},
                null,
                {"kind": "Component", "metadata": {"name": "web-shop"}},
            ]})
        );
        // With a filter, entities that do not match are null too.
        let (_, filtered) = app.post_json("/api/catalog/entities/by-refs?filter=kind=group",
            refs,
        )
        .await;
        assert_eq!(filtered["items"][0]["kind"], "Group");
        assert_eq!(filtered["items"][2], Value::Null);

        let (status, body) = app.post_json("/api/catalog/entities/by-refs",
            json!({"entityRefs": ["no-kind-here"]}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, status, "InputError", "entity ref");
        let (status, body) = app.post_json("/api/catalog/entities/by-refs", json!({"refs": []})).await;
        assert_error(&body, status, "InputError", "entityRefs");
    })
    .await;
}

#[tokio::test]
async fn ancestry_facets_validation_and_openapi() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, ancestry) = app.get_json("/api/catalog/entities/by-name/component/default/web-shop/ancestry",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(ancestry["rootEntityRef"], "component:default/web-shop");
        assert_eq!(
            ancestry["items"][0]["entity"]["metadata"]["name"],
            "web-shop"
        );
        assert_eq!(ancestry["items"][0]["parentEntityRefs"], json!([]));
        let (status, body) = app.get_json("/api/catalog/entities/by-name/component/default/nope/ancestry",
        )
        .await;
        assert_error(&body, status, "NotFoundError", "nope");

        // Facet counts add up to the entities that have the key.
        let (status, facets) = app.get_json("/api/catalog/entity-facets?facet=spec.lifecycle&facet=kind&filter=kind=component",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (_, components) = app.get_json("/api/catalog/entities?filter=kind=component").await;
        let sum: u64 = facets["facets"]["spec.lifecycle"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["count"].as_u64().unwrap())
            .sum();
        assert_eq!(sum as usize, components.as_array().unwrap().len());
        assert_eq!(
            facets["facets"]["kind"],
            json!([{"value": "Component", "count": components.as_array().unwrap().len()}])
        );
        let (_, posted) = app.post_json("/api/catalog/entity-facets",
            json!({"facets": ["spec.lifecycle"], "query": {"kind": "component"}}),
        )
        .await;
        assert_eq!(
            posted["facets"]["spec.lifecycle"],
            facets["facets"]["spec.lifecycle"]
        );
        let (status, body) = app.get_json("/api/catalog/entity-facets").await;
        assert_error(&body, status, "InputError", "facet");

        // validate-entity: 200 when valid, 400 with {errors} when not.
        let entity = json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
            "metadata": {"name": "ok"}, "spec": {"type": "service", "lifecycle": "production", "owner": "me"}});
        let (status, _) = app.post_json("/api/catalog/validate-entity",
            json!({"entity": entity, "location": "url:https://example.com/x.yaml"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let mut invalid = entity.clone();
        invalid["metadata"]["name"] = json!("not a name");
        let (status, body) = app.post_json("/api/catalog/validate-entity",
            json!({"entity": invalid, "location": "url:x"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let errors = body["errors"].as_array().unwrap();
        assert!(!errors.is_empty());
        assert!(
            errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("metadata.name"),
            "{body}"
        );
        assert!(errors[0]["name"].is_string());
        let (status, body) = app.post_json("/api/catalog/validate-entity",
            json!({"entity": entity}),
        )
        .await;
        assert_error(&body, status, "InputError", "location");

        let (status, openapi) = app.get_json("/api/catalog/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
        let paths: BTreeSet<&str> = openapi["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for path in [
            "/entities",
            "/entities/by-query",
            "/entities/by-refs",
            "/entities/by-uid/{uid}",
            "/entities/by-name/{kind}/{namespace}/{name}",
            "/entities/by-name/{kind}/{namespace}/{name}/ancestry",
            "/entity-facets",
            "/validate-entity",
            "/locations",
            "/locations/by-query",
            "/locations/{id}",
            "/locations/by-entity/{kind}/{namespace}/{name}",
            "/refresh",
            "/analyze-location",
        ] {
            assert!(
                paths.contains(path),
                "{path} missing from the OpenAPI document"
            );
        }
    })
    .await;
}

/// The OpenAPI document as the portal serves it.
async fn document(app: &crate::support::TestApp) -> Value {
    let (status, document) = app.get_json("/api/catalog/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    document
}

/// Follows `{"$ref": "#/components/…"}` in the document.
fn resolve<'d>(document: &'d Value, schema: &'d Value) -> &'d Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let path = reference.trim_start_matches("#/");
            let target = path.split('/').fold(document, |node, key| &node[key]);
            resolve(document, target)
        }
        None => schema,
    }
}

#[tokio::test]
async fn unknown_fields_answer_empty_objects_as_the_document_says() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, all) = app
            .get_json("/api/catalog/entities?fields=nope,metadata.nope")
            .await;
        assert_eq!(status, StatusCode::OK);
        let all = all.as_array().unwrap();
        assert!(all.len() >= 25);
        assert!(all.iter().all(|e| *e == json!({})), "{all:?}");
        let (_, page) = app
            .get_json("/api/catalog/entities/by-query?fields=nope&limit=3")
            .await;
        assert_eq!(page["items"], json!([{}, {}, {}]));

        // The document describes those items as entities with only the fields they have:
        // nothing is required, so `{}` conforms (it used to require apiVersion, kind and
        // metadata, and the fuzzer found the answer violating its schema).
        let document = document(&app).await;
        for (path, pointer) in [
            (
                "/entities",
                "/paths/~1entities/get/responses/200/content/application~1json/schema/items",
            ),
            (
                "/entities/by-query",
                "/paths/~1entities~1by-query/get/responses/200/content/application~1json/schema",
            ),
        ] {
            let mut schema = resolve(&document, document.pointer(pointer).unwrap());
            if path == "/entities/by-query" {
                schema = resolve(&document, &schema["properties"]["items"]["items"]);
            }
            assert!(schema.get("required").is_none(), "{path}: {schema}");
            assert!(
                schema["description"].as_str().unwrap().contains("{}"),
                "{path}"
            );
        }
        // Without `fields` the items are whole entities.
        let (_, whole) = app.get_json("/api/catalog/entities?limit=1").await;
        assert!(whole[0]["metadata"]["name"].is_string());
    })
    .await;
}

#[tokio::test]
async fn a_cursor_that_is_not_a_string_is_refused_clearly() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        for path in [
            "/api/catalog/locations/by-query",
            "/api/catalog/entities/by-query",
        ] {
            for cursor in [json!({}), json!(7), json!(["x"]), json!(true), json!("")] {
                let (status, body) = app
                    .post_json(path, json!({ "cursor": cursor, "limit": 100, "query": {} }))
                    .await;
                assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {cursor}: {body}");
                let expected = if cursor.is_string() {
                    "Malformed cursor"
                } else {
                    "expected a string"
                };
                assert_error(&body, status, "InputError", "cursor");
                assert_error(&body, status, "InputError", expected);
            }
        }
        let (status, body) = app.get_json("/api/catalog/entities/by-query?cursor=").await;
        assert_error(&body, status, "InputError", "cursor");
    })
    .await;
}

/// Found by the API fuzzer: a NUL character in a full-text term made SQLite's full-text
/// index answer "unterminated string" (a 500), and PostgreSQL cannot store one at all.
#[tokio::test]
async fn nul_characters_anywhere_in_a_request_are_400s_not_500s() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        for path in [
            "/api/catalog/entities/by-query?fullTextFilterTerm=p%00Q",
            "/api/catalog/entities?filter=metadata.name=a%00b",
            "/api/catalog/entities/by-uid/a%00b",
            "/api/catalog/entities/by-name/component/default/web%00shop",
        ] {
            let (status, body) = app.get_json(path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
            assert_error(&body, status, "InputError", "NUL character");
        }
        let (status, body) = app
            .post_json(
                "/api/catalog/entities/by-refs",
                json!({"entityRefs": ["component:default/web\u{0}shop"]}),
            )
            .await;
        assert_error(&body, status, "InputError", "entityRefs[0]");
        let (status, body) = app
            .post_json(
                "/api/catalog/entities/by-query",
                json!({"fullTextFilter": {"term": "p\u{0}q"}}),
            )
            .await;
        assert_error(&body, status, "InputError", "NUL character");
    })
    .await;
}

#[tokio::test]
async fn wrong_content_types_and_misfit_bodies_are_backstage_400s_and_documented() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let body = r#"{"entityRefs": ["component:default/web-shop"]}"#;
        // No JSON content type: axum alone would say 415; Backstage says 400.
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let response = app
                .post("/api/catalog/entities/by-refs", content_type, body)
                .await;
            assert_eq!(response.status, StatusCode::BAD_REQUEST, "{content_type}");
            assert_error(
                &response.json(),
                response.status,
                "InputError",
                "Content-Type: application/json",
            );
        }
        let response = app
            .send(app.request(reqwest::Method::POST, "/api/catalog/refresh"))
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST);
        // JSON that does not fit: axum alone would say 422; the message names the field.
        let response = app
            .put(
                "/api/catalog/locations/x",
                "application/json",
                r#"{"type": "file"}"#,
            )
            .await;
        assert_error(
            &response.json(),
            StatusCode::BAD_REQUEST,
            "InputError",
            "missing field `target`",
        );
        for (path, body, needle) in [
            (
                "/api/catalog/entities/by-refs",
                json!({"entityRefs": "component:x"}),
                "entityRefs: invalid type",
            ),
            (
                "/api/catalog/entities/by-query",
                json!({"fullTextFilter": ["term", null]}),
                "fullTextFilter",
            ),
            (
                "/api/catalog/entities/by-query",
                json!({"orderBy": [["metadata.name", "asc"]]}),
                "orderBy",
            ),
            (
                "/api/catalog/entities/by-query",
                json!({"limit": 1.5}),
                "limit",
            ),
            (
                "/api/catalog/entity-facets",
                json!({"facets": "kind"}),
                "facets",
            ),
            (
                "/api/catalog/locations",
                json!(["file", "/x.yaml"]),
                "must be a JSON object",
            ),
            (
                "/api/catalog/analyze-location",
                json!({"location": ["url", "https://x/y"]}),
                "location",
            ),
        ] {
            let (status, error) = app.post_json(path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {error}");
            assert_error(&error, status, "InputError", needle);
        }
        let response = app
            .post("/api/catalog/entities/by-query", "application/json", "{")
            .await;
        assert_error(
            &response.json(),
            StatusCode::BAD_REQUEST,
            "InputError",
            "not valid JSON",
        );

        // The document lists 400 (and the seam's 401/403) for every operation, and no 415
        // or 422 anywhere.
        let document = document(&app).await;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if method == "parameters" || path == "/openapi.json" {
                    continue;
                }
                let responses = operation["responses"].as_object().unwrap();
                for status in ["400", "401", "403"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path} lacks {status}"
                    );
                }
                for status in ["415", "422", "default"] {
                    assert!(
                        !responses.contains_key(status),
                        "{method} {path} has {status}"
                    );
                }
            }
        }
    })
    .await;
}

/// The requests the fuzzer found the portal refusing although the document called them
/// valid. Each now either succeeds, or the document says why it is invalid and the portal
/// refuses it with a 400 that says so too.
#[tokio::test]
async fn requests_valid_per_the_document_are_accepted() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        for path in [
            // Any text is a field to keep; a directive without `:` is a field; a filter
            // statement without `=` only needs its key to exist.
            "/api/catalog/entities?fields=%03%E2%B7%89,o1,,%C2%90K&order=%F2%94%95%A6&limit=147018&filter=N%C2%BE&filter=%C2%97%C2%A7",
            "/api/catalog/entities?order=asc:a:b,,desc:kind&filter=,%20,a=",
            "/api/catalog/entities/by-query?fullTextFilterFields=%C2%97,x&filter=&orderField=0&offset=0&limit=0&fullTextFilterTerm=",
            "/api/catalog/entities/by-query?orderField=%20,desc&totalItems=exclude",
            "/api/catalog/entity-facets?facet=%20&facet=kind",
        ] {
            let (status, body) = app.get_json(path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
        }
        let posts = [
            ("/api/catalog/entities/by-query", json!({"query": {}, "limit": 0, "offset": 0, "orderBy": [], "fullTextFilter": {"term": "", "fields": []}, "fields": [], "totalItems": "include"})),
            // Whole numbers written as floats, one orderBy object, null for absent, keys
            // the document does not name: all fine.
            ("/api/catalog/entities/by-query", json!({"limit": 2.0, "offset": 1.0, "orderBy": {"field": "y"}, "cursor": null, "query": null, "fullTextFilter": null, "totalItems": null, "x": [1]})),
            ("/api/catalog/entities/by-query", json!({"query": {"": 1, "kind": {"$in": []}, "$not": {"spec.type": {"$exists": false}}}})),
            ("/api/catalog/entities/by-refs", json!({"entityRefs": ["a:b", "k:n/x/y:z", "component:web-shop"], "fields": null})),
            ("/api/catalog/entity-facets", json!({"facets": ["kind"], "query": null})),
            ("/api/catalog/locations/by-query", json!({"limit": 0.0, "query": {"type": {"$in": ["url", 1, true]}}, "extra": {}})),
        ];
        for (path, body) in posts {
            let (status, answer) = app.post_json(path, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{path} {body}: {answer}");
        }
        let (_, refs) = app.post_json("/api/catalog/entities/by-refs", json!({"entityRefs": ["a:b", "component:web-shop"]})).await;
        assert_eq!(refs["items"][0], Value::Null);
        assert_eq!(refs["items"][1]["metadata"]["name"], "web-shop");
        // No body at all: the document marks it optional.
        let response = app.send(app.request(reqwest::Method::POST, "/api/catalog/locations/by-query")).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        // A well-formed ref of an entity nobody provides: a documented 404, not a 400.
        let (status, body) = app.post_json("/api/catalog/refresh", json!({"entityRef": "component:default/nope", "authorizationToken": "t"})).await;
        assert_error(&body, status, "NotFoundError", "nope");

        // What the document now calls invalid, the portal refuses, saying why.
        for (path, body, needle) in [
            ("/api/catalog/entities/by-refs", json!({"entityRefs": [""]}), "entity ref"),
            ("/api/catalog/refresh", json!({"entityRef": ""}), "entity ref"),
            ("/api/catalog/entity-facets", json!({}), "missing field `facets`"),
            ("/api/catalog/entity-facets", json!({"facets": []}), "Missing facet"),
            ("/api/catalog/entity-facets", json!({"facets": [""]}), "cannot be empty"),
            ("/api/catalog/entities/by-query", json!({"orderBy": {"field": "", "order": "asc"}}), "needs a field"),
            ("/api/catalog/entities/by-query", json!({"orderBy": {"field": "x", "order": "ASC"}}), "orderBy"),
            ("/api/catalog/entities/by-query", json!({"query": {"$in": ["x"]}}), "unknown operator"),
            ("/api/catalog/locations", json!({"type": "url", "target": ""}), "is not a URL"),
            ("/api/catalog/locations?dryRun=maybe", json!({"type": "url", "target": "https://x/y"}), "dryRun"),
            ("/api/catalog/locations?onConflict=merge", json!({"type": "url", "target": "https://x/y"}), "onConflict"),
            ("/api/catalog/locations/by-query", json!({"limit": 1001}), "limit"),
        ] {
            let (status, error) = app.post_json(path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {error}");
            assert_error(&error, status, "InputError", needle);
        }
        for (path, needle) in [
            ("/api/catalog/entity-facets?facet=", "cannot be empty"),
            ("/api/catalog/entities?filter=%20=x", "not a valid statement"),
            ("/api/catalog/entities?order=up:kind", "asc or desc"),
            ("/api/catalog/entities?order=asc:", "missing the field"),
            ("/api/catalog/entities/by-query?orderField=kind,ASC", "asc or desc"),
            ("/api/catalog/entities?limit=2147483648", "limit"),
            ("/api/catalog/entities?offset=1.5", "offset"),
        ] {
            let (status, error) = app.get_json(path).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {error}");
            assert_error(&error, status, "InputError", needle);
        }
    })
    .await;
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
