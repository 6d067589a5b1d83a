-- Full-text filters (`fullTextFilterTerm`, the catalog page's search box) read a trigram
-- index instead of scanning every value: substring matches, as Backstage's LIKE does,
-- answered from the index for terms of three characters or more.
--
-- Only the keys people search are indexed (`queries::FULL_TEXT_KEYS`; keep both lists
-- equal); a search over other keys scans `search` as before.
--
-- The index is an FTS5 table holding the rows of `search` it indexes, keyed by their id
-- (an explicit one: VACUUM renumbers implicit row ids), with the entity and key beside
-- the value so that a search reads the index alone.
CREATE TABLE search_new (
    id              INTEGER PRIMARY KEY,
    entity_uid      TEXT NOT NULL REFERENCES entities (uid) ON DELETE CASCADE,
    key             TEXT NOT NULL,
    value           TEXT NOT NULL,
    original_value  TEXT NOT NULL,
    UNIQUE (entity_uid, key, value)
);
INSERT INTO search_new (entity_uid, key, value, original_value)
    SELECT entity_uid, key, value, original_value FROM search;
DROP TABLE search;
ALTER TABLE search_new RENAME TO search;
CREATE INDEX search_key_value ON search (key, value, entity_uid);
CREATE INDEX search_key_original ON search (key, original_value, entity_uid);

CREATE VIRTUAL TABLE search_text USING fts5 (
    value, key UNINDEXED, entity_uid UNINDEXED, tokenize = 'trigram'
);
CREATE TRIGGER search_text_insert AFTER INSERT ON search
WHEN new.key IN ('metadata.name', 'metadata.title', 'metadata.description', 'metadata.tags',
                 'spec.type', 'spec.lifecycle', 'spec.owner', 'spec.profile.displayname')
BEGIN
    INSERT INTO search_text (rowid, value, key, entity_uid)
    VALUES (new.id, new.value, new.key, new.entity_uid);
END;
CREATE TRIGGER search_text_delete AFTER DELETE ON search
WHEN old.key IN ('metadata.name', 'metadata.title', 'metadata.description', 'metadata.tags',
                 'spec.type', 'spec.lifecycle', 'spec.owner', 'spec.profile.displayname')
BEGIN
    DELETE FROM search_text WHERE rowid = old.id;
END;
INSERT INTO search_text (rowid, value, key, entity_uid)
    SELECT id, value, key, entity_uid FROM search
    WHERE key IN ('metadata.name', 'metadata.title', 'metadata.description', 'metadata.tags',
                  'spec.type', 'spec.lifecycle', 'spec.owner', 'spec.profile.displayname');
