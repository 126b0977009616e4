// Customers' points (docs/catalogue.md, "Points"): a ledger, each entry with its reason and its
// order; the balance is the sum of a customer's entries. Earned when an order completes, on
// what the customer kept (the shipments neither declined nor cancelled, less refunds), POINTS_EARNED_PER_100_MINOR per 100 minor
// units, rounded down.
import type { PrismaClient, Tx } from '../../infra/database.js';
import { cursorOf, cursorParts, pageOf, pageRequest, type PageQuery } from '../paging.js';

export type PointsKind = 'EARNED' | 'REDEEMED' | 'RESTORED' | 'EXPIRED';
export type PointsEntryView = { kind: PointsKind; points: number; orderId: string | null; reason: string; at: string };
export type PointsView = { customerId: string; balance: number; entries: PointsEntryView[]; nextCursor: string | null };

/** Points per 100 minor units spent, unless configured (POINTS_EARNED_PER_100_MINOR). */
export const DEFAULT_POINTS_EARNED_PER_100_MINOR = 1;

/** Points for `spentMinor`, rounded down: a customer never gets a point they did not pay for. */
export function pointsEarned(spentMinor: number, per100Minor: number): number {
  return Math.floor((spentMinor * per100Minor) / 100);
}

/**
 * Records what a completed order earned, in the transaction that completed it. Idempotent: an
 * order earns once (a unique index), so a completion run twice writes one entry.
 */
export async function earnPointsIn(tx: Tx, orderId: string, per100Minor: number): Promise<number> {
  const [row] = await tx.$queryRaw<{ customer_id: string; kept: number }[]>`
    SELECT o.customer_id,
           COALESCE((SELECT sum(s.amount_minor - s.refunded_minor) FROM shipments s WHERE s.order_id = o.id AND s.status NOT IN ('DECLINED', 'CANCELLED')), 0)::int AS kept
      FROM orders o WHERE o.id = ${orderId}::uuid`;
  if (!row) return 0;
  const points = pointsEarned(Number(row.kept), per100Minor);
  if (points <= 0) return 0;
  await tx.$executeRaw`
    INSERT INTO points_ledger (customer_id, order_id, kind, points, reason)
    VALUES (${row.customer_id}, ${orderId}::uuid, 'EARNED', ${points}, ${`order completed: ${row.kept} minor units delivered`})
    ON CONFLICT (order_id, kind) WHERE order_id IS NOT NULL DO NOTHING`;
  return points;
}

const decodeCursor = (cursor: string): bigint | undefined => {
  const [id] = cursorParts(cursor, 1) ?? [];
  return id !== undefined && /^\d{1,18}$/.test(id) ? BigInt(id) : undefined;
};

/** The balance and the ledger, newest entry first. */
export async function pointsOf(prisma: PrismaClient, customerId: string, query: PageQuery = {}): Promise<PointsView> {
  const { limit, after } = pageRequest(query, decodeCursor);
  const [sum, rows] = await prisma.$transaction(
    [
      prisma.pointsEntry.aggregate({ where: { customerId }, _sum: { points: true } }),
      prisma.pointsEntry.findMany({ where: { customerId, ...(after !== undefined ? { id: { lt: after } } : {}) }, orderBy: { id: 'desc' }, take: limit + 1 }),
    ],
    { isolationLevel: 'RepeatableRead' },
  );
  const page = pageOf(rows, limit, (r) => cursorOf([r.id.toString()]));
  return {
    customerId,
    balance: sum._sum.points ?? 0,
    entries: page.rows.map((r) => ({ kind: r.kind as PointsKind, points: r.points, orderId: r.orderId, reason: r.reason, at: r.at.toISOString() })),
    nextCursor: page.nextCursor,
  };
}
