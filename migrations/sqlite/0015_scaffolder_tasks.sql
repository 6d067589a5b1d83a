-- Scaffolder tasks (issue 12): a template run. `spec` is the task as Backstage's
-- TaskSpecV1beta3 has it (steps, output, parameters, user, templateInfo) with the secret
-- values taken out: secrets live only in the memory of the replica that accepted the
-- task. `state` keeps what finished steps returned (JSON: step id -> output), so a
-- task taken over after its replica died, or retried, does not repeat a step that
-- changed the world (a repository created, a location registered). Tasks are claimed
-- like locations (claimed_by, claimed_until); open and processing tasks whose claim has
-- lapsed are due.
CREATE TABLE scaffolder_tasks (
    id TEXT PRIMARY KEY,
    template_ref TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT,
    created_at TEXT NOT NULL,
    last_heartbeat_at TEXT,
    completed_at TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    has_secrets INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT '{}',
    claimed_by TEXT,
    claimed_until TEXT
);
CREATE INDEX scaffolder_tasks_status ON scaffolder_tasks (status, created_at);
CREATE INDEX scaffolder_tasks_created_by ON scaffolder_tasks (created_by, created_at);

-- Every log line and step status of a task, in order: Backstage's task events
-- (`log`, `completion`, `cancelled`, `recovered`); the id orders them and pages
-- the event stream.
CREATE TABLE scaffolder_task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL REFERENCES scaffolder_tasks (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX scaffolder_task_events_task ON scaffolder_task_events (task_id, id);
