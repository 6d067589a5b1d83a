//! The admin pages and the audit export (issue 10): admins only (401 anonymous, 403 for
//! everyone else, on the pages, their server functions and the export), the export's
//! JSON lines and filters, and "may X do Y on Z" answering as `Policy::decide` does — on
//! both databases.

use crate::permissions::{Callers, call, callers, client, portal, server_fn, uid};
use crate::support::{TestApp, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;

/// Three writes: Grace unregisters her team's basket-service, Alan may not unregister
/// web-shop, an anonymous visitor may not either.
async fn some_writes(app: &TestApp, who: &Callers) {
    let basket = uid(app, &who.ada, "basket-service").await;
    let shop = uid(app, &who.ada, "web-shop").await;
    for (cookie, uid, expected) in [
        (&who.grace, &basket, StatusCode::NO_CONTENT),
        (&who.alan, &shop, StatusCode::FORBIDDEN),
        (&who.anonymous, &shop, StatusCode::UNAUTHORIZED),
    ] {
        let path = format!("/api/catalog/entities/by-uid/{uid}");
        assert_eq!(call(app, cookie, "DELETE", &path, None).await.0, expected);
    }
}

/// `GET path` as `cookie`: the status, the content type and the body.
async fn get(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String, String) {
    let mut request = client().get(app.url(path));
    if !cookie.is_empty() {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The export's lines, each parsed (a line that is not one JSON object fails the test).
async fn export(app: &TestApp, cookie: &str, query: &str) -> Vec<Value> {
    let (status, content_type, body) =
        get(app, cookie, &format!("/api/admin/audit.jsonl?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    assert!(
        content_type.starts_with("application/jsonl"),
        "{content_type}"
    );
    assert!(body.is_empty() || body.ends_with('\n'));
    body.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert!(value.is_object(), "{line}");
            value
        })
        .collect()
}

#[tokio::test]
async fn the_export_streams_json_lines_that_honour_the_filters() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        some_writes(&app, &who).await;
        let all = export(&app, &who.ada, "").await;
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(all[0]["outcome"], "refused", "newest first");
        assert_eq!(all[0]["actor"], "an anonymous visitor");
        assert_eq!(all[2]["outcome"], "succeeded");
        assert_eq!(all[2]["actor_ref"], "user:default/grace.hopper");
        assert_eq!(all[2]["target"], "component:default/basket-service");
        assert_eq!(all[2]["client_ip"], "127.0.0.1");
        assert!(all[2]["at"].as_str().unwrap().ends_with('Z'));

        let count = async |query: &str| export(&app, &who.ada, query).await.len();
        assert_eq!(count("outcome=refused").await, 2);
        assert_eq!(count("actor=user%3Adefault%2Falan.turing").await, 1);
        assert_eq!(count("actor=anonymous").await, 1);
        assert_eq!(count("action=catalog.entity.unregister").await, 3);
        assert_eq!(count("action=catalog.entity.refresh").await, 0);
        assert_eq!(count("target=web-shop").await, 1);
        assert_eq!(count("target=WEB-SHOP&outcome=succeeded").await, 0);
        assert_eq!(count("since=2000-01-01&until=2000-01-02").await, 0);
        assert_eq!(count("since=2000-01-01T00%3A00").await, 3);
        assert_eq!(count("limit=2").await, 2);
        let older = export(&app, &who.ada, "limit=1").await[0]["id"]
            .as_i64()
            .unwrap();
        assert_eq!(count(&format!("before={older}")).await, 2);

        let (status, _, body) = get(&app, &who.ada, "/api/admin/audit.jsonl?outcome=maybe").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["name"], "InputError");
        let (status, _, _) = get(&app, &who.ada, "/api/admin/audit.jsonl?since=yesterday").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn only_admins_see_the_admin_pages_their_server_functions_and_the_export() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        for (cookie, expected, name) in [
            (
                &who.anonymous,
                StatusCode::UNAUTHORIZED,
                "AuthenticationError",
            ),
            (&who.alan, StatusCode::FORBIDDEN, "NotAllowedError"),
        ] {
            let (status, _, body) = get(&app, cookie, "/api/admin/audit.jsonl").await;
            assert_eq!(status, expected, "{body}");
            let body: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(body["error"]["name"], name, "Backstage's error shape");
            assert_eq!(body["response"]["statusCode"], expected.as_u16());
            for function in ["fetch_audit", "fetch_permissions", "fetch_providers"] {
                let (status, _) = server_fn(&app, cookie, function, "").await;
                assert_eq!(status, expected, "{function}");
            }
            for page in ["/admin/audit", "/admin/permissions", "/catalog/providers"] {
                let (status, _, html) = get(&app, cookie, page).await;
                assert_eq!(status, expected, "{page}");
                if expected == StatusCode::UNAUTHORIZED {
                    assert!(html.contains("/sign-in"), "the page offers to sign in");
                } else {
                    assert!(
                        html.contains("Only admins may view the admin pages"),
                        "{page}"
                    );
                }
            }
        }
        assert_eq!(
            get(&app, &who.ada, "/api/admin/audit.jsonl").await.0,
            StatusCode::OK
        );
        let (status, _, html) = get(&app, &who.ada, "/catalog/providers").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("No provider is configured"), "{html}");
        for function in ["fetch_audit", "fetch_permissions", "fetch_providers"] {
            assert_eq!(
                server_fn(&app, &who.ada, function, "").await.0,
                StatusCode::OK
            );
        }
        some_writes(&app, &who).await;
        let (status, _, html) = get(&app, &who.ada, "/admin/audit?outcome=refused").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("catalog.entity.unregister"));
        assert!(html.contains("component:default/web-shop"));
        assert!(
            !html.contains("component:default/basket-service"),
            "filtered out"
        );
        assert!(
            html.contains("/api/admin/audit.jsonl?outcome=refused"),
            "the export link keeps the filters"
        );
        let (status, _, html) = get(&app, &who.ada, "/admin/permissions").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("admins may do anything") || html.contains("Admins (may do anything)")
        );
        assert!(html.contains("admin.portal.view"));
        // The header links admins, and only admins, to the admin pages.
        let (_, _, home) = get(&app, &who.ada, "/").await;
        assert!(home.contains("href=\"/admin/audit\""));
        let (_, _, home) = get(&app, &who.alan, "/").await;
        assert!(!home.contains("href=\"/admin/audit\""));
    })
    .await;
}

#[tokio::test]
async fn may_x_do_y_on_z_answers_as_the_policy_decides() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let store = &app.store.store;
        let policy = app.state.seam.policy().unwrap().clone();
        let action = identity::Action::EntityUnregister;
        let entity = "component:default/basket-service";
        let target = server::identity::targets::entity(store, entity)
            .await
            .unwrap()
            .unwrap();
        for (user, allowed) in [
            ("user:default/grace.hopper", true), // owner through her team
            ("user:default/alan.turing", false), // not an owner
        ] {
            let person = server::identity::people::from_user(store, user, "x".into())
                .await
                .unwrap()
                .unwrap();
            let expected = policy.decide(&identity::Caller::Person(person), action, &target);
            assert_eq!(expected.allowed, allowed);
            let args = format!(
                "who={}&action=catalog.entity.unregister&target={}",
                user.replace(':', "%3A").replace('/', "%2F"),
                entity.replace(':', "%3A").replace('/', "%2F"),
            );
            let (status, body) = server_fn(&app, &who.ada, "fetch_permissions", &args).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let answer = &body["answer"];
            assert_eq!(answer["allowed"], allowed, "{user}: {body}");
            assert_eq!(answer["reason"], expected.reason.as_str());
            assert_eq!(
                answer["rule"].as_u64(),
                expected.rule.map(|index| index as u64 + 1)
            );
            // The page, without JavaScript: a GET form's query.
            let (status, _, html) = get(
                &app,
                &who.ada,
                &format!("/admin/permissions?{}", args),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert!(html.contains(if allowed { "Allowed" } else { "Refused" }), "{user}");
            // "Who" offers the catalog's people to pick from.
            assert!(
                html.contains(&format!(r#"<option value="{user}">"#)),
                "{user} in the datalist"
            );
        }
        // Anonymous, and names that match nothing.
        let (_, body) = server_fn(
            &app,
            &who.ada,
            "fetch_permissions",
            "who=&action=catalog.entity.unregister&target=component%3Adefault%2Fbasket-service",
        )
        .await;
        assert_eq!(body["answer"]["allowed"], false);
        let (status, _) = server_fn(
            &app,
            &who.ada,
            "fetch_permissions",
            "who=user%3Adefault%2Fnobody&action=catalog.entity.unregister&target=component%3Adefault%2Fbasket-service",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}
