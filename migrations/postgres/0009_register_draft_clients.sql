-- Register drafts are bounded (server/src/catalog/register.rs): each client keeps its
-- latest few, all together are capped, and each expires after a configured lifetime
-- (an hour by default) instead of a day. `client` is who pasted it: until sign-in
-- exists, the address the request came from. Drafts saved before this migration belong
-- to no client ('') and expire as the others do.

ALTER TABLE register_drafts ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX register_drafts_client ON register_drafts (client, created_at);
