-- The transactional outbox (docs/events.md): every change other systems care about is an
-- event row written in the change's own transaction, delivered to webhook subscriptions
-- and readable as a stream (GET /events).

-- CreateEnum
CREATE TYPE "event_delivery_status" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

-- CreateTable
CREATE TABLE "events" (
    "seq" BIGSERIAL NOT NULL,
    "id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "payload" JSONB NOT NULL,
    -- The writing transaction's id: readers take only rows of transactions older than every
    -- running one (pg_snapshot_xmin), so a row committed late behind a higher seq is never skipped.
    "tx_id" BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "event_subscriptions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "url" TEXT NOT NULL,
    "event_types" TEXT[],
    "description" TEXT,
    "secret" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "disabled_reason" TEXT,
    "disabled_at" TIMESTAMPTZ(3),
    "failing_since" TIMESTAMPTZ(3),
    "cursor_tx_id" BIGINT NOT NULL DEFAULT 0,
    "cursor_seq" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_subscriptions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_deliveries" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "subscription_id" UUID NOT NULL,
    "event_seq" BIGINT NOT NULL,
    "order_id" UUID NOT NULL,
    "status" "event_delivery_status" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "give_up_at" TIMESTAMPTZ(3) NOT NULL,
    "last_status_code" INTEGER,
    "last_latency_ms" INTEGER,
    "last_error" TEXT,
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "event_deliveries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "event_delivery_attempts" (
    "delivery_id" UUID NOT NULL,
    "attempt" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "status_code" INTEGER,
    "latency_ms" INTEGER NOT NULL,
    "error" TEXT,

    CONSTRAINT "event_delivery_attempts_pkey" PRIMARY KEY ("delivery_id","attempt")
);

-- CreateIndex
CREATE UNIQUE INDEX "events_id_key" ON "events"("id");

-- CreateIndex
CREATE INDEX "events_tx_id_seq_idx" ON "events"("tx_id", "seq");

-- CreateIndex
CREATE INDEX "events_order_id_seq_idx" ON "events"("order_id", "seq");

-- CreateIndex
CREATE INDEX "event_subscriptions_created_at_id_idx" ON "event_subscriptions"("created_at" DESC, "id");

-- CreateIndex
CREATE UNIQUE INDEX "event_deliveries_subscription_id_event_seq_key" ON "event_deliveries"("subscription_id", "event_seq");

-- AddForeignKey
ALTER TABLE "event_deliveries" ADD CONSTRAINT "event_deliveries_subscription_id_fkey" FOREIGN KEY ("subscription_id") REFERENCES "event_subscriptions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_deliveries" ADD CONSTRAINT "event_deliveries_event_seq_fkey" FOREIGN KEY ("event_seq") REFERENCES "events"("seq") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "event_delivery_attempts" ADD CONSTRAINT "event_delivery_attempts_delivery_id_fkey" FOREIGN KEY ("delivery_id") REFERENCES "event_deliveries"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written: invariants and partial indexes Prisma cannot express.
ALTER TABLE "event_deliveries" ADD CONSTRAINT "event_deliveries_attempts_check" CHECK ("attempts" >= 0);
ALTER TABLE "event_subscriptions" ADD CONSTRAINT "event_subscriptions_event_types_check" CHECK (cardinality("event_types") > 0);
-- The dispatcher looks only at unfinished deliveries: what is due, and what of the same order comes first.
CREATE INDEX "event_deliveries_due_idx" ON "event_deliveries"("next_attempt_at") WHERE "status" = 'PENDING';
CREATE INDEX "event_deliveries_pending_order_idx" ON "event_deliveries"("subscription_id", "order_id", "event_seq") WHERE "status" = 'PENDING';
