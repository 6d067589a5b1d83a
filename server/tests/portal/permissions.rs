//! Who may do what (issue 10), with the product's default policy and configured admins:
//! every write route and server function × (anonymous, non-owner, owner through a team,
//! owner through a child team, owning user, admin) → the status each must answer, on
//! both databases. Messages say what is missing.

use crate::support::{TestApp, TestPortal, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

/// Extra entities with owners of every sort, registered by the operator (file location).
pub(crate) const OWNED: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: org-wide
spec:
  type: service
  lifecycle: production
  owner: group:default/acme
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: alans-tool
spec:
  type: tool
  lifecycle: experimental
  owner: user:default/alan.turing
";

pub(crate) fn portal() -> TestPortal {
    let policy = identity::Policy::from_value(json!({
        "admins": ["group:default/platform"],
    }))
    .unwrap();
    TestPortal::new().demo_catalog().policy(policy)
}

/// Who asks: a cookie of a guest sign-in, or nobody.
pub(crate) struct Callers {
    pub anonymous: String,
    /// Grace: checkout-team, a child of acme.
    pub grace: String,
    /// Alan: catalog-team and data-team.
    pub alan: String,
    /// Ada: platform, the admins.
    pub ada: String,
}

pub(crate) async fn callers(app: &TestApp) -> Callers {
    Callers {
        anonymous: String::new(),
        grace: sign_in(app, "user:default/grace.hopper").await,
        alan: sign_in(app, "user:default/alan.turing").await,
        ada: sign_in(app, "user:default/ada.lovelace").await,
    }
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn sign_in(app: &TestApp, user: &str) -> String {
    let response = client()
        .post(app.url("/auth/guest"))
        .header("origin", format!("http://{}", app.address))
        .form(&[("user", user)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{user}");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portico_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap()
}

/// Calls the server function `name` as a browser form post would, with `credentials`: a
/// session cookie, `Bearer …`, or nothing (empty).
pub(crate) async fn server_fn(
    app: &TestApp,
    credentials: &str,
    name: &str,
    form: &str,
) -> (StatusCode, Value) {
    let path = leptos::server_fn::axum::server_fn_paths()
        .find(|(path, _)| {
            path.trim_start_matches("/_server/")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                == name
        })
        .unwrap_or_else(|| panic!("no server function {name}"))
        .0;
    let mut request = client()
        .post(app.url(path))
        .header("origin", format!("http://{}", app.address))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string());
    if credentials.starts_with("Bearer ") {
        request = request.header(reqwest::header::AUTHORIZATION, credentials);
    } else if !credentials.is_empty() {
        request = request.header(COOKIE, credentials);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Sends `method path` (with a JSON body) as `cookie`, from the portal's own pages.
pub(crate) async fn call(
    app: &TestApp,
    cookie: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(method.parse().unwrap(), app.url(path))
        .header("origin", format!("http://{}", app.address));
    if !cookie.is_empty() {
        request = request.header(COOKIE, cookie);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub(crate) async fn uid(app: &TestApp, cookie: &str, name: &str) -> String {
    let (status, body) = call(
        app,
        cookie,
        "GET",
        &format!("/api/catalog/entities/by-name/component/default/{name}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{name}: {body}");
    body["metadata"]["uid"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn reading_needs_a_sign_in_by_default() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let (status, body) = call(&app, &who.anonymous, "GET", "/api/catalog/entities", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["name"], "AuthenticationError");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sign in"),
            "{body}"
        );
        let (status, _) = call(&app, &who.alan, "GET", "/api/catalog/entities", None).await;
        assert_eq!(status, StatusCode::OK);
        let page = client().get(app.url("/catalog")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::UNAUTHORIZED);
        assert!(
            page.text().await.unwrap().contains("/sign-in"),
            "the page offers to sign in"
        );
    })
    .await;
}

#[tokio::test]
async fn only_owners_and_admins_unregister_an_entity() {
    each_engine_with(portal(), async |app| {
        app.import_yaml("/tmp/owned.yaml", OWNED).await;
        let who = callers(&app).await;
        // (entity, caller, expected status)
        let matrix = [
            ("web-shop", &who.anonymous, StatusCode::UNAUTHORIZED),
            ("web-shop", &who.alan, StatusCode::FORBIDDEN),
            ("basket-service", &who.grace, StatusCode::NO_CONTENT), // owner through her team
            ("org-wide", &who.alan, StatusCode::NO_CONTENT),        // owner through a child team
            ("alans-tool", &who.grace, StatusCode::FORBIDDEN),
            ("alans-tool", &who.alan, StatusCode::NO_CONTENT), // the owning user
            ("products-service", &who.ada, StatusCode::NO_CONTENT), // an admin
        ];
        for (name, cookie, expected) in matrix {
            let uid = uid(&app, &who.ada, name).await;
            let (status, body) = call(
                &app,
                cookie,
                "DELETE",
                &format!("/api/catalog/entities/by-uid/{uid}"),
                None,
            )
            .await;
            assert_eq!(status, expected, "{name}: {body}");
            if status == StatusCode::FORBIDDEN {
                assert_eq!(body["error"]["name"], "NotAllowedError");
                let message = body["error"]["message"].as_str().unwrap();
                assert!(
                    message.contains("Only the owners of component:default/"),
                    "{message}"
                );
                assert!(message.contains("and admins may"), "{message}");
            }
        }
    })
    .await;
}

#[tokio::test]
async fn refreshing_an_entity_is_for_its_owners_and_admins() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let body = json!({"entityRef": "component:default/web-shop"});
        for (cookie, expected) in [
            (&who.anonymous, StatusCode::UNAUTHORIZED),
            (&who.alan, StatusCode::FORBIDDEN),
            (&who.grace, StatusCode::OK),
            (&who.ada, StatusCode::OK),
        ] {
            let (status, answer) = call(
                &app,
                cookie,
                "POST",
                "/api/catalog/refresh",
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, expected, "{answer}");
        }
    })
    .await;
}

#[tokio::test]
async fn anyone_signed_in_registers_and_the_registrant_is_recorded() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let location = json!({"type": "url", "target": "https://example.com/catalog-info.yaml"});
        let (status, _) = call(
            &app,
            &who.anonymous,
            "POST",
            "/api/catalog/locations",
            Some(location.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = call(
            &app,
            &who.grace,
            "POST",
            "/api/catalog/locations",
            Some(location),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["location"]["id"].as_str().unwrap().to_string();
        let row = app.store.store.location(&id).await.unwrap().unwrap();
        assert_eq!(
            row.registered_by.as_deref(),
            Some("user:default/grace.hopper")
        );

        // It provides nothing (the URL cannot be read here): its registrant may remove
        // it, others may not, admins may.
        let path = format!("/api/catalog/locations/{id}");
        assert_eq!(
            call(&app, &who.alan, "DELETE", &path, None).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call(&app, &who.anonymous, "DELETE", &path, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            call(&app, &who.grace, "DELETE", &path, None).await.0,
            StatusCode::NO_CONTENT
        );
    })
    .await;
}

#[tokio::test]
async fn a_location_is_changed_by_those_who_own_all_it_provides() {
    each_engine_with(portal(), async |app| {
        app.import_yaml("/tmp/owned.yaml", OWNED).await;
        let who = callers(&app).await;
        let location = app
            .store
            .store
            .location_by_target("test", "/tmp/owned.yaml")
            .await
            .unwrap()
            .unwrap();
        // org-wide is acme's (Alan is in it through his teams), alans-tool is Alan's.
        let path = format!("/api/catalog/locations/{}", location.id);
        let (status, body) = call(&app, &who.grace, "DELETE", &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Only the owners of every entity"),
            "{body}"
        );
        let (status, _) = call(&app, &who.alan, "DELETE", &path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    })
    .await;
}

#[tokio::test]
async fn the_register_page_needs_a_sign_in() {
    let app = portal().start_sqlite().await;
    let who = callers(&app).await;
    let path = leptos::server_fn::axum::server_fn_paths()
        .find(|(path, _)| path.contains("register_entities"))
        .unwrap()
        .0;
    let register = |cookie: String| {
        let mut request = client()
            .post(app.url(path))
            .header("origin", format!("http://{}", app.address))
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("url=https%3A%2F%2Fexample.com%2Fc.yaml");
        if !cookie.is_empty() {
            request = request.header(COOKIE, cookie);
        }
        request.send()
    };
    assert_eq!(
        register(who.anonymous.clone()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let signed_in = register(who.alan.clone()).await.unwrap().status();
    assert_ne!(signed_in, StatusCode::UNAUTHORIZED);
    assert_ne!(signed_in, StatusCode::FORBIDDEN);
}

/// A team someone makes up to become an admin: a child of the admins' group, with
/// themselves as its member.
const SELF_MADE_TEAM: &str = "apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: self-made
spec:
  type: team
  parent: platform
  children: []
  members: [grace.hopper]
";

#[tokio::test]
async fn people_and_teams_come_only_from_locations_the_operators_add() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("team.yaml");
    std::fs::write(&file, SELF_MADE_TEAM).unwrap();
    let root = dir.path().to_path_buf();
    let portal = portal().configure(move |c| c.ingest.file_roots = vec![root]);
    each_engine_with(portal, async |app| {
        let who = callers(&app).await;
        let location = json!({"type": "file", "target": file.display().to_string()});
        // A dry run refuses what registering would.
        let (status, body) = call(
            &app,
            &who.grace,
            "POST",
            "/api/catalog/locations?dryRun=true",
            Some(location.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            body.to_string()
                .contains("User and Group entities decide who may change what"),
            "{body}"
        );
        let (_, body) = call(
            &app,
            &who.grace,
            "POST",
            "/api/catalog/locations",
            Some(location),
        )
        .await;
        assert!(
            body.to_string()
                .contains("User and Group entities decide who may change what"),
            "{body}"
        );
        assert!(!app.has_entity("group:default/self-made").await);
        // Signing in again, Grace is no admin: products-service is still not hers.
        let grace = sign_in(&app, "user:default/grace.hopper").await;
        let products = uid(&app, &grace, "products-service").await;
        let path = format!("/api/catalog/entities/by-uid/{products}");
        assert_eq!(
            call(&app, &grace, "DELETE", &path, None).await.0,
            StatusCode::FORBIDDEN
        );
        // The operators' import reads the same file.
        app.import_yaml("/tmp/team.yaml", SELF_MADE_TEAM).await;
        assert!(app.has_entity("group:default/self-made").await);
    })
    .await;
}
