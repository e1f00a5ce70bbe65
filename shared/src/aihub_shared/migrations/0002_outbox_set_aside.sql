-- A row Kafka can never take (too large, invalid topic) is set aside with the reason instead of
-- blocking every row behind it.
ALTER TABLE outbox ADD COLUMN failed_at timestamptz, ADD COLUMN failed_reason text;
DROP INDEX outbox_unpublished;
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL AND failed_at IS NULL;
