//! Analyzing a GitHub repository without a catalog file: `POST /analyze-location`
//! proposes a Component (Backstage's `generateEntities`) from the repository, its
//! languages, CODEOWNERS and admin teams, read from a stand-in of the GitHub API; the
//! register page shows the proposal as YAML to edit and register.

use crate::support::{TestApp, TestPortal, each_engine_with, strip_comments};
use axum::Router;
use axum::extract::{Path as UrlPath, Query};
use axum::http::{HeaderMap, StatusCode as Code};
use axum::routing::get;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::integrations::github::{GithubHost, GithubIntegration};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// What the stand-in knows of one repository.
#[derive(Clone)]
struct Repo {
    branch: &'static str,
    description: Option<&'static str>,
    languages: Value,
    /// `path` → text, at `branch`.
    files: Vec<(&'static str, &'static str)>,
    /// The teams endpoint's answer: a list, or a status it refuses with.
    teams: Result<Value, u16>,
}

fn repos() -> HashMap<&'static str, Repo> {
    HashMap::from([
        (
            "acme/web",
            Repo {
                branch: "main",
                description: Some("The shop's web front end"),
                languages: json!({"TypeScript": 8500, "CSS": 1000, "HTML": 500, "Dockerfile": 90}),
                files: vec![
                    (
                        ".github/CODEOWNERS",
                        "# Who reviews what\n* @acme/old-team\n/docs/ @acme/writers\n*  @acme/web-team @alice\n",
                    ),
                    // GitHub uses the first file found; this one must not be read.
                    ("CODEOWNERS", "* @acme/wrong\n"),
                ],
                teams: Ok(json!([{"slug": "web-admins", "permission": "admin"}])),
            },
        ),
        (
            "acme/api",
            Repo {
                branch: "main",
                description: Some("Orders API"),
                languages: json!({"Go": 12000, "Shell": 300}),
                files: vec![("docs/CODEOWNERS", "/docs/ @acme/writers\n")],
                teams: Ok(json!([
                    {"slug": "readers", "permission": "pull"},
                    {"slug": "api-admins", "permission": "admin"},
                ])),
            },
        ),
        (
            "acme/lonely",
            Repo {
                branch: "main",
                description: None,
                languages: json!({}),
                files: vec![],
                teams: Err(403),
            },
        ),
        (
            "acme/cataloged",
            Repo {
                branch: "trunk",
                description: None,
                languages: json!({"Rust": 100}),
                files: vec![(
                    "catalog-info.yaml",
                    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: cataloged\nspec:\n  type: service\n  lifecycle: production\n  owner: group:default/team-c\n",
                )],
                teams: Ok(json!([])),
            },
        ),
    ])
}

type Requests = Arc<Mutex<Vec<String>>>;

/// A stand-in for the GitHub REST API serving [`repos`]: every request must carry the
/// token and files are served raw only; records each request as `PATH[@REF]`.
async fn github_api() -> (std::net::SocketAddr, Requests, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let requests: Requests = Arc::default();
    let seen = requests.clone();
    let known = Arc::new(repos());
    let handler = move |UrlPath(path): UrlPath<String>,
                        Query(query): Query<HashMap<String, String>>,
                        headers: HeaderMap| {
        let (seen, known) = (seen.clone(), known.clone());
        async move {
            let reference = query.get("ref");
            seen.lock().unwrap().push(match reference {
                Some(r) => format!("/{path}@{r}"),
                None => format!("/{path}"),
            });
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            if header("authorization") != Some("Bearer ghp_test") {
                return (
                    Code::UNAUTHORIZED,
                    json!({"message": "Bad credentials"}).to_string(),
                );
            }
            let not_found = || (Code::NOT_FOUND, json!({"message": "Not Found"}).to_string());
            let parts: Vec<&str> = path.splitn(4, '/').collect();
            let (owner, name, rest) = match parts.as_slice() {
                ["repos", owner, name] => (*owner, *name, None),
                ["repos", owner, name, rest] => (*owner, *name, Some(*rest)),
                _ => return not_found(),
            };
            let slug = format!("{owner}/{name}");
            let Some(repo) = known.get(slug.as_str()) else {
                return not_found();
            };
            match rest {
                None => (
                    Code::OK,
                    json!({
                        "name": name,
                        "full_name": slug,
                        "description": repo.description,
                        "default_branch": repo.branch,
                        "private": false,
                    })
                    .to_string(),
                ),
                Some("languages") => (Code::OK, repo.languages.to_string()),
                Some("teams") => match &repo.teams {
                    Ok(teams) => (Code::OK, teams.to_string()),
                    Err(status) => (
                        Code::from_u16(*status).unwrap(),
                        json!({"message": "Must have admin rights to Repository."}).to_string(),
                    ),
                },
                Some(rest) => {
                    let Some(file) = rest.strip_prefix("contents/") else {
                        return not_found();
                    };
                    if header("accept") != Some("application/vnd.github.v3.raw") {
                        return (Code::UNSUPPORTED_MEDIA_TYPE, "raw only".into());
                    }
                    match repo.files.iter().find(|(p, _)| *p == file) {
                        Some((_, text)) if reference.map(String::as_str) == Some(repo.branch) => {
                            (Code::OK, text.to_string())
                        }
                        _ => not_found(),
                    }
                }
            }
        }
    };
    let router = Router::new().route("/{*path}", get(handler));
    let (tx, rx) = oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    (address, requests, tx)
}

/// A portal whose github.com API is the stand-in at `api`, with the token it expects.
fn portal(api: std::net::SocketAddr) -> TestPortal {
    TestPortal::new().configure(move |c| {
        c.github = GithubIntegration::new(vec![GithubHost {
            host: "github.com".into(),
            api_url: format!("http://{api}"),
            token: Some(server::config::Secret::new("ghp_test")),
        }]);
    })
}

async fn analyze(app: &TestApp, target: &str) -> (StatusCode, Value) {
    app.post_json(
        "/api/catalog/analyze-location",
        json!({"location": {"type": "url", "target": target}}),
    )
    .await
}

/// The proposed field `name` of the first generated entity.
fn field<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["generateEntities"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == name)
        .unwrap_or_else(|| panic!("no {name} in {body}"))
}

#[tokio::test]
async fn a_repository_without_a_catalog_file_gets_a_component_owned_as_codeowners_says() {
    let (api, requests, _stop) = github_api().await;
    each_engine_with(portal(api), async |app| {
        requests.lock().unwrap().clear();
        let (status, body) = analyze(&app, "https://github.com/acme/web").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["existingEntityFiles"], json!([]));
        assert_eq!(body["generateEntities"].as_array().unwrap().len(), 1);
        assert_eq!(
            body["generateEntities"][0]["entity"],
            json!({
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Component",
                "metadata": {
                    "name": "web",
                    "description": "The shop's web front end",
                    "annotations": {
                        "github.com/project-slug": "acme/web",
                        "backstage.io/source-location": "url:https://github.com/acme/web/tree/main/",
                    },
                },
                "spec": {
                    "type": "website",
                    "lifecycle": "experimental",
                    "owner": "group:default/web-team",
                },
            })
        );
        // The last rule for the whole repository wins; the team before the person.
        assert_eq!(
            *field(&body, "spec.owner"),
            json!({
                "field": "spec.owner",
                "state": "analysisSuggestedValue",
                "value": "group:default/web-team",
                "description": "From .github/CODEOWNERS line 4: `* @acme/web-team @alice` owns the whole repository; the first team is proposed.",
            })
        );
        assert_eq!(field(&body, "spec.type")["value"], "website");
        assert_eq!(field(&body, "metadata.name")["state"], "analysisSuggestedValue");
        let seen = requests.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "/repos/acme/web",
                "/repos/acme/web/contents/catalog-info.yaml@main",
                "/repos/acme/web/languages",
                "/repos/acme/web/contents/.github/CODEOWNERS@main",
                "/repos/acme/web/teams",
            ],
            "the first CODEOWNERS found is the one GitHub uses"
        );

        // A blob URL whose file does not exist gets the same proposal.
        let (status, blob) = analyze(
            &app,
            "https://github.com/acme/web/blob/main/services/catalog-info.yaml",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{blob}");
        assert_eq!(blob["generateEntities"], body["generateEntities"]);
    })
    .await;
}

#[tokio::test]
async fn without_a_codeowners_rule_for_the_whole_repository_the_admin_team_owns_it() {
    let (api, _requests, _stop) = github_api().await;
    each_engine_with(portal(api), async |app| {
        let (status, body) = analyze(&app, "https://github.com/acme/api.git").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let owner = field(&body, "spec.owner");
        assert_eq!(owner["state"], "analysisSuggestedValue", "{owner}");
        assert_eq!(owner["value"], "group:default/api-admins");
        let description = owner["description"].as_str().unwrap();
        assert!(
            description.contains("api-admins has admin permission")
                && description.contains("no rule of docs/CODEOWNERS covers the whole repository"),
            "{description}"
        );
        let entity = &body["generateEntities"][0]["entity"];
        assert_eq!(entity["spec"]["owner"], "group:default/api-admins");
        assert_eq!(entity["spec"]["type"], "service");
        assert_eq!(entity["metadata"]["name"], "api");
    })
    .await;
}

#[tokio::test]
async fn without_codeowners_or_a_visible_admin_team_the_owner_needs_input() {
    let (api, _requests, _stop) = github_api().await;
    each_engine_with(portal(api), async |app| {
        let (status, body) = analyze(&app, "https://github.com/acme/lonely/").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let owner = field(&body, "spec.owner");
        assert_eq!(owner["state"], "needsUserInput", "{owner}");
        assert_eq!(owner["value"], Value::Null);
        let description = owner["description"].as_str().unwrap();
        assert!(
            description.contains("group:default/TEAM")
                && description.contains("no CODEOWNERS file")
                && description.contains("may not list the repository's teams"),
            "{description}"
        );
        let entity = &body["generateEntities"][0]["entity"];
        assert!(entity["spec"].get("owner").is_none(), "{entity}");
        assert!(entity["metadata"].get("description").is_none(), "{entity}");
        assert_eq!(
            field(&body, "metadata.description")["state"],
            "analysisSuggestedNoValue"
        );
    })
    .await;
}

#[tokio::test]
async fn a_repository_with_a_catalog_file_answers_its_entities() {
    let (api, _requests, _stop) = github_api().await;
    each_engine_with(portal(api), async |app| {
        let (status, body) = analyze(&app, "https://github.com/acme/cataloged").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["generateEntities"], json!([]));
        let files = body["existingEntityFiles"].as_array().unwrap();
        assert_eq!(files.len(), 1, "{body}");
        assert_eq!(files[0]["isRegistered"], false);
        assert_eq!(
            files[0]["location"],
            json!({
                "type": "url",
                "target": "https://github.com/acme/cataloged/blob/trunk/catalog-info.yaml",
            })
        );
        assert_eq!(files[0]["entity"]["metadata"]["name"], "cataloged");

        // Registered, the file says so.
        app.register_location(
            "url",
            "https://github.com/acme/cataloged/blob/trunk/catalog-info.yaml",
        )
        .await;
        let (_, body) = analyze(&app, "https://github.com/acme/cataloged").await;
        assert_eq!(body["existingEntityFiles"][0]["isRegistered"], true);
    })
    .await;
}

#[tokio::test]
async fn a_token_github_refuses_is_a_400_that_names_the_setting() {
    let (api, _requests, _stop) = github_api().await;
    let app = TestPortal::new()
        .configure(move |c| {
            c.github = GithubIntegration::new(vec![GithubHost {
                host: "github.com".into(),
                api_url: format!("http://{api}"),
                token: Some(server::config::Secret::new("ghp_expired")),
            }]);
        })
        .start_sqlite()
        .await;
    let (status, body) = analyze(&app, "https://github.com/acme/web").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("GitHub answered 401") && message.contains("github_token"),
        "{message}"
    );
    assert!(!message.contains("ghp_expired"), "{message}");
}

#[tokio::test]
async fn a_repository_that_does_not_exist_is_a_404_that_says_what_to_do() {
    let (api, _requests, _stop) = github_api().await;
    each_engine_with(portal(api), async |app| {
        for target in [
            "https://github.com/acme/nothing",
            "https://github.com/acme/nothing/blob/main/catalog-info.yaml",
        ] {
            let (status, body) = analyze(&app, target).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{target}: {body}");
            assert_eq!(body["error"]["name"], "NotFoundError");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains("GitHub has no repository acme/nothing on github.com")
                    && message.contains("token")
                    && message.contains("github_token"),
                "{message}"
            );
        }
    })
    .await;
}

/// `text` for a query string.
fn query_value(text: &str) -> String {
    text.replace('%', "%25")
        .replace(':', "%3A")
        .replace('/', "%2F")
}

/// The text of the textarea with id `id` in `html`, as a browser reads it.
fn textarea(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap();
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find("</textarea>").unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn the_register_page_shows_the_proposal_as_yaml_to_edit_and_register() {
    let (api, _requests, _stop) = github_api().await;
    each_engine_with(portal(api), async |app| {
        let url = "https://github.com/acme/lonely";
        let (status, html) = app
            .page(&format!("/catalog/register?url={}", query_value(url)))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("Proposed entity for github.com/acme/lonely"),
            "{html}"
        );
        assert!(html.contains("<code>spec.owner</code>"), "{html}");
        assert!(html.contains("needs your input"), "{html}");
        assert!(html.contains("href=\"#register-yaml\""), "{html}");
        let yaml = textarea(&html, "register-yaml");
        assert!(
            yaml.contains("  # NEEDS YOUR INPUT: Write the owning team")
                && yaml.contains("  owner: \"\"\n")
                && yaml.contains("github.com/project-slug: acme/lonely"),
            "{yaml}"
        );
        // The URL box is empty: the proposal is registered as pasted text.
        assert!(html.contains("id=\"register-url\""));
        assert!(!html.contains(&format!("value=\"{url}\"")), "{html}");

        // Edited and previewed like pasted YAML, then registered, without JavaScript.
        let edited = yaml.replace("owner: \"\"", "owner: group:default/ops");
        let preview = form_action(&html, "register-form");
        let (_, html) = submit(&app, &preview, &[("yaml", &edited), ("url", "")]).await;
        assert!(html.contains("component:default/lonely"), "{html}");
        let confirm = form_action(&html, "register-confirm");
        let draft = html.split("name=\"draft\" value=\"").nth(1).unwrap();
        let draft = &draft[..draft.find('"').unwrap()];
        let (url, html) = submit(&app, &confirm, &[("draft", draft)]).await;
        assert!(url.contains("done=1"), "{url}: {html}");
        assert!(app.has_entity("component:default/lonely").await);

        // A repository with a catalog file is previewed from that file, and registering
        // registers the file.
        let (_, html) = app
            .page(&format!(
                "/catalog/register?url={}",
                query_value("https://github.com/acme/cataloged")
            ))
            .await;
        assert!(html.contains("component:default/cataloged"), "{html}");
        let file = "https://github.com/acme/cataloged/blob/trunk/catalog-info.yaml";
        assert!(
            html.contains(&format!("name=\"url\" value=\"{file}\"")),
            "{html}"
        );
    })
    .await;
}

/// The `action` of the form with `class` in `html`.
fn form_action(html: &str, class: &str) -> String {
    let at = html
        .find(class)
        .unwrap_or_else(|| panic!("no {class} in {html}"));
    let form = &html[html[..at].rfind("<form").unwrap()..];
    let start = form.find("action=\"").unwrap() + 8;
    form[start..start + form[start..].find('"').unwrap()].to_string()
}

/// Posts a form as a browser without JavaScript does; returns the final URL and page.
async fn submit(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> (String, String) {
    let request = app
        .request(Method::POST, action)
        .header("accept", "text/html")
        .header("referer", app.url("/catalog/register"))
        .form(fields);
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    (response.url.to_string(), strip_comments(&response.text()))
}
