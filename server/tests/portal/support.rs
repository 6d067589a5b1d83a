//! What the test modules share: a test portal (the whole app on an ephemeral port, against
//! a fresh database), one set of request helpers, typed helpers for the catalog endpoints
//! tests set data up with, and the built `portico` binary.
//!
//! Every portal gets a database of its own from `store::testing`: a fresh SQLite file and,
//! when `TEST_DATABASE_URL` names a PostgreSQL server, a fresh schema there (required under
//! CI). `each_engine` runs a test body against each.

use axum::Router;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode, Url};
use serde_json::{Value, json};
use server::config::Config;
use server::state::AppState;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;
use store::LocationRecord;
use store::testing::TestStore;
use tokio::sync::oneshot;

// --- Portals -------------------------------------------------------------------------

/// A policy that lets anyone, signed in or not, do anything.
pub fn open_policy() -> identity::Policy {
    identity::Policy::from_value(serde_json::json!({
        "anonymous_read": true,
        "rules": [{"actions": "*", "allow": "anyone"}],
    }))
    .expect("an open policy")
}

/// The configuration tests run with: defaults, no file, no environment.
pub fn test_config() -> Config {
    let mut env = BTreeMap::new();
    env.insert("PORTICO_CONFIG".to_string(), "/dev/null".to_string());
    env.insert("PORTICO_LISTEN".to_string(), "127.0.0.1:0".to_string());
    Config::load(&env).expect("test configuration")
}

/// How to start a test portal: its configuration, test-only routes and starting data.
#[derive(Clone)]
pub struct TestPortal {
    config: Config,
    routes: Router<AppState>,
    demo_catalog: bool,
    seam: Option<server::identity::Rule>,
}

impl TestPortal {
    /// The test configuration (`test_config`), no extra routes, an empty catalog, and a
    /// permission policy that lets anyone do anything: most tests are about what the
    /// catalog does, not who may ask (`permissions.rs` tests that, with `policy`).
    pub fn new() -> TestPortal {
        let mut config = test_config();
        config.policy = open_policy();
        TestPortal {
            config,
            routes: Router::new(),
            demo_catalog: false,
            seam: None,
        }
    }

    /// Changes the configuration (e.g. what ingestion may read).
    pub fn configure(mut self, change: impl FnOnce(&mut Config)) -> TestPortal {
        change(&mut self.config);
        self
    }

    /// Merges `routes` into the portal's router (e.g. a handler that panics).
    pub fn routes(mut self, routes: Router<AppState>) -> TestPortal {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Loads the demo catalog before the test runs.
    pub fn demo_catalog(mut self) -> TestPortal {
        self.demo_catalog = true;
        self
    }

    /// Decides permissions by `policy` (e.g. `Policy::default()`, the product's).
    pub fn policy(mut self, policy: identity::Policy) -> TestPortal {
        self.config.policy = policy;
        self
    }

    /// Replaces the authorisation seam's rule (e.g. to refuse everyone).
    pub fn seam(mut self, rule: server::identity::Rule) -> TestPortal {
        self.seam = Some(rule);
        self
    }

    /// Starts the portal on `store`.
    pub async fn start(self, store: TestStore) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let mut config = self.config;
        // The portal's own origin is the bound address (browsers send it in `Origin`).
        config.listen = address;
        config.public_url = format!("http://{address}");
        let mut state = AppState::new(config, store.store.clone());
        if let Some(rule) = self.seam {
            state.seam = std::sync::Arc::new(server::identity::Seam::new(
                rule,
                state.config.sessions.max,
                store.store.clone(),
            ));
        }
        let router = server::http::router_with(state.clone(), self.routes);
        let (tx, rx) = oneshot::channel();
        let server = tokio::spawn(server::serve::serve(listener, router, async {
            let _ = rx.await;
        }));
        if self.demo_catalog {
            server::catalog::demo::load(&store)
                .await
                .expect("demo catalog");
        }
        TestApp {
            address,
            client: reqwest::Client::new(),
            store,
            state,
            shutdown: Some(tx),
            server,
        }
    }

    /// Starts the portal on a fresh SQLite database, for tests that do not depend on the
    /// engine.
    pub async fn start_sqlite(self) -> TestApp {
        self.start(store::testing::sqlite().await).await
    }
}

impl Default for TestPortal {
    fn default() -> TestPortal {
        TestPortal::new()
    }
}

/// Runs `body` against a portal on each available engine: SQLite, then PostgreSQL when
/// `TEST_DATABASE_URL` is set. A failure says which engine it happened on.
pub async fn each_engine(body: impl AsyncFn(TestApp)) {
    each_engine_with(TestPortal::new(), body).await
}

/// `each_engine` with portals started as `portal` says.
pub async fn each_engine_with(portal: TestPortal, body: impl AsyncFn(TestApp)) {
    let mut apps = Vec::new();
    for store in store::testing::test_stores().await {
        apps.push(portal.clone().start(store).await);
    }
    for app in apps {
        let _note = EngineNote(app.store.engine());
        body(app).await;
    }
}

/// Names the engine when a test body panics against it.
struct EngineNote(store::Engine);

impl Drop for EngineNote {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("(the test body above failed against {:?})", self.0);
        }
    }
}

/// A running portal. Dropping it shuts the server down.
pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub store: TestStore,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    pub fn engine(&self) -> store::Engine {
        self.store.engine()
    }

    /// Asks the server to stop; in-flight requests are finished first.
    pub fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

// --- Requests --------------------------------------------------------------------------

/// A response, read whole.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// Where the response came from, after redirects.
    pub url: Url,
    pub body: Vec<u8>,
}

impl TestResponse {
    /// The body as JSON; panics, showing the status and body, when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} is not JSON ({e}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TestApp {
    /// A request to `path` on this portal, for what the helpers below do not cover
    /// (headers, forms); send it with `send`.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn send(&self, request: RequestBuilder) -> TestResponse {
        let response = request.send().await.unwrap();
        TestResponse {
            status: response.status(),
            headers: response.headers().clone(),
            url: response.url().clone(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::GET, path)).await
    }

    pub async fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        let request = self.request(Method::POST, path);
        self.send(request.header("content-type", content_type).body(body))
            .await
    }

    pub async fn put(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        let request = self.request(Method::PUT, path);
        self.send(request.header("content-type", content_type).body(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::DELETE, path)).await
    }

    /// GET `path`: the status and the JSON body (`Null` when the body is not JSON).
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_or_null(self.get(path).await)
    }

    /// POST `body` as JSON to `path`: the status and the JSON body (`Null` when the body
    /// is not JSON).
    pub async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        json_or_null(
            self.send(self.request(Method::POST, path).json(&body))
                .await,
        )
    }

    /// The page at `path` as a browser without JavaScript gets it, without the comment
    /// markers hydration leaves between nodes.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        (response.status, strip_comments(&response.text()))
    }
}

fn json_or_null(response: TestResponse) -> (StatusCode, Value) {
    let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, body)
}

/// `html` without comments (`<!-- -->`, `<!>`); the doctype stays.
pub fn strip_comments(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<!") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        if after.starts_with("<!DOCTYPE") || after.starts_with("<!doctype") {
            out.push_str("<!");
            rest = &after[2..];
            continue;
        }
        let end = if after.starts_with("<!--") {
            after.find("-->").map(|i| i + 3)
        } else {
            after.find('>').map(|i| i + 1)
        };
        match end {
            Some(end) => rest = &after[end..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

// --- The catalog, as tests set it up and look at it -----------------------------------

impl TestApp {
    /// Imports `yaml` straight into the store as the location `test:<target>`.
    pub async fn import_yaml(&self, target: &str, yaml: &str) {
        let location = LocationRecord {
            location_type: "test".into(),
            target: target.into(),
        };
        server::catalog::import::import_text(&self.store, &location, target, yaml)
            .await
            .expect("test entities import");
    }

    /// Registers a location through `POST /api/catalog/locations`; expects 201.
    pub async fn register_location(&self, location_type: &str, target: &str) -> Value {
        let (status, body) = self
            .post_json(
                "/api/catalog/locations",
                json!({ "type": location_type, "target": target }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// `GET /api/catalog/locations/{id}/status`; expects 200.
    pub async fn location_status(&self, id: &str) -> Value {
        let (status, body) = self
            .get_json(&format!("/api/catalog/locations/{id}/status"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Whether the store holds `entity_ref`.
    pub async fn has_entity(&self, entity_ref: &str) -> bool {
        self.store.entity_body(entity_ref).await.unwrap().is_some()
    }
}

// --- The built binary ------------------------------------------------------------------

/// The built `portico` binary with an empty environment (no DATABASE_URL, no PORTICO_*).
pub fn portico_bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_portico"));
    command.env_clear();
    command
}

/// `portico_bare` told to read no configuration file (`PORTICO_CONFIG=/dev/null`).
pub fn portico() -> Command {
    let mut command = portico_bare();
    command.env("PORTICO_CONFIG", "/dev/null");
    command
}
