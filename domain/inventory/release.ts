import type { PrismaClient } from '../../infra/database.js';
import { lockShelvesOf, returnToShelves } from './shelves.js';
import { lockOrder, reservationsOf, settleReservations, type ReservationLine } from './reservations.js';

/**
 * Gives an order's held units back to stock. Idempotent, and a no-op for units
 * already sold (committed): releasing after commit cannot un-sell.
 */
export async function release(prisma: PrismaClient, orderId: string): Promise<{ released: number; reservations: ReservationLine[] }> {
  return prisma.$transaction(async (tx) => {
    await lockOrder(tx, orderId);
    // Marked even with nothing held yet: a reserve-stock job still running for a cancelled order must not hold units afterwards.
    await tx.$executeRaw`UPDATE orders SET stock_released_at = coalesce(stock_released_at, now()) WHERE id = ${orderId}::uuid`;
    const released = await settleReservations(tx, orderId, 'RELEASED');
    if (released.length > 0) {
      await lockShelvesOf(tx, orderId, null);
      await returnToShelves(tx, orderId, released);
    }
    for (const r of released) {
      await tx.$executeRaw`UPDATE stock SET reserved = reserved - ${r.quantity}, updated_at = now()
        WHERE sku = ${r.sku} AND warehouse_id = ${r.warehouse_id}`;
    }
    return { released: released.reduce((n, r) => n + r.quantity, 0), reservations: await reservationsOf(tx, orderId) };
  });
}
