import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { WarehouseStock } from './availability.js';

/**
 * Sets the units physically on hand (a stock count or goods receipt). Creates the
 * stock row for a known SKU and warehouse. Never lets on hand fall below what is
 * reserved: those units are promised to orders.
 */
export async function setOnHand(prisma: PrismaClient, sku: string, warehouseId: string, onHand: number): Promise<WarehouseStock> {
  // One statement, so two concurrent counts cannot interleave between check and write.
  const rows = await prisma.$queryRaw<{ on_hand: number; reserved: number }[]>`
    INSERT INTO stock (sku, warehouse_id, on_hand, reserved, updated_at)
    SELECT p.sku, w.id, ${onHand}, 0, now() FROM products p, warehouses w WHERE p.sku = ${sku} AND w.id = ${warehouseId}
    ON CONFLICT (sku, warehouse_id) DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now()
      WHERE stock.reserved <= EXCLUDED.on_hand
    RETURNING on_hand, reserved`;
  const row = rows[0];
  if (row) return { warehouseId, onHand: row.on_hand, reserved: row.reserved, available: row.on_hand - row.reserved };

  const [product, warehouse, stock] = await Promise.all([
    prisma.product.findUnique({ where: { sku } }),
    prisma.warehouse.findUnique({ where: { id: warehouseId } }),
    prisma.stock.findUnique({ where: { sku_warehouseId: { sku, warehouseId } } }),
  ]);
  if (!product) throw new NotFoundError('product', sku, 'sku');
  if (!warehouse) throw new NotFoundError('warehouse', warehouseId, 'warehouseId');
  throw new ConflictError(
    'ON_HAND_BELOW_RESERVED',
    `onHand ${onHand} is below the ${stock?.reserved ?? 0} units of ${sku} reserved in ${warehouseId} for open orders`,
    'onHand',
  );
}
