-- Bulk loads into an empty catalog (issue 14): `portico catalog import` drops the indexes
-- that only serve reads and builds each once at the end, which is several times faster
-- than updating them row by row. Each dropped index's own CREATE statement waits here
-- until it is built again, so that a load that stops half way (a crash, Ctrl-C) loses
-- nothing: the next start of any portal process builds what is listed.
CREATE TABLE deferred_indexes (
    name       TEXT PRIMARY KEY,
    statement  TEXT NOT NULL
);
