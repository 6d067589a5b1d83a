//! API tokens (issue 10): made on the profile page (shown once), used as
//! `Authorization: Bearer pt_…` within their scopes and their person's ownership, revoked,
//! expired, unknown or malformed tokens refused with what to do — on both databases.

use crate::permissions::{client, portal, server_fn, sign_in};
use crate::support::{TestApp, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

const GRACE: &str = "user:default/grace.hopper";

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

/// A token's person is looked up through a directory that remembers people for a few
/// seconds (a script may use its token many times a second); a new directory, or the
/// same one once that time has passed, sees the catalog as it is now.
#[tokio::test]
async fn a_tokens_person_is_remembered_for_a_short_while() {
    use server::identity::people::Directory;
    use std::time::Duration;
    each_engine_with(portal(), async |app| {
        let store = &app.store.store;
        let remembering = Directory::new(store.clone(), Duration::from_secs(3600));
        let grace = remembering
            .person(GRACE, "cli:grace".into())
            .await
            .unwrap()
            .expect("Grace is in the demo catalog");
        assert_eq!(grace.subject, "cli:grace");
        assert!(!grace.groups.is_empty(), "{grace:?}");

        let user = store.entity_by_ref(GRACE).await.unwrap().unwrap();
        assert!(store.delete_entity_by_uid(&user.uid).await.unwrap());

        let remembered = remembering.person(GRACE, "cli:other".into()).await.unwrap();
        assert_eq!(
            remembered.map(|p| (p.subject, p.groups)),
            Some(("cli:other".to_string(), grace.groups.clone())),
            "remembered, with the subject asked for"
        );
        let fresh = Directory::new(store.clone(), Duration::from_secs(3600));
        assert_eq!(fresh.person(GRACE, "cli:grace".into()).await.unwrap(), None);
    })
    .await;
}

/// Making and revoking a token are writes: each is in the audit log with the token's name
/// and how it ended; a token asking to make a token is refused and recorded.
#[tokio::test]
async fn making_and_revoking_tokens_is_in_the_audit_log() {
    each_engine_with(portal(), async |app| {
        let grace = sign_in(&app, GRACE).await;
        let token = make_token(&app, &grace, "name=deploy&read=on&days=30").await;
        let (status, _) = server_fn(
            &app,
            &grace,
            "create_api_token",
            "name=deploy&read=on&days=30",
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "the name is taken");
        let id = app.store.store.tokens_of(GRACE).await.unwrap()[0]
            .id
            .clone();
        let (status, body) = server_fn(&app, &grace, "revoke_api_token", &format!("id={id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let bearer = format!("Bearer {token}");
        let form = "name=more&read=on&days=30";
        let (status, _) = server_fn(&app, &bearer, "create_api_token", form).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the token is revoked");

        let entries = app
            .store
            .store
            .audit_entries(&store::AuditQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut seen: Vec<(String, String, String)> = entries
            .iter()
            .map(|e| (e.action.clone(), e.outcome.clone(), e.target.clone()))
            .collect();
        seen.reverse();
        let prefix = &token[..11];
        assert_eq!(
            seen,
            [
                (
                    "identity.token.create".into(),
                    "succeeded".into(),
                    format!("API token \"deploy\" ({prefix})")
                ),
                (
                    "identity.token.create".into(),
                    "failed".into(),
                    "API token \"deploy\"".into()
                ),
                (
                    "identity.token.revoke".into(),
                    "succeeded".into(),
                    format!("API token \"deploy\" ({prefix})")
                ),
            ]
        );
        assert!(
            entries
                .iter()
                .all(|e| e.actor_ref.as_deref() == Some(GRACE))
        );
    })
    .await;
}

/// A live token may not make or revoke tokens, whatever its scopes: a leaked token cannot
/// make itself more. The refusal says so and is recorded.
#[tokio::test]
async fn a_token_cannot_make_tokens() {
    each_engine_with(portal(), async |app| {
        let grace = sign_in(&app, GRACE).await;
        let token = make_token(&app, &grace, "name=all&read=on&catalog_write=on&days=30").await;
        let bearer = format!("Bearer {token}");
        let form = "name=more&read=on&days=30";
        let (status, body) = server_fn(&app, &bearer, "create_api_token", form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.to_string().contains("never a token"), "{body}");
        let entries = app
            .store
            .store
            .audit_entries(&store::AuditQuery {
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(entries[0].action, "identity.token.create");
        assert_eq!(entries[0].outcome, "refused");
        assert_eq!(app.store.store.tokens_of(GRACE).await.unwrap().len(), 1);
    })
    .await;
}
