//! The scaffolder API (`/api/scaffolder/v2`): a template from a file location runs as a
//! task, publishes to a local stand-in of the GitHub API that checks every request, and
//! registers the new repository's catalog file; bad input, dry runs and secrets.

use crate::support::{TestApp, TestPortal, each_engine_with};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Method, StatusCode as Code};
use axum::routing::any;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::integrations::github::{GithubHost, GithubIntegration};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

const TEMPLATE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: service
  title: A service
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: Name
      required: [name, owner]
      properties:
        name: {type: string, pattern: '^[a-z][a-z0-9-]*$'}
        owner: {type: string}
        token: {type: string, ui:field: Secret}
  steps:
    - id: fetch
      name: Fetch the skeleton
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
          owner: ${{ parameters.owner }}
    - id: log
      name: Log
      action: debug:log
      input:
        message: 'token is ${{ secrets.token }}'
    - id: publish
      name: Publish
      action: publish:github
      input:
        repoUrl: github.com?owner=acme&repo=${{ parameters.name }}
        description: The ${{ parameters.name }} service
        access: acme/platform
        topics: [service]
    - id: register
      name: Register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps.publish.output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
    - id: build
      name: Start the first build
      action: github:actions:dispatch
      input:
        repoUrl: github.com?owner=acme&repo=${{ parameters.name }}
        workflowId: ci.yml
        branchOrTagName: master
        workflowInputs:
          reason: created by ${{ user.ref or 'someone' }}
  output:
    links:
      - title: Repository
        url: ${{ steps.publish.output.remoteUrl }}
      - title: Open in catalog
        entityRef: ${{ steps.register.output.entityRef }}
"#;

const CATALOG_INFO: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n";

/// A folder holding the template and its skeleton; the portal may read it.
fn template_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("template.yaml"), TEMPLATE).unwrap();
    let skeleton = dir.path().join("skeleton");
    std::fs::create_dir_all(skeleton.join("src")).unwrap();
    std::fs::write(skeleton.join("catalog-info.yaml"), CATALOG_INFO).unwrap();
    std::fs::write(
        skeleton.join("src/main.rs"),
        "// ${{ values.name }}\nfn main() {}\n",
    )
    .unwrap();
    dir
}

/// What the GitHub stand-in saw and holds.
#[derive(Default)]
pub(crate) struct Github {
    /// `METHOD path` of every request.
    pub requests: Vec<String>,
    bodies: HashMap<String, Value>,
    blobs: HashMap<String, Vec<u8>>,
    /// The files of the repository's branch once pushed: path → blob sha.
    files: HashMap<String, String>,
    trees: HashMap<String, Vec<(String, String)>>,
    repo_exists: bool,
    /// Holds `POST …/git/trees` unanswered (the moment a test kills the portal).
    hang_trees: bool,
}

pub(crate) type Shared = Arc<Mutex<Github>>;

/// A stand-in for the GitHub REST API: refuses requests without the token, keeps blobs,
/// trees and refs, and serves the pushed files back raw (for catalog registration).
pub(crate) async fn github_api() -> (std::net::SocketAddr, Shared, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let github: Shared = Arc::default();
    async fn handle(
        State(github): State<Shared>,
        method: Method,
        UrlPath(path): UrlPath<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> (Code, String) {
        if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer ghp_test") {
            return (
                Code::UNAUTHORIZED,
                json!({"message": "Bad credentials"}).to_string(),
            );
        }
        let path = format!("/{path}");
        // Held until the test lets go (or kills the portal that sent it).
        if github.lock().unwrap().hang_trees && path.ends_with("/git/trees") {
            github
                .lock()
                .unwrap()
                .requests
                .push(format!("{method} {path} (held)"));
            while github.lock().unwrap().hang_trees {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
        let mut gh = github.lock().unwrap();
        let key = format!("{method} {path}");
        gh.requests.push(key.clone());
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        gh.bodies.insert(key.clone(), body.clone());
        let ok = |value: Value| (Code::OK, value.to_string());
        match (method.as_str(), path.as_str()) {
            ("GET", "/repos/acme/payments") if gh.repo_exists => {
                ok(json!({"default_branch": "master"}))
            }
            ("GET", "/repos/acme/payments") => {
                (Code::NOT_FOUND, json!({"message": "Not Found"}).to_string())
            }
            ("GET", "/users/acme") => ok(json!({"login": "acme", "type": "Organization"})),
            ("POST", "/orgs/acme/repos") => {
                gh.repo_exists = true;
                (
                    Code::CREATED,
                    json!({
                        "default_branch": "main",
                        "clone_url": "https://github.com/acme/payments.git",
                        "html_url": "https://github.com/acme/payments",
                    })
                    .to_string(),
                )
            }
            ("POST", "/repos/acme/payments/git/blobs") => {
                let content = base64::engine::general_purpose::STANDARD
                    .decode(body["content"].as_str().unwrap())
                    .unwrap();
                let sha = format!("blob{}", gh.blobs.len());
                gh.blobs.insert(sha.clone(), content);
                (Code::CREATED, json!({"sha": sha}).to_string())
            }
            ("POST", "/repos/acme/payments/git/trees") => {
                let entries = body["tree"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        (
                            e["path"].as_str().unwrap().to_string(),
                            e["sha"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect();
                gh.trees.insert("tree1".into(), entries);
                (Code::CREATED, json!({"sha": "tree1"}).to_string())
            }
            ("POST", "/repos/acme/payments/git/commits") => {
                (Code::CREATED, json!({"sha": "commit1"}).to_string())
            }
            ("GET", "/repos/acme/payments/git/ref/heads/master") => {
                (Code::NOT_FOUND, json!({"message": "Not Found"}).to_string())
            }
            ("POST", "/repos/acme/payments/git/refs") => {
                gh.files = gh.trees["tree1"].iter().cloned().collect();
                (Code::CREATED, json!({"ref": body["ref"]}).to_string())
            }
            ("PATCH", "/repos/acme/payments") => ok(json!({})),
            ("DELETE", "/repos/acme/payments/git/refs/heads/main") => {
                (Code::NO_CONTENT, String::new())
            }
            ("PUT", "/repos/acme/payments/topics") => ok(json!({"names": body["names"]})),
            ("PUT", "/orgs/acme/teams/platform/repos/acme/payments") => {
                (Code::NO_CONTENT, String::new())
            }
            ("PUT", "/repos/acme/payments/branches/master/protection") => ok(json!({})),
            ("POST", "/repos/acme/payments/actions/workflows/ci.yml/dispatches") => {
                (Code::NO_CONTENT, String::new())
            }
            ("GET", file) if file.starts_with("/repos/acme/payments/contents/") => {
                let name = &file["/repos/acme/payments/contents/".len()..];
                match gh.files.get(name).and_then(|sha| gh.blobs.get(sha)) {
                    Some(content) => (Code::OK, String::from_utf8(content.clone()).unwrap()),
                    None => (Code::NOT_FOUND, json!({"message": "Not Found"}).to_string()),
                }
            }
            _ => (
                Code::NOT_FOUND,
                json!({"message": format!("stand-in has no {key}")}).to_string(),
            ),
        }
    }
    let router = Router::new()
        .route("/{*path}", any(handle))
        .with_state(github.clone());
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    (address, github, tx)
}

fn portal(api: std::net::SocketAddr, folder: &std::path::Path) -> TestPortal {
    let root = folder.to_path_buf();
    TestPortal::new().configure(move |c| {
        c.ingest.file_roots = vec![root];
        c.github = GithubIntegration::new(vec![GithubHost {
            host: "github.com".into(),
            api_url: format!("http://{api}"),
            token: Some(server::config::Secret::new("ghp_test")),
        }]);
    })
}

async fn register_template(app: &TestApp, folder: &std::path::Path) {
    let target = folder.join("template.yaml").display().to_string();
    app.register_location("file", &target).await;
}

/// Polls a task until it ends; its final JSON.
async fn finished(app: &TestApp, id: &str) -> Value {
    for _ in 0..200 {
        let (status, task) = app
            .get_json(&format!("/api/scaffolder/v2/tasks/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{task}");
        if matches!(
            task["status"].as_str(),
            Some("completed" | "failed" | "cancelled")
        ) {
            return task;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("task {id} did not finish");
}

#[tokio::test]
async fn a_template_publishes_a_repository_and_registers_it() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    each_engine_with(portal(api, folder.path()), async |app| {
        *github.lock().unwrap() = Github::default();
        register_template(&app, folder.path()).await;

        let (status, created) = app
            .post_json(
                "/api/scaffolder/v2/tasks",
                json!({
                    "templateRef": "template:default/service",
                    "values": {"name": "payments", "owner": "group:default/platform"},
                    "secrets": {"token": "s3cr3t-planted"},
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let task = finished(&app, &id).await;
        let (_, events) = app.get_json(&format!("/api/scaffolder/v2/tasks/{id}/events")).await;
        assert_eq!(task["status"], "completed", "{events:#}");

        // The repository: created in the organisation, one root commit with the rendered
        // skeleton plus CODEOWNERS, on master (GitHub's initial branch removed), the team
        // given admin access, the branch protected, the token on every request.
        {
            let gh = github.lock().unwrap();
            let create = &gh.bodies["POST /orgs/acme/repos"];
            assert_eq!((create["name"].as_str(), create["private"].as_bool()), (Some("payments"), Some(true)));
            assert_eq!(create["description"], "The payments service");
            let tree: HashMap<&str, &str> = gh.trees["tree1"].iter().map(|(p, s)| (p.as_str(), s.as_str())).collect();
            let file = |path: &str| String::from_utf8(gh.blobs[tree[path]].clone()).unwrap();
            assert_eq!(file("src/main.rs"), "// payments\nfn main() {}\n");
            assert!(file("catalog-info.yaml").contains("name: payments"));
            assert_eq!(file(".github/CODEOWNERS"), "* @acme/platform\n");
            assert_eq!(tree.len(), 3);
            assert_eq!(gh.bodies["POST /repos/acme/payments/git/commits"]["parents"], json!([]));
            assert_eq!(gh.bodies["POST /repos/acme/payments/git/refs"]["ref"], "refs/heads/master");
            assert_eq!(gh.bodies["PATCH /repos/acme/payments"]["default_branch"], "master");
            assert!(gh.requests.contains(&"DELETE /repos/acme/payments/git/refs/heads/main".to_string()));
            assert_eq!(gh.bodies["PUT /orgs/acme/teams/platform/repos/acme/payments"]["permission"], "admin");
            assert_eq!(gh.bodies["PUT /repos/acme/payments/topics"]["names"], json!(["service"]));
            let dispatch = &gh.bodies["POST /repos/acme/payments/actions/workflows/ci.yml/dispatches"];
            assert_eq!(dispatch["ref"], "master");
            assert_eq!(dispatch["inputs"]["reason"], "created by someone");
            let protection = &gh.bodies["PUT /repos/acme/payments/branches/master/protection"];
            assert_eq!(protection["required_pull_request_reviews"]["required_approving_review_count"], 1);
        }

        // Registered: the new component is in the catalog, and the output links to it.
        assert!(app.has_entity("component:default/payments").await);
        let links = &events.as_array().unwrap().last().unwrap()["body"]["output"]["links"];
        assert_eq!(links[0]["url"], "https://github.com/acme/payments.git");
        assert_eq!(links[1]["entityRef"], "component:default/payments");

        // The planted secret reached the step (it ran) but was stored nowhere.
        let log = events.to_string();
        assert!(log.contains("token is ***"), "{log}");
        assert!(!log.contains("s3cr3t-planted"));
        let row = app.store.task(&id).await.unwrap().unwrap();
        assert!(!format!("{row:?}").contains("s3cr3t-planted"));

        // Running it again refuses to overwrite the repository that now exists.
        let (_, again) = app
            .post_json(
                "/api/scaffolder/v2/tasks",
                json!({"templateRef": "template:default/service", "values": {"name": "payments", "owner": "x"}}),
            )
            .await;
        let again = finished(&app, again["id"].as_str().unwrap()).await;
        assert_eq!(again["status"], "failed");
        let (_, events) = app.get_json(&format!("/api/scaffolder/v2/tasks/{}/events", again["id"].as_str().unwrap())).await;
        assert!(events.to_string().contains("already exists"), "{events}");
    })
    .await;
}

#[tokio::test]
async fn bad_values_unknown_templates_and_tokens_in_input_are_refused() {
    let folder = template_folder();
    let (api, _github, _stop) = github_api().await;
    let app = portal(api, folder.path()).start_sqlite().await;
    register_template(&app, folder.path()).await;

    let (status, body) = app
        .post_json(
            "/api/scaffolder/v2/tasks",
            json!({"templateRef": "template:default/service", "values": {"name": "Not A Name"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let properties: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["property"].as_str().unwrap())
        .collect();
    assert!(
        properties.contains(&"instance.name") && properties.contains(&"instance"),
        "{body}"
    );

    let (status, body) = app
        .post_json(
            "/api/scaffolder/v2/tasks",
            json!({"templateRef": "template:default/nope", "values": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let (status, _) = app
        .post_json(
            "/api/scaffolder/v2/tasks",
            json!({"templateRef": "x", "sneaky": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, schema) = app
        .get_json("/api/scaffolder/v2/templates/default/template/service/parameter-schema")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema["title"], "A service");
    assert_eq!(
        schema["steps"][0]["schema"]["required"],
        json!(["name", "owner"])
    );

    // A template with an unknown action and a schema that does not compile is refused on
    // run, with each problem and where it is.
    let broken = TEMPLATE
        .replace("name: service", "name: broken")
        .replace("action: debug:log", "action: shell:exec")
        .replace("type: string, pattern", "type: strang, pattern");
    std::fs::write(folder.path().join("broken.yaml"), broken).unwrap();
    app.register_location(
        "file",
        &folder.path().join("broken.yaml").display().to_string(),
    )
    .await;
    let (status, body) = app
        .post_json(
            "/api/scaffolder/v2/tasks",
            json!({"templateRef": "template:default/broken", "values": {}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("spec.steps[1].action: shell:exec is not an action"),
        "{message}"
    );
    assert!(
        message.contains("spec.parameters[0]: not a valid JSON Schema"),
        "{message}"
    );

    let (status, actions) = app.get_json("/api/scaffolder/v2/actions").await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"publish:github") && ids.contains(&"portico:render"),
        "{ids:?}"
    );
}

#[tokio::test]
async fn a_dry_run_shows_the_files_and_publishes_nothing() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    let app = portal(api, folder.path()).start_sqlite().await;
    register_template(&app, folder.path()).await;
    let (status, body) = app
        .post_json(
            "/api/scaffolder/v2/dry-run",
            json!({"templateRef": "template:default/service", "values": {"name": "orders", "owner": "group:default/platform"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "completed", "{body:#}");
    let paths: Vec<&str> = body["directoryContents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["catalog-info.yaml", "src/main.rs"]);
    assert_eq!(
        body["output"]["links"][0]["url"],
        "https://github.com/acme/orders.git"
    );
    assert!(
        body["log"]
            .to_string()
            .contains("Dry run: would create https://github.com/acme/orders")
    );
    assert!(
        github.lock().unwrap().requests.is_empty(),
        "a dry run called GitHub"
    );
    assert!(!app.has_entity("component:default/orders").await);
}

/// The golden paths shipped with the portal, each published (in a dry run) with typical
/// values: the trees are kept in `server/tests/golden_paths/<case>/`, which
/// `crates/render/lint/run.sh` lints with the same tools as the render output. With
/// `UPDATE_GOLDEN=1` this test rewrites them.
#[tokio::test]
async fn the_golden_paths_publish_the_committed_trees() {
    let app = TestPortal::new().demo_catalog().start_sqlite().await;
    let repo = |name: &str| format!("github.com?owner=acme&repo={name}");
    let cases = [
        (
            "service-axum-canary",
            "service",
            json!({"name": "ledger", "description": "Double-entry ledger: \"every cent\"", "owner": "group:default/payments", "framework": "axum", "strategy": "canary", "repoUrl": repo("ledger")}),
        ),
        (
            "service-fastapi-blue-green",
            "service",
            json!({"name": "recommendations", "owner": "group:default/data-team", "framework": "fastapi", "strategy": "blue_green", "repoUrl": repo("recommendations")}),
        ),
        (
            "library-rust",
            "library",
            json!({"name": "money", "description": "Amounts and currencies", "owner": "group:default/payments", "language": "rust", "repoUrl": repo("money")}),
        ),
        (
            "library-python",
            "library",
            json!({"name": "feature-flags", "owner": "group:default/platform", "language": "python", "repoUrl": repo("feature-flags")}),
        ),
        (
            "library-typescript",
            "library",
            json!({"name": "ui-kit", "owner": "group:default/checkout-team", "language": "typescript", "repoUrl": repo("ui-kit")}),
        ),
        (
            "docs-site",
            "docs-site",
            json!({"name": "handbook", "title": "Engineering handbook", "owner": "group:default/platform", "system": "system:default/shop", "repoUrl": repo("handbook")}),
        ),
    ];
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden_paths");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (case, template, values) in cases {
        let (status, body) = app
            .post_json(
                "/api/scaffolder/v2/dry-run",
                json!({"templateRef": format!("template:default/{template}"), "values": values}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{case}: {body}");
        assert_eq!(body["status"], "completed", "{case}: {:#}", body["log"]);
        let mut published: Vec<(String, Vec<u8>)> = body["directoryContents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(f["base64Content"].as_str().unwrap())
                    .unwrap();
                (f["path"].as_str().unwrap().to_string(), bytes)
            })
            .collect();
        published.sort();
        let dir = root.join(case);
        if update {
            let _ = std::fs::remove_dir_all(&dir);
            for (path, bytes) in &published {
                let file = dir.join(path);
                std::fs::create_dir_all(file.parent().unwrap()).unwrap();
                std::fs::write(file, bytes).unwrap();
            }
        }
        let mut committed = Vec::new();
        let mut pending = vec![dir.clone()];
        while let Some(folder) = pending.pop() {
            for entry in std::fs::read_dir(&folder)
                .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1", folder.display()))
            {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let relative = path.strip_prefix(&dir).unwrap().display().to_string();
                    committed.push((relative, std::fs::read(&path).unwrap()));
                }
            }
        }
        committed.sort();
        let names =
            |files: &[(String, Vec<u8>)]| files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&published),
            names(&committed),
            "{case}: the published files changed; UPDATE_GOLDEN=1 rewrites them"
        );
        for ((path, new), (_, old)) in published.iter().zip(&committed) {
            assert!(
                new == old,
                "{case}/{path} changed; UPDATE_GOLDEN=1 rewrites it"
            );
        }
    }
}

/// A portal binary on `database`, configured by `config`, answering on `port`.
struct Portal {
    child: std::process::Child,
    base: String,
}

impl Portal {
    async fn start(config: &std::path::Path, database: &str, port: u16) -> Portal {
        let child = crate::support::portico_bare()
            .env("PORTICO_CONFIG", config)
            .env("DATABASE_URL", database)
            .env("PORTICO_LISTEN", format!("127.0.0.1:{port}"))
            .env("PORTICO_LOG_LEVEL", "warn")
            .arg("serve")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("portico starts");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..300 {
            if reqwest::get(format!("{base}/healthz"))
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Portal { child, base };
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
        panic!("the portal did not answer /healthz");
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The issue's test: the portal is killed (SIGKILL) while publishing — the repository
/// created, the push under way — and started again. The task is taken over when its
/// lease lapses, resumes from the step that did not finish, finds the repository it
/// created, and completes: one repository, registered once.
#[tokio::test(flavor = "multi_thread")]
async fn a_task_killed_mid_publish_resumes_without_a_second_repository() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    github.lock().unwrap().hang_trees = true;
    let config = folder.path().join("portico.yaml");
    std::fs::write(
        &config,
        format!(
            "permissions: {{anonymous_read: true, rules: [{{actions: \"*\", allow: anyone}}]}}\n\
             catalog_file_roots: {}\ngithub_api_url: http://{api}\ngithub_token: ghp_test\n\
             background_lease_secs: 10\nbackground_poll_secs: 1\n",
            folder.path().display()
        ),
    )
    .unwrap();
    let database = format!("sqlite://{}", folder.path().join("portico.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = reqwest::Client::new();

    let mut first = Portal::start(&config, &database, port).await;
    let target = folder.path().join("template.yaml").display().to_string();
    let registered = client
        .post(format!("{}/api/catalog/locations", first.base))
        .json(&json!({"type": "file", "target": target}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let created: Value = client
        .post(format!("{}/api/scaffolder/v2/tasks", first.base))
        .json(&json!({"templateRef": "template:default/service", "values": {"name": "payments", "owner": "group:default/platform"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().expect("a task id").to_string();
    for _ in 0..200 {
        if github
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r.ends_with("(held)"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        github
            .lock()
            .unwrap()
            .requests
            .iter()
            .any(|r| r.ends_with("(held)")),
        "the push never started"
    );
    first.child.kill().unwrap(); // SIGKILL: no shutdown, the claim stays until its lease lapses
    first.child.wait().unwrap();
    github.lock().unwrap().hang_trees = false;

    let second = Portal::start(&config, &database, port).await;
    let mut task = Value::Null;
    for _ in 0..400 {
        task = client
            .get(format!("{}/api/scaffolder/v2/tasks/{id}", second.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(task["status"].as_str(), Some("completed" | "failed")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let events: Value = client
        .get(format!(
            "{}/api/scaffolder/v2/tasks/{id}/events",
            second.base
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(task["status"], "completed", "{events:#}");
    let log = events.to_string();
    assert!(log.contains("recovered"), "{log}");
    assert!(
        log.contains("created by this task before it was resumed"),
        "{log}"
    );
    let requests = github.lock().unwrap().requests.clone();
    let creations = requests
        .iter()
        .filter(|r| *r == "POST /orgs/acme/repos")
        .count();
    assert_eq!(creations, 1, "{requests:#?}");
    let entity = client
        .get(format!(
            "{}/api/catalog/entities/by-name/component/default/payments",
            second.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(entity.status(), 200);
}

/// Cancel stops a running task before its next step; retry runs it on from the step that
/// did not finish without repeating what changed the world (the repository stays one).
/// The event stream and the long poll return the same events as the list.
#[tokio::test]
async fn cancel_stops_before_the_next_step_and_retry_finishes_without_repeating() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    each_engine_with(portal(api, folder.path()), async |app| {
        *github.lock().unwrap() = Github { hang_trees: true, ..Github::default() };
        register_template(&app, folder.path()).await;
        let (_, created) = app
            .post_json(
                "/api/scaffolder/v2/tasks",
                json!({"templateRef": "template:default/service", "values": {"name": "payments", "owner": "group:default/platform"}}),
            )
            .await;
        let id = created["id"].as_str().unwrap().to_string();
        while !github.lock().unwrap().requests.iter().any(|r| r.ends_with("(held)")) {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let (status, body) = app.post_json(&format!("/api/scaffolder/v2/tasks/{id}/cancel"), json!({})).await;
        assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("cancelling")), "{body}");
        // The held request is answered (as if GitHub were slow): publishing finishes, and
        // the task stops before registering.
        github.lock().unwrap().hang_trees = false;
        let task = finished(&app, &id).await;
        assert_eq!(task["status"], "cancelled");
        assert!(!app.has_entity("component:default/payments").await);

        let (status, _) = app.post_json(&format!("/api/scaffolder/v2/tasks/{id}/retry"), json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let task = finished(&app, &id).await;
        assert_eq!(task["status"], "completed");
        assert!(app.has_entity("component:default/payments").await);
        let creations = github.lock().unwrap().requests.iter().filter(|r| *r == "POST /orgs/acme/repos").count();
        assert_eq!(creations, 1);
        let (status, body) = app.post_json(&format!("/api/scaffolder/v2/tasks/{id}/cancel"), json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        let (_, events) = app.get_json(&format!("/api/scaffolder/v2/tasks/{id}/events")).await;
        let events = events.as_array().unwrap().clone();
        let stream = app.get(&format!("/api/scaffolder/v2/tasks/{id}/eventstream")).await;
        assert_eq!(stream.headers["content-type"], "text/event-stream");
        let data: Vec<Value> = stream
            .text()
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| serde_json::from_str(data).unwrap())
            .collect();
        // Both runs' events: the stream ends once the task has ended for good.
        assert_eq!(data, events);
        let last = events.last().unwrap()["id"].as_i64().unwrap();
        let (_, after) = app.get_json(&format!("/api/scaffolder/v2/tasks/{id}/events?after={last}&wait=true")).await;
        assert_eq!(after, json!([]), "a long poll on an ended task answers at once");
    })
    .await;
}

/// With the product's default policy: running templates needs a signed-in person; a task
/// is its creator's to cancel or retry (and the admins'); anyone signed in may read tasks.
#[tokio::test]
async fn people_run_templates_and_only_the_creator_or_an_admin_cancels() {
    use crate::permissions::{callers, client};
    let folder = template_folder();
    let (api, _github, _stop) = github_api().await;
    let root = folder.path().to_path_buf();
    let portal = crate::permissions::portal().configure(move |c| {
        c.ingest.file_roots = vec![root];
        c.github = GithubIntegration::new(vec![GithubHost {
            host: "github.com".into(),
            api_url: format!("http://{api}"),
            token: Some(server::config::Secret::new("ghp_test")),
        }]);
    });
    each_engine_with(portal, async |app| {
        let who = callers(&app).await;
        let send = async |cookie: &str, method: reqwest::Method, path: &str, body: Value| {
            let mut request = client()
                .request(method, app.url(path))
                .header("origin", format!("http://{}", app.address))
                .json(&body);
            if !cookie.is_empty() {
                request = request.header(reqwest::header::COOKIE, cookie);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        };
        let run = json!({"templateRef": "template:default/library",
                         "values": {"name": "money", "owner": "group:default/payments", "language": "rust",
                                    "repoUrl": "github.com?owner=acme&repo=money"}});
        let (status, body) = send(&who.anonymous, reqwest::Method::POST, "/api/scaffolder/v2/tasks", run.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, created) = send(&who.grace, reqwest::Method::POST, "/api/scaffolder/v2/tasks", run).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["id"].as_str().unwrap();
        let mut task = Value::Null;
        for _ in 0..200 {
            task = send(&who.grace, reqwest::Method::GET, &format!("/api/scaffolder/v2/tasks/{id}"), Value::Null).await.1;
            if matches!(task["status"].as_str(), Some("completed" | "failed")) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(matches!(task["status"].as_str(), Some("completed" | "failed")), "{task}");
        assert_eq!(task["createdBy"], "user:default/grace.hopper");

        let (status, _) = send(&who.alan, reqwest::Method::GET, &format!("/api/scaffolder/v2/tasks/{id}"), Value::Null).await;
        assert_eq!(status, StatusCode::OK, "anyone signed in reads tasks");
        let cancel = format!("/api/scaffolder/v2/tasks/{id}/cancel");
        let (status, body) = send(&who.alan, reqwest::Method::POST, &cancel, json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("task:"), "{body}");
        // Allowed for the creator and an admin; the task has ended, so the answer is 409.
        for cookie in [&who.grace, &who.ada] {
            let (status, body) = send(cookie, reqwest::Method::POST, &cancel, json!({})).await;
            assert_eq!(status, StatusCode::CONFLICT, "{body}");
        }
        let mine = "/api/scaffolder/v2/tasks?createdBy=user:default/grace.hopper";
        let (_, listed) = send(&who.grace, reqwest::Method::GET, mine, Value::Null).await;
        assert_eq!(listed["totalTasks"], 1);
    })
    .await;
}
