-- The catalog: entities, their relations and the locations they were read from.
-- Columns that filters, facets and sorting use are real columns with indexes,
-- not rows of an entity-attribute-value table (Backstage's facet slowness comes from that).

CREATE TABLE locations (
    id          TEXT PRIMARY KEY,           -- uuid
    type        TEXT NOT NULL,              -- 'url' | 'file' | 'inline'
    target      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (type, target)
);

CREATE TABLE entities (
    uid          TEXT PRIMARY KEY,          -- uuid, stable for the life of the entity
    entity_ref   TEXT NOT NULL UNIQUE,      -- lowercased 'kind:namespace/name'
    kind         TEXT NOT NULL,             -- lowercased
    namespace    TEXT NOT NULL,             -- lowercased
    name         TEXT NOT NULL,             -- as written
    title        TEXT,
    description  TEXT,
    spec_type    TEXT,
    lifecycle    TEXT,
    owner_ref    TEXT,
    system_ref   TEXT,
    body         TEXT NOT NULL,             -- the entity as JSON
    etag         TEXT NOT NULL,
    location_id  TEXT REFERENCES locations (id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX entities_kind_name ON entities (kind, name);
CREATE INDEX entities_owner ON entities (owner_ref);
CREATE INDEX entities_updated ON entities (updated_at DESC);
CREATE INDEX entities_location ON entities (location_id);

-- Relations in both directions. `origin_ref` is the entity whose spec implied the
-- relation: 'A ownedBy B' and 'B ownerOf A' both come from A, and both go when A changes.
CREATE TABLE relations (
    origin_ref  TEXT NOT NULL,
    source_ref  TEXT NOT NULL,
    type        TEXT NOT NULL,
    target_ref  TEXT NOT NULL,
    PRIMARY KEY (origin_ref, source_ref, type, target_ref)
);
CREATE INDEX relations_source ON relations (source_ref);
CREATE INDEX relations_target ON relations (target_ref);
