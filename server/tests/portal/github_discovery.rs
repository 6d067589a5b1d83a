//! GitHub discovery and the GitHub org provider (`catalog.providers`), against a local
//! stand-in of GitHub's REST API that serves an organisation of 300 repositories with
//! pagination, ETags, rate-limit headers and a secondary rate limit, and records every
//! request it gets.

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use catalog::github::parse_providers;
use serde_json::{Value, json};
use server::catalog::ingest::Ingester;
use server::catalog::providers::EntityProviders;
use server::config::{Config, Secret};
use server::integrations::github::{GithubHost, GithubIntegration};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::Store;

const TOKEN: &str = "ghp_discovery";
const REPOSITORIES: usize = 300;

/// One repository of the stand-in organisation.
#[derive(Clone)]
struct Repo {
    name: String,
    archived: bool,
    fork: bool,
    topics: Vec<String>,
    pushed_at: String,
    /// Path → catalog file text, on `main`.
    files: BTreeMap<String, String>,
}

/// The organisations, and what the stand-in saw.
#[derive(Default)]
struct GitHub {
    repos: BTreeMap<String, Vec<Repo>>,
    teams: BTreeMap<String, Vec<Value>>,
    team_members: BTreeMap<String, Vec<String>>,
    members: BTreeMap<String, Vec<String>>,
    users: BTreeMap<String, Value>,
    /// Every request: `path?query` and whether it was conditional, with the status.
    requests: Vec<(String, bool, u16)>,
    /// Paths answered `403` with `retry-after: 1` once (a secondary rate limit).
    secondary_limit_once: Vec<String>,
    /// The budget each answer states.
    remaining: u64,
    reset_in_secs: i64,
}

type Shared = Arc<Mutex<GitHub>>;

fn component(name: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\n\
         spec:\n  type: service\n  lifecycle: production\n  owner: group:default/platform\n"
    )
}

/// 300 repositories: every 50th archived, every 40th a fork, every 3rd tagged
/// `backstage`, and every 5th without a catalog file.
fn organisation() -> Vec<Repo> {
    (0..REPOSITORIES)
        .map(|i| {
            let name = format!("svc-{i:03}");
            let mut files = BTreeMap::new();
            if i % 5 != 0 {
                files.insert("catalog-info.yaml".to_string(), component(&name));
            }
            Repo {
                archived: i % 50 == 7,
                fork: i % 40 == 3,
                topics: if i % 3 == 0 {
                    vec!["backstage".into()]
                } else {
                    vec![]
                },
                pushed_at: "2026-12-01T10:00:00Z".into(),
                files,
                name,
            }
        })
        .collect()
}

/// The repositories discovery should register with the default filters.
fn expected(repos: &[Repo]) -> Vec<String> {
    let mut urls: Vec<String> = repos
        .iter()
        .filter(|r| !r.archived && !r.fork)
        .flat_map(|r| {
            r.files
                .keys()
                .map(move |path| format!("https://github.com/acme/{}/blob/main/{path}", r.name))
        })
        .collect();
    urls.sort();
    urls
}

fn etag_of(value: &impl std::fmt::Debug) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    format!("{value:?}").hash(&mut hasher);
    format!("W/\"{:x}\"", hasher.finish())
}

/// A JSON answer with an ETag, `304` when the request's `If-None-Match` matches, and the
/// rate-limit headers; `Link` when there is a next page.
fn answer(
    github: &mut GitHub,
    key: String,
    headers: &HeaderMap,
    body: Value,
    next: Option<String>,
) -> Response {
    let etag = etag_of(&(&body, &next));
    let conditional = headers.get("if-none-match").and_then(|v| v.to_str().ok());
    github.remaining = github
        .remaining
        .saturating_sub(u64::from(conditional != Some(etag.as_str())));
    let reset = chrono::Utc::now().timestamp() + github.reset_in_secs;
    let mut response = if conditional == Some(etag.as_str()) {
        github.requests.push((key, true, 304));
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        github.requests.push((key, conditional.is_some(), 200));
        axum::Json(body).into_response()
    };
    let h = response.headers_mut();
    h.insert("etag", etag.parse().unwrap());
    h.insert("x-ratelimit-limit", "5000".parse().unwrap());
    h.insert(
        "x-ratelimit-remaining",
        github.remaining.to_string().parse().unwrap(),
    );
    h.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
    if let Some(next) = next {
        h.insert("link", format!("<{next}>; rel=\"next\"").parse().unwrap());
    }
    response
}

fn refused(github: &mut GitHub, key: String, headers: &HeaderMap) -> Option<Response> {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        github.requests.push((key, false, 401));
        return Some((StatusCode::UNAUTHORIZED, "Bad credentials").into_response());
    }
    if let Some(at) = github.secondary_limit_once.iter().position(|p| *p == key) {
        github.secondary_limit_once.remove(at);
        github.requests.push((key, false, 403));
        return Some(
            (
                StatusCode::FORBIDDEN,
                [("retry-after", "1")],
                "You have exceeded a secondary rate limit",
            )
                .into_response(),
        );
    }
    None
}

fn page_of<T: Clone>(items: &[T], query: &HashMap<String, String>) -> (Vec<T>, Option<usize>) {
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .min(100);
    let start = (page - 1) * per_page;
    let slice: Vec<T> = items.iter().skip(start).take(per_page).cloned().collect();
    let next = (start + per_page < items.len()).then_some(page + 1);
    (slice, next)
}

async fn standin() -> (String, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let shared: Shared = Arc::new(Mutex::new(GitHub {
        remaining: 5000,
        reset_in_secs: 3600,
        ..GitHub::default()
    }));

    let list_base = base.clone();
    let repos = move |State(s): State<Shared>,
                      UrlPath(org): UrlPath<String>,
                      Query(q): Query<HashMap<String, String>>,
                      headers: HeaderMap| {
        let base = list_base.clone();
        async move {
            let mut g = s.lock().unwrap();
            let key = format!(
                "/orgs/{org}/repos?page={}",
                q.get("page").map_or("1", |p| p)
            );
            if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
                return refusal;
            }
            let all: Vec<Value> = g
                .repos
                .get(&org)
                .into_iter()
                .flatten()
                .map(|r| {
                    json!({
                        "name": r.name, "full_name": format!("{org}/{}", r.name),
                        "default_branch": "main", "topics": r.topics, "visibility": "private",
                        "private": true, "archived": r.archived, "fork": r.fork,
                        "pushed_at": r.pushed_at, "description": "x".repeat(200),
                    })
                })
                .collect();
            let (page, next) = page_of(&all, &q);
            let next =
                next.map(|n| format!("{base}/orgs/{org}/repos?per_page=100&type=all&page={n}"));
            answer(&mut g, key, &headers, json!(page), next)
        }
    };
    let contents = |State(s): State<Shared>,
                    UrlPath((org, repo, path)): UrlPath<(String, String, String)>,
                    Query(q): Query<HashMap<String, String>>,
                    headers: HeaderMap| async move {
        let mut g = s.lock().unwrap();
        let raw = headers.get("accept").and_then(|v| v.to_str().ok())
            == Some("application/vnd.github.v3.raw");
        let key = format!(
            "/repos/{org}/{repo}/contents/{path}{}",
            if raw { " (raw)" } else { "" }
        );
        if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
            return refusal;
        }
        let file = g
            .repos
            .get(&org)
            .and_then(|repos| repos.iter().find(|r| r.name == repo))
            .filter(|_| q.get("ref").map(String::as_str) == Some("main"))
            .and_then(|r| r.files.get(&path).cloned());
        match file {
            None => {
                g.requests.push((key, false, 404));
                (StatusCode::NOT_FOUND, "Not Found").into_response()
            }
            Some(text) if raw => {
                g.requests.push((key, false, 200));
                text.into_response()
            }
            Some(text) => answer(
                &mut g,
                key,
                &headers,
                json!({"type": "file", "path": path, "size": text.len(), "sha": etag_of(&text)}),
                None,
            ),
        }
    };
    let tree = |State(s): State<Shared>,
                UrlPath((org, repo, branch)): UrlPath<(String, String, String)>,
                headers: HeaderMap| async move {
        let mut g = s.lock().unwrap();
        let key = format!("/repos/{org}/{repo}/git/trees/{branch}");
        if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
            return refusal;
        }
        let Some(r) = g
            .repos
            .get(&org)
            .and_then(|rs| rs.iter().find(|r| r.name == repo))
            .cloned()
        else {
            g.requests.push((key, false, 404));
            return (StatusCode::NOT_FOUND, "Not Found").into_response();
        };
        let mut items = vec![
            json!({"path": "README.md", "type": "blob"}),
            json!({"path": "services", "type": "tree"}),
        ];
        items.extend(r.files.keys().map(|p| json!({"path": p, "type": "blob"})));
        answer(
            &mut g,
            key,
            &headers,
            json!({"sha": "t", "tree": items, "truncated": false}),
            None,
        )
    };
    let teams = |State(s): State<Shared>,
                 UrlPath(org): UrlPath<String>,
                 Query(q): Query<HashMap<String, String>>,
                 headers: HeaderMap| async move {
        let mut g = s.lock().unwrap();
        let key = format!("/orgs/{org}/teams");
        if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
            return refusal;
        }
        let (page, _) = page_of(g.teams.get(&org).map_or(&[][..], |t| &t[..]), &q);
        answer(&mut g, key, &headers, json!(page), None)
    };
    let team_members = |State(s): State<Shared>,
                        UrlPath((org, slug)): UrlPath<(String, String)>,
                        headers: HeaderMap| async move {
        let mut g = s.lock().unwrap();
        let key = format!("/orgs/{org}/teams/{slug}/members");
        if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
            return refusal;
        }
        let logins: Vec<Value> = g
            .team_members
            .get(&slug)
            .into_iter()
            .flatten()
            .map(|l| json!({"login": l}))
            .collect();
        answer(&mut g, key, &headers, json!(logins), None)
    };
    let members = |State(s): State<Shared>, UrlPath(org): UrlPath<String>, headers: HeaderMap| async move {
        let mut g = s.lock().unwrap();
        let key = format!("/orgs/{org}/members");
        if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
            return refusal;
        }
        let logins: Vec<Value> = g
            .members
            .get(&org)
            .into_iter()
            .flatten()
            .map(|l| json!({"login": l}))
            .collect();
        answer(&mut g, key, &headers, json!(logins), None)
    };
    let user = |State(s): State<Shared>, UrlPath(login): UrlPath<String>, headers: HeaderMap| async move {
        let mut g = s.lock().unwrap();
        let key = format!("/users/{login}");
        if let Some(refusal) = refused(&mut g, key.clone(), &headers) {
            return refusal;
        }
        match g.users.get(&login).cloned() {
            Some(user) => answer(&mut g, key, &headers, user, None),
            None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
        }
    };
    let router = Router::new()
        .route("/orgs/{org}/repos", get(repos))
        .route("/repos/{org}/{repo}/contents/{*path}", get(contents))
        .route("/repos/{org}/{repo}/git/trees/{branch}", get(tree))
        .route("/orgs/{org}/teams", get(teams))
        .route("/orgs/{org}/teams/{slug}/members", get(team_members))
        .route("/orgs/{org}/members", get(members))
        .route("/users/{login}", get(user))
        .with_state(shared.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (base, shared)
}

/// A configuration reading GitHub through the stand-in, with `catalog` as its
/// `catalog:` block.
fn config(api: &str, catalog: Value) -> Config {
    let mut config = crate::support::test_config();
    config.github = GithubIntegration::new(vec![GithubHost {
        host: "github.com".into(),
        api_url: api.to_string(),
        token: Some(Secret::new(TOKEN)),
    }]);
    config.catalog_providers = parse_providers(&catalog).unwrap();
    config
}

struct Run {
    providers: EntityProviders,
    ingester: Ingester,
}

impl Run {
    fn new(config: &Config) -> Run {
        let lease = Duration::from_secs(30);
        Run {
            providers: EntityProviders::new(
                &config.catalog_providers,
                &config.github,
                &config.ingest,
                lease,
            ),
            ingester: Ingester::new(&config.ingest, &config.github, lease),
        }
    }

    /// Runs every due provider, then reads every due location.
    async fn all(&self, store: &Store) {
        self.providers.sync(store).await.unwrap();
        while self.providers.run_once(store, "test").await.unwrap() {}
        while server::catalog::refresh::run_once(store, &self.ingester, "test")
            .await
            .unwrap()
        {}
    }
}

fn status(rows: &[store::ProviderRow], id: &str) -> Value {
    let row = rows.iter().find(|r| r.id == id).unwrap();
    serde_json::from_str(row.status.as_deref().unwrap()).unwrap()
}

async fn components(store: &Store) -> i64 {
    store
        .kind_counts()
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.kind == "component")
        .map_or(0, |k| k.count)
}

async fn discovered(store: &Store, provider: &str) -> Vec<String> {
    let mut targets: Vec<String> = store
        .provider_locations(provider)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.target)
        .collect();
    targets.sort();
    targets
}

#[tokio::test]
async fn discovery_registers_each_catalog_file_and_follows_the_organisation() {
    for store in store::testing::test_stores().await {
        let (api, github) = standin().await;
        {
            let mut g = github.lock().unwrap();
            g.repos.insert("acme".into(), organisation());
            g.secondary_limit_once
                .push("/orgs/acme/repos?page=2".into());
        }
        let config = config(
            &api,
            json!({"providers": {"github": {"acme": {"organization": "acme"}}}}),
        );
        let run = Run::new(&config);

        // First run: the right files, each read once; the secondary limit was waited out.
        run.all(&store).await;
        let repos = organisation();
        let want = expected(&repos);
        assert_eq!(discovered(&store, "acme").await, want);
        assert_eq!(components(&store).await, want.len() as i64);
        let rows = store.providers().await.unwrap();
        let first = status(&rows, "acme");
        assert_eq!(rows[0].last_error, None, "{first}");
        assert_eq!(first["repositories"], REPOSITORIES);
        assert_eq!(first["files"], want.len());
        assert_eq!(first["added"], want.len());
        assert_eq!(first["api"]["rate_limited"], 1, "{first}");
        assert_eq!(first["api"]["limit"], 5000);
        let requests = std::mem::take(&mut github.lock().unwrap().requests);
        let pages: Vec<&(String, bool, u16)> = requests
            .iter()
            .filter(|r| r.0.contains("/repos?"))
            .collect();
        assert_eq!(
            pages.len(),
            4,
            "3 pages and the one refused by the secondary limit: {pages:?}"
        );
        let mut seen = std::collections::HashSet::new();
        for (key, _, status) in &requests {
            assert!(
                *status == 403 || seen.insert(key.clone()),
                "{key} was asked twice"
            );
        }
        let admitted = repos.iter().filter(|r| !r.archived && !r.fork).count();
        let checks = requests
            .iter()
            .filter(|r| r.0.contains("/contents/") && !r.0.ends_with("(raw)"))
            .count();
        assert_eq!(
            checks, admitted,
            "one check per admitted repository, none for archived or forks"
        );

        // Second run, nothing changed: only the list's pages, each a 304.
        store.request_provider_run("acme").await.unwrap();
        run.all(&store).await;
        let requests = std::mem::take(&mut github.lock().unwrap().requests);
        let api_requests: Vec<&(String, bool, u16)> = requests
            .iter()
            .filter(|r| !r.0.ends_with("(raw)"))
            .collect();
        assert_eq!(api_requests.len(), 3, "{api_requests:?}");
        assert!(
            api_requests
                .iter()
                .all(|(_, conditional, status)| *conditional && *status == 304)
        );
        let second = status(&store.providers().await.unwrap(), "acme");
        assert_eq!(second["api"]["not_modified"], 3);
        assert_eq!(
            (second["added"].clone(), second["removed"].clone()),
            (json!(0), json!(0))
        );

        // A repository goes, another loses its file: their locations and entities go.
        {
            let mut g = github.lock().unwrap();
            let repos = g.repos.get_mut("acme").unwrap();
            repos.retain(|r| r.name != "svc-001");
            let svc_002 = repos.iter_mut().find(|r| r.name == "svc-002").unwrap();
            svc_002.files.clear();
            svc_002.pushed_at = "2026-12-02T10:00:00Z".into();
        }
        store.request_provider_run("acme").await.unwrap();
        run.all(&store).await;
        let third = status(&store.providers().await.unwrap(), "acme");
        assert_eq!(third["removed"], 2, "{third}");
        assert_eq!(discovered(&store, "acme").await.len(), want.len() - 2);
        assert_eq!(components(&store).await, want.len() as i64 - 2);
        assert!(
            store
                .entity_by_ref("component:default/svc-001")
                .await
                .unwrap()
                .is_none()
        );
        let requests = std::mem::take(&mut github.lock().unwrap().requests);
        let checks: Vec<&String> = requests
            .iter()
            .map(|r| &r.0)
            .filter(|k| k.contains("/contents/"))
            .collect();
        assert_eq!(
            checks,
            ["/repos/acme/svc-002/contents/catalog-info.yaml"],
            "only the repository pushed to"
        );
    }
}

#[tokio::test]
async fn discovery_slows_down_when_the_budget_runs_low_and_stops_at_its_deadline() {
    let store = store::testing::sqlite().await;
    let (api, github) = standin().await;
    {
        let mut g = github.lock().unwrap();
        g.repos
            .insert("acme".into(), organisation().into_iter().take(12).collect());
        g.remaining = 100; // of 5000: under a tenth
        g.reset_in_secs = 2;
    }
    let config = config(
        &api,
        json!({"providers": {"github": {"acme": {"organization": "acme"}}}}),
    );
    let run = Run::new(&config);
    run.all(&store).await;
    let first = status(&store.providers().await.unwrap(), "acme");
    assert!(
        first["api"]["waited_secs"].as_f64().unwrap() > 0.0,
        "spaced out: {first}"
    );
    assert!(first["api"]["remaining"].as_u64().unwrap() < 100);

    // An empty budget that resets after the run's deadline: the run stops, says why and
    // removes nothing.
    let before = discovered(&store, "acme").await;
    {
        let mut g = github.lock().unwrap();
        let repos = g.repos.get_mut("acme").unwrap();
        for repo in repos.iter_mut() {
            repo.pushed_at = "2026-12-03T00:00:00Z".into();
        }
        g.remaining = 1;
        g.reset_in_secs = 3600;
    }
    store.request_provider_run("acme").await.unwrap();
    run.all(&store).await;
    let rows = store.providers().await.unwrap();
    let error = rows[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("rate limit"), "{error}");
    assert_eq!(
        discovered(&store, "acme").await,
        before,
        "nothing removed on a cut-short run"
    );
}

#[tokio::test]
async fn discovery_searches_globs_in_the_tree_and_applies_its_filters() {
    let store = store::testing::sqlite().await;
    let (api, github) = standin().await;
    {
        let mut g = github.lock().unwrap();
        let mut repos = organisation().into_iter().take(10).collect::<Vec<_>>();
        let mono = &mut repos[1];
        mono.files
            .insert("services/pay/catalog-info.yaml".into(), component("pay"));
        mono.files
            .insert("services/ship/catalog-info.yaml".into(), component("ship"));
        mono.files.insert(
            "services/ship/deep/catalog-info.yaml".into(),
            component("deep"),
        );
        g.repos.insert("acme".into(), repos);
    }
    let config = config(
        &api,
        json!({"providers": {"github": {"mono": {
            "organization": "acme",
            "catalogPath": "/services/*/catalog-info.yaml",
            "filters": {"repository": "svc-00[0-4]", "topic": {"exclude": ["backstage"]}}
        }}}}),
    );
    Run::new(&config).all(&store).await;
    assert_eq!(
        discovered(&store, "mono").await,
        [
            "https://github.com/acme/svc-001/blob/main/services/pay/catalog-info.yaml",
            "https://github.com/acme/svc-001/blob/main/services/ship/catalog-info.yaml",
        ]
    );
    let requests = github.lock().unwrap().requests.clone();
    let mut trees: Vec<&String> = requests
        .iter()
        .map(|r| &r.0)
        .filter(|k| k.contains("/git/trees/"))
        .collect();
    trees.sort();
    // svc-000 and svc-003 carry the excluded topic; svc-003 is also a fork.
    assert_eq!(
        trees,
        [
            "/repos/acme/svc-001/git/trees/main",
            "/repos/acme/svc-002/git/trees/main",
            "/repos/acme/svc-004/git/trees/main"
        ]
    );
}

#[tokio::test]
async fn the_org_provider_writes_teams_and_people_and_removes_who_left() {
    for store in store::testing::test_stores().await {
        let (api, github) = standin().await;
        {
            let mut g = github.lock().unwrap();
            g.teams.insert(
                "acme".into(),
                vec![
                    json!({"slug": "platform", "name": "Platform", "description": "Runs the platform", "parent": null}),
                    json!({"slug": "payments", "name": "Payments", "parent": {"slug": "platform"}}),
                ],
            );
            g.team_members.insert("platform".into(), vec!["ada".into()]);
            g.team_members
                .insert("payments".into(), vec!["ada".into(), "bob".into()]);
            g.members.insert(
                "acme".into(),
                vec!["ada".into(), "bob".into(), "cyd".into()],
            );
            for login in ["ada", "bob", "cyd"] {
                g.users.insert(
                    login.into(),
                    json!({"login": login, "name": format!("{login} Doe"), "email": if login == "ada" { json!("ada@acme.test") } else { Value::Null }, "avatar_url": format!("https://avatars.test/{login}")}),
                );
            }
        }
        let config = config(
            &api,
            json!({"providers": {"githubOrg": {"id": "people", "githubUrl": "https://github.com", "orgs": ["acme"]}}}),
        );
        let run = Run::new(&config);
        run.all(&store).await;
        let ada = store
            .entity_by_ref("user:default/ada")
            .await
            .unwrap()
            .expect("ada");
        let body = ada.body.clone();
        assert_eq!(
            body["metadata"]["annotations"]["github.com/user-login"],
            "ada"
        );
        assert_eq!(body["spec"]["profile"]["email"], "ada@acme.test");
        assert_eq!(
            body["spec"]["memberOf"],
            json!(["group:default/payments", "group:default/platform"])
        );
        let payments = store
            .entity_by_ref("group:default/payments")
            .await
            .unwrap()
            .expect("payments");
        let body = payments.body.clone();
        assert_eq!(body["spec"]["parent"], "platform");
        let first = status(&store.providers().await.unwrap(), "people");
        assert_eq!(
            (
                first["teams"].clone(),
                first["members"].clone(),
                first["entities"].clone()
            ),
            (json!(2), json!(3), json!(5))
        );

        // Refreshing one of its entities asks the provider to run; nothing reads the
        // provider's location as if it were a file.
        let location = store.provider_locations("people").await.unwrap().remove(0);
        assert_eq!(location.location_type, "github-org");
        let refreshed = run
            .ingester
            .process_now(&store, &location.id, "test")
            .await
            .unwrap();
        assert!(refreshed.is_none());
        let rows = store.providers().await.unwrap();
        assert!(rows[0].next_run_at.is_none(), "due now");
        let location = store.location(&location.id).await.unwrap().unwrap();
        assert_eq!(location.last_error, None);

        // Unchanged: every request is conditional and answered 304.
        github.lock().unwrap().requests.clear();
        store.request_provider_run("people").await.unwrap();
        run.all(&store).await;
        let requests = std::mem::take(&mut github.lock().unwrap().requests);
        assert_eq!(
            requests.len(),
            7,
            "teams, members, 2 team member lists, 3 people: {requests:?}"
        );
        assert!(
            requests
                .iter()
                .all(|(_, conditional, status)| *conditional && *status == 304),
            "{requests:?}"
        );

        // A team and a person leave.
        {
            let mut g = github.lock().unwrap();
            g.teams
                .get_mut("acme")
                .unwrap()
                .retain(|t| t["slug"] != "payments");
            g.members.get_mut("acme").unwrap().retain(|l| l != "cyd");
        }
        store.request_provider_run("people").await.unwrap();
        run.all(&store).await;
        assert!(
            store
                .entity_by_ref("group:default/payments")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .entity_by_ref("user:default/cyd")
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .entity_by_ref("user:default/bob")
                .await
                .unwrap()
                .is_some()
        );
        let third = status(&store.providers().await.unwrap(), "people");
        assert_eq!(third["removed"], 2, "{third}");
    }
}

#[tokio::test]
async fn a_provider_no_longer_configured_takes_its_locations_with_it() {
    let store = store::testing::sqlite().await;
    let (api, github) = standin().await;
    github
        .lock()
        .unwrap()
        .repos
        .insert("acme".into(), organisation().into_iter().take(5).collect());
    let with = config(
        &api,
        json!({"providers": {"github": {"acme": {"organization": "acme"}}}}),
    );
    Run::new(&with).all(&store).await;
    assert_eq!(discovered(&store, "acme").await.len(), 3);
    let without = config(&api, json!({}));
    Run::new(&without).all(&store).await;
    assert!(discovered(&store, "acme").await.is_empty());
    assert!(store.providers().await.unwrap().is_empty());
    assert_eq!(components(&store).await, 0);
}

#[tokio::test]
async fn the_status_page_shows_each_providers_run_and_its_errors() {
    let (api, github) = standin().await;
    {
        let mut g = github.lock().unwrap();
        let mut repos: Vec<Repo> = organisation().into_iter().take(5).collect();
        repos[1]
            .files
            .insert("catalog-info.yaml".into(), "kind: [broken".into());
        g.repos.insert("acme".into(), repos);
    }
    let catalog = json!({"providers": {"github": {"acme": {"organization": "acme"}}}});
    let configured = config(&api, catalog);
    let for_portal = configured.clone();
    let app = crate::permissions::portal()
        .configure(move |c| {
            c.github = for_portal.github.clone();
            c.catalog_providers = for_portal.catalog_providers.clone();
        })
        .start_sqlite()
        .await;
    Run::new(&configured).all(&app.store).await;
    let admin = crate::permissions::sign_in(&app, "user:default/ada.lovelace").await;
    let html = crate::permissions::client()
        .get(app.url("/catalog/providers"))
        .header(reqwest::header::COOKIE, admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [
        "acme — GitHub discovery",
        "github.com/acme: catalog-info.yaml (every 30 min)",
        "Repositories seen",
        "Catalog files found",
        "Rate-limit budget",
        "https://github.com/acme/svc-001/blob/main/catalog-info.yaml",
        "is not valid YAML",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
}

/// The figure in BENCHMARKS.md: an organisation of `BENCH_REPOSITORIES` (default 1,000)
/// repositories, four in five with a catalog file, discovered and ingested, then
/// discovered again unchanged. Run against a release build:
/// `cargo test --release -p server --test portal github_discovery::benchmark -- --ignored --nocapture`
#[tokio::test]
#[ignore = "a benchmark; run it against a release build"]
async fn benchmark_discovery_of_a_large_organisation() {
    let count: usize = std::env::var("BENCH_REPOSITORIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    for store in store::testing::test_stores().await {
        let (api, github) = standin().await;
        let repos: Vec<Repo> = (0..count)
            .map(|i| {
                let name = format!("svc-{i:04}");
                let mut files = BTreeMap::new();
                if i % 5 != 0 {
                    files.insert("catalog-info.yaml".to_string(), component(&name));
                }
                Repo {
                    name,
                    archived: false,
                    fork: false,
                    topics: vec![],
                    pushed_at: "2026-12-01T10:00:00Z".into(),
                    files,
                }
            })
            .collect();
        let files = repos.iter().filter(|r| !r.files.is_empty()).count();
        github.lock().unwrap().repos.insert("acme".into(), repos);
        let config = config(
            &api,
            json!({"providers": {"github": {"acme": {"organization": "acme"}}}}),
        );
        let run = Run::new(&config);
        run.providers.sync(&store).await.unwrap();

        let started = std::time::Instant::now();
        while run.providers.run_once(&store, "bench").await.unwrap() {}
        let discovered = started.elapsed();
        while server::catalog::refresh::run_once(&store, &run.ingester, "bench")
            .await
            .unwrap()
        {}
        let ingested = started.elapsed();
        let first = std::mem::take(&mut github.lock().unwrap().requests);
        assert_eq!(components(&store).await, files as i64);

        store.request_provider_run("acme").await.unwrap();
        let again = std::time::Instant::now();
        while run.providers.run_once(&store, "bench").await.unwrap() {}
        let rerun = again.elapsed();
        let second = std::mem::take(&mut github.lock().unwrap().requests);
        let raw = first.iter().filter(|r| r.0.ends_with("(raw)")).count();
        println!(
            "{:?}: {count} repositories, {files} catalog files: discovery {:.2} s, discovery + ingestion {:.2} s; \
             requests: {} discovery + {raw} file reads; second unchanged run {:.3} s, {} requests ({} answered 304)",
            store.engine(),
            discovered.as_secs_f64(),
            ingested.as_secs_f64(),
            first.len() - raw,
            rerun.as_secs_f64(),
            second.len(),
            second.iter().filter(|r| r.2 == 304).count(),
        );
    }
}
