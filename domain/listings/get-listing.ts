import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { CustomerLevels } from '../customers/levels.js';
import { cursorOf, pageOf, pageRequest, type PageQuery } from '../paging.js';
import { decodeListingCursor, listingView, type ListingView } from './listing.js';
import type { ListingAction, ListingHistoryView } from './listing-history.js';

export type ListingWithHistory = ListingView & { history: ListingHistoryView[] };

export async function getListing(prisma: PrismaClient, levels: CustomerLevels, id: string): Promise<ListingWithHistory> {
  if (!isUuid(id)) throw new NotFoundError('listing', id, 'id');
  const row = await prisma.listing.findUnique({ where: { id }, include: { history: { orderBy: { id: 'asc' } } } });
  if (!row) throw new NotFoundError('listing', id, 'id');
  return {
    ...listingView(levels, row),
    history: row.history.map((h) => ({
      actor: h.actor,
      action: h.action as ListingAction,
      changes: h.changes as Record<string, unknown>,
      at: h.at.toISOString(),
    })),
  };
}

/** Every listing (taken off too), for operators; by id, optionally of one SKU. */
export async function listListings(
  prisma: PrismaClient,
  levels: CustomerLevels,
  query: PageQuery & { sku?: string | undefined },
): Promise<{ listings: ListingView[]; nextCursor: string | null }> {
  const { limit, after } = pageRequest(query, decodeListingCursor);
  const rows = await prisma.listing.findMany({
    where: { ...(query.sku ? { sku: query.sku } : {}), ...(after ? { id: { gt: after } } : {}) },
    orderBy: { id: 'asc' },
    take: limit + 1,
  });
  const page = pageOf(rows, limit, (r) => cursorOf([r.id]));
  return { listings: page.rows.map((r) => listingView(levels, r)), nextCursor: page.nextCursor };
}
