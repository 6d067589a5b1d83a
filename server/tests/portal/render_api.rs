//! `POST /api/render` and `GET /api/render/schema` through HTTP.

use crate::support::{TestApp, TestPortal, TestResponse};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::io::Read;

const NEXTJS: &str = include_str!("../../../crates/render/tests/specs/nextjs.yaml");

const BAD_SPEC: &str = "apiVersion: platform.company.com/v1
kind: Application
metadata:
  name: shop
spec:
  language: cobol
  scaling:
    min_replicas: 12
    max_replicas: 10
";

async fn app() -> TestApp {
    TestPortal::new().start_sqlite().await
}

/// POSTs a spec to `/api/render{query}`.
async fn post(app: &TestApp, query: &str, content_type: &str, body: &str) -> TestResponse {
    app.post(
        &format!("/api/render{query}"),
        content_type,
        body.to_string(),
    )
    .await
}

fn paths(json: &Value) -> Vec<String> {
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn yaml_in_json_out() {
    let app = app().await;
    let response = post(&app, "", "application/yaml", NEXTJS).await;
    assert_eq!(response.status, StatusCode::OK);
    let json: Value = response.json();
    assert_eq!(json["errors"], Value::Array(vec![]));
    assert_eq!(json["violations"], Value::Array(vec![]));
    let expected = render::render(
        &render::parse_spec(NEXTJS).unwrap(),
        &render::RenderOptions::default(),
    )
    .unwrap();
    assert_eq!(
        json["files"],
        serde_json::to_value(&expected.files).unwrap()
    );
    assert!(paths(&json).contains(&"Dockerfile".to_string()));
}

#[tokio::test]
async fn json_spec_and_text_yaml_and_env() {
    let app = app().await;
    let spec: Value = serde_yaml_ng::from_str(NEXTJS).unwrap();
    let response = post(
        &app,
        "?env=staging&format=json",
        "application/json",
        &spec.to_string(),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    let json: Value = response.json();
    let files = paths(&json);
    assert!(
        files
            .iter()
            .any(|p| p.starts_with("deploy/k8s/overlays/staging/"))
    );
    assert!(
        !files
            .iter()
            .any(|p| p.starts_with("deploy/k8s/overlays/production/"))
    );

    let response = post(&app, "", "text/yaml; charset=utf-8", NEXTJS).await;
    assert_eq!(response.status, StatusCode::OK);

    let response = post(&app, "?env=moon", "application/yaml", NEXTJS).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let json: Value = response.json();
    assert!(
        json["error"]["message"].as_str().unwrap().contains("moon"),
        "{json}"
    );
}

#[tokio::test]
async fn spec_errors_are_422_with_every_path() {
    let app = app().await;
    for format in ["json", "zip", "tar"] {
        let response = post(
            &app,
            &format!("?format={format}"),
            "application/yaml",
            BAD_SPEC,
        )
        .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        let json: Value = response.json();
        assert_eq!(json["files"], Value::Array(vec![]));
        assert_eq!(json["violations"], Value::Array(vec![]));
        let errors: Vec<&str> = json["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
                e["path"].as_str().unwrap()
            })
            .collect();
        assert!(errors.contains(&"spec.language"), "{errors:?}");
        assert!(errors.contains(&"spec.scaling.min_replicas"), "{errors:?}");
    }
    let response = post(&app, "", "application/yaml", "spec: [unclosed").await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let json: Value = response.json();
    assert_eq!(json["errors"][0]["path"], "<document>");
}

#[tokio::test]
async fn free_text_that_would_inject_is_422_naming_the_field() {
    // Issue 8, item 3: a newline in `system` used to reach every manifest's
    // labels and answer 500.
    let app = app().await;
    for (field, value) in [
        ("system", r#""shop\nevil: 1""#),
        ("owner", r#"'team", leak = "${file("/etc/passwd")}'"#),
    ] {
        let spec = NEXTJS.replacen("spec:\n", &format!("spec:\n  {field}: {value}\n"), 1);
        let response = post(&app, "", "application/yaml", &spec).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let json: Value = response.json();
        assert_eq!(json["files"], Value::Array(vec![]));
        assert_eq!(json["errors"][0]["path"], format!("spec.{field}"));
    }
}

#[tokio::test]
async fn bad_requests_say_what_to_send() {
    let app = app().await;
    let response = post(&app, "", "text/plain", NEXTJS).await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let json: Value = response.json();
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/yaml")
    );

    let response = post(&app, "", "application/yaml", "  \n").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);

    let response = post(&app, "?format=rar", "application/yaml", NEXTJS).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let json: Value = response.json();
    assert!(json["error"]["message"].as_str().unwrap().contains("rar"));
}

async fn json_files(app: &TestApp) -> Vec<(String, String)> {
    let json: Value = post(app, "", "application/yaml", NEXTJS).await.json();
    json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["contents"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn zip_download_holds_the_same_files() {
    let app = app().await;
    let response = post(&app, "?format=zip", "application/yaml", NEXTJS).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/zip");
    assert_eq!(
        response.headers["content-disposition"],
        "attachment; filename=\"my-web-app.zip\""
    );
    let bytes = response.body;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut found = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let mut contents = String::new();
        entry.read_to_string(&mut contents).unwrap();
        found.push((entry.name().to_string(), contents));
    }
    assert_eq!(found, json_files(&app).await);

    // Deterministic: the same spec gives the same bytes.
    let again = post(&app, "?format=zip", "application/yaml", NEXTJS)
        .await
        .body;
    assert_eq!(again, bytes);
}

#[tokio::test]
async fn tar_download_by_accept_holds_the_same_files() {
    let app = app().await;
    let request = app
        .request(Method::POST, "/api/render?env=production")
        .header("content-type", "application/yaml")
        .header("accept", "application/gzip")
        .body(NEXTJS);
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/gzip");
    assert_eq!(
        response.headers["content-disposition"],
        "attachment; filename=\"my-web-app-production.tar.gz\""
    );
    let bytes = response.body;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut found = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        assert_eq!(entry.header().mode().unwrap(), 0o644);
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        let mut contents = String::new();
        entry.read_to_string(&mut contents).unwrap();
        found.push((path, contents));
    }
    let json: Value = post(&app, "?env=production", "application/yaml", NEXTJS)
        .await
        .json();
    let expected: Vec<(String, String)> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["contents"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(found, expected);
}

#[tokio::test]
async fn an_html_form_downloads_a_zip() {
    let app = app().await;
    let request = app.request(Method::POST, "/api/render").form(&[
        ("spec", NEXTJS),
        ("format", "zip"),
        ("env", ""),
    ]);
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/zip");
}

#[tokio::test]
async fn the_schema_is_served() {
    let app = app().await;
    let response = app.get("/api/render/schema").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/schema+json");
    let schema: Value = response.json();
    assert_eq!(
        schema,
        serde_json::from_str::<Value>(render::json_schema()).unwrap()
    );
}
