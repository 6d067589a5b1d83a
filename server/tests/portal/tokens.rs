//! API tokens (issue 10): made on the profile page (shown once), used as
//! `Authorization: Bearer pt_…` within their scopes and their person's ownership, revoked,
//! expired, unknown or malformed tokens refused with what to do — on both databases.

use crate::support::{TestApp, TestPortal, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, COOKIE};
use serde_json::{Value, json};

const GRACE: &str = "user:default/grace.hopper";

/// The product's default policy: people sign in to read; owners and admins change.
fn portal() -> TestPortal {
    let policy =
        identity::Policy::from_value(json!({"admins": ["group:default/platform"]})).unwrap();
    TestPortal::new().demo_catalog().policy(policy)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn sign_in(app: &TestApp, user: &str) -> String {
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

/// Calls the server function `name` as a browser form post would, with `credentials`
/// (a session cookie, or `Bearer …`).
async fn server_fn(
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
        .unwrap()
        .0;
    let mut request = client()
        .post(app.url(path))
        .header("origin", format!("http://{}", app.address))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string());
    request = if credentials.starts_with("Bearer ") {
        request.header(AUTHORIZATION, credentials)
    } else {
        request.header(COOKIE, credentials)
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Makes a token as the person signed in with `cookie`; returns the token.
async fn make_token(app: &TestApp, cookie: &str, form: &str) -> String {
    let (status, made) = server_fn(app, cookie, "create_api_token", form).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    made["token"].as_str().unwrap().to_string()
}

/// `method path` with a bearer token and an optional JSON body, from another site (a
/// token is exempt from the same-origin rule: browsers never send one by themselves).
async fn with_token(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = client()
        .request(method.parse().unwrap(), app.url(path))
        .header("origin", "http://evil.example")
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn uid(app: &TestApp, token: &str, name: &str) -> String {
    let path = format!("/api/catalog/entities/by-name/component/default/{name}");
    let (status, body) = with_token(app, token, "GET", &path, None).await;
    assert_eq!(status, StatusCode::OK, "{name}: {body}");
    body["metadata"]["uid"].as_str().unwrap().to_string()
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_token_acts_as_its_person_within_its_scopes() {
    each_engine_with(portal(), async |app| {
        let grace = sign_in(&app, GRACE).await;
        let reader = make_token(&app, &grace, "name=reader&read=on&days=30").await;
        let writer = make_token(&app, &grace, "name=ci&read=on&catalog_write=on&days=7").await;
        assert!(reader.starts_with("pt_") && reader.len() == 67, "{reader}");

        // Reading with a read token; changing needs catalog.write.
        let (status, _) = with_token(&app, &reader, "GET", "/api/catalog/entities", None).await;
        assert_eq!(status, StatusCode::OK);
        let basket = uid(&app, &reader, "basket-service").await;
        let unregister = format!("/api/catalog/entities/by-uid/{basket}");
        let (status, body) = with_token(&app, &reader, "DELETE", &unregister, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            message(&body).contains("needs the catalog.write scope"),
            "{body}"
        );

        // A write token may do what Grace may (her team owns basket-service), no more.
        let (status, body) = with_token(&app, &writer, "DELETE", &unregister, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
        let products = uid(&app, &reader, "products-service").await;
        let path = format!("/api/catalog/entities/by-uid/{products}");
        let (status, body) = with_token(&app, &writer, "DELETE", &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            message(&body).contains("Only the owners of component:default/products-service"),
            "{body}"
        );
        let refresh = json!({"entityRef": "component:default/web-shop"});
        let (status, body) =
            with_token(&app, &writer, "POST", "/api/catalog/refresh", Some(refresh)).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // The profile lists both, never the token itself, with when each was last used.
        let (status, profile) = server_fn(&app, &grace, "fetch_profile", "").await;
        assert_eq!(status, StatusCode::OK, "{profile}");
        let names: Vec<_> = profile["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ci", "reader"]);
        assert!(
            !profile.to_string().contains(&writer[10..]),
            "the token is shown only once"
        );
        let mut used = false;
        for _ in 0..50 {
            let rows = app.store.store.tokens_of(GRACE).await.unwrap();
            if rows.iter().all(|t| t.last_used_at.is_some()) {
                used = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(used, "every use is recorded");
    })
    .await;
}

#[tokio::test]
async fn bad_tokens_are_refused_with_what_to_do() {
    each_engine_with(portal(), async |app| {
        let grace = sign_in(&app, GRACE).await;
        let token = make_token(&app, &grace, "name=ci&read=on&days=30").await;
        let (status, _) = with_token(&app, &token, "GET", "/api/catalog/entities", None).await;
        assert_eq!(status, StatusCode::OK);

        let unknown = format!("pt_{}", "0".repeat(64));
        let malformed = "pt_short";
        let jwt = "eyJhbGciOiJIUzI1NiJ9.e30.x";
        for (bad, says) in [
            (unknown.as_str(), "not known here"),
            (malformed, "64 hex digits"),
            (jwt, "start with \"pt_\""),
        ] {
            let (status, body) = with_token(&app, bad, "GET", "/api/catalog/entities", None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
            assert_eq!(body["error"]["name"], "AuthenticationError");
            assert!(message(&body).contains(says), "{bad}: {body}");
        }

        // Revoked: by its person only, on the profile page.
        let id = app.store.store.tokens_of(GRACE).await.unwrap()[0]
            .id
            .clone();
        let alan = sign_in(&app, "user:default/alan.turing").await;
        let (status, _) = server_fn(&app, &alan, "revoke_api_token", &format!("id={id}")).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "nobody revokes another's token"
        );
        let (status, body) = server_fn(&app, &grace, "revoke_api_token", &format!("id={id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = with_token(&app, &token, "GET", "/api/catalog/entities", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(message(&body).contains("was revoked on"), "{body}");

        // Expired.
        let person: identity::Person = identity::Person {
            subject: format!("guest:{GRACE}"),
            user_ref: Some(GRACE.into()),
            display_name: "Grace Hopper".into(),
            email: None,
            groups: vec![],
        };
        let request = identity::TokenRequest::new("old", &["read".into()], 1).unwrap();
        let long_ago = chrono::Utc::now() - chrono::Duration::days(2);
        let old = app::identity::create_token(&app.store.store, &person, &request, long_ago)
            .await
            .unwrap();
        let (status, body) =
            with_token(&app, &old.token, "GET", "/api/catalog/entities", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(message(&body).contains("expired on"), "{body}");
    })
    .await;
}

#[tokio::test]
async fn tokens_are_made_by_people_signed_in_with_rules_that_say_what_to_fix() {
    each_engine_with(portal(), async |app| {
        let (status, _) = server_fn(&app, "", "create_api_token", "name=ci&read=on&days=30").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "anonymous");
        let grace = sign_in(&app, GRACE).await;
        let token = make_token(&app, &grace, "name=ci&read=on&catalog_write=on&days=30").await;
        let bearer = format!("Bearer {token}");
        let (status, body) = server_fn(
            &app,
            &bearer,
            "create_api_token",
            "name=more&read=on&days=30",
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a token makes no tokens: {body}"
        );
        for (form, says) in [
            ("name=ci&read=on&days=30", "already have a live token named"),
            ("name=&read=on&days=30", "Give the token a name"),
            ("name=x&days=30", "at least one scope"),
            ("name=x&read=on&days=9999", "from 1 to 366 days"),
        ] {
            let (status, body) = server_fn(&app, &grace, "create_api_token", form).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{form}: {body}");
            assert!(body.to_string().contains(says), "{form}: {body}");
        }
    })
    .await;
}
