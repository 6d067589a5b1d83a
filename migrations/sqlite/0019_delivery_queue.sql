-- The delivery queue's claim reads the oldest unprocessed delivery (`ORDER BY received_at,
-- id`). The index on (processed_at, received_at) found the unprocessed ones but not in that
-- order: PostgreSQL sorted every pending delivery for each claim (11.6 ms with 30,000
-- pending, so a burst drained at ~65 a second). A partial index in the claim's own order
-- holds only the pending deliveries, and the claim reads its first entry.
DROP INDEX webhook_deliveries_pending;
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (received_at, id)
    WHERE processed_at IS NULL;
