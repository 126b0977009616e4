// What a listing must satisfy whether it is created or changed: prices for configured
// levels (the default level's always), a window that ends after it starts and in the
// future, and no other listing of the SKU on sale in any instant of it.
import type { Tx } from '../../infra/database.js';
import { ConflictError } from '../errors.js';
import type { CustomerLevels } from '../customers/levels.js';
import { windowsOverlap } from './listing.js';

type FieldError = { field: string; message: string };

export function priceErrors(levels: CustomerLevels, prices: Record<string, number>): FieldError[] {
  const errors: FieldError[] = [];
  for (const level of Object.keys(prices)) {
    if (!levels.names.includes(level)) errors.push({ field: `prices.${level}`, message: `is not a customer level (${levels.names.join(', ')})` });
  }
  if (!Object.hasOwn(prices, levels.defaultLevel)) errors.push({ field: `prices.${levels.defaultLevel}`, message: 'is required: the default level’s price' });
  return errors;
}

export function windowErrors(w: { startsAt: Date | null; endsAt: Date | null }, now: Date): FieldError[] {
  if (w.startsAt !== null && w.endsAt !== null && w.startsAt >= w.endsAt) return [{ field: 'endsAt', message: 'must be after startsAt' }];
  if (w.endsAt !== null && w.endsAt <= now) return [{ field: 'endsAt', message: 'must be in the future' }];
  return [];
}

export async function databaseNow(tx: Tx): Promise<Date> {
  const [row] = await tx.$queryRaw<{ now: Date }[]>`SELECT now() AS now`;
  return new Date((row as { now: Date }).now);
}

export class ListingOverlapError extends ConflictError {
  constructor(sku: string, other: string) {
    super(
      'LISTING_OVERLAPS',
      `SKU ${sku} is already on the shelf in this window (listing ${other}): change that listing's window or take it off first`,
      'startsAt',
    );
    this.name = 'ListingOverlapError';
  }
}

/** Refuses a window in which another live listing of the SKU is on sale (the caller holds the product's row lock). */
export async function assertNoOverlap(tx: Tx, sku: string, w: { startsAt: Date | null; endsAt: Date | null }, exceptId?: string): Promise<void> {
  const others = await tx.listing.findMany({
    where: { sku, takenOffAt: null, ...(exceptId ? { id: { not: exceptId } } : {}) },
    select: { id: true, startsAt: true, endsAt: true },
  });
  const clash = others.find((o) => windowsOverlap(o, w));
  if (clash) throw new ListingOverlapError(sku, clash.id);
}

/** Locks the product row: listings of one SKU are created and changed one at a time. */
export async function lockProduct(tx: Tx, sku: string): Promise<{ archived: boolean; currency: string } | undefined> {
  const [row] = await tx.$queryRaw<{ archived: boolean; currency: string }[]>`
    SELECT archived_at IS NOT NULL AS archived, currency FROM products WHERE sku = ${sku} FOR UPDATE`;
  return row;
}
