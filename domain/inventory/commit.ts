import type { PrismaClient, Tx } from '../../infra/database.js';
import { lockOrder, reservationsOf, settleReservations, type ReservationLine } from './reservations.js';

/**
 * Turns an order's reservation into a sale inside the caller's transaction: the
 * units leave on hand and reserved together. Idempotent, and a no-op for units
 * already released. Takes the order lock.
 */
export async function commitIn(tx: Tx, orderId: string): Promise<{ committed: number; reservations: ReservationLine[] }> {
  await lockOrder(tx, orderId);
  const committed = await settleReservations(tx, orderId, 'COMMITTED');
  for (const r of committed) {
    await tx.$executeRaw`UPDATE stock SET on_hand = on_hand - ${r.quantity}, reserved = reserved - ${r.quantity}, updated_at = now()
      WHERE sku = ${r.sku} AND warehouse_id = ${r.warehouse_id}`;
  }
  return { committed: committed.reduce((n, r) => n + r.quantity, 0), reservations: await reservationsOf(tx, orderId) };
}

/** commitIn in a transaction of its own. */
export async function commit(prisma: PrismaClient, orderId: string): Promise<{ committed: number; reservations: ReservationLine[] }> {
  return prisma.$transaction((tx) => commitIn(tx, orderId));
}
