//! Ingestion end to end: locations registered through the API, read from files and URLs,
//! refreshed, with conflicts, errors, orphans, claims and the hostile-input limits; and
//! the `portico catalog` commands.

use crate::support::{TestApp, TestPortal, each_engine_with, portico};
use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::config::OrphanStrategy;
use server::integrations::github::{GithubHost, GithubIntegration};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::oneshot;

/// A portal whose file locations may read `root`.
fn reading(root: &Path, orphans: OrphanStrategy) -> TestPortal {
    TestPortal::new().configure(|c| {
        c.ingest.file_roots = vec![root.to_path_buf()];
        c.ingest.orphan_strategy = orphans;
    })
}

fn component(name: &str, owner: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
    )
}

fn location_entity(name: &str, targets: &[&str]) -> String {
    let targets: String = targets.iter().map(|t| format!("    - {t}\n")).collect();
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: {name}\nspec:\n  targets:\n{targets}"
    )
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn target(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test]
async fn a_registered_file_location_is_browsable_at_once_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir.path().join("catalog-info.yaml"),
        &format!(
            "{}---\n{}",
            component("web", "team-a"),
            component("api", "team-a")
        ),
    );
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        let body = app.register_location("file", &target(&file)).await;
        let id = body["location"]["id"].as_str().unwrap().to_string();
        assert_eq!(body["location"]["type"], "file");
        assert_eq!(body["location"]["target"], target(&file));
        assert_eq!(body["entities"].as_array().unwrap().len(), 2, "{body}");
        // Processed on registration, not on the next loop pass.
        assert!(app.has_entity("component:default/web").await);
        let stored = app
            .store
            .entity_body("component:default/web")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            stored["metadata"]["annotations"]["backstage.io/managed-by-location"],
            format!("file:{}", target(&file))
        );

        let (status, list) = app.get_json("/api/catalog/locations").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            list,
            json!([{ "data": { "id": id, "type": "file", "target": target(&file) } }])
        );
        let (status, one) = app.get_json(&format!("/api/catalog/locations/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["target"], target(&file));
        assert_eq!(one["status"]["entityCount"], 2);
        assert_eq!(one["status"]["lastError"], Value::Null);
        assert!(one["status"]["lastReadAt"].is_string(), "{one}");
        assert!(one["status"]["nextReadAt"].is_string(), "{one}");

        let (status, by_entity) = app
            .get_json("/api/catalog/locations/by-entity/Component/default/web")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(by_entity["id"], id.as_str());

        // Registering it again is a conflict, as in Backstage.
        let (status, error) = app
            .post_json(
                "/api/catalog/locations",
                json!({ "type": "file", "target": target(&file) }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error["error"]["name"], "ConflictError");

        let (status, _) = app.get_json("/api/catalog/locations/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn locations_can_be_moved_with_put_and_queried_by_predicate_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = ["a", "b", "c"].map(|name| {
        write(
            &dir.path().join(format!("{name}.yaml")),
            &component(&format!("moved-{name}"), "team-a"),
        )
    });
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        let id = app.register_location("file", &target(&a)).await["location"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let other = app.register_location("file", &target(&c)).await["location"]["id"]
            .as_str()
            .unwrap()
            .to_string();

        let put = async |id: &str, body: Value| {
            let path = format!("/api/catalog/locations/{id}");
            let response = app.put(&path, "application/json", body.to_string()).await;
            (response.status, response.json())
        };
        let (status, body) = put(&id, json!({ "type": "file", "target": target(&b) })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body,
            json!({ "id": id, "type": "file", "target": target(&b) })
        );
        assert!(
            app.has_entity("component:default/moved-b").await,
            "read at once"
        );
        assert!(!app.has_entity("component:default/moved-a").await);

        let (status, body) = put(&id, json!({ "type": "file", "target": target(&c) })).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(&other));
        let (status, _) = put("nope", json!({ "type": "file", "target": target(&a) })).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, body) = put(&id, json!({ "type": "ftp", "target": "x" })).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

        // Pages of one, oldest first, with the query carried in the cursor.
        let (status, page) = app
            .post_json(
                "/api/catalog/locations/by-query",
                json!({ "limit": 1, "query": { "type": "FILE" } }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["totalItems"], 2);
        assert_eq!(page["items"][0]["id"], id.as_str());
        let cursor = page["pageInfo"]["nextCursor"].as_str().unwrap().to_string();
        let (_, page) = app
            .post_json(
                "/api/catalog/locations/by-query",
                json!({ "cursor": cursor }),
            )
            .await;
        assert_eq!(page["items"][0]["id"], other.as_str());
        assert_eq!(page["pageInfo"], json!({}));

        let (_, page) = app
            .post_json(
                "/api/catalog/locations/by-query",
                json!({ "query": { "$not": { "target": target(&b) } } }),
            )
            .await;
        assert_eq!(
            page["items"],
            json!([{ "id": other, "type": "file", "target": target(&c) }])
        );
        let (status, error) = app
            .post_json(
                "/api/catalog/locations/by-query",
                json!({ "cursor": "not a cursor" }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Malformed cursor")
        );
        let (status, _) = app
            .post_json("/api/catalog/locations/by-query", json!({ "limit": -1 }))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn dry_run_shows_the_entities_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir.path().join("c.yaml"), &component("web", "team-a"));
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        let (status, body) = app
            .post_json(
                "/api/catalog/locations?dryRun=true",
                json!({ "type": "file", "target": target(&file) }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["exists"], false);
        assert_eq!(body["entities"][0]["metadata"]["name"], "web");
        assert!(!app.has_entity("component:default/web").await);
        assert!(app.store.locations().await.unwrap().is_empty());

        // An invalid file is a 400 with the file, line and column.
        let bad = write(
            &dir.path().join("bad.yaml"),
            "kind: Component\nmetadata:\n  name: x y\n",
        );
        let (status, body) = app
            .post_json(
                "/api/catalog/locations?dryRun=true",
                json!({ "type": "file", "target": target(&bad) }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{}:1:1", target(&bad))),
            "{message}"
        );
    })
    .await;
}

#[tokio::test]
async fn file_locations_outside_the_roots_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let outside = write(&dir.path().join("secret.yaml"), &component("secret", "x"));
    write(&root.join("ok.yaml"), &component("ok", "x"));
    each_engine_with(reading(&root, OrphanStrategy::Delete), async |app| {
        let escape = format!("{}/../secret.yaml", root.display());
        let (status, body) = app
            .post_json(
                "/api/catalog/locations?dryRun=true",
                json!({ "type": "file", "target": escape }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("outside")
        );
        // Registered anyway (without dry run), it imports nothing and shows the error.
        let body = app.register_location("file", &target(&outside)).await;
        assert!(body["entities"].as_array().unwrap().is_empty());
        let error = body["status"]["lastError"].as_str().unwrap();
        assert!(error.contains("outside"), "{error}");
        assert!(!app.has_entity("component:default/secret").await);

        let (status, _) = app
            .post_json(
                "/api/catalog/locations",
                json!({ "type": "file", "target": "relative.yaml" }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = app
            .post_json(
                "/api/catalog/locations",
                json!({ "type": "git", "target": "x" }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn nested_location_entities_are_followed_relative_to_their_parent() {
    let dir = tempfile::tempdir().unwrap();
    let root = write(
        &dir.path().join("org/all.yaml"),
        &location_entity("org", &["./teams/a.yaml", "../shared/b.yaml"]),
    );
    write(
        &dir.path().join("org/teams/a.yaml"),
        &format!(
            "{}---\n{}",
            component("a", "team-a"),
            location_entity("a-more", &["deeper/c.yaml", "../all.yaml"])
        ),
    );
    write(
        &dir.path().join("org/teams/deeper/c.yaml"),
        &component("c", "team-c"),
    );
    write(&dir.path().join("shared/b.yaml"), &component("b", "team-b"));
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        let body = app.register_location("file", &target(&root)).await;
        // The cycle back to all.yaml is read once; everything is one batch.
        assert_eq!(body["entities"].as_array().unwrap().len(), 5, "{body}");
        for name in ["a", "b", "c"] {
            assert!(
                app.has_entity(&format!("component:default/{name}")).await,
                "{name}"
            );
        }
        assert!(app.has_entity("location:default/org").await);
        let c = app
            .store
            .entity_body("component:default/c")
            .await
            .unwrap()
            .unwrap();
        let annotations = &c["metadata"]["annotations"];
        assert_eq!(
            annotations["backstage.io/managed-by-origin-location"],
            format!("file:{}", target(&root))
        );
        assert!(
            annotations["backstage.io/managed-by-location"]
                .as_str()
                .unwrap()
                .ends_with("org/teams/deeper/c.yaml")
        );
        let id = body["location"]["id"].as_str().unwrap();
        assert_eq!(app.location_status(id).await["entityCount"], 5);
    })
    .await;
}

#[tokio::test]
async fn a_broken_child_keeps_the_last_good_batch_and_shows_the_error() {
    let dir = tempfile::tempdir().unwrap();
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        // Each engine gets files of its own: this test edits them.
        let engine = format!("{:?}", app.engine());
        let root = write(
            &dir.path().join(format!("{engine}/all.yaml")),
            &format!(
                "{}---\n{}",
                component("web", "team-a"),
                location_entity("more", &["child.yaml"])
            ),
        );
        let child = write(
            &dir.path().join(format!("{engine}/child.yaml")),
            &component("api", "team-a"),
        );
        let body = app.register_location("file", &target(&root)).await;
        let id = body["location"]["id"].as_str().unwrap().to_string();
        assert!(app.has_entity("component:default/api").await);

        // The child becomes invalid and the parent drops web: nothing of it is applied.
        write(
            &child,
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: api\n",
        );
        write(&root, &location_entity("more", &["child.yaml"]));
        let (status, _) = app
            .post_json(
                "/api/catalog/refresh",
                json!({ "entityRef": "component:default/api" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        eprintln!("DEBUG {}", app.location_status(&id).await);
        assert!(
            app.has_entity("component:default/web").await,
            "last good batch stays"
        );
        assert!(app.has_entity("component:default/api").await);
        let status = app.location_status(&id).await;
        let error = status["lastError"].as_str().unwrap();
        assert!(error.contains("child.yaml:1:1"), "{error}");
        assert!(error.contains("spec"), "{error}");

        // Fixed: the batch applies and the error clears; web is now an orphan and goes.
        write(&child, &component("api", "team-b"));
        app.post_json(
            "/api/catalog/refresh",
            json!({ "entityRef": "component:default/api" }),
        )
        .await;
        let status = app.location_status(&id).await;
        assert_eq!(status["lastError"], Value::Null, "{status}");
        assert!(!app.has_entity("component:default/web").await);
        let api = app
            .store
            .entity_body("component:default/api")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(api["spec"]["owner"], "team-b");
    })
    .await;
}

#[tokio::test]
async fn orphans_are_deleted_or_kept_as_configured() {
    for strategy in [OrphanStrategy::Delete, OrphanStrategy::Keep] {
        let dir = tempfile::tempdir().unwrap();
        each_engine_with(reading(dir.path(), strategy), async |app| {
            // Each engine gets files of its own: this test edits them.
            let engine = format!("{:?}", app.engine());
            let file = write(
                &dir.path().join(format!("{engine}/c.yaml")),
                &format!(
                    "{}---\n{}",
                    component("web", "team-a"),
                    component("api", "team-a")
                ),
            );
            let body = app.register_location("file", &target(&file)).await;
            let id = body["location"]["id"].as_str().unwrap().to_string();
            write(&file, &component("web", "team-a"));
            app.post_json(
                "/api/catalog/refresh",
                json!({ "entityRef": "component:default/web" }),
            )
            .await;
            let kept = app.has_entity("component:default/api").await;
            assert_eq!(kept, strategy == OrphanStrategy::Keep, "{strategy:?}");
            assert_eq!(app.location_status(&id).await["entityCount"], 1);
            // Kept orphans carry Backstage's annotation, which a filter finds.
            let orphans = app
                .get_json(
                    "/api/catalog/entities?filter=metadata.annotations.backstage.io/orphan=true",
                )
                .await
                .1;
            let names = |list: &Value| -> Vec<String> {
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["metadata"]["name"].as_str().unwrap().to_string())
                    .collect()
            };
            match strategy {
                OrphanStrategy::Delete => assert!(names(&orphans).is_empty()),
                OrphanStrategy::Keep => assert_eq!(names(&orphans), ["api"]),
            }

            // Deleting the location: its entities go with `delete`, stay with `keep`.
            let response = app.delete(&format!("/api/catalog/locations/{id}")).await;
            assert_eq!(response.status, StatusCode::NO_CONTENT);
            assert_eq!(
                app.has_entity("component:default/web").await,
                strategy == OrphanStrategy::Keep
            );
            if strategy == OrphanStrategy::Keep {
                let (_, web) = app
                    .get_json("/api/catalog/entities/by-name/component/default/web")
                    .await;
                assert_eq!(
                    web["metadata"]["annotations"]["backstage.io/orphan"],
                    "true"
                );
                assert!(
                    web["metadata"]["etag"]
                        .as_str()
                        .unwrap()
                        .ends_with(".orphan"),
                    "{web}"
                );
            }
            let (status, _) = app.get_json(&format!("/api/catalog/locations/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        })
        .await;
    }
}

#[tokio::test]
async fn an_entity_claimed_by_two_locations_is_a_conflict_on_both() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(&dir.path().join("a.yaml"), &component("web", "team-a"));
    let second = write(&dir.path().join("b.yaml"), &component("web", "team-b"));
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        let a = app.register_location("file", &target(&first)).await;
        let b = app.register_location("file", &target(&second)).await;
        let web = app
            .store
            .entity_body("component:default/web")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(web["spec"]["owner"], "team-a", "never overwritten");
        for body in [&a, &b] {
            let id = body["location"]["id"].as_str().unwrap();
            let status = app.location_status(id).await;
            let conflicts = status["conflicts"].as_array().unwrap();
            assert_eq!(conflicts.len(), 1, "{status}");
            assert_eq!(conflicts[0]["entityRef"], "component:default/web");
            assert_eq!(conflicts[0]["ownerTarget"], target(&first));
            assert_eq!(conflicts[0]["rejectedTarget"], target(&second));
        }
        // The entity's page names the location whose copy was refused.
        let (status, html) = app.page("/catalog/default/component/web").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("their copies were refused"), "{html}");
        assert!(html.contains(&target(&second)), "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_refresh_loop_reads_due_locations() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir.path().join("c.yaml"), &component("web", "team-a"));
    each_engine_with(reading(dir.path(), OrphanStrategy::Delete), async |app| {
        let (row, _) = app
            .store
            .add_location("file", &target(&file), chrono::Utc::now())
            .await
            .unwrap();
        let refresh = server::catalog::refresh::RefreshLoop::start(
            app.store.store.clone(),
            app.state.ingester.clone(),
            "test-worker".into(),
            app.state.config.work.poll,
        );
        let mut found = false;
        for _ in 0..50 {
            if app.has_entity("component:default/web").await {
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        refresh.stop().await;
        assert!(found, "the loop read the location");
        let row = app.store.location(&row.id).await.unwrap().unwrap();
        assert!(row.claimed_by.is_none(), "the claim is released");
        assert!(row.next_read_at.unwrap() > chrono::Utc::now() + chrono::TimeDelta::seconds(200));
    })
    .await;
}

// --- URL locations -----------------------------------------------------------------

/// A local catalog host: `/catalog.yaml`, a redirect, a loop, a large and a slow file.
async fn catalog_host() -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let nested = format!(
        "{}---\n{}",
        component("remote", "team-r"),
        location_entity("remote-more", &["teams/x.yaml"])
    );
    let router = Router::new()
        .route("/catalog.yaml", get(move || async move { nested }))
        .route(
            "/teams/x.yaml",
            get(|| async { component("remote-x", "team-r") }),
        )
        .route(
            "/moved",
            get(|| async { axum::response::Redirect::temporary("/catalog.yaml") }),
        )
        .route(
            "/to-metadata",
            get(|| async {
                axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data")
            }),
        )
        .route(
            "/loop",
            get(|| async { axum::response::Redirect::temporary("/loop") }),
        )
        .route("/big.yaml", get(|| async { "#".repeat(64 * 1024) }))
        .route(
            "/slow.yaml",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "x"
            }),
        );
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    (address, tx)
}

/// A portal reading URLs, allowed to reach the test host `allow` on its port.
async fn url_app(allow: Option<SocketAddr>) -> TestApp {
    let portal = TestPortal::new().configure(|c| {
        if let Some(host) = allow {
            c.ingest.url_allow = vec![format!("127.0.0.1/32:{}", host.port()).parse().unwrap()];
        }
        c.ingest.read_timeout = Duration::from_secs(1);
        c.ingest.max_file_bytes = 32 * 1024;
        c.ingest.max_redirects = 3;
    });
    portal.start_sqlite().await
}

#[tokio::test]
async fn url_locations_are_read_with_nested_locations_and_redirects() {
    let (host, _stop) = catalog_host().await;
    let app = url_app(Some(host)).await;
    let body = app
        .register_location("url", &format!("http://{host}/catalog.yaml"))
        .await;
    assert_eq!(body["entities"].as_array().unwrap().len(), 3, "{body}");
    assert!(app.has_entity("component:default/remote-x").await);
    assert_eq!(body["status"]["lastError"], Value::Null);

    let (status, body) = app
        .post_json(
            "/api/catalog/locations?dryRun=true",
            json!({ "type": "url", "target": format!("http://{host}/moved") }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["entities"].as_array().unwrap().len(), 3);

    let (status, body) = app
        .post_json(
            "/api/catalog/analyze-location",
            json!({ "location": { "type": "url", "target": format!("http://{host}/catalog.yaml") } }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["existingEntityFiles"][0]["isRegistered"], true);
    assert_eq!(body["generateEntities"], json!([]));
}

async fn dry_run_error(app: &TestApp, url: &str) -> String {
    let (status, body) = app
        .post_json(
            "/api/catalog/locations?dryRun=true",
            json!({ "type": "url", "target": url }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
    body["error"]["message"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn loopback_private_and_metadata_addresses_are_refused_without_the_allow_list() {
    let (host, _stop) = catalog_host().await;
    let app = url_app(None).await;
    let error = dry_run_error(&app, &format!("http://{host}/catalog.yaml")).await;
    assert!(error.contains("loopback"), "{error}");
    let error = dry_run_error(
        &app,
        &format!("http://localhost:{}/catalog.yaml", host.port()),
    )
    .await;
    assert!(error.contains("loopback"), "{error}");
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/x.yaml",
        "http://[::1]/x.yaml",
        "http://100.64.0.1/x.yaml",
    ] {
        let error = dry_run_error(&app, url).await;
        assert!(
            error.contains("PORTICO_CATALOG_URL_ALLOW"),
            "{url}: {error}"
        );
    }
    // Refused before connecting: nothing listens there, and the error is not a timeout.
    let error = dry_run_error(&app, "http://192.168.255.1:9/x.yaml").await;
    assert!(error.contains("private"), "{error}");
}

/// A stand-in for the GitHub REST API: the files of acme/web at `main`, served raw to
/// requests that carry the token; records each request as `path@ref`.
async fn github_api() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    oneshot::Sender<()>,
) {
    use axum::extract::{Path as UrlPath, Query};
    use axum::http::{HeaderMap, StatusCode as Code};
    use std::collections::HashMap;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = requests.clone();
    let files = HashMap::from([
        (
            "catalog/catalog-info.yaml".to_string(),
            format!(
                "{}---\n{}",
                component("gh-web", "team-g"),
                location_entity("gh-more", &["./more.yaml"])
            ),
        ),
        (
            "catalog/more.yaml".to_string(),
            component("gh-more-x", "team-g"),
        ),
    ]);
    let contents = move |UrlPath((owner, repo, path)): UrlPath<(String, String, String)>,
                         Query(query): Query<HashMap<String, String>>,
                         headers: HeaderMap| {
        let seen = seen.clone();
        let files = files.clone();
        async move {
            let reference = query.get("ref").cloned().unwrap_or_default();
            seen.lock().unwrap().push(format!("{path}@{reference}"));
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            if header("authorization") != Some("Bearer ghp_test") {
                return (Code::UNAUTHORIZED, "Bad credentials".to_string());
            }
            if header("accept") != Some("application/vnd.github.v3.raw") {
                return (Code::UNSUPPORTED_MEDIA_TYPE, "raw only".to_string());
            }
            match files.get(&path) {
                Some(text) if owner == "acme" && repo == "web" && reference == "main" => {
                    (Code::OK, text.clone())
                }
                _ => (Code::NOT_FOUND, "Not Found".to_string()),
            }
        }
    };
    let router = Router::new().route("/repos/{owner}/{repo}/contents/{*path}", get(contents));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    (address, requests, tx)
}

#[tokio::test]
async fn github_blob_urls_are_read_through_the_github_api_with_the_token() {
    let (api, requests, _stop) = github_api().await;
    // No allow-list entry: the API address is the operator's, not the location's.
    // Two hosts, each with its own token: github.com's is `token`, the enterprise
    // host's is always wrong, so a read there proves which token went with it.
    let github_app = |token: &'static str| {
        TestPortal::new().configure(move |c| {
            let host = |host: &str, token: &str| GithubHost {
                host: host.into(),
                api_url: format!("http://{api}"),
                token: Some(server::config::Secret::new(token)),
            };
            c.github = GithubIntegration::new(vec![
                host("github.com", token),
                host("ghe.example.com", "ghp_enterprise_wrong"),
            ]);
        })
    };
    let app = github_app("ghp_test").start_sqlite().await;
    let body = app
        .register_location(
            "url",
            "https://github.com/acme/web/blob/main/catalog/catalog-info.yaml",
        )
        .await;
    assert_eq!(body["entities"].as_array().unwrap().len(), 3, "{body}");
    assert!(app.has_entity("component:default/gh-more-x").await);
    assert_eq!(
        *requests.lock().unwrap(),
        ["catalog/catalog-info.yaml@main", "catalog/more.yaml@main"]
    );

    let error = dry_run_error(&app, "https://github.com/acme/web/blob/main/nothing.yaml").await;
    assert!(
        error.contains("GitHub has no file acme/web nothing.yaml at main"),
        "{error}"
    );

    let error = dry_run_error(
        &app,
        "https://ghe.example.com/acme/web/blob/main/catalog/catalog-info.yaml",
    )
    .await;
    assert!(
        error.contains("401"),
        "the enterprise host's token: {error}"
    );

    let wrong_token = github_app("ghp_wrong").start_sqlite().await;
    let error = dry_run_error(
        &wrong_token,
        "https://github.com/acme/web/blob/main/catalog/catalog-info.yaml",
    )
    .await;
    assert!(
        error.contains("401") && error.contains("github_token"),
        "{error}"
    );
}

#[tokio::test]
async fn redirects_are_bounded_and_each_hop_is_checked() {
    let (host, _stop) = catalog_host().await;
    let app = url_app(Some(host)).await;
    let error = dry_run_error(&app, &format!("http://{host}/loop")).await;
    assert!(error.contains("redirected more than 3 times"), "{error}");
    let error = dry_run_error(&app, &format!("http://{host}/to-metadata")).await;
    assert!(error.contains("metadata"), "{error}");
}

#[tokio::test]
async fn large_and_slow_sources_are_cut_off() {
    let (host, _stop) = catalog_host().await;
    let app = url_app(Some(host)).await;
    let error = dry_run_error(&app, &format!("http://{host}/big.yaml")).await;
    assert!(error.contains("larger than 32768 bytes"), "{error}");
    let started = std::time::Instant::now();
    let error = dry_run_error(&app, &format!("http://{host}/slow.yaml")).await;
    assert!(error.contains("did not answer within 1 s"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(4));
    let error = dry_run_error(&app, &format!("http://{host}/missing.yaml")).await;
    assert!(error.contains("404"), "{error}");
}

// --- Claims ----------------------------------------------------------------------------

#[tokio::test]
async fn two_workers_never_hold_the_same_location() {
    for store in store::testing::test_stores().await {
        let now = chrono::Utc::now();
        for i in 0..40 {
            store
                .add_location("url", &format!("https://example.com/{i}.yaml"), now)
                .await
                .unwrap();
        }
        let claim_all = |worker: &'static str| {
            let store = store.store.clone();
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                while let Some(row) = store
                    .claim_due_location(worker, chrono::Utc::now(), Duration::from_secs(60))
                    .await
                    .unwrap()
                {
                    assert_eq!(row.claimed_by.as_deref(), Some(worker));
                    claimed.push(row.id);
                }
                claimed
            })
        };
        let (a, b) = tokio::join!(claim_all("a"), claim_all("b"));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut all: Vec<String> = a.iter().chain(&b).cloned().collect();
        let total = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            all.len(),
            total,
            "a location was claimed twice ({:?})",
            store.engine()
        );
        assert_eq!(total, 40, "{:?}", store.engine());
        // While claimed, nothing is due; a lapsed claim can be taken over.
        assert!(
            store
                .claim_due_location("c", chrono::Utc::now(), Duration::from_secs(60))
                .await
                .unwrap()
                .is_none()
        );
        let later = chrono::Utc::now() + chrono::TimeDelta::seconds(120);
        assert!(
            store
                .claim_due_location("c", later, Duration::from_secs(60))
                .await
                .unwrap()
                .is_some()
        );
    }
}

// --- CLI -------------------------------------------------------------------------------

#[test]
fn catalog_validate_exits_0_for_valid_files_and_1_with_located_messages() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(&dir.path().join("good.yaml"), &component("web", "team-a"));
    let output = portico()
        .args(["catalog", "validate"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty());

    let bad = write(
        &dir.path().join("bad.yaml"),
        &format!(
            "{}---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: foo bar\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
            component("web", "team-a")
        ),
    );
    let output = portico()
        .args(["catalog", "validate"])
        .arg(&good)
        .arg(&bad)
        .arg(dir.path().join("missing.yaml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let expected = format!(
        "{}:10:1: entity component:default/foo bar: metadata.name",
        bad.display()
    );
    assert!(lines[0].starts_with(&expected), "{stdout}");
    assert!(
        lines[1].contains("missing.yaml: cannot be read"),
        "{stdout}"
    );
}

#[test]
fn catalog_import_writes_to_the_configured_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("portico.db");
    let file = write(
        &dir.path().join("c/catalog-info.yaml"),
        &component("web", "team-a"),
    );
    let output = portico()
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .args(["catalog", "import"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("1 entities imported"), "{stdout}");
    assert!(stdout.contains("the catalog is empty"), "{stdout}");

    let bad = write(&dir.path().join("c/bad.yaml"), "kind: Component\n");
    let output = portico()
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .args(["catalog", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("bad.yaml:1:1"), "{stdout}");
    // The catalog is no longer empty: its indexes stay as they are.
    assert!(!stdout.contains("the catalog is empty"), "{stdout}");

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = store::Store::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        assert!(
            store
                .entity_body("component:default/web")
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(store.locations().await.unwrap().len(), 2);
    });
}
