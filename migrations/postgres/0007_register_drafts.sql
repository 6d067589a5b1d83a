-- Text pasted on the register page, kept so that the preview is a POST that redirects
-- to `/catalog/register?draft=ID` (post-redirect-get): pasted YAML never travels in a
-- URL, survives a reload and the back button, and is not limited by URL length.
-- Drafts older than a day are deleted when a new one is saved.

CREATE TABLE register_drafts (
    id          TEXT PRIMARY KEY,           -- uuid
    yaml        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX register_drafts_created ON register_drafts (created_at);
