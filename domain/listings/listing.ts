// A listing puts one product (a SKU) on the shelf (docs/catalogue.md): per-level prices, an
// original price shown crossed out, a freight rule, a shelf count, an optional time window
// and a location. It is on sale while it is not taken off and the database clock is inside
// its window; at most one listing of a SKU is on sale at any instant.
import { isUuid } from '../ids.js';
import { cursorParts } from '../paging.js';
import type { FreightRule } from '../pricing/totals.js';
import type { CustomerLevels } from '../customers/levels.js';

export const LOCATION = /^[a-z][a-z0-9-]{0,31}$/;
export const LOCATION_MESSAGE = 'must be 1–32 lower-case letters, digits or dashes, starting with a letter (normal, hot, campaign…)';

export type ListingRow = {
  id: string;
  sku: string;
  location: string;
  shelfUnits: number | null;
  shelfTaken: number;
  priceMinor: number;
  levelPrices: unknown;
  originalPriceMinor: number | null;
  currency: string;
  freightBaseMinor: number;
  freightPerUnitMinor: number;
  freightFreeFromMinor: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
  takenOffAt: Date | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

export type ListingView = {
  id: string;
  sku: string;
  location: string;
  /** Units offered; null: as many as the warehouses hold. */
  shelfUnits: number | null;
  /** Units held or sold by orders. */
  shelfTaken: number;
  /** Price per level, the default level's always there. */
  prices: Record<string, number>;
  currency: string;
  originalPriceMinor: number | null;
  freight: FreightRule;
  startsAt: string | null;
  endsAt: string | null;
  takenOffAt: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
};

export const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** The other levels' prices as stored (a JSON object of level → minor units). */
export function levelPricesOf(row: Pick<ListingRow, 'levelPrices'>): Record<string, number> {
  const value = row.levelPrices;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, number] => Number.isSafeInteger(e[1])));
}

/** Every configured level's price: its own, else the default level's. */
export function pricesFor(levels: CustomerLevels, row: Pick<ListingRow, 'priceMinor' | 'levelPrices'>): Record<string, number> {
  const own = levelPricesOf(row);
  return Object.fromEntries(levels.names.map((level) => [level, level === levels.defaultLevel ? row.priceMinor : (own[level] ?? row.priceMinor)]));
}

export function priceFor(levels: CustomerLevels, row: Pick<ListingRow, 'priceMinor' | 'levelPrices'>, level: string): number {
  if (level === levels.defaultLevel) return row.priceMinor;
  return levelPricesOf(row)[level] ?? row.priceMinor;
}

export function freightOf(row: Pick<ListingRow, 'freightBaseMinor' | 'freightPerUnitMinor' | 'freightFreeFromMinor'>): FreightRule {
  return { baseMinor: row.freightBaseMinor, perUnitMinor: row.freightPerUnitMinor, freeFromMinor: row.freightFreeFromMinor };
}

export function listingView(levels: CustomerLevels, row: ListingRow): ListingView {
  return {
    id: row.id,
    sku: row.sku,
    location: row.location,
    shelfUnits: row.shelfUnits,
    shelfTaken: row.shelfTaken,
    prices: pricesFor(levels, row),
    currency: row.currency,
    originalPriceMinor: row.originalPriceMinor,
    freight: freightOf(row),
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    takenOffAt: iso(row.takenOffAt),
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Whether two windows share an instant (null: open on that side; the end is exclusive). */
export function windowsOverlap(a: { startsAt: Date | null; endsAt: Date | null }, b: { startsAt: Date | null; endsAt: Date | null }): boolean {
  const aStartsBeforeBEnds = a.startsAt === null || b.endsAt === null || a.startsAt < b.endsAt;
  const bStartsBeforeAEnds = b.startsAt === null || a.endsAt === null || b.startsAt < a.endsAt;
  return aStartsBeforeBEnds && bStartsBeforeAEnds;
}

/** The listing a list's cursor names (its id), or undefined for a cursor this API did not hand out. */
export function decodeListingCursor(cursor: string): string | undefined {
  const [id] = cursorParts(cursor, 1) ?? [];
  return id !== undefined && isUuid(id) ? id : undefined;
}
