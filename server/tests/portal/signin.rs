//! Signing in and out, sessions, and cross-site requests (issue 10): guest sign-in, a new
//! session id at sign-in, sign-out and sign-out everywhere, absolute expiry, tampered
//! cookies, and changes refused when another site asks for them.

use crate::support::{TestApp, TestPortal, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

const ADA: &str = "user:default/ada.lovelace";

/// A client that shows redirects instead of following them, so cookies and targets can
/// be checked.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The portal's own origin, as a browser sends it.
fn origin(app: &TestApp) -> String {
    format!("http://{}", app.address)
}

/// `portico_session=…` from a response's cookies, if it sets one.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portico_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// Signs in as `user` through the guest form; returns the response and the cookie.
async fn sign_in_as(
    app: &TestApp,
    user: &str,
    cookie: Option<&str>,
) -> (reqwest::Response, String) {
    let mut request = client()
        .post(app.url("/auth/guest"))
        .header("origin", origin(app))
        .form(&[("user", user), ("return_to", "/catalog")]);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    let cookie = session_cookie(&response).unwrap_or_default();
    (response, cookie)
}

/// The home page as `cookie` sees it.
async fn home(app: &TestApp, cookie: &str) -> String {
    let response = client()
        .get(app.url("/"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

fn demo() -> TestPortal {
    TestPortal::new().demo_catalog()
}

#[tokio::test]
async fn a_guest_signs_in_as_a_catalog_person_and_the_header_says_who() {
    each_engine_with(demo(), async |app| {
        let (response, cookie) = sign_in_as(&app, ADA, None).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers()[LOCATION], "/catalog");
        let set = response.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .to_lowercase();
        assert!(
            set.contains("httponly") && set.contains("samesite=lax"),
            "{set}"
        );
        assert!(!set.contains("secure"), "http portal: no Secure flag");
        let page = home(&app, &cookie).await;
        assert!(page.contains("Ada Lovelace"), "the header names the person");
        assert!(page.contains("platform"), "and their team");
        assert!(page.contains("Sign out"));
        let anonymous = home(&app, "").await;
        assert!(!anonymous.contains("Ada Lovelace") && anonymous.contains("Sign in"));

        // Someone the catalog does not know is refused with a reason, not a blank page.
        let (response, cookie) = sign_in_as(&app, "user:default/nobody", None).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(cookie.is_empty());
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("has no user user:default/nobody")
        );
    })
    .await;
}

#[tokio::test]
async fn signing_in_gives_a_new_session_id_so_a_planted_one_is_worthless() {
    let app = demo().start_sqlite().await;
    // The attacker signs in and plants their session cookie in the victim's browser.
    let (_, planted) = sign_in_as(&app, ADA, None).await;
    // The victim signs in with it.
    let (_, victims) = sign_in_as(&app, "user:default/grace.hopper", Some(&planted)).await;
    assert!(
        !victims.is_empty() && victims != planted,
        "{victims} vs {planted}"
    );
    assert!(home(&app, &victims).await.contains("Grace Hopper"));
    let attacker_sees = home(&app, &planted).await;
    assert!(
        !attacker_sees.contains("Grace Hopper"),
        "the planted id does not carry the victim's sign-in"
    );
}

#[tokio::test]
async fn sign_out_ends_the_session_and_sign_out_everywhere_ends_all_of_them() {
    let app = demo().start_sqlite().await;
    let (_, laptop) = sign_in_as(&app, ADA, None).await;
    let (_, phone) = sign_in_as(&app, ADA, None).await;
    let (_, other) = sign_in_as(&app, "user:default/grace.hopper", None).await;

    let response = client()
        .post(app.url("/auth/sign-out"))
        .header("origin", origin(&app))
        .header(COOKIE, &laptop)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!home(&app, &laptop).await.contains("Ada Lovelace"));
    assert!(home(&app, &phone).await.contains("Ada Lovelace"));

    let (_, laptop) = sign_in_as(&app, ADA, None).await;
    client()
        .post(app.url("/auth/sign-out-everywhere"))
        .header("origin", origin(&app))
        .header(COOKIE, &laptop)
        .send()
        .await
        .unwrap();
    assert!(!home(&app, &laptop).await.contains("Ada Lovelace"));
    assert!(!home(&app, &phone).await.contains("Ada Lovelace"));
    assert!(
        home(&app, &other).await.contains("Grace Hopper"),
        "only that person's sessions end"
    );
}

#[tokio::test]
async fn tampered_and_expired_sessions_are_signed_out_not_errors() {
    each_engine_with(demo(), async |app| {
        let (_, cookie) = sign_in_as(&app, ADA, None).await;
        let (name, value) = cookie.split_once('=').unwrap();
        let mut tampered: Vec<char> = value.chars().collect();
        tampered[3] = if tampered[3] == 'A' { 'B' } else { 'A' };
        let tampered = format!("{name}={}", tampered.into_iter().collect::<String>());
        for cookie in [
            tampered.as_str(),
            "portico_session=not-an-id",
            "portico_session=",
        ] {
            let response = client()
                .get(app.url("/"))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{cookie}");
            assert!(
                response.text().await.unwrap().contains("Sign in"),
                "{cookie}"
            );
        }

        // A session signed in longer ago than session_max_secs is over, however busy.
        let store = &app.store.store;
        let id = value.to_string();
        let row = store
            .load_session(&id, chrono::Utc::now())
            .await
            .unwrap()
            .unwrap();
        let mut data: serde_json::Value = serde_json::from_str(&row.data).unwrap();
        data["signed_in_at"] = serde_json::json!(0);
        store
            .save_session(
                &store::SessionRow {
                    data: data.to_string(),
                    ..row
                },
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        assert!(!home(&app, &cookie).await.contains("Ada Lovelace"));
    })
    .await;
}

#[tokio::test]
async fn another_site_cannot_change_anything_with_the_visitors_session() {
    let app = demo().start_sqlite().await;
    let (_, cookie) = sign_in_as(&app, ADA, None).await;
    let evil = "http://evil.example";
    let location = serde_json::json!({"type": "url", "target": "https://example.com/x.yaml"});
    let attempts = [
        client()
            .post(app.url("/api/catalog/locations"))
            .header("origin", evil)
            .header(COOKIE, &cookie)
            .json(&location),
        // The auto-submitting form of the issue, as text/plain to avoid a preflight.
        client()
            .post(app.url("/api/catalog/locations"))
            .header("origin", evil)
            .header(COOKIE, &cookie)
            .header("content-type", "text/plain")
            .body(location.to_string()),
        client()
            .delete(app.url("/api/catalog/locations/x"))
            .header("sec-fetch-site", "cross-site")
            .header(COOKIE, &cookie),
        client()
            .post(app.url("/auth/guest"))
            .header("origin", evil)
            .form(&[("user", ADA)]),
        client()
            .post(app.url("/auth/sign-out"))
            .header("sec-fetch-site", "cross-site")
            .header(COOKIE, &cookie),
        // A session without any sign of where the request came from.
        client()
            .post(app.url("/api/catalog/locations"))
            .header(COOKIE, &cookie)
            .json(&location),
    ];
    for attempt in attempts {
        let response = attempt.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["name"], "NotAllowedError");
    }
    // Every server function too: the register page's draft store of the issue.
    let functions: Vec<_> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(path, _)| path.contains("start_preview"))
        .collect();
    let (path, _) = functions[0];
    let response = client()
        .post(app.url(path))
        .header("origin", evil)
        .header(COOKIE, &cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("yaml=kind%3A+x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        home(&app, &cookie).await.contains("Ada Lovelace"),
        "still signed in"
    );

    // The same requests from the portal itself go through.
    let response = client()
        .post(app.url("/auth/sign-out"))
        .header("sec-fetch-site", "same-origin")
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

/// The form token the pages `cookie` sees carry in their forms.
async fn form_token(app: &TestApp, cookie: &str) -> String {
    let page = home(app, cookie).await;
    let (_, rest) = page
        .split_once(r#"name="form_token" value=""#)
        .expect("a signed-in page's forms carry a form token");
    rest.split('"').next().unwrap().to_string()
}

/// A plain HTML form post from the portal's own page, as a browser sends it.
fn form_post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    body: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    client()
        .post(app.url(path))
        .header("origin", origin(app))
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "navigate")
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", app.url("/catalog/register"))
        .header(COOKIE, cookie)
        .form(body)
}

#[tokio::test]
async fn a_form_posted_while_signed_in_must_carry_the_sessions_form_token() {
    each_engine_with(demo(), async |app| {
        let (_, cookie) = sign_in_as(&app, ADA, None).await;
        let token = form_token(&app, &cookie).await;
        assert_eq!(token.len(), 32, "{token}");
        let (_, graces) = sign_in_as(&app, "user:default/grace.hopper", None).await;
        let other_token = form_token(&app, &graces).await;
        assert_ne!(token, other_token, "every session has its own");

        for (body, says) in [
            (vec![], "carries no form token"),
            (vec![("form_token", "0123")], "earlier sign-in"),
            (
                vec![("form_token", other_token.as_str())],
                "earlier sign-in",
            ),
        ] {
            let response = form_post(&app, "/auth/sign-out", &cookie, &body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{body:?}");
            let text = response.text().await.unwrap();
            assert!(text.contains(says), "{text}");
        }
        // A browser without fetch metadata that asks for a page back is held to it too.
        let response = client()
            .post(app.url("/auth/sign-out"))
            .header("origin", origin(&app))
            .header("accept", "text/html,application/xhtml+xml")
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            home(&app, &cookie).await.contains("Ada Lovelace"),
            "still signed in"
        );

        // A server function posted as a plain form (no JavaScript) carries it as well; the
        // page's own script (fetch, never a navigation) needs only the origin checks.
        let (path, _) = leptos::server_fn::axum::server_fn_paths()
            .find(|(path, _)| path.contains("start_preview"))
            .unwrap();
        let yaml = ("yaml", "kind: Component");
        let response = form_post(&app, path, &cookie, &[yaml])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let with_token = [yaml, ("form_token", token.as_str())];
        let response = form_post(&app, path, &cookie, &with_token)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_redirection(), "{}", response.status());
        let response = client()
            .post(app.url(path))
            .header("origin", origin(&app))
            .header("sec-fetch-site", "same-origin")
            .header("sec-fetch-mode", "cors")
            .header(COOKIE, &cookie)
            .form(&[yaml])
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(status.is_success() || status.is_redirection(), "{status}");

        let response = form_post(&app, "/auth/sign-out", &cookie, &[("form_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert!(!home(&app, &cookie).await.contains("Ada Lovelace"));
        // Signing in again makes a new token; the old one is worth nothing.
        let (_, cookie) = sign_in_as(&app, ADA, None).await;
        assert_ne!(form_token(&app, &cookie).await, token);
    })
    .await;
}

#[tokio::test]
async fn guest_sign_in_is_refused_when_it_is_off() {
    let app = demo()
        .configure(|c| c.auth.guest = false)
        .start_sqlite()
        .await;
    let (response, cookie) = sign_in_as(&app, ADA, None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(cookie.is_empty());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Guest sign-in is off")
    );
}
