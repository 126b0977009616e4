import type { PrismaClient } from '../../infra/database.js';
import { lockOrder } from './reservations.js';

/**
 * Puts back on hand the units an order sold for these SKUs, when their shipment was
 * declined or cancelled before it shipped: the sale is undone, the reservation RELEASED.
 * Idempotent: only COMMITTED lines move, in one statement with the stock they return to.
 */
export async function restockSkus(prisma: PrismaClient, orderId: string, skus: string[]): Promise<{ restocked: number }> {
  return prisma.$transaction(async (tx) => {
    await lockOrder(tx, orderId);
    const [row] = await tx.$queryRaw<{ restocked: number }[]>`
      WITH undone AS (
        UPDATE reservations SET state = 'RELEASED', updated_at = now()
        WHERE order_id = ${orderId}::uuid AND state = 'COMMITTED' AND sku = ANY(${skus}::text[])
        RETURNING sku, warehouse_id, quantity),
      returned AS (
        UPDATE stock s SET on_hand = s.on_hand + x.quantity, updated_at = now()
        FROM (SELECT sku, warehouse_id, sum(quantity)::int AS quantity FROM undone GROUP BY 1, 2) x
        WHERE s.sku = x.sku AND s.warehouse_id = x.warehouse_id)
      SELECT COALESCE(sum(quantity), 0)::int AS restocked FROM undone`;
    return { restocked: Number(row?.restocked ?? 0) };
  });
}
