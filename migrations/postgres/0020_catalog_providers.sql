-- Entity providers (issue 16): GitHub discovery registers every repository's catalog
-- file as a location, and the GitHub org provider writes teams and people. Each provider
-- is a unit of background work the replicas share through a claim, like a location.

CREATE TABLE providers (
    id               TEXT PRIMARY KEY,  -- the id in catalog.providers (github.<id>, githubOrg.<id>)
    kind             TEXT NOT NULL,     -- 'github-discovery' | 'github-org'
    config           TEXT NOT NULL,     -- what it is configured to read, as shown to admins
    next_run_at      TIMESTAMPTZ,       -- NULL: due now
    claimed_by       TEXT,
    claimed_until    TIMESTAMPTZ,
    last_started_at  TIMESTAMPTZ,
    last_finished_at TIMESTAMPTZ,
    last_error       TEXT,              -- why the last run failed as a whole; NULL otherwise
    status           TEXT               -- JSON: counts, rate-limit budget, per-repository errors
);
CREATE INDEX providers_due ON providers (next_run_at);

-- The provider that manages a location (adds it, and removes it with its entities when
-- the repository or file goes); NULL for locations people and operators registered.
ALTER TABLE locations ADD COLUMN provider_id TEXT;
CREATE INDEX locations_provider ON locations (provider_id);

-- GitHub answers kept with their ETag, so the next run asks "changed since?" and a 304
-- (which GitHub does not count against the rate limit) reuses the kept body.
CREATE TABLE github_responses (
    url        TEXT PRIMARY KEY,
    etag       TEXT NOT NULL,
    body       TEXT NOT NULL,
    stored_at  TIMESTAMPTZ NOT NULL
);
