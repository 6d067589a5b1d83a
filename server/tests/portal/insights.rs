//! Delivery events in (issue 13): GitHub webhook deliveries — signatures, idempotency,
//! out-of-order statuses, payloads with fields missing, unknown repositories, pushes that
//! make locations due — and the events API with its token scope, on both databases.

use crate::permissions::{client, portal};
use crate::support::{TestApp, TestPortal, each_engine_with};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::config::Secret;

const SECRET: &str = "a-webhook-secret-of-some-length";

fn with_secret(portal: TestPortal) -> TestPortal {
    portal.configure(|config| {
        config.insights.webhook_secret = Some(Secret::new(SECRET));
    })
}

/// Sends a delivery as GitHub does; `signature` overrides the correct one.
async fn deliver(
    app: &TestApp,
    event: &str,
    id: &str,
    body: &str,
    signature: Option<&str>,
) -> (StatusCode, Value) {
    let correct = insights::github::sign(SECRET.as_bytes(), body.as_bytes());
    let mut request = client()
        .post(app.url("/api/webhooks/github"))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", id)
        .body(body.to_string());
    match signature {
        Some("") => {}
        Some(other) => request = request.header("x-hub-signature-256", other),
        None => request = request.header("x-hub-signature-256", correct),
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Processes every stored delivery, as the delivery loop does.
async fn process_all(app: &TestApp) -> usize {
    let mut processed = 0;
    while app.state.insights.process_one().await.unwrap() {
        processed += 1;
    }
    processed
}

fn deployment_status(state: &str, at: &str) -> String {
    json!({
        "action": "created",
        "deployment_status": {"state": state, "created_at": at},
        "deployment": {"id": 42, "sha": "b2", "environment": "production", "created_at": "2026-11-02T11:30:00Z"},
        "repository": {"full_name": "acme/unknown-service", "html_url": "https://github.com/acme/unknown-service"}
    })
    .to_string()
}

#[tokio::test]
async fn only_signed_deliveries_are_stored_and_each_only_once() {
    each_engine_with(with_secret(TestPortal::new()), async |app| {
        let ping = r#"{"zen":"Design for failure.","hook_id":1}"#;
        let wrong = insights::github::sign(b"another-secret-entirely", ping.as_bytes());
        for (signature, why) in [
            (Some(wrong.as_str()), "does not match"),
            (Some(""), "is missing"),
            (Some("sha256=12"), "is not \"sha256=\""),
        ] {
            let (status, body) = deliver(&app, "ping", "d-0", ping, signature).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(message.contains(why), "{message}");
        }
        assert!(app.store.store.delivery("d-0").await.unwrap().is_none());

        let (status, body) = deliver(&app, "ping", "d-1", ping, None).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let (status, body) = deliver(&app, "ping", "d-1", ping, None).await;
        assert_eq!(
            (status, body["status"].as_str()),
            (StatusCode::OK, Some("duplicate"))
        );

        let (status, body) = deliver(&app, "push", "d-2", "{\"ref\":", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("push payload is not what GitHub sends"),
            "{message}"
        );
        let (status, _) = deliver(&app, "ping", "../../etc", ping, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        assert_eq!(process_all(&app).await, 1);
        let counts = app.store.store.delivery_counts().await.unwrap();
        assert_eq!((counts.processed, counts.failed, counts.pending), (1, 0, 0));
    })
    .await;
}

#[tokio::test]
async fn without_a_secret_deliveries_are_refused_with_what_to_set() {
    let app = TestPortal::new().start_sqlite().await;
    let (status, body) = deliver(&app, "ping", "d-1", "{}", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("github_webhook_secret"),
        "{body}"
    );
}

#[tokio::test]
async fn statuses_before_their_deployment_and_redeliveries_change_nothing_wrongly() {
    each_engine_with(with_secret(TestPortal::new()), async |app| {
        // The success arrives first, then an older in-progress status, then the
        // deployment itself; then GitHub redelivers the success.
        let success = deployment_status("success", "2026-11-02T12:00:00Z");
        deliver(&app, "deployment_status", "s-2", &success, None).await;
        let progress = deployment_status("in_progress", "2026-11-02T11:40:00Z");
        deliver(&app, "deployment_status", "s-1", &progress, None).await;
        let created = json!({
            "action": "created",
            "deployment": {"id": 42, "sha": "b2", "environment": "production", "created_at": "2026-11-02T11:30:00Z"},
            "repository": {"full_name": "acme/unknown-service"}
        })
        .to_string();
        deliver(&app, "deployment", "s-0", &created, None).await;
        let (status, _) = deliver(&app, "deployment_status", "s-2", &success, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(process_all(&app).await, 3);

        let stored = app
            .store
            .store
            .deployment("github:acme/unknown-service:42")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.status, "succeeded");
        assert_eq!(stored.finished_at.unwrap().to_rfc3339(), "2026-11-02T12:00:00+00:00");
        // No component names the repository: the deployment is kept and listed.
        assert_eq!(
            app.store.store.deployed_repositories().await.unwrap(),
            [("acme/unknown-service".to_string(), 1)]
        );
    })
    .await;
}

#[tokio::test]
async fn finished_runs_of_a_deployment_workflow_on_the_default_branch_are_deployments() {
    let portal = with_secret(TestPortal::new()).configure(|config| {
        config.insights.deployment_workflows = vec!["deploy to production".into()];
    });
    each_engine_with(portal, async |app| {
        let run = |id: u64, name: &str, branch: &str, conclusion: &str| {
            json!({
                "action": "completed",
                "workflow_run": {"id": id, "name": name, "head_sha": format!("sha{id}"),
                    "head_branch": branch, "status": "completed", "conclusion": conclusion,
                    "run_started_at": "2026-11-02T11:50:00Z", "updated_at": "2026-11-02T12:00:00Z"},
                "repository": {"full_name": "acme/payments", "default_branch": "main"}
            })
            .to_string()
        };
        for (delivery, body) in [
            ("w-1", run(1, "Deploy to production", "main", "success")),
            ("w-2", run(2, "Deploy to production", "main", "failure")),
            ("w-3", run(3, "Deploy to production", "main", "cancelled")),
            (
                "w-4",
                run(4, "Deploy to production", "feature/x", "success"),
            ),
            ("w-5", run(5, "CI", "main", "success")),
        ] {
            let (status, body) = deliver(&app, "workflow_run", delivery, &body, None).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        }
        assert_eq!(process_all(&app).await, 5);
        let store = &app.store.store;
        let deployed = store
            .deployment("github:acme/payments:run:1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                deployed.status.as_str(),
                deployed.environment.as_str(),
                deployed.sha.as_deref()
            ),
            ("succeeded", "production", Some("sha1"))
        );
        let failed = store
            .deployment("github:acme/payments:run:2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed.status, "failed");
        for nothing in [3, 4, 5] {
            let id = format!("github:acme/payments:run:{nothing}");
            assert!(
                store.deployment(&id).await.unwrap().is_none(),
                "run {nothing} deployed nothing"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_push_records_changes_and_makes_the_pushed_locations_due() {
    each_engine_with(with_secret(TestPortal::new()), async |app| {
        let store = &app.store.store;
        let now = chrono::Utc::now();
        let target = "https://github.com/acme/payments/blob/main/catalog-info.yaml";
        let (location, _) = store.add_location("url", target, now).await.unwrap();
        store
            .claim_location(&location.id, "test", now, std::time::Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        let read = store::ReadResult::Failed { error: "offline".into() };
        let later = now + chrono::TimeDelta::hours(1);
        assert!(store.finish_location_read(&location.id, "test", now, later, &read).await.unwrap());

        // A tag deleted: no head commit, no commits. It reads and changes nothing.
        let delete_tag = json!({
            "ref": "refs/tags/v1", "before": "c3", "after": "0000000000000000000000000000000000000000",
            "deleted": true, "commits": [], "head_commit": null,
            "repository": {"full_name": "acme/payments", "html_url": "https://github.com/acme/payments", "default_branch": "main"}
        })
        .to_string();
        deliver(&app, "push", "p-1", &delete_tag, None).await;
        assert_eq!(process_all(&app).await, 1);
        assert!(store.location(&location.id).await.unwrap().unwrap().next_read_at.is_some());

        let push = json!({
            "ref": "refs/heads/main", "after": "b2",
            "commits": [{"id": "a1", "timestamp": "2026-11-02T10:00:00Z"}, {"id": "b2", "timestamp": "2026-11-02T10:05:00Z"}],
            "head_commit": {"id": "b2"},
            "repository": {"full_name": "Acme/Payments", "html_url": "https://github.com/Acme/Payments", "default_branch": "main"}
        })
        .to_string();
        deliver(&app, "push", "p-2", &push, None).await;
        assert_eq!(process_all(&app).await, 1);
        assert_eq!(store.delivery_counts().await.unwrap().failed, 0);
        assert!(store.location(&location.id).await.unwrap().unwrap().next_read_at.is_none());
        let changes = store.changes_of(&["acme/payments".into()], chrono::DateTime::UNIX_EPOCH).await.unwrap();
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.head == "b2"));
    })
    .await;
}

#[tokio::test]
async fn the_events_api_takes_a_token_with_the_events_scope_and_nothing_else() {
    each_engine_with(portal(), async |app| {
        let person = identity::Person {
            subject: "guest:user:default/grace.hopper".into(),
            user_ref: Some("user:default/grace.hopper".into()),
            display_name: "Grace Hopper".into(),
            email: None,
            groups: vec![],
        };
        let token = |scope: &str| {
            let request = identity::TokenRequest::new(&format!("ci {scope}"), &[scope.into()], 30).unwrap();
            let store = app.store.store.clone();
            let person = person.clone();
            async move {
                app::identity::create_token(&store, &person, &request, chrono::Utc::now())
                    .await
                    .unwrap()
                    .token
            }
        };
        let events = json!({"events": [
            {"type": "change", "repository": "acme/payments", "sha": "abc1", "committedAt": "2026-11-02T10:00:00Z"},
            {"type": "deployment", "id": "d-1", "repository": "acme/payments", "environment": "production",
             "sha": "abc1", "status": "rolled_back", "finishedAt": "2026-11-02T11:00:00Z"},
            {"type": "incident", "id": "INC-1", "repository": "acme/payments", "openedAt": "2026-11-02T11:05:00Z", "causedBy": "d-1"}
        ]});
        let post = async |token: Option<&str>, body: &Value| {
            let mut request = client().post(app.url("/api/insights/events")).json(body);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or(Value::Null))
        };

        let (status, _) = post(None, &events).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let reader = token("read").await;
        let (status, body) = post(Some(&reader), &events).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        let writer = token("catalog.write").await;
        let (status, _) = post(Some(&writer), &events).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "catalog.write is not insights.events");

        let reporter = token("insights.events").await;
        let mut bad = events.clone();
        bad["events"][2]["openedAt"] = json!("yesterday");
        let (status, body) = post(Some(&reporter), &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"]["message"].as_str().unwrap().contains("events[2].openedAt"), "{body}");
        assert!(app.store.store.deployment("api:d-1").await.unwrap().is_none(), "a bad batch stores nothing");

        let (status, body) = post(Some(&reporter), &events).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["stored"], 3);
        let stored = app.store.store.deployment("api:d-1").await.unwrap().unwrap();
        assert_eq!(stored.status, "rolled_back");

        // A component the catalog does not have has its figures all the same.
        let yesterday = (chrono::Utc::now() - chrono::TimeDelta::days(1)).to_rfc3339();
        let ghost = json!({"events": [{"type": "deployment", "id": "d-ghost",
            "component": "component:default/ghost-service", "environment": "production",
            "sha": "abc2", "status": "succeeded", "finishedAt": yesterday}]});
        let (status, body) = post(Some(&reporter), &ghost).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let report: Value = client()
            .get(app.url("/api/insights/dora?days=7&component=ghost-service"))
            .bearer_auth(&reader)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(report["services"][0]["service"], "component:default/ghost-service", "{report}");
        assert_eq!(report["report"]["current"]["deployments"], 1, "{report}");
        // A reporter token reads nothing.
        let response = client()
            .get(app.url("/api/catalog/entities"))
            .bearer_auth(&reporter)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn the_insights_page_shows_the_demo_history_by_organisation_team_and_service() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, html) = app.page("/insights").await;
        assert_eq!(status, StatusCode::OK);
        for expected in [
            "Deployment frequency",
            "Change lead time",
            "<svg",
            "Deployments per week",
            "component:default/web-shop",
        ] {
            assert!(html.contains(expected), "{expected} missing");
        }
        let (status, html) = app
            .page("/insights?days=90&team=group:default/checkout-team")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("component:default/basket-service"));
        assert!(
            !html.contains("component:default/payment-service"),
            "another team's service"
        );
        let (status, html) = app.page("/insights?component=payment-service&days=7").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Service component:default/payment-service"));
        let (status, _) = app.page("/insights?days=5").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn maturity_is_explained_per_service_and_team() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, html) = app.page("/insights/maturity").await;
        assert_eq!(status, StatusCode::OK);
        for expected in [
            "Services by maturity level",
            "group:default/checkout-team",
            "component:default/ui-kit",
        ] {
            assert!(html.contains(expected), "{expected} missing");
        }
        // web-shop: an Application spec with a canary rollout and Terraform, a project
        // slug, deployments several times a day — but no TechDocs and no template.
        let (status, html) = app.page("/insights/maturity?component=web-shop").await;
        assert_eq!(status, StatusCode::OK);
        let html = crate::support::strip_comments(&html);
        assert!(html.contains("Level 3 · Platform engineering"), "{html}");
        assert!(
            html.contains("/create/templates/default/service"),
            "a fix links to the golden path"
        );
        // ui-kit has no spec and no deployments: level 1, with what is missing.
        let (_, html) = app.page("/insights/maturity?component=ui-kit").await;
        let html = crate::support::strip_comments(&html);
        assert!(html.contains("Level 1 · Basic automation"), "{html}");
        assert!(html.contains("no data yet"));
        let (_, html) = app.page("/insights/maturity?team=checkout-team").await;
        assert!(html.contains("component:default/basket-service"));
        assert!(!html.contains("component:default/payment-service"));
    })
    .await;
}

#[tokio::test]
async fn the_figures_are_json_and_csv_too() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, report) = app
            .get_json("/api/insights/dora?days=90&team=checkout-team")
            .await;
        assert_eq!(status, StatusCode::OK, "{report}");
        let services: Vec<&str> = report["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["service"].as_str().unwrap())
            .collect();
        assert_eq!(
            services,
            [
                "component:default/basket-service",
                "component:default/web-shop"
            ]
        );
        let weeks = report["weeks"].as_array().unwrap().len();
        assert!(
            (13..=14).contains(&weeks),
            "90 days touch 13 or 14 weeks: {weeks}"
        );
        assert!(
            report["report"]["current"]["deployment_frequency"]["value"]
                .as_f64()
                .unwrap()
                > 1.0
        );

        let (status, body) = app.get_json("/api/insights/dora?days=5").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["name"], "InputError");

        let response = app.get("/api/insights/dora.csv?days=30").await;
        assert_eq!(response.status, StatusCode::OK);
        let csv = response.text();
        let mut lines = csv.lines();
        assert!(
            lines
                .next()
                .unwrap()
                .starts_with("service,owner,deployments,")
        );
        assert!(csv.contains("component:default/web-shop,group:default/checkout-team,"));

        let (status, maturity) = app
            .get_json("/api/insights/maturity?component=web-shop")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(maturity["services"][0]["level"], 3);
        let csv = app.get("/api/insights/maturity.csv").await.text();
        assert!(
            csv.starts_with("service,owner,level,level_name,missing\n"),
            "{csv}"
        );
        assert!(csv.contains("component:default/web-shop,group:default/checkout-team,3,"));

        let csv = app.get("/api/insights/maturity-teams.csv").await.text();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("team,level,level_name,services,most_missing")
        );
        let checkout = csv
            .lines()
            .find(|l| l.starts_with("group:default/checkout-team,"))
            .unwrap_or_else(|| panic!("{csv}"));
        let (_, html) = app.page("/insights/maturity").await;
        assert!(html.contains("/api/insights/maturity-teams.csv"));
        let cells: Vec<&str> = checkout.split(',').collect();
        assert!(
            cells[1].parse::<u8>().is_ok_and(|l| (1..=5).contains(&l)),
            "{checkout}"
        );
        assert_eq!(
            cells[3], "3",
            "web-shop, basket-service and ui-kit: {checkout}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_portal_counts_its_requests_and_the_people_who_use_it() {
    each_engine_with(crate::permissions::portal(), async |app| {
        let who = crate::permissions::callers(&app).await;
        let store = &app.store.store;
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let before = store.request_days(&today).await.unwrap();
        let counted = |rows: &[store::RequestDayRow]| rows.first().map(|r| r.requests).unwrap_or(0);
        for _ in 0..3 {
            let response = client()
                .get(app.url("/insights/platform"))
                .header(reqwest::header::COOKIE, &who.grace)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
        client().get(app.url("/healthz")).send().await.unwrap();
        app.state.metrics.usage.flush(store).await;
        let after = store.request_days(&today).await.unwrap();
        // The three pages (and the sign-ins before them), not the probe.
        assert!(
            counted(&after) >= counted(&before) + 3,
            "{before:?} {after:?}"
        );
        let active = store.active_per_day(&today).await.unwrap();
        assert!(active.first().is_some_and(|(_, n)| *n >= 1), "{active:?}");

        let html = client()
            .get(app.url("/insights/platform"))
            .header(reqwest::header::COOKIE, &who.grace)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for expected in [
            "Active people",
            "Service adoption",
            "3 of 8 components",
            "Availability",
            "p95 response time",
            "/api/insights/platform.csv",
        ] {
            assert!(html.contains(expected), "{expected} missing");
        }

        // The same days as the charts, exported.
        let export = |path: &'static str| {
            let cookie = who.grace.clone();
            let url = app.url(path);
            async move {
                let response = client()
                    .get(url)
                    .header(reqwest::header::COOKIE, cookie)
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.text().await.unwrap())
            }
        };
        let (status, csv) = export("/api/insights/platform.csv?days=7").await;
        assert_eq!(status, StatusCode::OK);
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("day,active_people,requests,server_errors,availability,p95_ms")
        );
        let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
        assert_eq!(last[0], today, "{csv}");
        assert!(last[1].parse::<i64>().unwrap() >= 1, "{csv}");
        assert!(last[2].parse::<u64>().unwrap() >= 3, "{csv}");
        let (status, json) = export("/api/insights/platform").await;
        assert_eq!(status, StatusCode::OK);
        let json: serde_json::Value = serde_json::from_str(&json).unwrap();
        let days = json["days"].as_array().unwrap();
        assert_eq!(days.last().unwrap()["day"], today.as_str());
        assert!(days.last().unwrap()["p95Ms"].as_u64().is_some(), "{json}");
        let (status, _) = export("/api/insights/platform.csv?days=3").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    })
    .await;
}

#[tokio::test]
async fn issues_with_the_support_label_count_as_support_requests() {
    each_engine_with(with_secret(TestPortal::new()), async |app| {
        let issue = json!({
            "action": "labeled",
            "issue": {"number": 5, "created_at": "2026-11-30T09:00:00Z", "closed_at": null,
                      "labels": [{"name": "platform-support"}]},
            "repository": {"full_name": "acme/platform"}
        })
        .to_string();
        deliver(&app, "issues", "i-1", &issue, None).await;
        assert_eq!(process_all(&app).await, 1);
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            app.store.store.support_requests_since(since).await.unwrap(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn team_and_entity_pages_show_their_delivery_figures() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, html) = app.page("/catalog/default/component/web-shop").await;
        assert_eq!(status, StatusCode::OK);
        let html = crate::support::strip_comments(&html);
        assert!(html.contains("Delivery, last 30 days"), "{html}");
        assert!(html.contains("Maturity level"));
        assert!(html.contains("/insights?days=30&amp;component=component%3Adefault%2Fweb%2Dshop"));
        let (_, html) = app.page("/teams/default/checkout-team").await;
        let html = crate::support::strip_comments(&html);
        assert!(html.contains("Delivery, last 30 days") && html.contains("Deployment frequency"));
        // A group's catalog page is not a component's: no delivery card.
        let (_, html) = app.page("/catalog/default/group/checkout-team").await;
        assert!(!html.contains("Delivery, last 30 days"));
    })
    .await;
}

#[tokio::test]
async fn the_figures_are_on_metrics_for_prometheus() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let settings = server::insights::settings(&app.state.config);
        app.state
            .metrics
            .insights
            .refresh(&app.store.store, &settings)
            .await
            .unwrap();
        let text = app.get("/metrics").await.text();
        for expected in [
            "portico_dora_deployments_per_day{scope=\"organisation\"}",
            "portico_dora_lead_time_seconds{scope=\"group:default/checkout-team\"}",
            "portico_dora_change_failure_ratio{scope=\"group:default/payments\"}",
            "portico_active_people{period=\"30d\"}",
            "portico_webhook_deliveries{state=\"pending\"} 0",
        ] {
            assert!(text.contains(expected), "{expected} missing from\n{text}");
        }
    })
    .await;
}

/// A stand-in for the GitHub contents API serving acme/shop's `catalog-info.yaml` at
/// `main`, whose text the test changes, as a commit would.
async fn github_contents(
    file: std::sync::Arc<std::sync::Mutex<String>>,
) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    use axum::extract::Path as UrlPath;
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let contents = move |UrlPath((owner, repo, path)): UrlPath<(String, String, String)>| {
        let file = file.clone();
        async move {
            match (owner.as_str(), repo.as_str(), path.as_str()) {
                ("acme", "shop", "catalog-info.yaml") => {
                    (StatusCode::OK, file.lock().unwrap().clone())
                }
                _ => (StatusCode::NOT_FOUND, "Not Found".to_string()),
            }
        }
    };
    let router = axum::Router::new().route("/repos/{owner}/{repo}/contents/{*path}", get(contents));
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    (address, tx)
}

fn shop(description: &str) -> String {
    format!(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: shop\n  description: {description}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
    )
}

#[tokio::test]
async fn a_push_to_a_registered_catalog_file_is_read_at_once() {
    let file = std::sync::Arc::new(std::sync::Mutex::new(shop("first")));
    let (api, _stop) = github_contents(file.clone()).await;
    let portal = with_secret(TestPortal::new()).configure(move |c| {
        c.github = server::integrations::github::GithubIntegration::new(vec![
            server::integrations::github::GithubHost {
                host: "github.com".into(),
                api_url: format!("http://{api}"),
                token: Some(Secret::new("ghp_test")),
            },
        ]);
    });
    each_engine_with(portal, async |app| {
        *file.lock().unwrap() = shop("first");
        app.register_location("url", "https://github.com/acme/shop/blob/main/catalog-info.yaml")
            .await;
        let description = async || {
            let (_, body) = app.get_json("/api/catalog/entities/by-name/component/default/shop").await;
            body["metadata"]["description"].as_str().unwrap_or_default().to_string()
        };
        assert_eq!(description().await, "first");
        let refresh = async || {
            server::catalog::refresh::run_once(&app.store.store, &app.state.ingester, "test")
                .await
                .unwrap()
        };
        // Read at registration: not due again for the refresh interval (300 s).
        assert!(!refresh().await, "nothing is due before the push");

        *file.lock().unwrap() = shop("second");
        let push = json!({
            "ref": "refs/heads/main", "after": "c3",
            "commits": [{"id": "c3", "timestamp": "2026-12-06T10:00:00Z"}],
            "repository": {"full_name": "acme/shop", "html_url": "https://github.com/acme/shop", "default_branch": "main"}
        })
        .to_string();
        let (status, _) = deliver(&app, "push", &format!("push-{:?}", app.engine()), &push, None).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(process_all(&app).await, 1);
        assert!(refresh().await, "the push made the location due");
        assert_eq!(description().await, "second");
    })
    .await;
}
