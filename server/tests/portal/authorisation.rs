//! The authorisation seam: every API operation and every server function asks it.
//!
//! With the seam switched to refuse everyone, each operation of the catalog API (as its
//! OpenAPI document lists them), the render API and each registered server function must
//! answer 401. One that answers anything else did its work without asking.

use crate::support::{TestApp, TestPortal};
use server::identity::Rule;

/// Starts a portal whose seam refuses everything.
async fn refusing_portal() -> TestApp {
    TestPortal::new().seam(Rule::NobodyMay).start_sqlite().await
}

/// Documentation is public: reading it reveals nothing of the catalog.
const PUBLIC_OPERATIONS: [(&str, &str); 4] = [
    ("GET", "/api/catalog/openapi.json"),
    ("GET", "/api/render/schema"),
    ("GET", "/api/scaffolder/v2/openapi.json"),
    ("GET", "/api/insights/openapi.json"),
];

/// GitHub's webhook deliveries prove their sender with a signature, not a sign-in: the
/// seam does not decide them. Unsigned, they do nothing (here no secret is configured).
const SIGNED_OPERATIONS: [(&str, &str); 1] = [("POST", "/api/webhooks/github")];

/// Every operation of an OpenAPI `document` served under `prefix`, with path parameters
/// filled in.
fn operations(document: &str, prefix: &str) -> Vec<(String, String)> {
    let document: serde_json::Value = serde_json::from_str(document).unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let path = path
                    .split('/')
                    .map(|s| if s.starts_with('{') { "x" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                operations.push((method.to_uppercase(), format!("{prefix}{path}")));
            }
        }
    }
    operations
}

/// The catalog API's operations.
fn catalog_operations() -> Vec<(String, String)> {
    let found = operations(
        include_str!("../../src/catalog/api/entities/openapi.json"),
        "/api/catalog",
    );
    assert!(found.len() > 20, "the OpenAPI document lost its paths");
    found
}

/// The scaffolder API's operations.
fn scaffolder_operations() -> Vec<(String, String)> {
    let found = operations(
        include_str!("../../src/scaffolder/openapi.json"),
        "/api/scaffolder/v2",
    );
    assert!(
        found.len() >= 11,
        "the scaffolder's OpenAPI document lost its paths"
    );
    found
}

/// The insights API's operations.
fn insights_operations() -> Vec<(String, String)> {
    let found = operations(include_str!("../../src/insights/openapi.json"), "");
    assert!(
        found.len() >= 3,
        "the insights OpenAPI document lost its paths"
    );
    found
}

#[tokio::test]
async fn every_api_operation_asks_the_seam() {
    let app = refusing_portal().await;
    let mut operations = catalog_operations();
    operations.extend(scaffolder_operations());
    operations.extend(insights_operations());
    operations.push(("POST".into(), "/api/render".into()));
    operations.push(("GET".into(), "/api/render/schema".into()));
    for (method, path) in operations {
        let request = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .header("content-type", "application/json")
            .body("{}");
        let response = request.send().await.unwrap();
        let public = PUBLIC_OPERATIONS.contains(&(method.as_str(), path.as_str()));
        if public {
            assert_eq!(response.status(), 200, "{method} {path} is public");
            continue;
        }
        if SIGNED_OPERATIONS.contains(&(method.as_str(), path.as_str())) {
            assert_eq!(response.status(), 503, "{method} {path} without a secret");
            continue;
        }
        assert_eq!(
            response.status(),
            401,
            "{method} {path} did its work without asking the authorisation seam"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["name"], "AuthenticationError",
            "{method} {path}"
        );
    }
}

/// Arguments each server function accepts, so that the call reaches its body. A new
/// server function must be added here; the test says so.
fn server_function_arguments(name: &str) -> Option<(&'static str, &'static str)> {
    const FORM: &str = "application/x-www-form-urlencoded";
    Some(match name {
        "fetch_home_summary"
        | "start_preview"
        | "preview_registration"
        | "register_entities"
        | "fetch_entities"
        | "resolve_application_spec"
        | "fetch_viewer"
        | "fetch_sign_in_page"
        | "fetch_profile"
        | "fetch_permissions"
        | "fetch_audit"
        | "fetch_providers"
        | "fetch_team_directory"
        | "fetch_insights"
        | "fetch_satisfaction"
        | "fetch_maturity"
        | "fetch_platform"
        | "fetch_delivery_summary"
        | "fetch_nps_prompt"
        | "dismiss_nps" => (FORM, ""),
        "answer_nps" => (FORM, "score=1"),
        "suggest_feature" => (FORM, "title=abc"),
        "rate_task" | "fetch_task_rating_prompt" => (FORM, "id=x&score=1"),
        "rate_docs" => (FORM, "entity=x&score=1"),
        "vote_feature" => (FORM, "id=x&up=true"),
        "fetch_team" | "fetch_person" => (FORM, "namespace=default&name=x"),
        "fetch_template_gallery" | "fetch_tasks" | "search_entity_refs" => (FORM, ""),
        "fetch_wizard" => (FORM, "namespace=default&name=x"),
        "run_template" => (
            FORM,
            "namespace=default&name=x&intent=preview&values%5Bname%5D=x",
        ),
        "fetch_task" | "cancel_task" | "retry_task" => (FORM, "id=x"),
        "create_api_token" => (FORM, "name=ci&read=on&days=30"),
        "revoke_api_token" => (FORM, "id=x"),
        "fetch_entity_page" => (FORM, "namespace=default&kind=component&name=x"),
        "apply_application_field" => (FORM, "yaml=a%3A+1&field=name&value=x"),
        "preview_application" => (FORM, "yaml=a%3A+1"),
        "fetch_catalog" => (
            "application/json",
            r#"{"params":{"kind":null,"q":null,"selected":[],"sort":"Name","descending":false,"offset":0}}"#,
        ),
        _ => return None,
    })
}

/// Server functions anyone may call, signed in or not: who is signed in (an anonymous
/// visitor learns that nobody is), and how to sign in.
const PUBLIC_FUNCTIONS: [&str; 2] = ["fetch_viewer", "fetch_sign_in_page"];

#[tokio::test]
async fn every_server_function_asks_the_seam() {
    let app = refusing_portal().await;
    let functions: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(functions.len() >= 10, "server functions not registered");
    for (path, method) in functions {
        // Paths are `/_server/<name><hash>`.
        let name = path
            .trim_start_matches("/_server/")
            .trim_end_matches(|c: char| c.is_ascii_digit());
        let Some((content_type, body)) = server_function_arguments(name) else {
            panic!("add arguments for the server function {name} ({path}) to this test");
        };
        let response = app
            .client
            .request(method, app.url(path))
            .header("content-type", content_type)
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        if PUBLIC_FUNCTIONS.contains(&name) {
            assert_eq!(status, 200, "{name} is public");
            continue;
        }
        let headers = format!("{:?}", response.headers());
        assert_eq!(
            status,
            401,
            "{name} ({path}) did its work without asking the authorisation seam: {headers} {:?}",
            response.text().await.unwrap_or_default()
        );
    }
}

#[tokio::test]
async fn a_refused_page_says_so_with_its_status() {
    let app = refusing_portal().await;
    let response = app.client.get(app.url("/catalog")).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("Sign in"));
}
