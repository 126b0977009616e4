// Keyset pagination over orders, newest first by (created_at DESC, id DESC). Each
// page starts strictly after the last row of the previous one, so concurrent
// inserts never shift a page (no duplicates, no gaps for rows that existed),
// and every page costs an index range scan, however deep.
import type { PrismaClient } from '../../infra/database.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageOf, pageRequest, type PageQuery, type TimeIdPosition } from '../paging.js';
import { ORDER_STATUSES, type OrderStatus } from './lifecycle.js';

export type ListOrdersQuery = PageQuery & {
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
};

export type OrderSummary = {
  id: string;
  customerId: string;
  status: OrderStatus;
  total: { amountMinor: number; currency: string };
  createdAt: string;
  updatedAt: string;
};

export type OrderPage = { orders: OrderSummary[]; nextCursor: string | null };

function validate(q: ListOrdersQuery): { limit: number; after: TimeIdPosition | undefined } {
  const filterErrors =
    q.status !== undefined && !ORDER_STATUSES.includes(q.status) ? [{ field: 'status', message: `must be one of ${ORDER_STATUSES.join(', ')}` }] : [];
  return pageRequest(q, decodeTimeIdCursor, filterErrors);
}

/**
 * One page of orders, newest first, optionally of one customer and/or in one
 * status. Served by the indexes (customer_id, created_at DESC, id),
 * (status, created_at DESC, id) and (created_at DESC, id).
 */
export async function listOrders(prisma: PrismaClient, query: ListOrdersQuery = {}): Promise<OrderPage> {
  const { limit, after } = validate(query);
  const where: Prisma.OrderWhereInput = {
    ...(query.customerId !== undefined ? { customerId: query.customerId } : {}),
    ...(query.status !== undefined ? { status: query.status } : {}),
    // `created_at <= c` bounds the index scan; the OR breaks ties on the same millisecond by id.
    ...(after ? { createdAt: { lte: after.createdAt }, OR: [{ createdAt: { lt: after.createdAt } }, { id: { lt: after.id } }] } : {}),
  };
  const rows = await prisma.order.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: { id: true, customerId: true, status: true, totalMinor: true, currency: true, createdAt: true, updatedAt: true },
  });
  const page = pageOf(rows, limit, encodeTimeIdCursor);
  return {
    orders: page.rows.map((o) => ({
      id: o.id,
      customerId: o.customerId,
      status: o.status,
      total: { amountMinor: o.totalMinor, currency: o.currency },
      createdAt: o.createdAt.toISOString(),
      updatedAt: o.updatedAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}
