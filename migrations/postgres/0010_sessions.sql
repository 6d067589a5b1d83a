-- Sign-in sessions (server/src/identity/sessions.rs, through tower-sessions), kept in the
-- database so that any replica serves any request. `subject` is the signed-in person
-- (`provider:subject`), so "sign out everywhere" can end all of their sessions; `data`
-- is the session's JSON. A session past `expires_at` is neither served nor kept.

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    subject TEXT,
    data TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
