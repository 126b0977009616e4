-- Events get commit-ordered positions (docs/events.md, "How it works"): a row is inserted without
-- one, and the sequencer (domain/events/sequencer.ts), one pass at a time, gives committed rows the
-- next values of events_position_seq. Readers read by position, so a transaction left open anywhere
-- on the server no longer holds the stream back, as the pg_snapshot_xmin horizon over tx_id did.

ALTER TABLE "events" ADD COLUMN "position" BIGINT;
CREATE SEQUENCE "events_position_seq" AS BIGINT;

-- Existing rows keep the order readers saw them in: (tx_id, seq).
UPDATE "events" e SET "position" = n.pos
  FROM (SELECT "seq", row_number() OVER (ORDER BY "tx_id", "seq") AS pos FROM "events") n
 WHERE e."seq" = n."seq";
SELECT setval('events_position_seq', COALESCE(max("position"), 0) + 1, false) FROM "events";

-- A subscription's cursor becomes the position of the last event it fanned out: every event at or
-- before its old (tx_id, seq) cursor was final when it moved there, so they are exactly those below.
ALTER TABLE "event_subscriptions" ADD COLUMN "cursor_position" BIGINT NOT NULL DEFAULT 0;
UPDATE "event_subscriptions" s SET "cursor_position" = COALESCE(
  (SELECT max(e."position") FROM "events" e WHERE (e."tx_id", e."seq") <= (s."cursor_tx_id", s."cursor_seq")), 0);
ALTER TABLE "event_subscriptions" DROP COLUMN "cursor_tx_id", DROP COLUMN "cursor_seq";

DROP INDEX "events_tx_id_seq_idx";
ALTER TABLE "events" DROP COLUMN "tx_id";

-- CreateIndex
CREATE UNIQUE INDEX "events_position_key" ON "events"("position");

-- CreateIndex
CREATE INDEX "events_created_at_idx" ON "events"("created_at");

-- CreateIndex
CREATE INDEX "event_deliveries_event_seq_idx" ON "event_deliveries"("event_seq");

-- Hand-written: the rows the sequencer has still to number.
CREATE INDEX "events_unsequenced_idx" ON "events"("seq") WHERE "position" IS NULL;
