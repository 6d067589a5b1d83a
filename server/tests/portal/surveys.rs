//! Developer satisfaction (issue 13): the NPS question once a quarter per person and
//! dismissible, ratings of one's own completed template runs, feature requests with one
//! vote each, anonymous answers that name nobody, per-team results only with enough
//! answers, comments for admins only — on both databases.

use crate::permissions::{callers, portal, server_fn};
use crate::support::{TestApp, each_engine_with};
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::Value;

async fn page(app: &TestApp, cookie: &str, path: &str) -> String {
    let response = crate::permissions::client()
        .get(app.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn the_nps_question_is_asked_once_a_quarter_and_answers_name_nobody() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let (_, ask) = server_fn(&app, &who.grace, "fetch_nps_prompt", "").await;
        assert_eq!(ask, Value::Bool(true));
        let (status, _) = server_fn(&app, "", "fetch_nps_prompt", "").await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "nobody signed in is asked"
        );
        assert!(
            page(&app, &who.grace, "/")
                .await
                .contains("How likely are you to recommend")
        );

        let (status, body) = server_fn(&app, &who.grace, "answer_nps", "score=11&comment=").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let (status, body) = server_fn(
            &app,
            &who.grace,
            "answer_nps",
            "score=9&comment=Fast+templates",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, ask) = server_fn(&app, &who.grace, "fetch_nps_prompt", "").await;
        assert_eq!(ask, Value::Bool(false));
        assert!(
            !page(&app, &who.grace, "/")
                .await
                .contains("How likely are you to recommend")
        );
        let (status, _) = server_fn(&app, &who.grace, "answer_nps", "score=0&comment=").await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "a second answer this quarter"
        );

        let (status, _) = server_fn(&app, &who.alan, "dismiss_nps", "").await;
        assert_eq!(status, StatusCode::OK);
        let (_, ask) = server_fn(&app, &who.alan, "fetch_nps_prompt", "").await;
        assert_eq!(ask, Value::Bool(false), "dismissed until next quarter");
        let (status, _) = server_fn(&app, &who.alan, "answer_nps", "score=3&comment=").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        // The demo holds anonymous answers of earlier quarters; this quarter has Grace's.
        let quarter = insights::survey::quarter(chrono::Utc::now());
        let answers: Vec<_> = app
            .store
            .store
            .survey_answers("nps")
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.period == quarter)
            .collect();
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].score, 9);
        assert_eq!(answers[0].subject, None, "anonymous by default");
        assert_eq!(
            answers[0].team_ref.as_deref(),
            Some("group:default/checkout-team")
        );

        // Comments are for admins; the page shows everyone the scores and the teams with
        // enough answers.
        let grace_view = page(&app, &who.grace, "/insights/satisfaction").await;
        assert!(
            grace_view.contains("Net Promoter Score")
                && grace_view.contains("group:default/payments")
        );
        assert!(!grace_view.contains("Fast templates") && !grace_view.contains("saved us a week"));
        let ada_view = page(&app, &who.ada, "/insights/satisfaction").await;
        assert!(ada_view.contains("Fast templates"), "admins read comments");
    })
    .await;
}

#[tokio::test]
async fn who_ran_a_completed_task_may_rate_it_once() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let store = &app.store.store;
        let now = chrono::Utc::now();
        store
            .create_task(&store::NewTask {
                id: "t-1",
                template_ref: "template:default/service",
                spec: r#"{"steps":[]}"#,
                created_by: Some("user:default/grace.hopper"),
                has_secrets: false,
                created_at: now,
            })
            .await
            .unwrap();
        let (status, _) = server_fn(&app, &who.grace, "rate_task", "id=t-1&score=5&comment=").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "not completed yet");
        let lease = std::time::Duration::from_secs(30);
        store
            .claim_task("t-1", "w", now, lease)
            .await
            .unwrap()
            .unwrap();
        assert!(
            store
                .finish_task("t-1", "w", store::TaskStatus::Completed, now)
                .await
                .unwrap()
        );

        let (_, ask) = server_fn(&app, &who.alan, "fetch_task_rating_prompt", "id=t-1").await;
        assert_eq!(ask, Value::Bool(false), "alan did not run it");
        let (status, _) = server_fn(&app, &who.alan, "rate_task", "id=t-1&score=1&comment=").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (_, ask) = server_fn(&app, &who.grace, "fetch_task_rating_prompt", "id=t-1").await;
        assert_eq!(ask, Value::Bool(true));
        let (status, body) = server_fn(
            &app,
            &who.grace,
            "rate_task",
            "id=t-1&score=4&comment=Smooth",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) =
            server_fn(&app, &who.grace, "rate_task", "id=t-1&score=5&comment=").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "once: {body}");
        let quarter = insights::survey::quarter(chrono::Utc::now());
        let answers: Vec<_> = store
            .survey_answers("template")
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.period == quarter)
            .collect();
        assert_eq!(answers.len(), 1);
        assert_eq!(
            answers[0].about.as_deref(),
            Some("template:default/service")
        );
    })
    .await;
}

#[tokio::test]
async fn feature_requests_get_one_vote_per_person() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let (status, _) = server_fn(&app, "", "suggest_feature", "title=Dark+mode").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = server_fn(&app, &who.grace, "suggest_feature", "title=x").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "too short");
        let (status, body) = server_fn(
            &app,
            &who.grace,
            "suggest_feature",
            "title=Dark+mode&description=For+the+night+shift",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let listed = app.store.store.feature_requests(None, 100).await.unwrap();
        let id = listed
            .iter()
            .find(|r| r.title == "Dark mode")
            .unwrap()
            .id
            .clone();
        for cookie in [&who.grace, &who.alan, &who.alan] {
            let (status, _) =
                server_fn(&app, cookie, "vote_feature", &format!("id={id}&up=true")).await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, _) = server_fn(&app, &who.alan, "vote_feature", "id=nope&up=true").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let requests = app
            .store
            .store
            .feature_requests(Some("guest:user:default/alan.turing"), 100)
            .await
            .unwrap();
        let ours = requests.iter().find(|r| r.id == id).unwrap();
        assert_eq!(
            (ours.votes, ours.voted),
            (2, true),
            "grace (who suggested it) and alan, once each"
        );
        let html = page(&app, &who.alan, "/insights/satisfaction").await;
        assert!(html.contains("Dark mode") && html.contains("Take back my vote"));

        // The export: every request with its votes, a title a spreadsheet would run
        // defused, who made them left out.
        let (status, _) = server_fn(
            &app,
            &who.alan,
            "suggest_feature",
            "title=%3DHYPERLINK(%22http%3A%2F%2Fevil%22)",
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let csv = page(&app, &who.alan, "/api/insights/feature-requests.csv").await;
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("id,title,description,votes,created_at"));
        assert!(
            csv.contains(&format!("\n{id},Dark mode,For the night shift,2,")),
            "{csv}"
        );
        let votes: Vec<i64> = lines
            .map(|l| l.rsplit(',').nth(1).unwrap().parse().unwrap())
            .collect();
        assert!(
            votes.is_sorted_by(|a, b| a >= b),
            "the most voted first: {csv}"
        );
        assert!(
            csv.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\",,1,"),
            "{csv}"
        );
        assert!(!csv.contains("grace") && !csv.contains("alan"), "{csv}");
    })
    .await;
}

#[tokio::test]
async fn a_team_is_shown_only_from_five_answers_on() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let store = &app.store.store;
        for (team, answers) in [
            ("group:default/big-team", 5),
            ("group:default/small-team", 4),
        ] {
            for n in 0..answers {
                let subject = format!("{team}:{n}");
                let answer = store::NewAnswer {
                    survey: "nps",
                    subject: None,
                    team_ref: Some(team),
                    about: None,
                    score: 9,
                    comment: None,
                    period: "2026-Q4",
                    answered_at: None,
                };
                let asked = store::Asked {
                    subject: &subject,
                    topic: "nps",
                    period: "2026-Q4",
                };
                store.record_answer(&answer, asked).await.unwrap();
            }
        }
        let html = page(&app, &who.grace, "/insights/satisfaction").await;
        assert!(
            html.contains("group:default/big-team"),
            "five answers: shown"
        );
        assert!(
            !html.contains("small-team"),
            "four answers could be told apart: not shown"
        );
        assert!(html.contains("1 team with fewer answers is not shown."));

        // The exports hold what the page shows, and not the team it hides.
        let csv = page(&app, &who.grace, "/api/insights/satisfaction-teams.csv").await;
        assert!(csv.starts_with("team,answers,nps\n"), "{csv}");
        assert!(csv.contains("\ngroup:default/big-team,5,100.0\n"), "{csv}");
        assert!(!csv.contains("small-team"), "{csv}");
        let results: Value =
            serde_json::from_str(&page(&app, &who.grace, "/api/insights/satisfaction").await)
                .unwrap();
        let teams = results["teams"].as_array().unwrap();
        assert!(
            teams
                .iter()
                .any(|t| t["team"] == "group:default/big-team" && t["nps"] == 100.0)
        );
        assert!(
            !teams
                .iter()
                .any(|t| t["team"] == "group:default/small-team")
        );
        assert_eq!(results["hiddenTeams"], 1);
    })
    .await;
}

#[tokio::test]
async fn documentation_is_rated_on_its_entity_page_once_a_quarter() {
    each_engine_with(portal(), async |app| {
        let who = callers(&app).await;
        let question = "How useful is this documentation?";
        let web_shop = "entity=component:default/web-shop";
        let basket = "entity=component:default/basket-service";
        // web-shop publishes documentation (backstage.io/techdocs-ref); basket-service not.
        assert!(
            page(&app, &who.grace, "/catalog/default/component/web-shop")
                .await
                .contains(question)
        );
        assert!(
            !page(
                &app,
                &who.grace,
                "/catalog/default/component/basket-service"
            )
            .await
            .contains(question)
        );
        let (status, _) = server_fn(&app, "", "rate_docs", &format!("{web_shop}&score=3")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "nobody signed in answers");

        let rate = |entity: &str, score: i64| format!("{entity}&score={score}&comment=No+runbook");
        let (status, _) = server_fn(&app, &who.grace, "rate_docs", &rate(basket, 4)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "no documentation to rate");
        let (status, _) = server_fn(&app, &who.grace, "rate_docs", &rate(web_shop, 9)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "off the 1–5 scale");
        let (status, body) = server_fn(&app, &who.grace, "rate_docs", &rate(web_shop, 2)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = server_fn(&app, &who.grace, "rate_docs", &rate(web_shop, 5)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "once a quarter");
        let html = page(&app, &who.grace, "/catalog/default/component/web-shop").await;
        assert!(!html.contains(question), "asked once a quarter");

        let html = page(&app, &who.ada, "/insights/satisfaction").await;
        assert!(html.contains("Documentation by entity"));
        assert!(html.contains("No runbook"), "admins read the comment");
        assert!(html.contains("/api/insights/docs-ratings.csv"));

        let csv = page(&app, &who.grace, "/api/insights/docs-ratings.csv").await;
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("entity,ratings,average"));
        let averages: Vec<(&str, f64)> = lines
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[0], cells[2].parse().unwrap())
            })
            .collect();
        assert!(
            averages
                .iter()
                .any(|(e, _)| *e == "component:default/web-shop"),
            "{csv}"
        );
        assert!(
            averages.is_sorted_by(|a, b| a.1 <= b.1),
            "the lowest first: {csv}"
        );
        assert!(!csv.contains("runbook"), "comments are for admins only");
    })
    .await;
}
