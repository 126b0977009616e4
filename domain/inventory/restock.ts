import type { PrismaClient } from '../../infra/database.js';
import { lockOrder } from './reservations.js';
import { lockShelvesOf } from './shelves.js';

/**
 * Puts back on hand the units an order sold for these SKUs, when their shipment was
 * declined or cancelled before it shipped: the sale is undone, the reservation RELEASED.
 * Idempotent: only COMMITTED lines move, in one statement with the stock and the shelf they return to.
 */
export async function restockSkus(prisma: PrismaClient, orderId: string, skus: string[]): Promise<{ restocked: number }> {
  return prisma.$transaction(async (tx) => {
    await lockOrder(tx, orderId);
    // The shelves first, as every transaction takes them: order, listings, stock.
    await lockShelvesOf(tx, orderId, skus);
    const [row] = await tx.$queryRaw<{ restocked: number }[]>`
      WITH undone AS (
        UPDATE reservations SET state = 'RELEASED', updated_at = now()
        WHERE order_id = ${orderId}::uuid AND state = 'COMMITTED' AND sku = ANY(${skus}::text[])
        RETURNING sku, warehouse_id, quantity),
      returned AS (
        UPDATE stock s SET on_hand = s.on_hand + x.quantity, updated_at = now()
        FROM (SELECT sku, warehouse_id, sum(quantity)::int AS quantity FROM undone GROUP BY 1, 2) x
        WHERE s.sku = x.sku AND s.warehouse_id = x.warehouse_id),
      shelved AS (
        UPDATE listings l SET shelf_taken = l.shelf_taken - x.quantity, updated_at = now()
        FROM (SELECT i.listing_id, sum(u.quantity)::int AS quantity FROM undone u
                JOIN order_items i ON i.order_id = ${orderId}::uuid AND i.sku = u.sku
               WHERE i.listing_id IS NOT NULL GROUP BY 1) x
        WHERE l.id = x.listing_id)
      SELECT COALESCE(sum(quantity), 0)::int AS restocked FROM undone`;
    return { restocked: Number(row?.restocked ?? 0) };
  });
}
