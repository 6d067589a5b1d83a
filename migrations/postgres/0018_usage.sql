-- The platform's own use (issue 13): people active per day, requests per day, support
-- requests.

-- Who used the portal on which day (`day` is YYYY-MM-DD, UTC): signed-in people, once a
-- day, whatever they did. For active people per day and week; rows older than the
-- audit retention are pruned with the audit log.
CREATE TABLE activity_days (
    day TEXT NOT NULL,
    subject TEXT NOT NULL,
    PRIMARY KEY (day, subject)
);

-- Requests the portal answered per day, summed over replicas (each adds what it counted):
-- how many, how many with a 5xx status, and how many took at most 10, 25, 50, 100, 250,
-- 500, 1000, 2500 ms and longer (b_inf).
CREATE TABLE request_days (
    day TEXT PRIMARY KEY,
    requests BIGINT NOT NULL,
    server_errors BIGINT NOT NULL,
    b10 BIGINT NOT NULL, b25 BIGINT NOT NULL, b50 BIGINT NOT NULL, b100 BIGINT NOT NULL, b250 BIGINT NOT NULL,
    b500 BIGINT NOT NULL, b1000 BIGINT NOT NULL, b2500 BIGINT NOT NULL, b_inf BIGINT NOT NULL
);

-- Support requests to the platform team: GitHub issues with a support label.
CREATE TABLE support_requests (
    id TEXT PRIMARY KEY,
    repository TEXT,
    opened_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ
);
CREATE INDEX support_requests_opened ON support_requests (opened_at);
