//! The portal's own operability: probes, metrics, request ids, security headers, limits,
//! error shapes, server-side rendering and graceful shutdown.

use crate::support::{TestPortal, each_engine, test_config};
use axum::routing::get;
use reqwest::Method;
use std::time::Duration;

#[tokio::test]
async fn healthz_and_readyz_answer_on_every_engine() {
    each_engine(async |app| {
        let health = app.get("/healthz").await;
        assert_eq!(health.status, 200);
        let ready = app.get("/readyz").await;
        assert_eq!(ready.status, 200, "{:?}", app.store.engine());
        let body = ready.json();
        assert_eq!(body["status"], "ready");
    })
    .await;
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_not_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let unmigrated = store::Store::connect(&url).await.unwrap();
    let mut app = TestPortal::new().start_sqlite().await;
    // Swap in a store that was never migrated.
    app.shut_down();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = server::state::AppState::new(test_config(), unmigrated.clone());
    tokio::spawn(server::serve::serve(
        listener,
        server::http::router(state),
        std::future::pending(),
    ));
    let response = reqwest::get(format!("http://{address}/readyz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["reason"], "database migrations have not been applied");

    unmigrated.close().await;
    let response = reqwest::get(format!("http://{address}/readyz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.json::<serde_json::Value>().await.unwrap()["reason"],
        "database is unreachable"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestPortal::new().start_sqlite().await;
    for _ in 0..3 {
        app.get("/healthz").await;
    }
    app.get("/catalog/default/component/does-not-exist").await;
    let text = app.get("/metrics").await.text();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 3"#),
        "{text}"
    );
    // The route template, not the raw path, is the label.
    assert!(
        text.contains(r#"route="/catalog/{namespace}/{kind}/{name}",status="404""#),
        "{text}"
    );
    assert!(!text.contains("does-not-exist"));
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(
        text.contains(r#"http_request_duration_seconds_count{method="GET",route="/healthz"} 3"#),
        "{text}"
    );
}

#[tokio::test]
async fn every_response_has_a_request_id_and_security_headers() {
    let app = TestPortal::new().start_sqlite().await;
    for path in ["/healthz", "/", "/api/catalog/nope"] {
        let response = app.get(path).await;
        let headers = &response.headers;
        let id = headers
            .get("x-request-id")
            .expect("request id")
            .to_str()
            .unwrap();
        assert_eq!(id.len(), 36, "{path}: {id}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(headers.contains_key("referrer-policy"), "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
    // A request id sent by a proxy is kept.
    let request = app
        .request(Method::GET, "/healthz")
        .header("x-request-id", "abc-123");
    let response = app.send(request).await;
    assert_eq!(response.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn pages_carry_a_nonce_based_policy_that_allows_the_hydration_script() {
    let app = TestPortal::new().start_sqlite().await;
    let response = app.get("/").await;
    let csp = response.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("nonce in CSP");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(
        html.contains(&format!(r#"nonce="{nonce}""#)),
        "the hydration script carries the nonce"
    );
    assert!(csp.contains("'wasm-unsafe-eval'"));
    // A fresh nonce per response.
    let again = app.get("/").await;
    assert!(
        !again.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(nonce)
    );
}

#[tokio::test]
async fn pages_render_on_the_server_with_their_data() {
    each_engine(async |app| {
        // Empty portal: the first-run page says how to register entities.
        let html = app.get("/").await.text();
        assert!(html.contains("Your catalog is empty"), "{html}");

        server::catalog::demo::load(&app.store).await.unwrap();
        let html = app.get("/").await.text();
        assert!(html.contains("Recently changed"), "{html}");
        let total = app.store.entity_count().await.unwrap();
        assert!(
            html.contains(&format!("{total} entities, owned by your teams")),
            "{html}"
        );
        let html = app.get("/catalog?kind=component").await.text();
        assert!(html.contains("Basket Service"));
        assert!(!html.contains("Checkout API"), "only components are listed");
        let page = app.get("/catalog/default/component/web-shop").await;
        assert_eq!(page.status, 200);
        let html = page.text();
        assert!(html.contains("The Next.js storefront"));
        assert!(html.contains("consumesApi"));
    })
    .await;
}

#[tokio::test]
async fn unknown_pages_and_entities_are_404_pages() {
    let app = TestPortal::new().start_sqlite().await;
    for path in ["/no-such-page", "/catalog/default/component/ghost"] {
        let response = app.get(path).await;
        assert_eq!(response.status, 404, "{path}");
        let html = response.text();
        assert!(html.contains("Not found"), "{path}: {html}");
    }
}

#[tokio::test]
async fn api_errors_use_backstages_shape_without_internals() {
    let app = TestPortal::new().start_sqlite().await;
    let response = app.get("/api/catalog/no-such-endpoint").await;
    assert_eq!(response.status, 404);
    let body = response.json();
    assert_eq!(body["error"]["name"], "NotFoundError");
    assert_eq!(body["request"]["method"], "GET");
    assert_eq!(body["request"]["url"], "/api/catalog/no-such-endpoint");
    assert_eq!(body["response"]["statusCode"], 404);
}

#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    let extra = axum::Router::new().route(
        "/test/echo",
        axum::routing::post(|body: String| async move { body }),
    );
    let app = TestPortal::new().routes(extra).start_sqlite().await;
    let limit = app.state.config.max_body_bytes;
    let echo = |body: String| app.request(Method::POST, "/test/echo").body(body);
    let ok = app.send(echo("x".repeat(100))).await;
    assert_eq!(ok.status, 200);
    let big = app.send(echo("x".repeat(limit + 1))).await;
    assert_eq!(big.status, 413);
}

#[tokio::test]
async fn panics_become_a_plain_500() {
    let extra = axum::Router::new().route(
        "/test/panic",
        get(|| async {
            if true {
                panic!("secret detail");
            }
            ""
        }),
    );
    let app = TestPortal::new().routes(extra).start_sqlite().await;
    let response = app.get("/test/panic").await;
    assert_eq!(response.status, 500);
    assert!(!response.text().contains("secret detail"));
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let extra = axum::Router::new().route(
        "/test/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            "finished"
        }),
    );
    let mut app = TestPortal::new().routes(extra).start_sqlite().await;
    let url = app.url("/test/slow");
    let client = app.client.clone();
    let in_flight =
        tokio::spawn(async move { client.get(url).send().await.unwrap().text().await.unwrap() });
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.shut_down();
    assert_eq!(in_flight.await.unwrap(), "finished");
    tokio::time::timeout(Duration::from_secs(5), &mut app.server)
        .await
        .expect("server stops")
        .unwrap()
        .unwrap();
    // New connections are refused once it has stopped.
    assert!(reqwest::get(app.url("/healthz")).await.is_err());
}

#[tokio::test]
async fn shutdown_stops_waiting_for_requests_after_the_grace_period() {
    let store = store::testing::sqlite().await;
    let state = server::state::AppState::new(test_config(), store.store.clone());
    let extra = axum::Router::new().route(
        "/test/stuck",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "never"
        }),
    );
    let router = server::http::router_with(state, extra);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve::serve_with_grace(
        listener,
        router,
        async {
            let _ = rx.await;
        },
        Duration::from_millis(300),
    ));
    tokio::spawn(reqwest::get(format!("http://{address}/test/stuck")));
    tokio::time::sleep(Duration::from_millis(100)).await;
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server gives up on the stuck request after the grace period")
        .unwrap()
        .unwrap();
}

/// `cargo xtask` names the bundle by content and lists the names in the site's hash.txt:
/// pages link those names, and the files are cached for good (a new build has new names).
#[tokio::test]
async fn a_built_site_is_linked_by_content_names_that_browsers_keep() {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    std::fs::write(
        site.path().join("hash.txt"),
        "js: 0123456789abcdef\nwasm: fedcba9876543210\ncss: 00112233aabbccdd\n",
    )
    .unwrap();
    for file in [
        "portico.0123456789abcdef.js",
        "portico.fedcba9876543210.wasm",
        "portico.00112233aabbccdd.css",
        "portico.css",
    ] {
        std::fs::write(pkg.join(file), "/* bundle */").unwrap();
    }
    let app = portal_on_site(site.path()).await;

    let html = app.get("/").await.text();
    for linked in [
        r#"href="/pkg/portico.00112233aabbccdd.css""#,
        r#"href="/pkg/portico.0123456789abcdef.js""#,
        r#"href="/pkg/portico.fedcba9876543210.wasm""#,
    ] {
        assert!(html.contains(linked), "{linked} in {html}");
    }
    let wasm = app.get("/pkg/portico.fedcba9876543210.wasm").await;
    assert_eq!(wasm.status, 200);
    assert_eq!(
        wasm.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // The plain name (pages outside Leptos link it) may change under the same name.
    let plain = app.get("/pkg/portico.css").await;
    assert_eq!(plain.status, 200);
    assert!(plain.headers.get("cache-control").is_none());
}

/// Without a hash.txt (a site built some other way, or none) pages link the plain names.
#[tokio::test]
async fn without_a_hash_file_pages_link_the_plain_names() {
    let site = tempfile::tempdir().unwrap();
    let app = portal_on_site(site.path()).await;
    let html = app.get("/").await.text();
    assert!(html.contains(r#"href="/pkg/portico.css""#), "{html}");
    assert!(html.contains(r#"href="/pkg/portico.wasm""#), "{html}");
}

async fn portal_on_site(site_root: &std::path::Path) -> crate::support::TestApp {
    let root = site_root.to_path_buf();
    TestPortal::new()
        .configure(|config| config.site_root = root)
        .start_sqlite()
        .await
}
