//! The team pages (issue 11): the directory as a tree with counts, search and type
//! filter; a team's page alone and with its child teams (members, what it owns, APIs,
//! the teams it depends on and that depend on it, ownership health); and catalogs whose
//! groups do not form a tree (loops, missing parents, several parents), teams of nobody,
//! owners in other namespaces — on both databases.

use crate::support::{TestApp, TestPortal, each_engine_with};
use reqwest::StatusCode;

fn demo() -> TestPortal {
    TestPortal::new().demo_catalog()
}

/// The position of `needle` in `html`, which must contain it.
fn at(html: &str, needle: &str) -> usize {
    html.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page:\n{html}"))
}

/// The text of the section whose heading has `id`, up to the next section.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = at(html, &format!("id=\"{id}\""));
    let end = html[start..]
        .find("</section>")
        .map_or(html.len(), |i| start + i);
    &html[start..end]
}

#[tokio::test]
async fn the_directory_is_the_group_tree_with_members_and_what_each_team_owns() {
    each_engine_with(demo(), async |app| {
        let (status, html) = app.page("/teams").await;
        assert_eq!(status, StatusCode::OK);
        // Tree order: Acme first, then its teams by ref, Payments right under Checkout.
        let order = [
            "Acme Retail",
            "Product Catalog",
            "Checkout",
            "Payments",
            "Data",
            "Platform Engineering",
        ];
        let positions: Vec<usize> = order
            .iter()
            .map(|name| at(&html, &format!(">{name}</a>")))
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] < w[1]),
            "{order:?} at {positions:?}"
        );
        assert!(
            html.contains("class=\"team-name depth-2\""),
            "Payments is two levels down"
        );
        assert!(html.contains("href=\"/teams/default/payments\""));
        // Checkout: Grace alone, 3 with Payments; owns its own and Payments' entities.
        let checkout = &html[at(&html, ">Checkout</a>")..at(&html, ">Payments</a>")];
        assert!(checkout.contains("1 (3 with child teams)"), "{checkout}");
        assert!(checkout.contains("Components"), "{checkout}");
        assert!(
            html.contains("7 teams.") || html.contains("6 teams."),
            "{html}"
        );

        // Search keeps the matching teams with their path; the type filter narrows.
        let (_, html) = app.page("/teams?q=money+refunds").await;
        assert!(html.contains("1 of 6 teams match."), "{html}");
        assert!(html.contains("Acme Retail › Checkout › "), "{html}");
        let (_, html) = app.page("/teams?type=department").await;
        assert!(html.contains(">Checkout</a>") && !html.contains(">Payments</a>"));
        let (_, html) = app.page("/teams?q=nothing-like-this").await;
        assert!(html.contains("No team matches"), "{html}");
    })
    .await;
}

#[tokio::test]
async fn a_team_page_shows_who_and_what_with_or_without_its_child_teams() {
    each_engine_with(demo(), async |app| {
        let (status, html) = app.page("/teams/default/checkout-team").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<h1>Checkout</h1>"), "{html}");
        assert!(html.contains("href=\"mailto:checkout@acme.example\""));
        assert!(html.contains("#checkout on chat"));
        assert!(
            html.contains("href=\"/teams/default/acme\""),
            "the parent in the breadcrumb"
        );
        assert!(
            html.contains("Child teams: ") && html.contains("href=\"/teams/default/payments\"")
        );

        let members = section(&html, "members-heading");
        assert!(
            members.contains("Members (1)") && members.contains("Grace Hopper"),
            "{members}"
        );
        assert!(members.contains("href=\"/people/default/grace.hopper\""));
        let owned = section(&html, "owned-heading");
        assert!(
            owned.contains("basket-service") || owned.contains("Basket Service"),
            "{owned}"
        );
        assert!(
            !owned.contains("Payment Service"),
            "Payments' own entity is not listed alone"
        );
        // Payments depends on Checkout's basket service; web-shop consumes Product
        // Catalog's API: both directions, as lists and as a picture.
        let dependencies = section(&html, "dependencies-heading");
        assert!(
            dependencies.contains("class=\"dependency-picture\""),
            "{dependencies}"
        );
        let dependents = &dependencies
            [at(dependencies, "Teams that depend on it")..at(dependencies, "Teams it depends on")];
        assert!(dependents.contains(">Payments</a>"), "{dependents}");
        let depends_on = &dependencies[at(dependencies, "Teams it depends on")..];
        assert!(depends_on.contains(">Product Catalog</a>"), "{depends_on}");
        let apis = section(&html, "apis-heading");
        assert!(
            apis.contains("checkout-api") && apis.contains("products-api"),
            "{apis}"
        );

        // With the child teams: Payments' people and service, and Payments is no longer
        // another team.
        let (_, html) = app.page("/teams/default/checkout-team?scope=all").await;
        let members = section(&html, "members-heading");
        assert!(members.contains("Members (3)"), "{members}");
        assert!(members.contains("Katherine Johnson") && members.contains("Barbara Liskov"));
        assert!(
            members.contains("<img src=\"data:image/svg+xml"),
            "the picture is shown"
        );
        let owned = section(&html, "owned-heading");
        assert!(owned.contains("Payment Service"), "{owned}");
        assert!(
            owned.contains(">Owner</a>"),
            "an owner column says whose it is"
        );
        let dependencies = section(&html, "dependencies-heading");
        let dependents = &dependencies
            [at(dependencies, "Teams that depend on it")..at(dependencies, "Teams it depends on")];
        assert!(!dependents.contains(">Payments</a>"), "{dependents}");

        // Filtered to one kind, sorted by lifecycle: links keep the scope.
        let (_, html) = app
            .page("/teams/default/checkout-team?scope=all&kind=resource&sort=lifecycle")
            .await;
        let owned = section(&html, "owned-heading");
        assert!(
            owned.contains("orders-db") && !owned.contains("Payment Service"),
            "{owned}"
        );
        assert!(
            owned.contains("href=\"/teams/default/checkout-team?scope=all&amp;sort=lifecycle\""),
            "{owned}"
        );
    })
    .await;
}

#[tokio::test]
async fn unknown_teams_and_scopes_are_refused_with_what_to_do() {
    each_engine_with(demo(), async |app| {
        let (status, html) = app.page("/teams/default/nobody").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            html.contains("The catalog has no team default/nobody"),
            "{html}"
        );
        let (status, html) = app
            .page("/teams/default/checkout-team?scope=everything")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(html.contains("use scope=team"), "{html}");
    })
    .await;
}

const TANGLED: &str = r#"
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: loop-a}
spec: {type: team, parent: loop-b, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: loop-b}
spec: {type: team, parent: loop-a, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: lost}
spec: {type: team, parent: not-there, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: ops, namespace: infra}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: router, namespace: edge}
spec: {type: service, lifecycle: production, owner: group:infra/ops}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: orphan}
spec: {type: service, lifecycle: experimental, owner: group:default/vanished, dependsOn: [component:default/missing]}
"#;

async fn tangled(app: &TestApp) {
    app.import_yaml("tangled.yaml", TANGLED).await;
}

#[tokio::test]
async fn groups_that_do_not_form_a_tree_are_shown_and_said_not_hidden() {
    each_engine_with(TestPortal::new(), async |app| {
        tangled(&app).await;
        let (status, html) = app.page("/teams").await;
        assert_eq!(status, StatusCode::OK);
        for team in ["loop-a", "loop-b", "lost", "ops"] {
            assert!(html.contains(&format!(">{team}</a>")), "{team}: {html}");
        }
        assert!(html.contains("problems with how the catalog"), "{html}");
        assert!(
            html.contains("are each other&#x27;s parents")
                || html.contains("are each other's parents"),
            "{html}"
        );
        assert!(html.contains("not-there"), "the missing parent is named");
        // The orphan's owner exists nowhere: the directory says so, with a way to the list.
        let missing = section(&html, "missing-owners-heading");
        assert!(
            missing.contains("1 entity names an owner the catalog does not have"),
            "{missing}"
        );
        assert!(
            missing.contains("href=\"/catalog?owner=group:default/vanished\""),
            "{missing}"
        );
        assert!(
            !missing.contains("infra/ops"),
            "an owner in another namespace is found: {missing}"
        );

        // A team of nobody that owns something in another namespace.
        let (status, html) = app.page("/teams/infra/ops").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Members (0)") && html.contains("Nobody is a member yet"));
        let owned = section(&html, "owned-heading");
        assert!(
            owned.contains("href=\"/catalog/edge/component/router\""),
            "{owned}"
        );
        let health = section(&html, "health-heading");
        assert!(
            health.contains("Components without a system (1)"),
            "{health}"
        );
        assert!(
            health.contains("Entities with processing problems (0)"),
            "{health}"
        );
        // Its location removed (entities kept), the router is an orphan: the page says so.
        let store = &app.store.store;
        let location = store
            .location_by_target("test", "tangled.yaml")
            .await
            .unwrap()
            .unwrap();
        store.delete_location(&location.id, false).await.unwrap();
        let (_, html) = app.page("/teams/infra/ops").await;
        let health = section(&html, "health-heading");
        assert!(
            health.contains("Entities with processing problems (1)"),
            "{health}"
        );
        assert!(health.contains("its location was removed"), "{health}");

        let (status, html) = app.page("/teams/default/loop-a").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            html.contains("each other"),
            "the page says what is wrong: {html}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_directory_server_function_answers_json_and_asks_the_seam() {
    each_engine_with(demo(), async |app| {
        let (path, _) = leptos::server_fn::axum::server_fn_paths()
            .find(|(path, _)| path.contains("fetch_team_directory"))
            .unwrap();
        let response = reqwest::Client::new()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("text=payments")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["rows"].as_array().unwrap().len(), 1, "{body}");
        assert_eq!(
            body["rows"][0]["group"]["entity_ref"],
            "group:default/payments"
        );
        assert_eq!(body["rows"][0]["members"], 2);
    })
    .await;
    // The pages ask the seam like every other: a seam that refuses everything is obeyed.
    let app = demo()
        .seam(server::identity::Rule::NobodyMay)
        .start_sqlite()
        .await;
    for page in ["/teams", "/teams/default/checkout-team"] {
        let (status, _) = app.page(page).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{page}");
    }
}

#[tokio::test]
async fn a_person_page_shows_their_teams_where_they_sit_and_what_they_own() {
    each_engine_with(demo(), async |app| {
        let (status, html) = app.page("/people/default/katherine.johnson").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<h1>Katherine Johnson</h1>"), "{html}");
        assert!(html.contains("href=\"mailto:katherine@acme.example\""));
        let teams = section(&html, "person-teams-heading");
        assert!(teams.contains("Teams (1)"), "{teams}");
        assert!(teams.contains("href=\"/teams/default/payments\""));
        assert!(teams.contains("In Acme Retail › Checkout"), "{teams}");
        assert!(teams.contains("Payment Service"), "{teams}");

        let (status, html) = app.page("/people/default/nobody").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("The catalog has no person default/nobody"));
    })
    .await;
}

#[tokio::test]
async fn the_home_page_shows_the_signed_in_persons_teams_first() {
    each_engine_with(demo(), async |app| {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(app.url("/auth/guest"))
            .header("origin", format!("http://{}", app.address))
            .form(&[("user", "user:default/alan.turing")])
            .send()
            .await
            .unwrap();
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let html = reqwest::Client::new()
            .get(app.url("/"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mine = &html[at(&html, "my-teams-heading")..at(&html, "kinds-heading")];
        assert!(
            mine.contains(">Product Catalog</a>") && mine.contains(">Data</a>"),
            "{mine}"
        );
        assert!(mine.contains("Products Service"), "{mine}");
        assert!(
            at(&html, "my-teams-heading") < at(&html, "kinds-heading"),
            "their teams come first"
        );
        let (_, anonymous) = app.page("/").await;
        assert!(!anonymous.contains("my-teams-heading"));
    })
    .await;
}

#[tokio::test]
async fn the_teams_api_answers_what_the_pages_show_with_backstage_errors() {
    each_engine_with(demo(), async |app| {
        let (status, body) = app.get_json("/api/teams?q=payments&unknown=ignored").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["total"], 6);
        assert_eq!(
            body["rows"][0]["path"],
            serde_json::json!(["Acme Retail", "Checkout"])
        );

        let (status, body) = app
            .get_json("/api/teams/default/checkout-team?scope=all")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["members"].as_array().unwrap().len(), 3);
        assert_eq!(body["with_child_teams"], true);
        let depends_on = &body["links_to_teams"]["depends_on"];
        assert_eq!(
            depends_on[0]["owner"], "group:default/catalog-team",
            "{depends_on}"
        );

        let (status, body) = app.get_json("/api/people/default/grace.hopper").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["teams"][0]["team"]["name"], "Checkout");

        for (path, status, name) in [
            (
                "/api/teams/default/checkout-team?scope=some",
                400,
                "InputError",
            ),
            ("/api/teams/default/nobody", 404, "NotFoundError"),
            ("/api/people/default/nobody", 404, "NotFoundError"),
            ("/api/teams/default", 404, "NotFoundError"),
            ("/api/teams/default/a%00b", 400, "InputError"),
        ] {
            let (got, body) = app.get_json(path).await;
            assert_eq!(got.as_u16(), status, "{path}: {body}");
            assert_eq!(body["error"]["name"], name, "{path}: {body}");
        }

        let (status, document) = app.get_json("/api/teams/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        let paths: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
        assert_eq!(paths.len(), 4, "{paths:?}");
    })
    .await;
    let app = demo()
        .seam(server::identity::Rule::NobodyMay)
        .start_sqlite()
        .await;
    let (status, body) = app.get_json("/api/teams").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["name"], "AuthenticationError");
}

#[tokio::test]
async fn what_a_big_team_owns_comes_a_page_at_a_time() {
    each_engine_with(TestPortal::new(), async |app| {
        let mut yaml = String::from(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: big}\nspec: {type: team, children: []}\n",
        );
        for i in 0..150 {
            let system = if i % 2 == 0 { "spec: {type: service, lifecycle: production, owner: big, system: even}" } else { "spec: {type: library, lifecycle: experimental, owner: big}" };
            yaml.push_str(&format!(
                "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {{name: part-{i:03}}}\n{system}\n"
            ));
        }
        app.import_yaml("big.yaml", &yaml).await;
        let (status, html) = app.page("/teams/default/big").await;
        assert_eq!(status, StatusCode::OK);
        let owned = section(&html, "owned-heading");
        assert!(owned.contains("What it owns (150)"), "{owned}");
        assert!(owned.contains("1–100 of 150"), "{owned}");
        assert_eq!(owned.matches("<tr>").count(), 100 + 2, "100 rows and two header rows: {owned}");
        assert!(owned.contains("href=\"/teams/default/big?offset=100\""), "{owned}");
        let health = section(&html, "health-heading");
        assert!(health.contains("Components without a system (75)"), "{health}");

        let (_, html) = app.page("/teams/default/big?sort=name&offset=100").await;
        let owned = section(&html, "owned-heading");
        assert!(owned.contains("101–150 of 150"), "{owned}");
        assert!(owned.contains(">part-100</a>") && !owned.contains(">part-099</a>"), "{owned}");
        assert!(owned.contains("href=\"/teams/default/big?sort=name\""), "the previous page: {owned}");

        for bad in ["sort=colour", "offset=-1", "offset=99999", "offset=ten"] {
            let (status, _) = app.page(&format!("/teams/default/big?{bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            let (status, body) = app.get_json(&format!("/api/teams/default/big?{bad}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        }
        let (_, body) = app.get_json("/api/teams/default/big?kind=Component&offset=140").await;
        assert_eq!(body["owned"]["rows"].as_array().unwrap().len(), 10, "{body}");
        assert_eq!(body["owned"]["matching"], 150);
    })
    .await;
}
