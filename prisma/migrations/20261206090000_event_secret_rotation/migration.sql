-- Rolling a subscription's signing secret (docs/events.md, "Rotating the secret"): the secret it
-- replaced keeps signing deliveries, next to the new one, until previous_secret_expires_at, then
-- the dispatcher clears it. Both are set together or not at all.
ALTER TABLE "event_subscriptions" ADD COLUMN "previous_secret" TEXT,
  ADD COLUMN "previous_secret_expires_at" TIMESTAMPTZ(3),
  ADD CONSTRAINT "event_subscriptions_previous_secret_check" CHECK (("previous_secret" IS NULL) = ("previous_secret_expires_at" IS NULL));
