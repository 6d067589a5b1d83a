-- Refresh status of each registered location, and the claim that lets several portal
-- replicas share refresh work (ingestion, issue 3).
--
-- Times are written by the application (never the database clock), so every replica and
-- both engines compare the same values.

ALTER TABLE locations ADD COLUMN last_read_at TIMESTAMPTZ;   -- last attempt, successful or not
ALTER TABLE locations ADD COLUMN next_read_at TIMESTAMPTZ;   -- NULL: due now
ALTER TABLE locations ADD COLUMN last_error TEXT;     -- NULL after a successful read
ALTER TABLE locations ADD COLUMN claimed_by TEXT;     -- the worker reading it now
ALTER TABLE locations ADD COLUMN claimed_until TIMESTAMPTZ;  -- the claim lapses after this
CREATE INDEX locations_due ON locations (next_read_at);

-- Entities a location provides but that another location already owns. The owner keeps
-- the entity; both locations report the conflict (the owner's side is found by joining
-- with entities.location_id).
CREATE TABLE location_conflicts (
    location_id  TEXT NOT NULL REFERENCES locations (id) ON DELETE CASCADE,
    entity_ref   TEXT NOT NULL,
    PRIMARY KEY (location_id, entity_ref)
);
CREATE INDEX location_conflicts_entity ON location_conflicts (entity_ref);
