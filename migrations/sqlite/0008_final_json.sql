-- Each entity's JSON as the catalog API serves it — the body with `metadata.uid`,
-- `metadata.etag` and the relations that start at it — stored with the entity (what
-- Backstage calls the final entity). Every write rebuilds it for the entities it touched
-- (`queries::stitch!`), so a read is one indexed row read, with no JSON work per request.
ALTER TABLE entities ADD COLUMN final_json TEXT;
UPDATE entities SET final_json = json_set(body, '$.metadata.uid', uid, '$.metadata.etag', etag,
    '$.relations', json((SELECT json_group_array(json_object('type', r.type, 'targetRef', r.target_ref))
        FROM (SELECT DISTINCT type, target_ref FROM relations
              WHERE source_ref = entities.entity_ref ORDER BY type, target_ref) r)));
