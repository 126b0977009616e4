import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';

export type WarehouseStock = { warehouseId: string; onHand: number; reserved: number; available: number };

/** Stock of one SKU per warehouse; available = on hand − reserved. */
export async function availability(prisma: PrismaClient, sku: string): Promise<WarehouseStock[]> {
  const product = await prisma.product.findUnique({
    where: { sku },
    select: { stock: { orderBy: { warehouseId: 'asc' } } },
  });
  if (!product) throw new NotFoundError('product', sku, 'sku');
  return product.stock.map((s) => ({
    warehouseId: s.warehouseId,
    onHand: s.onHand,
    reserved: s.reserved,
    available: s.onHand - s.reserved,
  }));
}
