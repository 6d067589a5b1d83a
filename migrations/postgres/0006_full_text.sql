-- Full-text filters (`fullTextFilterTerm`, the catalog page's search box) read a trigram
-- index instead of scanning every value: substring matches, as Backstage's LIKE does,
-- answered from the index. Only the keys people search are indexed
-- (`queries::FULL_TEXT_KEYS`; keep both lists equal); other keys scan as before.
--
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so the database
-- owner may create it. Where it is missing, searches still work, without the index.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_opclass WHERE opcname = 'gin_trgm_ops') THEN
        EXECUTE format(
            'CREATE INDEX search_text ON search USING gin (value %s.gin_trgm_ops) '
            'WHERE key IN (''metadata.name'', ''metadata.title'', ''metadata.description'', '
            '''metadata.tags'', ''spec.type'', ''spec.lifecycle'', ''spec.owner'', '
            '''spec.profile.displayname'')',
            (SELECT quote_ident(n.nspname) FROM pg_opclass c
             JOIN pg_namespace n ON n.oid = c.opcnamespace
             WHERE c.opcname = 'gin_trgm_ops' LIMIT 1));
    END IF;
END
$$;
