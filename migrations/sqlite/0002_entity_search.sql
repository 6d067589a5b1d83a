-- Filter and facet keys of each entity, flattened from its body when it is written
-- (like Backstage's `search` table, but keyed for the queries that read it).
--
-- `key` is a lowercased dotted path (`spec.type`, `metadata.tags`, `metadata.labels.tier`);
-- arrays of scalars give one row per item. `value` is lowercased, for Backstage's
-- case-insensitive matching; `original_value` is what facets show.
-- Relation filters (`relations.ownedby=…`) read the `relations` table instead, so that an
-- entity's rows depend only on its own body.
CREATE TABLE search (
    entity_uid      TEXT NOT NULL REFERENCES entities (uid) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    value           TEXT NOT NULL,
    original_value  TEXT NOT NULL,
    PRIMARY KEY (entity_uid, key, value)
);
-- Filters: `key = ? AND value IN (…)` reads one index range and yields the uids.
CREATE INDEX search_key_value ON search (key, value, entity_uid);
-- Facets: counts per original value straight from the index.
CREATE INDEX search_key_original ON search (key, original_value, entity_uid);

-- Relation types are matched ignoring case, as Backstage does (`relations.ownedby`).
CREATE INDEX relations_lower_type_target ON relations (LOWER(type), target_ref, source_ref);

-- `kind = ? ORDER BY uid LIMIT n` (the default order of by-query) reads one index range
-- in order and stops, instead of sorting every entity of the kind.
CREATE INDEX entities_kind_uid ON entities (kind, uid);
