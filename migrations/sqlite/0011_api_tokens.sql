-- API tokens (issue 10) for CI jobs and scripts: created by a person on their profile page
-- or with `portico token create`, sent as `Authorization: Bearer pt_…`. Only the SHA-256
-- of the token is kept (`secret_hash`; the token itself is shown once); `prefix` is its
-- first characters, so people can tell their tokens apart. `subject` is whose token it
-- is: the person's User entity ref, or their sign-in subject when they have none. A token
-- acts as that person (`person` as they were when it was made; groups are looked up again
-- on every use), within its `scopes` (space-separated scope names), until `expires_at`
-- or until it is revoked.

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    secret_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    subject TEXT NOT NULL,
    person TEXT NOT NULL,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX api_tokens_subject ON api_tokens (subject);
