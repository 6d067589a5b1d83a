//! Signing in through identity providers (issue 10): GitHub OAuth against a local
//! stand-in that checks every request the portal makes (client id and secret, code,
//! redirect URI, state, PKCE verifier); callbacks that fit no attempt, provider errors,
//! refused codes and unreachable providers, each refused with a clear page; people the
//! catalog does not know, refused or let in as configured. The OpenID Connect flow runs
//! end to end against a real provider in the browser suite (`end2end/oidc/`).

use crate::support::{TestApp, TestPortal, each_engine_with};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use server::config::{ProviderKind, Secret, SignInProvider, UnknownPeople};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "portal-client";
const CLIENT_SECRET: &str = "portal-secret";
const TOKEN: &str = "gho_stand_in_token";

/// What the stand-in saw and what it answers.
#[derive(Default)]
struct Seen {
    /// The query of each authorize request.
    authorize: Vec<HashMap<String, String>>,
    /// The form of each token request.
    token: Vec<HashMap<String, String>>,
    /// Codes handed out: code → (redirect URI, PKCE challenge).
    codes: HashMap<String, (String, String)>,
    /// Problems with the requests the portal made.
    problems: Vec<String>,
    user: Value,
    emails: Value,
}

type Shared = Arc<Mutex<Seen>>;

/// A local GitHub: `/login/oauth/authorize` approves at once, `/login/oauth/access_token`
/// checks what the portal sends, `/api/v3/user` and `/api/v3/user/emails` answer for the
/// token it handed out.
struct StandIn {
    url: String,
    seen: Shared,
}

impl StandIn {
    async fn start(user: Value, emails: Value) -> StandIn {
        let seen: Shared = Arc::new(Mutex::new(Seen {
            user,
            emails,
            ..Default::default()
        }));
        let router = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/api/v3/user", get(user_api))
            .route("/api/v3/user/emails", get(emails_api))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        StandIn { url, seen }
    }

    /// A GitHub sign-in provider pointing at this stand-in.
    fn provider(&self) -> SignInProvider {
        SignInProvider {
            id: "github".into(),
            title: "GitHub".into(),
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            scopes: vec!["read:user".into(), "user:email".into()],
            kind: ProviderKind::Github {
                host: "github.com".into(),
                web_url: self.url.clone(),
                api_url: format!("{}/api/v3", self.url),
            },
        }
    }

    fn portal(&self, unknown_people: UnknownPeople) -> TestPortal {
        let provider = self.provider();
        TestPortal::new().demo_catalog().configure(move |config| {
            config.auth.providers = vec![provider];
            config.auth.guest = false;
            config.auth.unknown_people = unknown_people;
        })
    }

    fn problems(&self) -> Vec<String> {
        self.seen.lock().unwrap().problems.clone()
    }

    fn token_requests(&self) -> usize {
        self.seen.lock().unwrap().token.len()
    }

    fn set_user(&self, user: Value) {
        self.seen.lock().unwrap().user = user;
    }
}

async fn authorize(
    State(seen): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut seen = seen.lock().unwrap();
    let field = |name: &str| query.get(name).cloned().unwrap_or_default();
    if field("client_id") != CLIENT_ID {
        seen.problems
            .push(format!("authorize: client_id {:?}", field("client_id")));
    }
    if field("state").len() < 16 {
        seen.problems.push("authorize: no real state".into());
    }
    if field("code_challenge_method") != "S256" || field("code_challenge").is_empty() {
        seen.problems
            .push("authorize: no PKCE S256 challenge".into());
    }
    let code = format!("code-{}", seen.codes.len() + 1);
    seen.codes.insert(
        code.clone(),
        (field("redirect_uri"), field("code_challenge")),
    );
    seen.authorize.push(query.clone());
    let mut back = url::Url::parse(&field("redirect_uri")).unwrap();
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &field("state"));
    Redirect::to(back.as_str()).into_response()
}

async fn access_token(
    State(seen): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut seen = seen.lock().unwrap();
    seen.token.push(form.clone());
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let mut problems = Vec::new();
    if headers.get("accept").and_then(|v| v.to_str().ok()) != Some("application/json") {
        problems.push("token: not asking for JSON".to_string());
    }
    if field("client_id") != CLIENT_ID || field("client_secret") != CLIENT_SECRET {
        problems.push("token: wrong client credentials".into());
    }
    let Some((redirect_uri, challenge)) = seen.codes.remove(&field("code")) else {
        // GitHub answers a bad code with 200 and an error.
        return Json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired.",
        }))
        .into_response();
    };
    if field("redirect_uri") != redirect_uri {
        problems.push(format!(
            "token: redirect_uri {:?} is not {redirect_uri:?}",
            field("redirect_uri")
        ));
    }
    let verifier = openidconnect::PkceCodeVerifier::new(field("code_verifier"));
    let expected = openidconnect::PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    if expected.as_str() != challenge {
        problems.push("token: the PKCE verifier does not fit the challenge".into());
    }
    let ok = problems.is_empty();
    seen.problems.extend(problems);
    if !ok {
        return Json(json!({"error": "incorrect_client_credentials"})).into_response();
    }
    Json(json!({"access_token": TOKEN, "token_type": "bearer", "scope": "read:user,user:email"}))
        .into_response()
}

fn bearer_ok(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn user_api(State(seen): State<Shared>, headers: HeaderMap) -> Response {
    if !bearer_ok(&headers) {
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    Json(seen.lock().unwrap().user.clone()).into_response()
}

async fn emails_api(State(seen): State<Shared>, headers: HeaderMap) -> Response {
    if !bearer_ok(&headers) {
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    Json(seen.lock().unwrap().emails.clone()).into_response()
}

// --- The browser's side ------------------------------------------------------------------

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("portico_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().unwrap().to_string()
}

/// `/auth/github/start` at the portal: the session cookie holding the attempt, and where
/// the browser is sent.
async fn start(app: &TestApp) -> (String, String) {
    let response = client()
        .get(app.url("/auth/github/start?return_to=/catalog%3Fkind%3Dapi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    (session_cookie(&response).unwrap(), location(&response))
}

/// The person approves at the stand-in, which sends the browser back: the callback URL.
async fn approve(authorize_url: &str) -> String {
    let response = client().get(authorize_url).send().await.unwrap();
    assert!(response.status().is_redirection());
    location(&response)
}

async fn callback(url: &str, cookie: &str) -> reqwest::Response {
    client()
        .get(url)
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn home(app: &TestApp, cookie: &str) -> String {
    client()
        .get(app.url("/"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Who the session of `cookie` is signed in as, read from the store.
async fn subject(app: &TestApp, cookie: &str) -> Option<String> {
    let id = cookie.split_once('=').unwrap().1;
    let row = app
        .store
        .store
        .load_session(id, chrono::Utc::now())
        .await
        .unwrap()?;
    row.subject
}

fn octocat_ada() -> (Value, Value) {
    (
        json!({"id": 4242, "login": "ada-l", "name": "Ada L.", "email": null}),
        json!([
            {"email": "ada@old.example", "primary": false, "verified": true},
            {"email": "Ada@Acme.example", "primary": true, "verified": true},
        ]),
    )
}

#[tokio::test]
async fn github_sign_in_sends_what_github_expects_and_finds_the_person_by_email() {
    let (user, emails) = octocat_ada();
    let github = StandIn::start(user, emails).await;
    each_engine_with(github.portal(UnknownPeople::Refuse), async |app| {
        let (cookie, authorize_url) = start(&app).await;
        assert!(
            authorize_url.starts_with(&format!("{}/login/oauth/authorize?", github.url)),
            "{authorize_url}"
        );
        let id = cookie.trim_start_matches("portico_session=");
        let now = chrono::Utc::now();
        let pending = app
            .store
            .store
            .load_session(id, now)
            .await
            .unwrap()
            .unwrap();
        let left = (pending.expires_at - now).num_seconds();
        assert!(
            (540..=600).contains(&left),
            "a sign-in under way lives 10 minutes, not {left} s"
        );
        let back = approve(&authorize_url).await;
        {
            let seen = github.seen.lock().unwrap();
            let query = seen.authorize.last().unwrap();
            assert_eq!(query["redirect_uri"], app.url("/auth/github/callback"));
            assert_eq!(query["scope"], "read:user user:email");
        }
        let response = callback(&back, &cookie).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            location(&response),
            "/catalog?kind=api",
            "back where they were"
        );
        let signed_in = session_cookie(&response).unwrap();
        assert_ne!(signed_in, cookie, "a new session id at sign-in");
        assert_eq!(github.problems(), Vec::<String>::new());
        // The session that carried the sign-in under way lived 10 minutes at most; the
        // signed-in one lives as configured.
        let store = &app.store.store;
        let expires = |cookie: String| async move {
            let id = cookie.trim_start_matches("portico_session=").to_string();
            let now = chrono::Utc::now();
            let row = store.load_session(&id, now).await.unwrap();
            row.map(|row| (row.expires_at - now).num_seconds())
        };
        assert_eq!(expires(cookie.clone()).await, None, "the id was replaced");
        let idle = app.state.config.sessions.idle.as_secs() as i64;
        let left = expires(signed_in.clone()).await.unwrap();
        assert!(idle > 600 && left > idle - 60, "{left} s left of {idle}");

        let page = home(&app, &signed_in).await;
        assert!(
            page.contains("Ada Lovelace"),
            "found by her verified primary address"
        );
        assert!(page.contains("platform"), "with her team");
        assert_eq!(
            subject(&app, &signed_in).await.as_deref(),
            Some("github:github.com:4242")
        );

        // The same answer again (a replay): its state was used up.
        let response = callback(&back, &signed_in).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.text().await.unwrap().contains("fits no sign-in"));
    })
    .await;
}

#[tokio::test]
async fn the_github_login_annotation_wins_over_the_address() {
    let (_, emails) = octocat_ada();
    let github = StandIn::start(
        json!({"id": 7, "login": "Grace-H", "name": null, "email": "ada@acme.example"}),
        emails,
    )
    .await;
    let app = github.portal(UnknownPeople::Refuse).start_sqlite().await;
    app.import_yaml(
        "people.yaml",
        "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: grace.h\n  \
         annotations:\n    github.com/user-login: grace-h\nspec:\n  profile:\n    \
         displayName: Grace from GitHub\n  memberOf: []\n",
    )
    .await;
    let (cookie, authorize_url) = start(&app).await;
    let response = callback(&approve(&authorize_url).await, &cookie).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = home(&app, &session_cookie(&response).unwrap()).await;
    assert!(
        page.contains("Grace from GitHub"),
        "logins compare ignoring case"
    );
    assert!(!page.contains("Ada Lovelace"));
}

#[tokio::test]
async fn an_address_two_user_entities_claim_signs_nobody_in() {
    let github = StandIn::start(
        json!({"id": 8, "login": "someone", "name": null, "email": "grace@acme.example"}),
        json!([]),
    )
    .await;
    each_engine_with(github.portal(UnknownPeople::Allow), async |app| {
        app.import_yaml(
            "impostor.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: impostor\n\
             spec:\n  profile:\n    email: GRACE@acme.example\n  memberOf: [platform]\n",
        )
        .await;
        let (cookie, authorize_url) = start(&app).await;
        let response = callback(&approve(&authorize_url).await, &cookie).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let text = response.text().await.unwrap();
        assert!(
            text.contains("user:default/grace.hopper and user:default/impostor"),
            "{text}"
        );
        assert_eq!(subject(&app, &cookie).await, None);
    })
    .await;
}

#[tokio::test]
async fn people_the_catalog_does_not_know_are_refused_or_let_in_as_configured() {
    let stranger =
        json!({"id": 99, "login": "stranger", "name": "Sam Stranger", "email": "sam@else.example"});
    let github = StandIn::start(stranger, json!([])).await;
    each_engine_with(github.portal(UnknownPeople::Refuse), async |app| {
        let (cookie, authorize_url) = start(&app).await;
        let response = callback(&approve(&authorize_url).await, &cookie).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(
            session_cookie(&response).is_none_or(|c| c == cookie),
            "no new, signed-in session"
        );
        let text = response.text().await.unwrap();
        assert!(text.contains("Sign-in failed"), "{text}");
        assert!(
            text.contains("the annotation github.com/user-login: stranger")
                && text.contains("spec.profile.email: sam@else.example"),
            "says what to add to the catalog: {text}"
        );
        assert_eq!(subject(&app, &cookie).await, None);
    })
    .await;
    each_engine_with(github.portal(UnknownPeople::Allow), async |app| {
        let (cookie, authorize_url) = start(&app).await;
        let response = callback(&approve(&authorize_url).await, &cookie).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let signed_in = session_cookie(&response).unwrap();
        let page = home(&app, &signed_in).await;
        assert!(page.contains("Sam Stranger") && page.contains("Sign out"));
        assert_eq!(
            subject(&app, &signed_in).await.as_deref(),
            Some("github:github.com:99")
        );
    })
    .await;
}

#[tokio::test]
async fn a_callback_that_fits_no_attempt_is_refused_and_nothing_is_exchanged() {
    let (user, emails) = octocat_ada();
    let github = StandIn::start(user, emails).await;
    let app = github.portal(UnknownPeople::Allow).start_sqlite().await;
    let (cookie, authorize_url) = start(&app).await;
    let back = approve(&authorize_url).await;
    let mut forged = url::Url::parse(&back).unwrap();
    let code = forged
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    forged
        .query_pairs_mut()
        .clear()
        .append_pair("code", &code)
        .append_pair("state", "forged-by-someone-else");
    let missing = app.url(&format!("/auth/github/callback?code={code}"));
    for (url, cookie) in [
        (forged.as_str(), cookie.as_str()),
        (missing.as_str(), cookie.as_str()),
        // The right state, in another browser (no session): a login CSRF.
        (back.as_str(), ""),
    ] {
        let response = callback(url, cookie).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        let text = response.text().await.unwrap();
        assert!(
            text.contains("fits no sign-in started in this browser")
                && text.contains("Back to sign-in"),
            "{text}"
        );
    }
    assert_eq!(github.token_requests(), 0, "no code was exchanged");
    assert_eq!(subject(&app, &cookie).await, None);

    // The real answer still works afterwards, once.
    let response = callback(&back, &cookie).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn provider_errors_and_refused_codes_are_explained() {
    let (user, emails) = octocat_ada();
    let github = StandIn::start(user, emails).await;
    let app = github.portal(UnknownPeople::Allow).start_sqlite().await;

    // The person said no at the provider.
    let (cookie, authorize_url) = start(&app).await;
    let state = url::Url::parse(&authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let denied = app.url(&format!(
        "/auth/github/callback?error=access_denied&error_description=The+user+has+denied+\
         your+application+access.&state={state}"
    ));
    let response = callback(&denied, &cookie).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("GitHub did not sign you in (access_denied: The user has denied"),
        "{text}"
    );

    // The provider refuses the code.
    let (cookie, authorize_url) = start(&app).await;
    let back = approve(&authorize_url).await;
    let wrong = back.replace("code=code-", "code=wrong-");
    let response = callback(&wrong, &cookie).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("GitHub did not accept the sign-in code (bad_verification_code"),
        "{text}"
    );

    // The provider's user API fails.
    github.set_user(json!({"unexpected": true}));
    let (cookie, authorize_url) = start(&app).await;
    let response = callback(&approve(&authorize_url).await, &cookie).await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("GitHub could not be asked who you are")
    );
    assert_eq!(github.problems(), Vec::<String>::new());
}

#[tokio::test]
async fn an_unreachable_provider_does_not_stop_the_portal_and_signing_in_says_so() {
    // A port nothing listens on.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let okta = SignInProvider {
        id: "okta".into(),
        title: "Acme Okta".into(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(CLIENT_SECRET),
        scopes: vec!["openid".into(), "email".into()],
        kind: ProviderKind::Oidc {
            issuer: format!("http://{closed}"),
        },
    };
    let app = TestPortal::new()
        .demo_catalog()
        .configure(|config| {
            config.auth.providers = vec![okta];
            config.auth.guest = false;
        })
        .start_sqlite()
        .await;
    assert_eq!(app.get("/readyz").await.status, StatusCode::OK);

    let (status, page) = app.page("/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("href=\"/auth/okta/start?return_to=/\"")
            && page.contains("Sign in with Acme Okta"),
        "{page}"
    );
    assert!(
        !page.contains("Sign in as Ada Lovelace"),
        "guest sign-in is off"
    );

    let response = client()
        .get(app.url("/auth/okta/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("Acme Okta cannot be reached to sign you in right now"),
        "{text}"
    );

    // A bad state on its callback is refused before the provider is asked anything.
    let response = client()
        .get(app.url("/auth/okta/callback?code=x&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let response = client()
        .get(app.url("/auth/nobody/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("no sign-in provider called")
    );
}

#[tokio::test]
async fn one_client_cannot_start_sign_ins_without_end() {
    let (user, emails) = octocat_ada();
    let github = StandIn::start(user, emails).await;
    let portal = github.portal(UnknownPeople::Refuse).configure(|config| {
        config.client_address_header = Some(axum::http::HeaderName::from_static("x-forwarded-for"));
    });
    let app = portal.start_sqlite().await;
    let start_from = |address: &'static str| {
        client()
            .get(app.url("/auth/github/start"))
            .header("x-forwarded-for", address)
            .send()
    };
    for _ in 0..60 {
        assert_eq!(
            start_from("198.51.100.7").await.unwrap().status(),
            StatusCode::SEE_OTHER
        );
    }
    let refused = start_from("198.51.100.7").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "60");
    let text = refused.text().await.unwrap();
    assert!(text.contains("wait a minute, then sign in again"), "{text}");
    assert_eq!(
        start_from("198.51.100.8").await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "another client is not held back"
    );
}
