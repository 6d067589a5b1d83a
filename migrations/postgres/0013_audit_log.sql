-- The audit log (issue 10): one row per write, or attempted write, through the
-- authorisation seam (server/src/identity/audit.rs). Rows are only ever added, and
-- removed when older than `audit_retention_days`.
--
-- `actor` is how messages name the caller ("Ada Lovelace", "Ada Lovelace's token \"ci\"",
-- "an anonymous visitor"); `actor_ref` is what the admin page filters by: the person's
-- User entity ref, or their sign-in `subject` when they have none (NULL: anonymous).
-- `token` is the API token's name when one was used. `target` is the entity ref or the
-- location (`type:target`) the write was done to, '' when refused before it was loaded.
-- `outcome` is succeeded, refused or failed; `detail` the refusal's reason or the error
-- the caller saw. `id` gives the order ("newest first") and the paging cursor.

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    actor_ref TEXT,
    subject TEXT,
    token TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
-- Time ranges and pruning.
CREATE INDEX audit_log_at ON audit_log (at);
-- "What did this person do", newest first.
CREATE INDEX audit_log_actor ON audit_log (actor_ref, id);
