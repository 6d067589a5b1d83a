-- Developer satisfaction (issue 13): survey answers and feature requests.

-- An answer: the NPS question (0-10) or a rating after a template run (1-5), with an
-- optional comment. When surveys are anonymous (the default) an answer keeps no person,
-- no time finer than its quarter (`period`) and a random id, so nothing in it leads back
-- to who gave it; `team_ref` is kept for per-team results, which are shown only for
-- teams with enough answers.
CREATE TABLE survey_answers (
    id TEXT PRIMARY KEY,
    survey TEXT NOT NULL,
    subject TEXT,
    team_ref TEXT,
    about TEXT,
    score BIGINT NOT NULL,
    comment TEXT,
    period TEXT NOT NULL,
    answered_at TIMESTAMPTZ
);
CREATE INDEX survey_answers_survey ON survey_answers (survey, period);

-- Who was asked what, so nobody is asked twice: the NPS question once per quarter
-- (`topic` 'nps', `period` the quarter), a template run's rating once per task
-- (`topic` 'task:<id>'). Answering and dismissing both record it. No time, no order:
-- it cannot be lined up with the answers.
CREATE TABLE survey_asked (
    subject TEXT NOT NULL,
    topic TEXT NOT NULL,
    period TEXT NOT NULL,
    PRIMARY KEY (subject, topic, period)
);

-- Feature requests for the platform, and one vote per person per request.
CREATE TABLE feature_requests (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT,
    created_by TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feature_requests_created ON feature_requests (created_at);
CREATE TABLE feature_votes (
    request_id TEXT NOT NULL REFERENCES feature_requests (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    PRIMARY KEY (request_id, subject)
);
