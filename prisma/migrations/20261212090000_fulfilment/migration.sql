-- CreateEnum
CREATE TYPE "payment_operation_kind" AS ENUM ('CAPTURE', 'REFUND');

-- CreateEnum
CREATE TYPE "shipment_status" AS ENUM ('PENDING', 'SENT', 'ACCEPTED', 'DECLINED', 'SHIPPED', 'DELIVERED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "ledger_entry_kind" AS ENUM ('OWED', 'RELEASED', 'REVERSED');

-- The order's life after PAID (docs/fulfilment.md). The new values are not used in this migration.
ALTER TYPE "order_status" ADD VALUE 'FULFILLING';
ALTER TYPE "order_status" ADD VALUE 'PARTIALLY_SHIPPED';
ALTER TYPE "order_status" ADD VALUE 'SHIPPED';
ALTER TYPE "order_status" ADD VALUE 'DELIVERED';
ALTER TYPE "order_status" ADD VALUE 'COMPLETED';

-- AlterTable
ALTER TABLE "products" ADD COLUMN     "business_id" TEXT NOT NULL DEFAULT 'default';

-- AlterTable
ALTER TABLE "payments" ADD COLUMN     "captured_minor" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "refunded_minor" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "payments" ADD CONSTRAINT "payments_captured_refunded_check"
  CHECK ("captured_minor" BETWEEN 0 AND "amount_minor" AND "refunded_minor" BETWEEN 0 AND "amount_minor");

-- CreateTable
CREATE TABLE "businesses" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "contact_email" TEXT NOT NULL,
    "dispatcher" TEXT NOT NULL,
    "dispatcher_settings" JSONB NOT NULL DEFAULT '{}',
    "secret" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "businesses_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "businesses_id_check" CHECK ("id" ~ '^[a-z0-9][a-z0-9-]{0,62}$')
);

-- Every product had to belong to someone: our own warehouse, answered by ops (the manual
-- dispatcher) until an operator assigns products to suppliers. Its secret is random, like every business's.
INSERT INTO "businesses" ("id", "name", "contact_email", "dispatcher", "dispatcher_settings", "secret")
VALUES ('default', 'Own warehouse', 'fulfilment@order-saga.invalid', 'manual', '{}',
        'bsec_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));

-- CreateTable
CREATE TABLE "payment_operations" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "payment_id" UUID NOT NULL,
    "shipment_id" UUID,
    "kind" "payment_operation_kind" NOT NULL,
    "idempotency_key" TEXT NOT NULL,
    "amount_minor" INTEGER NOT NULL,
    "provider_operation_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "payment_operations_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "payment_operations_amount_check" CHECK ("amount_minor" > 0)
);

-- CreateTable
CREATE TABLE "shipments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "order_id" UUID NOT NULL,
    "business_id" TEXT NOT NULL,
    "status" "shipment_status" NOT NULL DEFAULT 'PENDING',
    "amount_minor" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "carrier" TEXT,
    "tracking_number" TEXT,
    "tracking_url" TEXT,
    "decline_reason" TEXT,
    "captured_minor" INTEGER NOT NULL DEFAULT 0,
    "refunded_minor" INTEGER NOT NULL DEFAULT 0,
    "delivery_confirmed_at" TIMESTAMPTZ(3),
    "funds_released_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shipments_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "shipments_amounts_check" CHECK ("amount_minor" >= 0 AND "captured_minor" BETWEEN 0 AND "amount_minor" AND "refunded_minor" BETWEEN 0 AND "amount_minor")
);

-- CreateTable
CREATE TABLE "shipment_lines" (
    "shipment_id" UUID NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "unit_price_minor" INTEGER NOT NULL,

    CONSTRAINT "shipment_lines_pkey" PRIMARY KEY ("shipment_id","sku"),
    CONSTRAINT "shipment_lines_quantity_check" CHECK ("quantity" > 0 AND "unit_price_minor" >= 0)
);

-- CreateTable
CREATE TABLE "shipment_history" (
    "id" BIGSERIAL NOT NULL,
    "shipment_id" UUID NOT NULL,
    "from_status" "shipment_status",
    "to_status" "shipment_status" NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shipment_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "shipment_events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "business_id" TEXT NOT NULL,
    "shipment_id" UUID NOT NULL,
    "event_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "shipment_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "business_ledger" (
    "id" BIGSERIAL NOT NULL,
    "business_id" TEXT NOT NULL,
    "order_id" UUID NOT NULL,
    "shipment_id" UUID NOT NULL,
    "kind" "ledger_entry_kind" NOT NULL,
    "amount_minor" INTEGER NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "business_ledger_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "business_ledger_amount_check" CHECK ("amount_minor" >= 0)
);

-- CreateIndex
CREATE UNIQUE INDEX "payment_operations_idempotency_key_key" ON "payment_operations"("idempotency_key");

-- CreateIndex
CREATE INDEX "payment_operations_payment_id_idx" ON "payment_operations"("payment_id");

-- CreateIndex
CREATE INDEX "shipments_business_id_created_at_id_idx" ON "shipments"("business_id", "created_at" DESC, "id");

-- CreateIndex
CREATE UNIQUE INDEX "shipments_order_id_business_id_key" ON "shipments"("order_id", "business_id");

-- CreateIndex
CREATE INDEX "shipment_history_shipment_id_id_idx" ON "shipment_history"("shipment_id", "id");

-- CreateIndex
CREATE INDEX "shipment_events_shipment_id_idx" ON "shipment_events"("shipment_id");

-- CreateIndex
CREATE UNIQUE INDEX "shipment_events_business_id_event_id_key" ON "shipment_events"("business_id", "event_id");

-- CreateIndex
CREATE INDEX "business_ledger_business_id_id_idx" ON "business_ledger"("business_id", "id");

-- CreateIndex
CREATE INDEX "business_ledger_order_id_idx" ON "business_ledger"("order_id");

-- CreateIndex
CREATE UNIQUE INDEX "business_ledger_shipment_id_kind_key" ON "business_ledger"("shipment_id", "kind");

-- CreateIndex
CREATE INDEX "products_business_id_idx" ON "products"("business_id");

-- AddForeignKey
ALTER TABLE "products" ADD CONSTRAINT "products_business_id_fkey" FOREIGN KEY ("business_id") REFERENCES "businesses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_operations" ADD CONSTRAINT "payment_operations_payment_id_fkey" FOREIGN KEY ("payment_id") REFERENCES "payments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_business_id_fkey" FOREIGN KEY ("business_id") REFERENCES "businesses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipment_lines" ADD CONSTRAINT "shipment_lines_shipment_id_fkey" FOREIGN KEY ("shipment_id") REFERENCES "shipments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipment_history" ADD CONSTRAINT "shipment_history_shipment_id_fkey" FOREIGN KEY ("shipment_id") REFERENCES "shipments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "shipment_events" ADD CONSTRAINT "shipment_events_shipment_id_fkey" FOREIGN KEY ("shipment_id") REFERENCES "shipments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "business_ledger" ADD CONSTRAINT "business_ledger_business_id_fkey" FOREIGN KEY ("business_id") REFERENCES "businesses"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

