-- Platform metrics (issue 13): delivery events in, figures out.

-- GitHub webhook deliveries, stored as received before anything else is done with them,
-- so a burst or a restart loses nothing; the X-GitHub-Delivery id makes a redelivery a
-- no-op. A delivery is claimed like a location or a task and processed into the tables
-- below; `processed_at` is set once it has been, `error` says why it could not be.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    processed_at TEXT,
    error TEXT,
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (processed_at, received_at);

-- Deployments, from GitHub (deployment and deployment_status) or the events API. The id
-- names the source (`github:acme/payments:42`, `api:deploy-123`). `repository` is the
-- lowercased owner/name slug the github.com/project-slug annotation holds; `component_ref`
-- is set when the source named the component. Statuses may arrive out of order:
-- `status_at` is when the stored status was set, and an older one never replaces it.
-- `finished_at` is when it reached succeeded, failed or rolled_back.
CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    repository TEXT,
    component_ref TEXT,
    environment TEXT NOT NULL,
    sha TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    status_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX deployments_finished ON deployments (environment, finished_at);
CREATE INDEX deployments_repository ON deployments (repository, finished_at);
CREATE INDEX deployments_component ON deployments (component_ref, finished_at);

-- Changes: commits that reached a repository's default branch, in the order their pushes
-- arrived (`seq`). `head` is the commit the branch pointed at after that push: a
-- deployment of a sha ships that push's changes and every earlier one not yet shipped.
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    repository TEXT NOT NULL,
    sha TEXT NOT NULL,
    head TEXT NOT NULL,
    committed_at TEXT NOT NULL,
    UNIQUE (repository, sha)
);
CREATE INDEX changes_head ON changes (repository, head);

-- Incidents: GitHub issues with the incident label, or the events API. `caused_by` is
-- the deployment (its id here) that caused it, when known.
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    repository TEXT,
    component_ref TEXT,
    opened_at TEXT NOT NULL,
    resolved_at TEXT,
    caused_by TEXT
);
CREATE INDEX incidents_opened ON incidents (opened_at);
