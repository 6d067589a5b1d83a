-- The team pages (issue 11) count what each owner owns by kind, and walk relations of
-- one type from many entities (groups' childOf and hasMember links, dependencies of
-- what a team owns). Owner then kind answers the counts from the index alone and still
-- serves lookups by owner, so it replaces the index on owner only.
DROP INDEX entities_owner;
CREATE INDEX entities_owner_kind ON entities (owner_ref, kind);
CREATE INDEX relations_type_source ON relations (type, source_ref, target_ref);
