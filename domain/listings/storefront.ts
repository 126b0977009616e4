// What a shopper sees: the listings on sale now (by the database clock), each at the price of
// the caller's level, with displayed stock = min(shelf units left, units free in warehouses).
import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { CustomerLevels } from '../customers/levels.js';
import { cursorOf, pageOf, pageRequest, type PageQuery } from '../paging.js';
import type { FreightRule } from '../pricing/totals.js';
import { decodeListingCursor, freightOf, iso, priceFor } from './listing.js';

type Money = { amountMinor: number; currency: string };

export type StorefrontListing = {
  id: string;
  sku: string;
  name: string;
  location: string;
  /** The price for `level`. */
  price: Money;
  level: string;
  /** Shown crossed out; null when the listing has none. */
  originalPrice: Money | null;
  freight: FreightRule;
  /** Units that can be bought now: min(shelf units left, units free in the warehouses). */
  available: number;
  startsAt: string | null;
  endsAt: string | null;
};

type Row = {
  id: string;
  sku: string;
  name: string;
  location: string;
  price_minor: number;
  level_prices: unknown;
  original_price_minor: number | null;
  currency: string;
  freight_base_minor: number;
  freight_per_unit_minor: number;
  freight_free_from_minor: number | null;
  starts_at: Date | null;
  ends_at: Date | null;
  shelf_left: number | null;
  warehouse_available: number;
};

/** Displayed stock: what the shelf has left (null: no limit), bounded by what the warehouses can give. */
export function displayedStock(shelfLeft: number | null, warehouseAvailable: number): number {
  const warehouse = Math.max(0, warehouseAvailable);
  return shelfLeft === null ? warehouse : Math.max(0, Math.min(shelfLeft, warehouse));
}

function view(levels: CustomerLevels, level: string, r: Row): StorefrontListing {
  const money = (amountMinor: number) => ({ amountMinor, currency: r.currency });
  return {
    id: r.id,
    sku: r.sku,
    name: r.name,
    location: r.location,
    price: money(priceFor(levels, { priceMinor: r.price_minor, levelPrices: r.level_prices }, level)),
    level,
    originalPrice: r.original_price_minor === null ? null : money(r.original_price_minor),
    freight: freightOf({
      freightBaseMinor: r.freight_base_minor,
      freightPerUnitMinor: r.freight_per_unit_minor,
      freightFreeFromMinor: r.freight_free_from_minor,
    }),
    available: displayedStock(r.shelf_left, Number(r.warehouse_available)),
    startsAt: iso(r.starts_at === null ? null : new Date(r.starts_at)),
    endsAt: iso(r.ends_at === null ? null : new Date(r.ends_at)),
  };
}

async function onSale(prisma: PrismaClient, filter: { id?: string; location?: string; after?: string; limit: number }): Promise<Row[]> {
  return prisma.$queryRaw<Row[]>`
    SELECT l.id::text AS id, l.sku, p.name, l.location, l.price_minor, l.level_prices, l.original_price_minor, l.currency,
           l.freight_base_minor, l.freight_per_unit_minor, l.freight_free_from_minor, l.starts_at, l.ends_at,
           l.shelf_units - l.shelf_taken AS shelf_left,
           COALESCE((SELECT sum(GREATEST(s.on_hand - s.reserved, 0)) FROM stock s WHERE s.sku = l.sku), 0)::int AS warehouse_available
      FROM listings l JOIN products p ON p.sku = l.sku
     WHERE l.taken_off_at IS NULL AND p.archived_at IS NULL
       AND (l.starts_at IS NULL OR l.starts_at <= now()) AND (l.ends_at IS NULL OR now() < l.ends_at)
       AND (${filter.id ?? null}::uuid IS NULL OR l.id = ${filter.id ?? null}::uuid)
       AND (${filter.location ?? null}::text IS NULL OR l.location = ${filter.location ?? null}::text)
       AND (${filter.after ?? null}::uuid IS NULL OR l.id > ${filter.after ?? null}::uuid)
     ORDER BY l.id
     LIMIT ${filter.limit + 1}`;
}

/** One page of what is on sale now, optionally at one location, priced for `level`. */
export async function storefront(
  prisma: PrismaClient,
  levels: CustomerLevels,
  level: string,
  query: PageQuery & { location?: string | undefined },
): Promise<{ listings: StorefrontListing[]; nextCursor: string | null }> {
  const { limit, after } = pageRequest(query, decodeListingCursor);
  const rows = await onSale(prisma, { ...(query.location ? { location: query.location } : {}), ...(after ? { after } : {}), limit });
  const page = pageOf(rows, limit, (r) => cursorOf([r.id]));
  return { listings: page.rows.map((r) => view(levels, level, r)), nextCursor: page.nextCursor };
}

/** One listing on sale now; a listing off the shelf or outside its window is not found. */
export async function storefrontListing(prisma: PrismaClient, levels: CustomerLevels, level: string, id: string): Promise<StorefrontListing> {
  if (!isUuid(id)) throw new NotFoundError('listing', id, 'id');
  const [row] = await onSale(prisma, { id, limit: 1 });
  if (!row) throw new NotFoundError('listing on sale', id, 'id');
  return view(levels, level, row);
}
