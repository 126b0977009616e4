-- One cart per customer, persisted (docs/catalogue.md, "The cart"): lines by SKU, priced live
-- from the listings when read. The cart row is locked by every change and by checkout.
CREATE TABLE "carts" (
  "customer_id" TEXT PRIMARY KEY,
  "updated_at"  TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

CREATE TABLE "cart_lines" (
  "customer_id" TEXT NOT NULL REFERENCES "carts"("customer_id") ON DELETE CASCADE,
  "sku"         TEXT NOT NULL REFERENCES "products"("sku"),
  "quantity"    INTEGER NOT NULL CHECK ("quantity" > 0),
  "added_at"    TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  PRIMARY KEY ("customer_id", "sku")
);
