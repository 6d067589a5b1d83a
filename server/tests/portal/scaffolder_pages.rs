//! The scaffolder's pages as a browser without JavaScript gets them (issue 12): the
//! gallery with its search and filters, the wizard's inputs generated from a template's
//! JSON Schema, values refused with each field's message, the dry run, creating a task
//! (published to a local stand-in of the GitHub API) and its page, cancel and retry, and
//! the tasks lists — on both databases where it matters.

use crate::scaffolder::{Github, github_api};
use crate::support::{TestApp, TestPortal, each_engine_with, strip_comments};
use chrono::Utc;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};
use server::integrations::github::{GithubHost, GithubIntegration};

/// A golden path with a field of every kind; it fetches a skeleton, logs, publishes to
/// GitHub and registers the result.
const SERVICE: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: page-service
  title: Page service
  description: A service, published to GitHub and registered in the catalog.
  tags: [recommended, rust]
spec:
  owner: group:default/platform
  type: service
  parameters:
    - title: About the service
      description: Name it and say who owns it.
      required: [name, owner, token]
      properties:
        name:
          title: Name
          type: string
          description: Lowercase letters, digits and dashes.
          pattern: '^[a-z][a-z0-9-]*$'
          minLength: 2
          maxLength: 40
          ui:autofocus: true
        owner:
          title: Owner
          type: string
          ui:field: OwnerPicker
          ui:options:
            catalogFilter:
              kind: Group
        language:
          title: Language
          type: string
          enum: [rust, go]
          enumNames: [Rust, Go]
          default: go
        public:
          title: Public repository
          type: boolean
          default: true
        replicas:
          title: Replicas
          type: integer
          minimum: 1
          maximum: 5
          default: 2
        topics:
          title: Topics
          type: array
          items: {type: string}
        environments:
          title: Environments
          type: array
          items: {type: string, enum: [dev, prod], enumNames: [Development, Production]}
          default: [prod]
        token:
          title: Deploy token
          type: string
          ui:field: Secret
    - title: Repository
      required: [repoUrl]
      properties:
        repoUrl:
          title: Repository location
          type: string
          ui:field: RepoUrlPicker
          ui:options:
            allowedHosts: [github.com]
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
        repoUrl: ${{ parameters.repoUrl }}
        description: The ${{ parameters.name }} service
        access: acme/platform
        topics: [service]
    - id: register
      name: Register
      action: catalog:register
      input:
        repoContentsUrl: ${{ steps.publish.output.repoContentsUrl }}
        catalogInfoPath: /catalog-info.yaml
  output:
    links:
      - title: Repository
        url: ${{ steps.publish.output.remoteUrl }}
      - title: Open in catalog
        entityRef: ${{ steps.register.output.entityRef }}
"#;

const LIBRARY: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: page-library
  title: Page library
  description: A library that only logs.
  tags: [python]
spec:
  owner: group:default/other
  type: library
  parameters:
    properties:
      note: {type: string}
  steps:
    - id: log
      name: Say hello
      action: debug:log
      input:
        message: hello
"#;

const BROKEN: &str = r#"apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: page-broken
  title: Page broken
  tags: [rust]
spec:
  owner: group:default/platform
  type: service
  steps:
    - id: run
      action: shell:exec
"#;

const CATALOG_INFO: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n";

/// A folder holding the templates and the service's skeleton; the portal may read it.
fn template_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in [
        ("service.yaml", SERVICE),
        ("library.yaml", LIBRARY),
        ("broken.yaml", BROKEN),
    ] {
        std::fs::write(dir.path().join(file), text).unwrap();
    }
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

/// A portal with the demo catalog (groups and people to pick from) that may read the
/// template folder and publishes to the stand-in at `api`.
fn portal(api: std::net::SocketAddr, folder: &std::path::Path) -> TestPortal {
    let root = folder.to_path_buf();
    TestPortal::new().demo_catalog().configure(move |c| {
        c.ingest.file_roots = vec![root];
        c.github = GithubIntegration::new(vec![GithubHost {
            host: "github.com".into(),
            api_url: format!("http://{api}"),
            token: Some(server::config::Secret::new("ghp_test")),
        }]);
    })
}

async fn register_templates(app: &TestApp, folder: &std::path::Path) {
    for file in ["service.yaml", "library.yaml", "broken.yaml"] {
        let target = folder.join(file).display().to_string();
        app.register_location("file", &target).await;
    }
}

/// A client that shows redirects instead of following them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The address of the server function `name`.
fn server_fn(name: &str) -> &'static str {
    leptos::server_fn::axum::server_fn_paths()
        .find(|(path, _)| {
            path.trim_start_matches("/_server/")
                .trim_end_matches(|c: char| c.is_ascii_digit())
                == name
        })
        .unwrap_or_else(|| panic!("no server function {name}"))
        .0
}

/// Posts `form` to the server function `name` as a browser without JavaScript does (from
/// the page `from`, with `cookie` if any): the status and where it redirects to.
async fn post_form(
    app: &TestApp,
    name: &str,
    form: &[(&str, &str)],
    from: &str,
    cookie: &str,
) -> (StatusCode, String) {
    let mut request = client()
        .post(app.url(server_fn(name)))
        .header("accept", "text/html,application/xhtml+xml")
        .header("origin", format!("http://{}", app.address))
        .header("referer", app.url(from))
        .form(form);
    if !cookie.is_empty() {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    let location = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (response.status(), location)
}

/// Posts `form` to the server function `name` as the page's script does: the JSON answer.
async fn post_script(app: &TestApp, name: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = client()
        .post(app.url(server_fn(name)))
        .header("accept", "application/json")
        .header("origin", format!("http://{}", app.address))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The page at `path` (an address, or a redirect's `Location`) as `cookie` sees it.
async fn page_as(app: &TestApp, path: &str, cookie: &str) -> (StatusCode, String) {
    let path = path
        .strip_prefix(&format!("http://{}", app.address))
        .unwrap_or(path);
    let mut request = client().get(app.url(path));
    if !cookie.is_empty() {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, strip_comments(&response.text().await.unwrap()))
}

/// The position of `needle` in `html`, which must contain it.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page:\n{html}"))
}

/// The start tag that contains `needle` (e.g. an input by its name).
fn tag<'a>(html: &'a str, needle: &str) -> &'a str {
    let i = at(html, needle);
    let start = html[..i].rfind('<').unwrap();
    let end = i + html[i..].find('>').unwrap() + 1;
    &html[start..end]
}

/// The value of `name` in the start tag `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let start = tag
        .find(&format!(" {name}=\""))
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + name.len()
        + 3;
    &tag[start..start + tag[start..].find('"').unwrap()]
}

/// The id of the element whose start tag contains `needle`.
fn id_of<'a>(html: &'a str, needle: &str) -> &'a str {
    attribute(tag(html, needle), "id")
}

/// The element with `id` up to its end tag `</name>`.
fn element<'a>(html: &'a str, id: &str, name: &str) -> &'a str {
    let i = at(html, &format!("id=\"{id}\""));
    let start = html[..i].rfind('<').unwrap();
    let end = i + html[i..].find(&format!("</{name}>")).unwrap();
    &html[start..end]
}

/// The text of the task page's status badge.
fn task_status(html: &str) -> &str {
    let i = at(html, "data-testid=\"task-status\"");
    let start = i + html[i..].find('>').unwrap() + 1;
    &html[start..start + html[start..].find('<').unwrap()]
}

/// The valid values of the service template, as its form posts them.
fn valid_form(intent: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("namespace", "default"),
        ("name", "page-service"),
        ("intent", intent),
        ("values[name]", "payments"),
        ("values[owner]", "group:default/platform"),
        ("values[language]", "rust"),
        ("values[replicas]", "3"),
        ("values[topics]", "billing\r\nmoney"),
        ("values[environments][]", "dev"),
        ("values[environments][]", "prod"),
        ("values[token]", "s3cret-planted"),
        ("values[repoUrl][host]", "github.com"),
        ("values[repoUrl][owner]", "acme"),
        ("values[repoUrl][repo]", "payments"),
    ]
}

const WIZARD: &str = "/create/templates/default/page-service";

#[tokio::test]
async fn the_gallery_lists_templates_golden_paths_first_and_filters_them() {
    let folder = template_folder();
    let (api, _github, _stop) = github_api().await;
    each_engine_with(portal(api, folder.path()), async |app| {
        register_templates(&app, folder.path()).await;
        let (status, html) = app.page("/create").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("href=\"/create/application\""),
            "the spec editor stays linked"
        );
        assert!(html.contains("href=\"/create/tasks\""));
        // Golden paths (tagged recommended) first.
        assert!(at(&html, ">Page service</h2>") < at(&html, ">Page library</h2>"));
        assert!(html.contains("href=\"/create/templates/default/page-service\""));
        assert!(html.contains("aria-label=\"Choose Page service\""));
        assert!(html.contains("A service, published to GitHub"));
        assert!(
            html.contains("<a href=\"/create?tag=python\">python</a>"),
            "{html}"
        );
        // The broken template: shown with its problem, and it cannot be chosen.
        let broken = &html[at(&html, ">Page broken</h2>")..];
        let broken = &broken[..broken.find("</article>").unwrap()];
        assert!(
            broken.contains("spec.steps[0].action: shell:exec is not an action"),
            "{broken}"
        );
        assert!(!broken.contains("Choose"), "{broken}");

        // By tag, by owner, by words; the filters keep their choice.
        let (_, html) = app.page("/create?tag=python").await;
        assert!(html.contains(">Page library</h2>") && !html.contains(">Page service</h2>"));
        assert!(html.contains("<option value=\"python\" selected"), "{html}");
        assert!(html.contains(" templates match."), "{html}");
        let (_, html) = app.page("/create?tag=rust").await;
        assert!(html.contains(">Page service</h2>") && html.contains(">Page broken</h2>"));
        assert!(!html.contains(">Page library</h2>"));
        let (_, html) = app.page("/create?owner=group%3Adefault%2Fother").await;
        assert!(html.contains(">Page library</h2>") && !html.contains(">Page service</h2>"));
        let (_, html) = app.page("/create?q=published+github").await;
        assert!(html.contains(">Page service</h2>") && !html.contains(">Page library</h2>"));
        let (_, html) = app.page("/create?q=nothing-matches-this").await;
        assert!(html.contains("No template matches"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_wizard_renders_each_kind_of_field_with_the_schemas_constraints() {
    let folder = template_folder();
    let (api, _github, _stop) = github_api().await;
    let app = portal(api, folder.path()).start_sqlite().await;
    register_templates(&app, folder.path()).await;
    let (status, html) = app.page(WIZARD).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("<h1>Page service</h1>"));
    // One fieldset per page, with its title and description.
    assert!(
        html.contains("<legend>1. About the service</legend>"),
        "{html}"
    );
    assert!(html.contains("Name it and say who owns it."));
    assert!(html.contains("<legend>2. Repository</legend>"));

    // Text: required, with the schema's pattern and lengths, labelled, focused, helped.
    let name = tag(&html, "name=\"values[name]\"");
    for attribute in [
        "type=\"text\"",
        " required",
        "pattern=\"^[a-z][a-z0-9\\-]*$\"",
        "minlength=\"2\"",
        "maxlength=\"40\"",
        " autofocus",
    ] {
        assert!(name.contains(attribute), "{attribute} in {name}");
    }
    let id = attribute(name, "id");
    assert!(
        html.contains(&format!("<label for=\"{id}\">Name")),
        "{html}"
    );
    assert!(
        name.contains(&format!("aria-describedby=\"{id}-help {id}-problem\"")),
        "{name}"
    );
    assert!(element(&html, &format!("{id}-help"), "p").contains("Lowercase letters"));

    // The owner picker: a text input with the catalog's groups (and no users) to pick from.
    let owner = tag(&html, "name=\"values[owner]\"");
    let list = attribute(owner, "list");
    let datalist = element(&html, list, "datalist");
    assert!(
        datalist.contains("value=\"group:default/platform\""),
        "{datalist}"
    );
    assert!(!datalist.contains("user:default/"), "{datalist}");
    assert!(owner.contains(" required"));

    // An enum: a select labelled with enumNames, its default chosen.
    let language = element(&html, id_of(&html, "name=\"values[language]\""), "select");
    assert!(language.contains(">Rust</option>"), "{language}");
    assert!(
        language.contains("<option value=\"go\" selected"),
        "{language}"
    );
    // A boolean: a checkbox, ticked by its default.
    let public = tag(&html, "name=\"values[public]\"");
    assert!(
        public.contains("type=\"checkbox\"") && public.contains(" checked"),
        "{public}"
    );
    // An integer: a number input with the bounds, its default filled in.
    let replicas = tag(&html, "name=\"values[replicas]\"");
    for attribute in [
        "type=\"number\"",
        "min=\"1\"",
        "max=\"5\"",
        "step=\"1\"",
        "value=\"2\"",
    ] {
        assert!(replicas.contains(attribute), "{attribute} in {replicas}");
    }
    // A list of strings: a textarea, one per line.
    assert!(tag(&html, "name=\"values[topics]\"").starts_with("<textarea"));
    assert!(html.contains("One per line."));
    // A list of enum values: checkboxes, the default ticked.
    let prod = tag(&html, "name=\"values[environments][]\" value=\"prod\"");
    assert!(prod.contains(" checked"), "{prod}");
    assert!(!tag(&html, "name=\"values[environments][]\" value=\"dev\"").contains(" checked"));
    assert!(html.contains(">Production</label>"));
    // A secret: a password input.
    assert!(tag(&html, "name=\"values[token]\"").contains("type=\"password\""));
    // The repository picker: host, owner, name.
    let host = element(
        &html,
        id_of(&html, "name=\"values[repoUrl][host]\""),
        "select",
    );
    assert!(host.contains("<option value=\"github.com\""), "{host}");
    assert!(tag(&html, "name=\"values[repoUrl][owner]\"").contains(" required"));
    assert!(tag(&html, "name=\"values[repoUrl][repo]\"").contains(" required"));
    // Two ways to submit, neither of which needs JavaScript.
    assert!(html.contains("name=\"intent\" value=\"preview\""));
    assert!(html.contains("name=\"intent\" value=\"create\""));
    assert!(tag(&html, "class=\"wizard\"").contains("method=\"post\""));

    // A broken template is shown with its problem and no form; a missing one is a 404.
    let (status, html) = app.page("/create/templates/default/page-broken").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("shell:exec is not an action"), "{html}");
    assert!(!html.contains("name=\"intent\""));
    let (status, _) = app.page("/create/templates/default/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn invalid_values_come_back_with_each_fields_message() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    let app = portal(api, folder.path()).start_sqlite().await;
    register_templates(&app, folder.path()).await;
    let mut form = valid_form("create");
    form.retain(|(k, _)| *k != "values[owner]");
    for pair in &mut form {
        if pair.0 == "values[name]" {
            pair.1 = "Not A Name";
        }
    }

    // Without JavaScript: back to the wizard with the values (never the secret), which
    // checks them and shows each message next to its field.
    let (status, location) = post_form(&app, "run_template", &form, WIZARD, "").await;
    assert_eq!(status, StatusCode::FOUND, "{location}");
    assert!(
        location.starts_with(&format!("{WIZARD}?check=1")),
        "{location}"
    );
    assert!(
        !location.contains("s3cret"),
        "a secret in an address: {location}"
    );
    let (status, html) = page_as(&app, &location, "").await;
    assert_eq!(status, StatusCode::OK);
    let name = tag(&html, "name=\"values[name]\"");
    assert!(name.contains("value=\"Not A Name\""), "{name}");
    assert!(name.contains("aria-invalid=\"true\""), "{name}");
    let id = attribute(name, "id");
    let problem = element(&html, &format!("{id}-problem"), "p");
    assert!(problem.contains("does not match"), "{problem}");
    let owner = tag(&html, "name=\"values[owner]\"");
    let owner_id = attribute(owner, "id");
    assert!(element(&html, &format!("{owner_id}-problem"), "p").contains("This is required."));
    assert!(html.contains("3 values need fixing."), "{html}");
    // The secret was given, but never comes back in an address: it is asked for again.
    let token = tag(&html, "name=\"values[token]\"");
    assert!(!token.contains("value="), "{token}");
    let token_id = attribute(token, "id");
    assert!(
        element(&html, &format!("{token_id}-problem"), "p").contains("Enter it again"),
        "{html}"
    );
    // What was given stays: the repository's parts, the checkboxes, the lines.
    assert!(tag(&html, "name=\"values[repoUrl][repo]\"").contains("value=\"payments\""));
    assert!(tag(&html, "name=\"values[environments][]\" value=\"dev\"").contains(" checked"));
    assert!(html.contains(">billing\nmoney</textarea>"), "{html}");
    assert!(!html.contains("s3cret"));

    // With JavaScript: the same problems, each tied to its field's key.
    let (status, answer) = post_script(&app, "run_template", &form).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let problems = answer["Invalid"]
        .as_array()
        .unwrap_or_else(|| panic!("{answer}"));
    let fields: Vec<&str> = problems
        .iter()
        .filter_map(|p| p["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"name") && fields.contains(&"owner"),
        "{answer}"
    );

    // Nothing ran.
    let (_, tasks) = app.get_json("/api/scaffolder/v2/tasks").await;
    assert_eq!(tasks["totalTasks"], 0);
    assert!(github.lock().unwrap().requests.is_empty());
}

#[tokio::test]
async fn the_dry_run_shows_every_file_and_the_log_and_publishes_nothing() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    let app = portal(api, folder.path()).start_sqlite().await;
    register_templates(&app, folder.path()).await;

    // With JavaScript: the preview comes back as data.
    let (status, answer) = post_script(&app, "run_template", &valid_form("preview")).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let preview = &answer["Preview"];
    assert_eq!(preview["dry_run"]["status"], "completed", "{answer:#}");
    let paths: Vec<&str> = preview["dry_run"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["catalog-info.yaml", "src/main.rs"]);
    let review = preview["review"].to_string();
    assert!(
        review.contains("Name") && review.contains("payments"),
        "{review}"
    );
    assert!(!answer.to_string().contains("s3cret-planted"), "{answer}");

    // Without JavaScript: the wizard runs it and shows the tree, the files and the log.
    let (status, location) =
        post_form(&app, "run_template", &valid_form("preview"), WIZARD, "").await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(
        location.starts_with(&format!("{WIZARD}?preview=1")),
        "{location}"
    );
    let (_, html) = page_as(&app, &location, "").await;
    let preview = element(&html, "preview", "section");
    assert!(preview.contains("2 files would be published"), "{preview}");
    assert!(html.contains("this preview used stand-ins"), "{html}");
    assert!(!html.contains("s3cret-planted"));
    assert!(
        preview.contains("<li class=\"depth-0 directory\">src/</li>"),
        "{preview}"
    );
    assert!(
        preview.contains("<a href=\"#preview-file-1\">main.rs</a>"),
        "{preview}"
    );
    let main = element(&html, "preview-file-1", "details");
    assert!(main.contains("<code>src/main.rs</code>"), "{main}");
    assert!(main.contains("// payments\nfn main() {}"), "{main}");
    assert!(preview.contains("Dry run: would create"), "{preview}");
    assert!(
        github.lock().unwrap().requests.is_empty(),
        "a dry run called GitHub"
    );
    assert!(!app.has_entity("component:default/payments").await);
}

#[tokio::test]
async fn creating_redirects_to_the_task_page_which_shows_the_steps_the_log_and_the_output() {
    let folder = template_folder();
    let (api, github, _stop) = github_api().await;
    each_engine_with(portal(api, folder.path()), async |app| {
        *github.lock().unwrap() = Github::default();
        register_templates(&app, folder.path()).await;
        let (status, location) =
            post_form(&app, "run_template", &valid_form("create"), WIZARD, "").await;
        assert_eq!(status, StatusCode::FOUND, "{location}");
        let id = location
            .strip_prefix("/create/tasks/")
            .unwrap_or_else(|| panic!("{location}"))
            .to_string();
        let mut html = String::new();
        for _ in 0..200 {
            html = page_as(&app, &location, "").await.1;
            if matches!(task_status(&html), "completed" | "failed") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(task_status(&html) == "completed", "{html}");
        assert!(html.contains("Page service"));
        assert!(html.contains("href=\"/create/templates/default/page-service\""));
        // Every step, in order, completed, with a duration.
        let steps = element(&html, "steps-heading", "section");
        let order = ["Fetch the skeleton", "Log", "Publish", "Register"];
        let positions: Vec<usize> = order
            .iter()
            .map(|s| at(steps, &format!(">{s}</span>")))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{steps}");
        assert_eq!(
            steps
                .matches("<span class=\"status status-completed\">completed</span>")
                .count(),
            4,
            "{steps}"
        );
        assert!(steps.contains("class=\"step-duration\""), "{steps}");
        // The log in order, the secret blanked; the output's links.
        let log = element(&html, "log-heading", "section");
        assert!(at(log, "Beginning step Fetch the skeleton") < at(log, "Beginning step Publish"));
        assert!(log.contains("token is ***"), "{log}");
        assert!(!html.contains("s3cret-planted"));
        assert!(
            html.contains("<a href=\"https://github.com/acme/payments.git\">Repository</a>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"/catalog/default/component/payments\">Open in catalog</a>"),
            "{html}"
        );
        // The new entity, in the catalog; nothing left to cancel or retry; no reloading.
        assert!(element(&html, "entities-heading", "section").contains("payments"));
        assert!(app.has_entity("component:default/payments").await);
        assert!(!html.contains(">Cancel</button>") && !html.contains(">Retry</button>"));
        assert!(!html.contains("http-equiv"), "{html}");
        let values = element(&html, "values-heading", "section");
        assert!(
            values.contains("billing") && !values.contains("s3cret"),
            "{values}"
        );
        assert!(app.store.task(&id).await.unwrap().is_some());
    })
    .await;
}

/// A task stored as `created_by`, open (the test portals run no task loop, so nobody
/// claims it).
async fn open_task(app: &TestApp, template: &str, created_by: Option<&str>) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let spec = json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "steps": [{"id": "log", "name": "Say hello", "action": "debug:log"}],
        "parameters": {"note": "hi"},
        "templateInfo": {"entityRef": template},
    })
    .to_string();
    app.store
        .create_task(&store::NewTask {
            id: &id,
            template_ref: template,
            spec: &spec,
            created_by,
            has_secrets: false,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn a_waiting_task_reloads_itself_and_is_cancelled_then_retried_with_forms() {
    let folder = template_folder();
    let (api, _github, _stop) = github_api().await;
    each_engine_with(portal(api, folder.path()), async |app| {
        register_templates(&app, folder.path()).await;
        let id = open_task(&app, "template:default/page-library", None).await;
        let here = format!("/create/tasks/{id}");
        let (status, html) = app.page(&here).await;
        assert_eq!(status, StatusCode::OK);
        assert!(task_status(&html) == "open", "{html}");
        assert!(html.contains("<span class=\"status status-pending\">pending</span>"));
        assert!(
            html.contains("<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>"),
            "a running task's page reloads itself without JavaScript: {html}"
        );
        assert!(html.contains("the task waits for a free worker"));
        assert!(html.contains(">Cancel</button>") && !html.contains(">Retry</button>"));

        let (status, location) = post_form(&app, "cancel_task", &[("id", &id)], &here, "").await;
        assert_eq!(status, StatusCode::FOUND);
        // (leptos keeps an empty query where it took an earlier error out of the address)
        assert_eq!(
            location.trim_end_matches('?'),
            app.url(&here),
            "back to the task"
        );
        let (_, html) = app.page(&here).await;
        assert!(task_status(&html) == "cancelled", "{html}");
        assert!(html.contains("cancelled before it started"), "{html}");
        assert!(!html.contains("http-equiv"));
        assert!(html.contains(">Retry</button>") && !html.contains(">Cancel</button>"));

        let (status, _) = post_form(&app, "retry_task", &[("id", &id)], &here, "").await;
        assert_eq!(status, StatusCode::FOUND);
        let mut html = String::new();
        for _ in 0..200 {
            html = app.page(&here).await.1;
            if task_status(&html) == "completed" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(task_status(&html) == "completed", "{html}");
        assert!(html.contains("The task was retried"), "{html}");
        assert!(html.contains(">Say hello</span>"));

        // Cancelling a task that has ended says so.
        let (status, location) = post_form(&app, "cancel_task", &[("id", &id)], &here, "").await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(location.contains("__err="), "{location}");
        let (status, answer) = post_script(&app, "cancel_task", &[("id", &id)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(answer.to_string().contains("has already ended"), "{answer}");
        let (status, _) = app.page("/create/tasks/not%20an%20id").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = app
            .page(&format!("/create/tasks/{}", uuid::Uuid::new_v4()))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn my_tasks_for_everyone_and_all_tasks_for_admins() {
    use crate::permissions::{callers, portal};
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let graces = open_task(
            &app,
            "template:default/library",
            Some("user:default/grace.hopper"),
        )
        .await;
        let alans = open_task(
            &app,
            "template:default/library",
            Some("user:default/alan.turing"),
        )
        .await;

        let (status, html) = page_as(&app, "/create/tasks", &who.grace).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("<h1>My tasks</h1>"));
        assert!(
            html.contains(&format!("href=\"/create/tasks/{graces}\"")),
            "{html}"
        );
        assert!(!html.contains(&alans));
        assert!(html.contains("1–1 of 1 tasks"), "{html}");
        assert!(
            !html.contains("All tasks"),
            "only admins are offered every task"
        );
        let (status, _) = page_as(&app, "/create/tasks?scope=all", &who.grace).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (_, html) = page_as(&app, "/create/tasks?status=completed", &who.grace).await;
        assert!(html.contains("No tasks yet."), "{html}");
        let (status, html) = page_as(&app, "/create/tasks?status=maybe", &who.grace).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("is not a task status"));

        // Ada is an admin (of platform): every task, and who ran each.
        let (_, html) = page_as(&app, "/create/tasks?scope=all", &who.ada).await;
        assert!(html.contains("<h1>All tasks</h1>"));
        assert!(html.contains(&graces) && html.contains(&alans), "{html}");
        assert!(html.contains(">grace.hopper</td>"), "{html}");
        assert!(
            html.contains(
                "<a href=\"/create/tasks?scope=all\" aria-current=\"page\">All tasks</a>"
            ),
            "{html}"
        );
        let (_, html) = page_as(&app, "/create/tasks", &who.ada).await;
        assert!(
            html.contains("No tasks yet."),
            "Ada ran none herself: {html}"
        );

        // Reading tasks needs a sign-in under the default policy.
        let (status, _) = page_as(&app, "/create/tasks", &who.anonymous).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, html) = page_as(&app, &format!("/create/tasks/{graces}"), &who.alan).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "anyone signed in reads a task: {html}"
        );
        assert!(html.contains(">grace.hopper</a>"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn a_signed_in_person_creates_with_the_form_token_and_finds_the_task_in_their_list() {
    use crate::permissions::{callers, client as plain};
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
    let app = portal.start_sqlite().await;
    let who = callers(&app).await;
    // The operator registers the templates (Ada is an admin).
    for file in ["service.yaml", "library.yaml"] {
        let response = plain()
            .post(app.url("/api/catalog/locations"))
            .header("origin", format!("http://{}", app.address))
            .header(COOKIE, &who.ada)
            .json(
                &json!({"type": "file", "target": folder.path().join(file).display().to_string()}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let wizard = "/create/templates/default/page-library";
    let (status, html) = page_as(&app, wizard, &who.grace).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let token = tag(&html, "name=\"form_token\"")
        .split("value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let form = [
        ("namespace", "default"),
        ("name", "page-library"),
        ("intent", "create"),
        ("values[note]", "hello"),
    ];
    // Without the session's form token, the form is refused as possibly forged.
    let (status, _) = post_form(&app, "run_template", &form, wizard, &who.grace).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let mut with_token = form.to_vec();
    with_token.push(("form_token", &token));
    let (status, location) = post_form(&app, "run_template", &with_token, wizard, &who.grace).await;
    assert_eq!(status, StatusCode::FOUND, "{location}");
    let id = location.strip_prefix("/create/tasks/").unwrap().to_string();
    let (_, html) = page_as(&app, "/create/tasks", &who.grace).await;
    assert!(
        html.contains(&format!("href=\"/create/tasks/{id}\">Page library</a>")),
        "{html}"
    );
    let row = app.store.task(&id).await.unwrap().unwrap();
    assert_eq!(row.created_by.as_deref(), Some("user:default/grace.hopper"));
    // Anonymous visitors may not run templates under the default policy.
    let (status, location) = post_form(&app, "run_template", &form, wizard, "").await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.contains("__err="), "{location}");
    let (status, _) = post_script(&app, "run_template", &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
