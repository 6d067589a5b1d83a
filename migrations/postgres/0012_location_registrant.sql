-- Who registered a location (issue 10): the person's User entity ref, or their sign-in
-- subject when they have none; NULL for locations registered before sign-in existed, by
-- `portico catalog import` or by the demo. Every entity a location provides shows it, and
-- the permission policy lets the registrant change a location that provides nothing yet.

ALTER TABLE locations ADD COLUMN registered_by TEXT;
