-- The platform's own use (issue 13): people active per day, requests per day, support
-- requests.

-- Who used the portal on which day (`day` is YYYY-MM-DD, UTC): signed-in people, once a
-- day, whatever they did. For active people per day and week; rows older than the
-- audit retention are pruned with the audit log.
CREATE TABLE activity_days (
    day TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (day, subject)
) WITHOUT ROWID;

-- Requests the portal answered per day, summed over replicas (each adds what it counted):
-- how many, how many with a 5xx status, and how many took at most 10, 25, 50, 100, 250,
-- 500, 1000, 2500 ms and longer (b_inf).
CREATE TABLE request_days (
    day TEXT PRIMARY KEY,
    requests INTEGER NOT NULL,
    server_errors INTEGER NOT NULL,
    b10 INTEGER NOT NULL, b25 INTEGER NOT NULL, b50 INTEGER NOT NULL, b100 INTEGER NOT NULL, b250 INTEGER NOT NULL,
    b500 INTEGER NOT NULL, b1000 INTEGER NOT NULL, b2500 INTEGER NOT NULL, b_inf INTEGER NOT NULL
);

-- Support requests to the platform team: GitHub issues with a support label.
CREATE TABLE support_requests (
    id TEXT PRIMARY KEY,
    repository TEXT,
    opened_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX support_requests_opened ON support_requests (opened_at);
