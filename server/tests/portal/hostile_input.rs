//! Hostile input (issue 8): what one client, one file or one URL can do to the portal is
//! bounded — register drafts are capped, a slow parse or a FIFO stalls nothing else, and
//! errors say nothing about files or answers the caller may not see.
//!
//! Each test runs on a runtime of its own that is shut down without waiting for blocking
//! threads, so that a read or parse stuck on one (the failures these tests catch) ends
//! the test instead of hanging it.

use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::config::Config;
use server::state::AppState;
use std::collections::BTreeMap;
use std::future::Future;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use store::testing::TestStore;
use tokio::sync::oneshot;

/// Runs `test` on a runtime with `workers` worker threads, at most `limit` long.
fn run(workers: usize, limit: Duration, test: impl Future<Output = ()>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async {
            tokio::time::timeout(limit, test)
                .await
                .expect("the test finished in time")
        })
    }));
    runtime.shutdown_background();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// The test configuration with `env` on top, as the environment would set it.
fn config(env: &[(&str, &str)]) -> Config {
    let mut vars = BTreeMap::from([
        ("PORTICO_CONFIG".to_string(), "/dev/null".to_string()),
        ("PORTICO_LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ]);
    vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let mut config = Config::load(&vars).expect("test configuration");
    // These tests are about what input can do, not who may send it.
    config.policy = crate::support::open_policy();
    config
}

struct App {
    address: SocketAddr,
    client: reqwest::Client,
    state: AppState,
    store: TestStore,
    _shutdown: oneshot::Sender<()>,
}

impl App {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The error message of a dry run of `target` (which must fail).
    async fn dry_run_error(&self, location_type: &str, target: &str) -> String {
        let (status, body) = self
            .post(
                "/api/catalog/locations?dryRun=true",
                json!({ "type": location_type, "target": target }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}: {body}");
        body["error"]["message"].as_str().unwrap().to_string()
    }

    /// Registers `target` and returns the `lastError` of its first read.
    async fn registered_error(&self, location_type: &str, target: &str) -> String {
        let (status, body) = self
            .post(
                "/api/catalog/locations",
                json!({ "type": location_type, "target": target }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["status"]["lastError"]
            .as_str()
            .unwrap_or_else(|| panic!("no lastError in {body}"))
            .to_string()
    }
}

async fn spawn(store: TestStore, config: Config) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = AppState::new(config, store.store.clone());
    let router = server::http::router(state.clone());
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    App {
        address,
        client: reqwest::Client::new(),
        state,
        store,
        _shutdown: tx,
    }
}

fn component(name: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
    )
}

fn write(path: &Path, text: &str) -> String {
    std::fs::write(path, text).unwrap();
    path.display().to_string()
}

/// Serves `router` on an ephemeral loopback port.
async fn host(router: Router) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    (address, tx)
}

/// `GET path` over a plain socket on a thread of its own, so that it does not depend
/// on the portal's runtime; the status line, or why there is none within `limit`.
fn get_on_own_thread(address: SocketAddr, path: &str, limit: Duration) -> Result<String, String> {
    let mut stream = std::net::TcpStream::connect_timeout(&address, limit)
        .map_err(|e| format!("connect: {e}"))?;
    stream.set_read_timeout(Some(limit)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if answer.is_empty() => return Err(format!("no answer within {limit:?}: {e}")),
            Err(_) => break,
        }
        if answer.windows(2).any(|w| w == b"\r\n") {
            break;
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.lines().next().unwrap_or_default().to_string())
}

// --- Item 2: parsing runs off the async threads, under a deadline ----------------------

/// Text the parser of 1a53dcb needed about 20 s to read (debug build, 2 cores): every
/// document an unclosed flow sequence.
fn slow_to_parse() -> String {
    "a: [\n---\n".repeat(12_000)
}

#[test]
fn a_slow_parse_leaves_the_portal_answering() {
    // One worker thread: a parse on it would stop every other request.
    run(1, Duration::from_secs(120), async {
        let dir = tempfile::tempdir().unwrap();
        let hostile = write(&dir.path().join("hostile.yaml"), &slow_to_parse());
        let root = dir.path().display().to_string();
        let config = config(&[
            ("PORTICO_CATALOG_FILE_ROOTS", root.as_str()),
            ("PORTICO_CATALOG_PARSE_TIMEOUT_SECS", "1"),
        ]);
        let app = spawn(store::testing::sqlite().await, config).await;
        // The probe runs on a thread of its own from the start: had the parse taken the
        // one worker thread, this test's own code would wait for it too.
        let address = app.address;
        let health = std::thread::spawn(move || {
            // Time for the read to reach the parser.
            std::thread::sleep(Duration::from_millis(500));
            get_on_own_thread(address, "/healthz", Duration::from_secs(5))
        });
        let read = app
            .post(
                "/api/catalog/locations?dryRun=true",
                json!({ "type": "file", "target": hostile }),
            )
            .await;
        let health = tokio::task::spawn_blocking(move || health.join().unwrap())
            .await
            .unwrap();
        let status = health.expect("/healthz answers while the hostile text is parsed");
        assert!(status.contains("200"), "{status}");
        // The read itself ends with an error (the deadline, or the parser's own) rather
        // than holding the request.
        let (status, body) = read;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    });
}

// --- Item 4: register drafts are bounded ------------------------------------------------

/// The action of the register page's paste form.
async fn paste_action(app: &App) -> String {
    let html = app
        .client
        .get(app.url("/catalog/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = &html[html.find("register-form").expect("the paste form")..];
    let form = &html[html[..html.len() - form.len()].rfind("<form").unwrap()..];
    let start = form.find("action=\"").unwrap() + 8;
    form[start..start + form[start..].find('"').unwrap()].to_string()
}

/// Posts pasted text as a browser without JavaScript does, from `client` (as the proxy
/// in front of the portal names it); returns the draft id, or the page's alert.
async fn paste(app: &App, action: &str, client: &str, yaml: &str) -> Result<String, String> {
    let response = app
        .client
        .post(app.url(action))
        .header("accept", "text/html")
        .header("referer", app.url("/catalog/register"))
        .header("x-forwarded-for", format!("192.0.2.99, {client}"))
        .form(&[("yaml", yaml), ("url", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let url = response.url().to_string();
    let html = response.text().await.unwrap();
    match url.split_once("draft=") {
        Some((_, id)) => Ok(id.to_string()),
        None => {
            let at = html
                .find("role=\"alert\"")
                .unwrap_or_else(|| panic!("neither a draft nor an alert: {url}\n{html}"));
            let alert = &html[at..];
            Err(alert[alert.find('>').unwrap() + 1..alert.find("</p>").unwrap()].to_string())
        }
    }
}

/// The register page of draft `id`.
async fn draft_page(app: &App, id: &str) -> String {
    app.client
        .get(app.url(&format!("/catalog/register?draft={id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[test]
fn register_drafts_are_capped_in_size_per_client_and_in_total() {
    run(2, Duration::from_secs(120), async {
        for store in store::testing::test_stores().await {
            let app = spawn(
                store,
                config(&[
                    ("PORTICO_CATALOG_MAX_FILE_BYTES", "4096"),
                    ("PORTICO_REGISTER_DRAFTS_PER_CLIENT", "2"),
                    ("PORTICO_REGISTER_DRAFTS_TOTAL", "3"),
                    ("PORTICO_CLIENT_ADDRESS_HEADER", "x-forwarded-for"),
                ]),
            )
            .await;
            let action = paste_action(&app).await;
            let yaml = |n: u32| format!("# draft {n}\n{}", component("pasted"));

            // A draft larger than a catalog file may be is refused, and says so.
            let large = format!("{}{}", yaml(0), "#".repeat(5000));
            let refused = paste(&app, &action, "198.51.100.1", &large)
                .await
                .unwrap_err();
            assert!(refused.contains("catalog_max_file_bytes"), "{refused}");

            // One client keeps its two latest drafts: a third replaces its first.
            let first = paste(&app, &action, "198.51.100.1", &yaml(1))
                .await
                .unwrap();
            let second = paste(&app, &action, "198.51.100.1", &yaml(2))
                .await
                .unwrap();
            assert!(draft_page(&app, &first).await.contains("# draft 1"));
            let third = paste(&app, &action, "198.51.100.1", &yaml(3))
                .await
                .unwrap();
            let gone = draft_page(&app, &first).await;
            assert!(gone.contains("paste the YAML again"), "{gone}");
            assert!(draft_page(&app, &second).await.contains("# draft 2"));
            assert!(draft_page(&app, &third).await.contains("# draft 3"));

            // Another client's draft fills the total; a third client is refused, with
            // what, why and what to do.
            let other = paste(&app, &action, "203.0.113.5", &yaml(4)).await.unwrap();
            let refused = paste(&app, &action, "203.0.113.6", &yaml(5))
                .await
                .unwrap_err();
            assert!(refused.contains("register_drafts_total"), "{refused}");
            assert!(refused.contains("try again"), "{refused}");
            assert!(draft_page(&app, &other).await.contains("# draft 4"));
            // A client at its own cap still replaces its oldest, total or not.
            paste(&app, &action, "198.51.100.1", &yaml(6))
                .await
                .unwrap();
            assert!(
                draft_page(&app, &second)
                    .await
                    .contains("paste the YAML again")
            );
            assert!(draft_page(&app, &other).await.contains("# draft 4"));
        }
    });
}

// --- Item 5: a FIFO in a file root holds up nothing ------------------------------------

#[test]
fn a_fifo_in_a_file_root_does_not_hold_up_the_other_locations() {
    run(2, Duration::from_secs(90), async {
        let dir = tempfile::tempdir().unwrap();
        let fine = write(&dir.path().join("fine.yaml"), &component("fine"));
        let fifo = dir.path().join("stuck.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success(), "mkfifo");
        let root = dir.path().display().to_string();
        let app = spawn(
            store::testing::sqlite().await,
            config(&[("PORTICO_CATALOG_FILE_ROOTS", root.as_str())]),
        )
        .await;
        let now = chrono::Utc::now();
        let (stuck, _) = app
            .store
            .add_location("file", &fifo.display().to_string(), now)
            .await
            .unwrap();
        // The FIFO is never read yet, so the loop takes it first; the other location
        // is due right after it.
        let (other, _) = app.store.add_location("file", &fine, now).await.unwrap();
        let lease = Duration::from_secs(60);
        app.store
            .claim_location(&other.id, "setup", now, lease)
            .await
            .unwrap()
            .unwrap();
        app.store
            .finish_location_read(
                &other.id,
                "setup",
                now,
                now,
                &store::ReadResult::Failed {
                    error: "not read yet".into(),
                },
            )
            .await
            .unwrap();

        let refresh = server::catalog::refresh::RefreshLoop::start(
            app.store.store.clone(),
            app.state.ingester.clone(),
            "test-worker".into(),
            app.state.config.work.poll,
        );
        let mut read = false;
        // A generous bound: the loop needs well under a second for both.
        for _ in 0..300 {
            if app
                .store
                .entity_body("component:default/fine")
                .await
                .unwrap()
                .is_some()
            {
                read = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            read,
            "the loop moved on past the FIFO to the other location"
        );
        let stuck = app.store.location(&stuck.id).await.unwrap().unwrap();
        let error = stuck.last_error.unwrap_or_default();
        assert!(error.contains("not a regular file"), "{error}");
        refresh.stop().await;
    });
}

// --- Item 6: small leaks -----------------------------------------------------------------

#[test]
fn a_file_outside_the_roots_answers_as_a_missing_one_does() {
    run(2, Duration::from_secs(60), async {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        write(&dir.path().join("secret.yaml"), &component("secret"));
        let roots = root.display().to_string();
        let app = spawn(
            store::testing::sqlite().await,
            config(&[("PORTICO_CATALOG_FILE_ROOTS", roots.as_str())]),
        )
        .await;
        let existing = format!("{roots}/../secret.yaml");
        let missing = format!("{roots}/../missing.yaml");
        let inside = format!("{roots}/missing.yaml");
        let without_target = |message: String, target: &str| message.replace(target, "TARGET");

        let answer = without_target(app.dry_run_error("file", &existing).await, &existing);
        assert!(!answer.contains("refused"), "{answer}");
        for target in [&missing, &inside] {
            let other = without_target(app.dry_run_error("file", target).await, target);
            assert_eq!(answer, other);
        }
        let answer = without_target(app.registered_error("file", &existing).await, &existing);
        let other = without_target(app.registered_error("file", &missing).await, &missing);
        assert_eq!(answer, other);
    });
}

/// A catalog host on one port, with a redirect to `elsewhere`; `/leak.yaml` answers what
/// no error may repeat.
fn catalog_host(elsewhere: SocketAddr) -> Router {
    Router::new()
        .route("/catalog.yaml", get(|| async { component("remote") }))
        .route(
            "/to-elsewhere",
            get(move || async move {
                axum::response::Redirect::temporary(&format!("http://{elsewhere}/"))
            }),
        )
        .route(
            "/leak.yaml",
            get(|| async {
                "apiVersion: backstage.io/v1alpha1\nkind: Secret-1\nmetadata:\n  name: secret 2\n  \
                 token: SECRET-3\n---\nSECRET-4 is the database password\n---\nSECRET-5: [1\n"
            }),
        )
}

#[test]
fn an_allowed_address_is_reachable_on_its_port_only() {
    run(2, Duration::from_secs(60), async {
        // A stand-in for the database next to the allowed Git server: counts requests.
        let hits = Arc::new(AtomicUsize::new(0));
        let (database, _stop_db) = host(Router::new().fallback({
            let hits = hits.clone();
            move || async move {
                hits.fetch_add(1, Ordering::SeqCst);
                "no catalog here"
            }
        }))
        .await;
        let (catalog, _stop) = host(catalog_host(database)).await;
        let allow = format!("127.0.0.1:{}", catalog.port());
        let app = spawn(
            store::testing::sqlite().await,
            config(&[("PORTICO_CATALOG_URL_ALLOW", allow.as_str())]),
        )
        .await;

        let (status, body) = app
            .post(
                "/api/catalog/locations?dryRun=true",
                json!({ "type": "url", "target": format!("http://{catalog}/catalog.yaml") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let error = app
            .dry_run_error("url", &format!("http://{catalog}/to-elsewhere"))
            .await;
        assert!(
            error.contains(&format!("not on port {}", database.port())),
            "{error}"
        );
        let error = app
            .dry_run_error("url", &format!("http://{database}/"))
            .await;
        assert!(error.contains("PORTICO_CATALOG_URL_ALLOW"), "{error}");
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "nothing reached the other port"
        );
    });
}

#[test]
fn url_errors_do_not_repeat_what_the_url_answered() {
    run(2, Duration::from_secs(60), async {
        let (catalog, _stop) = host(catalog_host("127.0.0.1:9".parse().unwrap())).await;
        let allow = format!("127.0.0.1:{}", catalog.port());
        let app = spawn(
            store::testing::sqlite().await,
            config(&[("PORTICO_CATALOG_URL_ALLOW", &allow)]),
        )
        .await;
        let leak = format!("http://{catalog}/leak.yaml");
        for error in [
            app.dry_run_error("url", &leak).await,
            app.registered_error("url", &leak).await,
        ] {
            for secret in ["Secret-1", "secret 2", "SECRET"] {
                assert!(!error.contains(secret), "{secret} in {error}");
            }
            // What is left says where and what kind of problem.
            assert!(
                error.contains(&format!("{leak}:1:1: is not a valid catalog entity")),
                "{error}"
            );
            assert!(error.contains(&format!("{leak}:7:")), "{error}");
        }
    });
}
