// The price of an order's lines: from the listing of each SKU on sale now (the database
// clock), at the customer's level, with its freight. A line whose SKU is not on sale, or
// whose listing has fewer units left on the shelf than asked, is named with why.
import type { PrismaClient, Tx } from '../../infra/database.js';
import { effectiveLevel, type CustomerLevels } from '../customers/levels.js';
import type { FreightRule } from '../pricing/totals.js';
import { freightOf, priceFor } from './listing.js';
import { displayedStock } from './storefront.js';

export type ListedPrice = {
  listingId: string;
  name: string;
  unitPriceMinor: number;
  originalPriceMinor: number | null;
  currency: string;
  freight: FreightRule;
  shelfLeft: number | null;
  /** Units that can be bought now: min(shelf left, units free in the warehouses). */
  available: number;
};
export type Unlisted = { notOnSale: string };

type Row = {
  sku: string;
  name: string;
  original_price_minor: number | null;
  warehouse_available: number;
  archived: boolean;
  listing_id: string | null;
  price_minor: number | null;
  level_prices: unknown;
  currency: string | null;
  freight_base_minor: number | null;
  freight_per_unit_minor: number | null;
  freight_free_from_minor: number | null;
  shelf_left: number | null;
  next_start: Date | null;
  customer_level: string | null;
};

export type ListedPrices = { level: string; prices: Map<string, ListedPrice | Unlisted> };

/**
 * The customer's level, and per SKU asked its listed price at that level or why it cannot be
 * bought now (SKUs with no product are absent). One statement.
 */
export async function listedPrices(prisma: PrismaClient | Tx, levels: CustomerLevels, customerId: string, skus: string[]): Promise<ListedPrices> {
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT (SELECT c.level FROM customers c WHERE c.id = ${customerId}) AS customer_level, p.sku, p.name, l.original_price_minor,
           COALESCE((SELECT sum(GREATEST(s.on_hand - s.reserved, 0)) FROM stock s WHERE s.sku = p.sku), 0)::int AS warehouse_available, p.archived_at IS NOT NULL AS archived, l.id::text AS listing_id, l.price_minor, l.level_prices, l.currency,
           l.freight_base_minor, l.freight_per_unit_minor, l.freight_free_from_minor, l.shelf_units - l.shelf_taken AS shelf_left,
           (SELECT min(n.starts_at) FROM listings n WHERE n.sku = p.sku AND n.taken_off_at IS NULL AND n.starts_at > now()) AS next_start
      FROM products p
      LEFT JOIN LATERAL (
        SELECT * FROM listings x
         WHERE x.sku = p.sku AND x.taken_off_at IS NULL
           AND (x.starts_at IS NULL OR x.starts_at <= now()) AND (x.ends_at IS NULL OR now() < x.ends_at)
         ORDER BY x.created_at DESC LIMIT 1) l ON true
     WHERE p.sku = ANY(${skus}::text[])`;
  const level = effectiveLevel(levels, rows[0]?.customer_level);
  const prices = new Map<string, ListedPrice | Unlisted>();
  for (const r of rows) {
    if (r.archived) prices.set(r.sku, { notOnSale: `SKU ${r.sku} is no longer sold (archived)` });
    else if (r.listing_id === null) {
      const next = r.next_start === null ? '' : `: its listing starts at ${new Date(r.next_start).toISOString()}`;
      prices.set(r.sku, { notOnSale: `SKU ${r.sku} is not on sale now${next}` });
    } else {
      prices.set(r.sku, {
        listingId: r.listing_id,
        name: r.name,
        originalPriceMinor: r.original_price_minor,
        available: displayedStock(r.shelf_left, Number(r.warehouse_available)),
        unitPriceMinor: priceFor(levels, { priceMinor: r.price_minor as number, levelPrices: r.level_prices }, level),
        currency: (r.currency as string).trim(),
        freight: freightOf({
          freightBaseMinor: r.freight_base_minor as number,
          freightPerUnitMinor: r.freight_per_unit_minor as number,
          freightFreeFromMinor: r.freight_free_from_minor,
        }),
        shelfLeft: r.shelf_left,
      });
    }
  }
  return { level, prices };
}

export const isListed = (p: ListedPrice | Unlisted | undefined): p is ListedPrice => p !== undefined && 'listingId' in p;
