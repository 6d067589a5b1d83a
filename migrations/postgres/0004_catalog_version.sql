-- A counter bumped by every write to entities, relations or search rows. Readers compare
-- it with the version a cached aggregate (facet counts, totals) was computed at, so every
-- replica's cache stays correct without talking to the others.
CREATE TABLE catalog_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 0);
