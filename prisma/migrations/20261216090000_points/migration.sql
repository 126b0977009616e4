-- Customers' points (docs/catalogue.md, "Points"): a ledger, each entry with its reason and
-- its order. The balance is the sum of a customer's entries.
CREATE TABLE "points_ledger" (
  "id"          BIGSERIAL PRIMARY KEY,
  "customer_id" TEXT NOT NULL,
  "order_id"    UUID REFERENCES "orders"("id") ON DELETE SET NULL,
  "kind"        TEXT NOT NULL CHECK ("kind" IN ('EARNED', 'REDEEMED', 'RESTORED', 'EXPIRED')),
  -- Signed: earned and restored add, redeemed and expired take away.
  "points"      INTEGER NOT NULL,
  "reason"      TEXT NOT NULL,
  "at"          TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "points_ledger_customer_idx" ON "points_ledger"("customer_id", "id");
-- An order earns once: the step that writes it may run twice.
CREATE UNIQUE INDEX "points_ledger_order_kind_key" ON "points_ledger"("order_id", "kind") WHERE "order_id" IS NOT NULL;
