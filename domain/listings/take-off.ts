import type { PrismaClient, Tx } from '../../infra/database.js';
import type { CustomerLevels } from '../customers/levels.js';
import { listingView, type ListingView } from './listing.js';
import { lockListing } from './change-listing.js';
import { recordListingChange } from './listing-history.js';

/** Takes the listing in `tx` off the shelf, recorded once; orders already placed keep their lines. */
export async function takeOffIn(tx: Tx, levels: CustomerLevels, id: string, actor: string, reason: string): Promise<ListingView> {
  const row = await lockListing(tx, id);
  if (row.takenOffAt !== null) return listingView(levels, row);
  const updated = await tx.listing.update({ where: { id }, data: { takenOffAt: new Date(), version: { increment: 1 } } });
  await recordListingChange(tx, id, actor, 'taken-off', { reason });
  return listingView(levels, updated);
}

/** Takes a listing off the shelf. Idempotent: a listing already off answers as it is. */
export async function takeOff(prisma: PrismaClient, levels: CustomerLevels, id: string, actor: string): Promise<ListingView> {
  return prisma.$transaction((tx) => takeOffIn(tx, levels, id, actor, 'taken off by an operator'));
}
