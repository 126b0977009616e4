import type { PrismaClient, Tx } from '../../infra/database.js';
import { lockOrder, reservationsOf, type ReservationLine } from './reservations.js';

/**
 * Turns an order's reservation into a sale inside the caller's transaction: the
 * units leave on hand and reserved together. Idempotent, and a no-op for units
 * already released. Takes the order lock, unless the caller says it holds it.
 */
export async function commitIn(tx: Tx, orderId: string, o: { orderLocked?: boolean } = {}): Promise<{ committed: number }> {
  if (!o.orderLocked) await lockOrder(tx, orderId);
  // The RESERVED lines become COMMITTED and their units leave stock, in one statement.
  const [row] = await tx.$queryRaw<{ committed: number }[]>`
    WITH settled AS (
      UPDATE reservations SET state = 'COMMITTED', updated_at = now()
      WHERE order_id = ${orderId}::uuid AND state = 'RESERVED'
      RETURNING sku, warehouse_id, quantity),
    sold AS (
      UPDATE stock s SET on_hand = s.on_hand - x.quantity, reserved = s.reserved - x.quantity, updated_at = now()
      FROM (SELECT sku, warehouse_id, sum(quantity)::int AS quantity FROM settled GROUP BY 1, 2) x
      WHERE s.sku = x.sku AND s.warehouse_id = x.warehouse_id)
    SELECT COALESCE(sum(quantity), 0)::int AS committed FROM settled`;
  return { committed: Number(row?.committed ?? 0) };
}

/** commitIn in a transaction of its own, with the order's reservations afterwards. */
export async function commit(prisma: PrismaClient, orderId: string): Promise<{ committed: number; reservations: ReservationLine[] }> {
  return prisma.$transaction(async (tx) => ({ ...(await commitIn(tx, orderId)), reservations: await reservationsOf(tx, orderId) }));
}
