// Keyset pagination over orders, newest first by (created_at DESC, id DESC). Each
// page starts strictly after the last row of the previous one, so concurrent
// inserts never shift a page (no duplicates, no gaps for rows that existed),
// and every page costs an index range scan, however deep.
import type { PrismaClient } from '../../infra/database.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { InvalidInputError } from '../errors.js';
import { isUuid } from '../ids.js';
import { ORDER_STATUSES, type OrderStatus } from './lifecycle.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export type ListOrdersQuery = {
  customerId?: string | undefined;
  status?: OrderStatus | undefined;
  /** nextCursor of the previous page; absent for the first page. */
  cursor?: string | undefined;
  /** 1..100, default 20. */
  limit?: number | undefined;
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

type Position = { createdAt: Date; id: string };

// created_at has millisecond precision (timestamptz(3)), exactly what an ISO string keeps.
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f-]{36})$/;

/** The opaque cursor naming a row: base64url of "<created_at ISO>|<id>". */
export function encodeCursor(p: Position): string {
  return Buffer.from(`${p.createdAt.toISOString()}|${p.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  const createdAt = new Date(match[1] as string);
  const id = match[2] as string;
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== match[1] || !isUuid(id)) return undefined;
  return { createdAt, id };
}

function validate(q: ListOrdersQuery): { limit: number; after: Position | undefined } {
  const errors: { field: string; message: string }[] = [];
  const limit = q.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` });
  if (q.status !== undefined && !ORDER_STATUSES.includes(q.status)) errors.push({ field: 'status', message: `must be one of ${ORDER_STATUSES.join(', ')}` });
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  if (q.cursor !== undefined && !after) errors.push({ field: 'cursor', message: 'is not a cursor this API handed out' });
  if (errors.length > 0) throw new InvalidInputError(errors);
  return { limit, after };
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
    ...(after
      ? { createdAt: { lte: after.createdAt }, OR: [{ createdAt: { lt: after.createdAt } }, { id: { lt: after.id } }] }
      : {}),
  };
  const rows = await prisma.order.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: { id: true, customerId: true, status: true, totalMinor: true, currency: true, createdAt: true, updatedAt: true },
  });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    orders: page.map((o) => ({
      id: o.id,
      customerId: o.customerId,
      status: o.status,
      total: { amountMinor: o.totalMinor, currency: o.currency },
      createdAt: o.createdAt.toISOString(),
      updatedAt: o.updatedAt.toISOString(),
    })),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}
