//! Tests of survey answers and feature requests (surveys.rs), on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::testing::test_stores;
use crate::{Asked, NewAnswer};
use chrono::Utc;

fn answer(score: i64, subject: Option<&str>) -> NewAnswer<'_> {
    NewAnswer {
        survey: "nps",
        subject,
        team_ref: Some("group:default/payments"),
        about: None,
        score,
        comment: None,
        period: "2026-Q4",
        answered_at: None,
    }
}

#[tokio::test]
async fn a_question_is_answered_or_dismissed_once_per_period() {
    for store in test_stores().await {
        let ann = Asked {
            subject: "guest:ann",
            topic: "nps",
            period: "2026-Q4",
        };
        assert!(!store.was_asked(ann).await.unwrap());
        assert!(store.record_answer(&answer(9, None), ann).await.unwrap());
        assert!(store.was_asked(ann).await.unwrap());
        assert!(
            !store.record_answer(&answer(0, None), ann).await.unwrap(),
            "twice"
        );
        let next = Asked {
            period: "2027-Q1",
            ..ann
        };
        let later = NewAnswer {
            period: "2027-Q1",
            ..answer(7, None)
        };
        assert!(store.record_answer(&later, next).await.unwrap());

        let bob = Asked {
            subject: "guest:bob",
            topic: "nps",
            period: "2026-Q4",
        };
        assert!(store.dismiss_question(bob).await.unwrap());
        assert!(
            !store
                .record_answer(&answer(3, Some("guest:bob")), bob)
                .await
                .unwrap()
        );

        let answers = store.survey_answers("nps").await.unwrap();
        let scores: Vec<_> = answers
            .iter()
            .map(|a| (a.score, a.period.as_str()))
            .collect();
        assert_eq!(scores, [(9, "2026-Q4"), (7, "2027-Q1")]);
        assert!(
            answers.iter().all(|a| a.subject.is_none()),
            "anonymous answers name nobody"
        );
    }
}

#[tokio::test]
async fn each_person_votes_once_per_request() {
    for store in test_stores().await {
        let now = Utc::now();
        store
            .create_feature_request("r1", "Dark mode", None, Some("guest:ann"), now)
            .await
            .unwrap();
        store
            .create_feature_request("r2", "Faster CI", Some("Cache deps"), None, now)
            .await
            .unwrap();
        let day = chrono::TimeDelta::days(1);
        assert_eq!(
            store
                .feature_requests_made("guest:ann", now - day)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            store.feature_requests_made("guest:ann", now).await.unwrap(),
            0
        );
        assert_eq!(
            store
                .feature_requests_made("guest:bob", now - day)
                .await
                .unwrap(),
            0
        );
        assert!(store.vote("r2", "guest:ann", true).await.unwrap());
        assert!(
            !store.vote("r2", "guest:ann", true).await.unwrap(),
            "a second vote"
        );
        assert!(store.vote("r2", "guest:bob", true).await.unwrap());
        assert!(store.vote("r1", "guest:bob", true).await.unwrap());
        assert!(store.vote("r1", "guest:bob", false).await.unwrap());
        assert!(
            !store.vote("nope", "guest:bob", true).await.unwrap(),
            "no such request"
        );

        assert!(store.feature_request_exists("r1").await.unwrap());
        assert!(!store.feature_request_exists("nope").await.unwrap());
        let listed = store
            .feature_requests(Some("guest:ann"), 100)
            .await
            .unwrap();
        assert_eq!(store.feature_requests(None, 1).await.unwrap().len(), 1);
        let summary: Vec<_> = listed
            .iter()
            .map(|r| (r.id.as_str(), r.votes, r.voted))
            .collect();
        assert_eq!(summary, [("r2", 2, true), ("r1", 0, false)]);
    }
}
