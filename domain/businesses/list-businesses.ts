// The businesses by id, page by page (keyset on the primary key), never with their secrets.
import type { PrismaClient } from '../../infra/database.js';
import { cursorOf, cursorParts, pageOf, pageRequest, type PageQuery } from '../paging.js';
import { BUSINESS_ID, BUSINESS_VIEW_FIELDS, businessView, type BusinessView } from './business.js';

export type BusinessPage = { businesses: BusinessView[]; nextCursor: string | null };

export const encodeBusinessCursor = (id: string): string => cursorOf([id]);

export function decodeBusinessCursor(cursor: string): string | undefined {
  const [id] = cursorParts(cursor, 1) ?? [];
  return id !== undefined && BUSINESS_ID.test(id) ? id : undefined;
}

export async function listBusinesses(prisma: PrismaClient, query: PageQuery = {}): Promise<BusinessPage> {
  const { limit, after } = pageRequest(query, decodeBusinessCursor);
  const rows = await prisma.business.findMany({
    where: after === undefined ? {} : { id: { gt: after } },
    orderBy: { id: 'asc' },
    take: limit + 1,
    select: BUSINESS_VIEW_FIELDS,
  });
  const page = pageOf(rows, limit, (b) => encodeBusinessCursor(b.id));
  return { businesses: page.rows.map(businessView), nextCursor: page.nextCursor };
}
