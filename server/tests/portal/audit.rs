//! The audit log (issue 10): every write through the REST API and the server functions,
//! and every refused attempt, is recorded with who, what, to what, how it ended and from
//! where — on both databases.

use crate::permissions::{OWNED, call, callers, client, portal, uid};
use crate::support::{TestApp, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, USER_AGENT};
use serde_json::json;
use store::{AuditEntry, AuditQuery};

async fn entries(app: &TestApp) -> Vec<AuditEntry> {
    app.store
        .store
        .audit_entries(&AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

/// The portal of `permissions.rs`, behind a proxy that puts the client's address in
/// `x-forwarded-for`.
fn proxied_portal() -> crate::support::TestPortal {
    portal().configure(|config| {
        config.client_address_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    })
}

#[tokio::test]
async fn a_write_is_recorded_with_who_what_to_what_and_from_where() {
    each_engine_with(proxied_portal(), async |app| {
        let who = callers(&app).await;
        let uid = uid(&app, &who.ada, "basket-service").await;
        let long_agent = format!("audit-test/1.0 {}", "x".repeat(1000));
        let response = client()
            .delete(app.url(&format!("/api/catalog/entities/by-uid/{uid}")))
            .header("origin", format!("http://{}", app.address))
            .header(COOKIE, &who.grace)
            .header(USER_AGENT, &long_agent)
            .header("x-forwarded-for", "192.0.2.99, 198.51.100.7")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let recorded = entries(&app).await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        let entry = &recorded[0];
        assert_eq!(entry.actor, "Grace Hopper");
        assert_eq!(
            entry.actor_ref.as_deref(),
            Some("user:default/grace.hopper")
        );
        assert_eq!(
            entry.subject.as_deref(),
            Some("guest:user:default/grace.hopper")
        );
        assert_eq!(entry.token, None);
        assert_eq!(entry.action, "catalog.entity.unregister");
        assert_eq!(entry.target, "component:default/basket-service");
        assert_eq!(entry.outcome, "succeeded");
        assert_eq!(entry.detail, "");
        assert_eq!(
            entry.client_ip, "198.51.100.7",
            "the address the proxy added"
        );
        assert_eq!(
            entry.user_agent.chars().count(),
            256,
            "cut to a sane length"
        );
        assert!(entry.user_agent.starts_with("audit-test/1.0 "));
        assert!((chrono::Utc::now() - entry.at).num_seconds().abs() < 60);
    })
    .await;
}

#[tokio::test]
async fn refused_writes_are_recorded_as_refused_with_the_reason() {
    each_engine_with(portal(), async |app| {
        app.import_yaml("/tmp/owned.yaml", OWNED).await;
        let who = callers(&app).await;
        let uid = uid(&app, &who.ada, "web-shop").await;
        let path = format!("/api/catalog/entities/by-uid/{uid}");
        assert_eq!(
            call(&app, &who.alan, "DELETE", &path, None).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            call(&app, &who.anonymous, "DELETE", &path, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Reading is not recorded.
        assert_eq!(
            call(&app, &who.alan, "GET", "/api/catalog/entities", None)
                .await
                .0,
            StatusCode::OK
        );
        let recorded = entries(&app).await;
        assert_eq!(recorded.len(), 2, "{recorded:?}");
        let (anonymous, alan) = (&recorded[0], &recorded[1]);
        assert_eq!(alan.outcome, "refused");
        assert_eq!(alan.actor_ref.as_deref(), Some("user:default/alan.turing"));
        assert_eq!(alan.action, "catalog.entity.unregister");
        assert_eq!(alan.target, "component:default/web-shop");
        assert!(
            alan.detail
                .contains("Only the owners of component:default/web-shop"),
            "{}",
            alan.detail
        );
        assert_eq!(alan.client_ip, "127.0.0.1");
        // Anonymous callers are turned away before the entity is loaded.
        assert_eq!(anonymous.outcome, "refused");
        assert_eq!(anonymous.actor, "an anonymous visitor");
        assert_eq!(anonymous.actor_ref, None);
        assert_eq!(anonymous.target, "");
        assert!(anonymous.detail.contains("Sign in"), "{}", anonymous.detail);
    })
    .await;
}

#[tokio::test]
async fn a_failed_write_is_recorded_with_the_error() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let mut ids = Vec::new();
        for name in ["a", "b"] {
            let location =
                json!({"type": "url", "target": format!("https://example.com/{name}.yaml")});
            let (status, body) = call(
                &app,
                &who.grace,
                "POST",
                "/api/catalog/locations",
                Some(location),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
            ids.push(body["location"]["id"].as_str().unwrap().to_string());
        }
        let taken = json!({"type": "url", "target": "https://example.com/a.yaml"});
        let (status, _) = call(
            &app,
            &who.grace,
            "PUT",
            &format!("/api/catalog/locations/{}", ids[1]),
            Some(taken),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        let recorded = entries(&app).await;
        let outcomes: Vec<(&str, &str, &str)> = recorded
            .iter()
            .map(|e| (e.action.as_str(), e.target.as_str(), e.outcome.as_str()))
            .collect();
        assert_eq!(
            outcomes,
            [
                (
                    "catalog.location.change",
                    "url:https://example.com/b.yaml",
                    "failed"
                ),
                (
                    "catalog.location.create",
                    "url:https://example.com/b.yaml",
                    "succeeded"
                ),
                (
                    "catalog.location.create",
                    "url:https://example.com/a.yaml",
                    "succeeded"
                ),
            ]
        );
        assert!(
            recorded[0].detail.contains("already exists") && recorded[0].detail.ends_with("(409)"),
            "{}",
            recorded[0].detail
        );
    })
    .await;
}

#[tokio::test]
async fn server_function_writes_and_refusals_are_recorded() {
    each_engine_with(portal(), async |app| {
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
                .header("user-agent", "browser/1")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("url=https%3A%2F%2Fexample.com%2Fc.yaml");
            if !cookie.is_empty() {
                request = request.header(COOKIE, cookie);
            }
            request.send()
        };
        let refused = register(who.anonymous.clone()).await.unwrap().status();
        assert_eq!(refused, StatusCode::UNAUTHORIZED);
        let _ = register(who.alan.clone()).await.unwrap();
        let recorded = entries(&app).await;
        assert_eq!(recorded.len(), 2, "{recorded:?}");
        let (alan, anonymous) = (&recorded[0], &recorded[1]);
        assert_eq!(anonymous.outcome, "refused");
        assert_eq!(anonymous.action, "catalog.location.create");
        assert_eq!(alan.actor, "Alan Turing");
        assert_eq!(alan.action, "catalog.location.create");
        assert_eq!(alan.target, "url:https://example.com/c.yaml");
        assert_ne!(alan.outcome, "refused");
        assert_eq!(alan.user_agent, "browser/1");
        assert_eq!(alan.client_ip, "127.0.0.1");
    })
    .await;
}

#[tokio::test]
async fn entries_older_than_the_retention_are_pruned() {
    each_engine_with(portal(), async |app| {
        let store = &app.store.store;
        let day = chrono::Duration::days(1);
        for age in [400, 10] {
            store
                .record_audit(&AuditEntry {
                    id: 0,
                    at: chrono::Utc::now() - day * age,
                    actor: "an anonymous visitor".into(),
                    actor_ref: None,
                    subject: None,
                    token: None,
                    action: "catalog.entity.unregister".into(),
                    target: format!("component:default/aged-{age}"),
                    outcome: "refused".into(),
                    detail: String::new(),
                    client_ip: "127.0.0.1".into(),
                    user_agent: String::new(),
                })
                .await
                .unwrap();
        }
        let retention = app.state.config.audit_retention;
        assert_eq!(retention, std::time::Duration::from_secs(365 * 24 * 3600));
        server::identity::audit::prune(store, retention).await;
        let left: Vec<String> = entries(&app).await.into_iter().map(|e| e.target).collect();
        assert_eq!(left, ["component:default/aged-10"]);
    })
    .await;
}
