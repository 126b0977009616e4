import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { cursorOf, cursorParts, pageOf, pageRequest, type PageQuery } from '../paging.js';

export type WarehouseStock = { warehouseId: string; onHand: number; reserved: number; available: number };

export type StockPage = { stocks: WarehouseStock[]; nextCursor: string | null };

// The warehouse ids the API accepts: a cursor names one (base64url of the id).
const WAREHOUSE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const encodeStockCursor = (warehouseId: string): string => cursorOf([warehouseId]);

export function decodeStockCursor(cursor: string): string | undefined {
  const [id] = cursorParts(cursor, 1) ?? [];
  return id !== undefined && WAREHOUSE_ID.test(id) ? id : undefined;
}

/** One page of a SKU's stock per warehouse (available = on hand − reserved), by warehouse id (keyset), `limit` rows after `cursor`. */
export async function stockPage(prisma: PrismaClient, sku: string, query: PageQuery = {}): Promise<StockPage> {
  const { limit, after } = pageRequest(query, decodeStockCursor);
  const product = await prisma.product.findUnique({
    where: { sku },
    select: { stock: { where: after === undefined ? {} : { warehouseId: { gt: after } }, orderBy: { warehouseId: 'asc' }, take: limit + 1 } },
  });
  if (!product) throw new NotFoundError('product', sku, 'sku');
  const page = pageOf(product.stock, limit, (s) => encodeStockCursor(s.warehouseId));
  return {
    stocks: page.rows.map((s) => ({ warehouseId: s.warehouseId, onHand: s.onHand, reserved: s.reserved, available: s.onHand - s.reserved })),
    nextCursor: page.nextCursor,
  };
}
