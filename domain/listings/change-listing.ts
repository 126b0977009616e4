import { isDeepStrictEqual } from 'node:util';
import type { PrismaClient, Tx } from '../../infra/database.js';
import { isUuid } from '../ids.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { CustomerLevels } from '../customers/levels.js';
import { listingView, type ListingRow, type ListingView } from './listing.js';
import { recordListingChange } from './listing-history.js';
import { assertNoOverlap, databaseNow, lockProduct, priceErrors, windowErrors } from './listing-rules.js';
import type { FreightInput } from './put-on-shelf.js';

export type ListingChange = {
  location?: string | undefined;
  shelfUnits?: number | null | undefined;
  /** Replaces every level's price (the default level's is required). */
  prices?: Record<string, number> | undefined;
  originalPriceMinor?: number | null | undefined;
  /** The fields given replace theirs. */
  freight?: FreightInput | undefined;
  startsAt?: Date | null | undefined;
  endsAt?: Date | null | undefined;
};

export class ListingTakenOffError extends ConflictError {
  constructor(id: string) {
    super('LISTING_TAKEN_OFF', `listing ${id} was taken off the shelf: put the product on the shelf again with a new listing`, 'id');
    this.name = 'ListingTakenOffError';
  }
}

/** Locks the listing after its product's row (the order every listing change takes). */
export async function lockListing(tx: Tx, id: string): Promise<ListingRow> {
  if (!isUuid(id)) throw new NotFoundError('listing', id, 'id');
  const found = await tx.listing.findUnique({ where: { id }, select: { sku: true } });
  if (!found) throw new NotFoundError('listing', id, 'id');
  await lockProduct(tx, found.sku);
  const [row] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM listings WHERE id = ${id}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('listing', id, 'id');
  return (await tx.listing.findUnique({ where: { id } })) as ListingRow;
}

/** Changes a listing; what changed is recorded in its history (nothing changed: nothing recorded). */
export async function changeListing(prisma: PrismaClient, levels: CustomerLevels, id: string, change: ListingChange, actor: string): Promise<ListingView> {
  return prisma.$transaction(async (tx) => {
    const row = await lockListing(tx, id);
    if (row.takenOffAt !== null) throw new ListingTakenOffError(id);
    const window = {
      startsAt: change.startsAt === undefined ? row.startsAt : change.startsAt,
      endsAt: change.endsAt === undefined ? row.endsAt : change.endsAt,
    };
    const errors = change.prices ? priceErrors(levels, change.prices) : [];
    if (change.startsAt !== undefined || change.endsAt !== undefined) errors.push(...windowErrors(window, await databaseNow(tx)));
    const shelfUnits = change.shelfUnits === undefined ? row.shelfUnits : change.shelfUnits;
    if (shelfUnits !== null && shelfUnits < row.shelfTaken) {
      errors.push({ field: 'shelfUnits', message: `must be at least ${row.shelfTaken}: orders already took that many units of this listing` });
    }
    if (errors.length > 0) throw new InvalidInputError(errors);
    if (change.startsAt !== undefined || change.endsAt !== undefined) await assertNoOverlap(tx, row.sku, window, id);

    const before = listingView(levels, row);
    const prices = change.prices ? splitPrices(levels, change.prices) : {};
    const updated = await tx.listing.update({
      where: { id },
      data: {
        ...(change.location !== undefined ? { location: change.location } : {}),
        shelfUnits,
        ...prices,
        ...(change.originalPriceMinor !== undefined ? { originalPriceMinor: change.originalPriceMinor } : {}),
        ...(change.freight?.baseMinor !== undefined ? { freightBaseMinor: change.freight.baseMinor } : {}),
        ...(change.freight?.perUnitMinor !== undefined ? { freightPerUnitMinor: change.freight.perUnitMinor } : {}),
        ...(change.freight?.freeFromMinor !== undefined ? { freightFreeFromMinor: change.freight.freeFromMinor } : {}),
        ...window,
      },
    });
    const after = listingView(levels, updated);
    const changes = changedFields(before, after);
    if (Object.keys(changes).length === 0) return before;
    const bumped = await tx.listing.update({ where: { id }, data: { version: { increment: 1 } } });
    await recordListingChange(tx, id, actor, 'changed', changes);
    return listingView(levels, bumped);
  });
}

function splitPrices(levels: CustomerLevels, prices: Record<string, number>): { priceMinor: number; levelPrices: Record<string, number> } {
  const { [levels.defaultLevel]: priceMinor, ...levelPrices } = prices;
  return { priceMinor: priceMinor as number, levelPrices };
}

const RECORDED = ['location', 'shelfUnits', 'prices', 'originalPriceMinor', 'freight', 'startsAt', 'endsAt'] as const;

function changedFields(before: ListingView, after: ListingView): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of RECORDED) {
    if (!isDeepStrictEqual(before[field], after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}
