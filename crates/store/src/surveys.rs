//! Survey answers, who was asked what, and feature requests with their votes.

use crate::{Store, StoreError, on_pool, on_tx};
use chrono::{DateTime, Utc};

/// An answer to store.
#[derive(Clone, Debug)]
pub struct NewAnswer<'a> {
    pub survey: &'a str,
    /// `None` when surveys are anonymous.
    pub subject: Option<&'a str>,
    pub team_ref: Option<&'a str>,
    pub about: Option<&'a str>,
    pub score: i64,
    pub comment: Option<&'a str>,
    /// The quarter, `2026-Q4`.
    pub period: &'a str,
    /// `None` when surveys are anonymous.
    pub answered_at: Option<DateTime<Utc>>,
}

/// A question put to a person: answering or dismissing it records that it was asked.
#[derive(Clone, Copy, Debug)]
pub struct Asked<'a> {
    pub subject: &'a str,
    pub topic: &'a str,
    pub period: &'a str,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AnswerRow {
    pub survey: String,
    pub subject: Option<String>,
    pub team_ref: Option<String>,
    pub about: Option<String>,
    pub score: i64,
    pub comment: Option<String>,
    pub period: String,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FeatureRequestRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub votes: i64,
    /// Whether the person asking voted for it.
    pub voted: bool,
}

impl Store {
    /// Stores `answer` unless `asked` was asked before (answered or dismissed): one
    /// answer per question per person. True when stored.
    pub async fn record_answer(
        &self,
        answer: &NewAnswer<'_>,
        asked: Asked<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        if !insert_asked(&mut tx, asked).await? {
            return Ok(false);
        }
        let id = uuid::Uuid::new_v4().to_string();
        on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO survey_answers \
                   (id, survey, subject, team_ref, about, score, comment, period, answered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&id)
            .bind(answer.survey)
            .bind(answer.subject)
            .bind(answer.team_ref)
            .bind(answer.about)
            .bind(answer.score)
            .bind(answer.comment)
            .bind(answer.period)
            .bind(answer.answered_at)
            .execute(conn)
            .await?;
        });
        tx.commit().await?;
        Ok(true)
    }

    /// Records that `asked` was put and dismissed. False when it had been asked already.
    pub async fn dismiss_question(&self, asked: Asked<'_>) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let new = insert_asked(&mut tx, asked).await?;
        tx.commit().await?;
        Ok(new)
    }

    pub async fn was_asked(&self, asked: Asked<'_>) -> Result<bool, StoreError> {
        let found: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM survey_asked WHERE subject = $1 AND topic = $2 AND period = $3",
            )
            .bind(asked.subject)
            .bind(asked.topic)
            .bind(asked.period)
            .fetch_one(pool)
            .await?
        });
        Ok(found > 0)
    }

    /// Every answer to `survey`, oldest quarter first.
    pub async fn survey_answers(&self, survey: &str) -> Result<Vec<AnswerRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT survey, subject, team_ref, about, score, comment, period \
                 FROM survey_answers WHERE survey = $1 ORDER BY period, id",
            )
            .bind(survey)
            .fetch_all(pool)
            .await?
        }))
    }

    pub async fn create_feature_request(
        &self,
        id: &str,
        title: &str,
        description: Option<&str>,
        created_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO feature_requests (id, title, description, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(title)
            .bind(description)
            .bind(created_by)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Adds `subject`'s vote to a request, or takes it back. False when nothing changed
    /// (voted twice, took back no vote, or no such request).
    pub async fn vote(
        &self,
        request_id: &str,
        subject: &str,
        up: bool,
    ) -> Result<bool, StoreError> {
        let sql = if up {
            "INSERT INTO feature_votes (request_id, subject) \
             SELECT id, $2 FROM feature_requests WHERE id = $1 \
             ON CONFLICT (request_id, subject) DO NOTHING"
        } else {
            "DELETE FROM feature_votes WHERE request_id = $1 AND subject = $2"
        };
        let changed = on_pool!(self, pool => {
            sqlx::query(sql).bind(request_id).bind(subject).execute(pool).await?.rows_affected()
        });
        Ok(changed > 0)
    }

    /// How many feature requests `subject` has made since `since`.
    pub async fn feature_requests_made(
        &self,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM feature_requests WHERE created_by = $1 AND created_at > $2",
            )
            .bind(subject)
            .bind(since)
            .fetch_one(pool)
            .await?
        }))
    }

    pub async fn feature_request_exists(&self, id: &str) -> Result<bool, StoreError> {
        let found: Option<i32> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT 1 FROM feature_requests WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// The `limit` feature requests with the most votes, newest first among equals;
    /// `voted` for `subject`.
    pub async fn feature_requests(
        &self,
        subject: Option<&str>,
        limit: i64,
    ) -> Result<Vec<FeatureRequestRow>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT r.id, r.title, r.description, r.created_by, r.created_at, \
                        (SELECT COUNT(*) FROM feature_votes v WHERE v.request_id = r.id) AS votes, \
                        EXISTS (SELECT 1 FROM feature_votes v WHERE v.request_id = r.id AND v.subject = $1) AS voted \
                 FROM feature_requests r ORDER BY votes DESC, r.created_at DESC, r.id LIMIT $2",
            )
            .bind(subject.unwrap_or(""))
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }
}

/// Records `asked` in `tx`; false when it was there already.
async fn insert_asked(tx: &mut crate::Tx<'_>, asked: Asked<'_>) -> Result<bool, StoreError> {
    let inserted = on_tx!(tx, conn => {
        sqlx::query(
            "INSERT INTO survey_asked (subject, topic, period) VALUES ($1, $2, $3) \
             ON CONFLICT (subject, topic, period) DO NOTHING",
        )
        .bind(asked.subject)
        .bind(asked.topic)
        .bind(asked.period)
        .execute(conn)
        .await?
        .rows_affected()
    });
    Ok(inserted > 0)
}
