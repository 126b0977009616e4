-- Before the order (docs/catalogue.md): products an operator can change and archive,
-- customers with a level, on-shelf listings with a time window, level prices, freight and
-- a shelf count, the listing history, and each order's price breakdown.

ALTER TABLE "products"
  ADD COLUMN "archived_at" TIMESTAMPTZ(3),
  ADD COLUMN "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now();

CREATE TABLE "customers" (
  "id"         TEXT PRIMARY KEY,
  "level"      TEXT NOT NULL,
  "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);

CREATE TABLE "listings" (
  "id"                     UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  "sku"                    TEXT NOT NULL REFERENCES "products"("sku"),
  "location"               TEXT NOT NULL DEFAULT 'normal',
  -- Units offered, NULL: as many as the warehouses hold.
  "shelf_units"            INTEGER CHECK ("shelf_units" >= 0),
  -- Units held or sold by orders, given back when an order is released or restocked.
  "shelf_taken"            INTEGER NOT NULL DEFAULT 0 CHECK ("shelf_taken" >= 0),
  -- The default level's price, other levels' in level_prices ({"gold": 900}).
  "price_minor"            INTEGER NOT NULL CHECK ("price_minor" >= 0),
  "level_prices"           JSONB NOT NULL DEFAULT '{}',
  "original_price_minor"   INTEGER CHECK ("original_price_minor" >= 0),
  "currency"               CHAR(3) NOT NULL,
  "freight_base_minor"     INTEGER NOT NULL DEFAULT 0 CHECK ("freight_base_minor" >= 0),
  "freight_per_unit_minor" INTEGER NOT NULL DEFAULT 0 CHECK ("freight_per_unit_minor" >= 0),
  "freight_free_from_minor" INTEGER CHECK ("freight_free_from_minor" >= 0),
  "starts_at"              TIMESTAMPTZ(3),
  "ends_at"                TIMESTAMPTZ(3),
  "taken_off_at"           TIMESTAMPTZ(3),
  "version"                INTEGER NOT NULL DEFAULT 1,
  "created_at"             TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  "updated_at"             TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
  CHECK ("shelf_units" IS NULL OR "shelf_taken" <= "shelf_units"),
  CHECK ("starts_at" IS NULL OR "ends_at" IS NULL OR "starts_at" < "ends_at")
);
CREATE INDEX "listings_sku_idx" ON "listings"("sku");
CREATE INDEX "listings_location_idx" ON "listings"("location", "id") WHERE "taken_off_at" IS NULL;

CREATE TABLE "listing_history" (
  "id"         BIGSERIAL PRIMARY KEY,
  "listing_id" UUID NOT NULL REFERENCES "listings"("id") ON DELETE CASCADE,
  "actor"      TEXT NOT NULL,
  "action"     TEXT NOT NULL,
  "changes"    JSONB NOT NULL,
  "at"         TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "listing_history_listing_idx" ON "listing_history"("listing_id", "id");

-- Every product on sale before listings existed stays on sale: one listing each, at its price, no window, no shelf limit.
INSERT INTO "listings" ("sku", "price_minor", "currency")
  SELECT "sku", "price_minor", "currency" FROM "products";
INSERT INTO "listing_history" ("listing_id", "actor", "action", "changes")
  SELECT "id", 'migration', 'created', jsonb_build_object('priceMinor', "price_minor") FROM "listings";

ALTER TABLE "order_items"
  ADD COLUMN "listing_id" UUID REFERENCES "listings"("id"),
  ADD COLUMN "freight_minor" INTEGER NOT NULL DEFAULT 0 CHECK ("freight_minor" >= 0);

-- The breakdown: subtotal (lines) + shipping (freight) - discount = total.
ALTER TABLE "orders"
  ADD COLUMN "shipping_minor" INTEGER NOT NULL DEFAULT 0 CHECK ("shipping_minor" >= 0),
  ADD COLUMN "discount_minor" INTEGER NOT NULL DEFAULT 0 CHECK ("discount_minor" >= 0),
  ADD COLUMN "customer_level" TEXT;
