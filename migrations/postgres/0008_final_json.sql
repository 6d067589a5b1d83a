-- Each entity's JSON as the catalog API serves it — the body with `metadata.uid`,
-- `metadata.etag` and the relations that start at it — stored with the entity (what
-- Backstage calls the final entity). Every write rebuilds it for the entities it touched
-- (`queries::stitch!`), so a read is one indexed row read, with no JSON work per request.
ALTER TABLE entities ADD COLUMN final_json TEXT;
UPDATE entities SET final_json = (jsonb_set(jsonb_set(body::jsonb, '{metadata,uid}', to_jsonb(uid)),
        '{metadata,etag}', to_jsonb(etag))
    || jsonb_build_object('relations', COALESCE((
        SELECT jsonb_agg(jsonb_build_object('type', r.type, 'targetRef', r.target_ref)
                         ORDER BY r.type, r.target_ref)
        FROM (SELECT DISTINCT type, target_ref FROM relations
              WHERE source_ref = entities.entity_ref) r), '[]'::jsonb)))::text;
