import type { PrismaClient } from '../../infra/database.js';

export async function addWarehouses(prisma: PrismaClient, ids: string[]): Promise<void> {
  await prisma.warehouse.createMany({ data: ids.map((id) => ({ id, name: id })), skipDuplicates: true });
}

/** A product with the given on-hand count per warehouse, on the shelf at `priceMinor` (no window, no shelf limit, no freight). */
export async function addProduct(prisma: PrismaClient, sku: string, onHand: Record<string, number>, priceMinor = 1000): Promise<void> {
  await addWarehouses(prisma, Object.keys(onHand));
  await prisma.product.create({ data: { sku, name: `Product ${sku}`, priceMinor, currency: 'EUR' } });
  await prisma.listing.create({ data: { sku, priceMinor, currency: 'EUR' } });
  await prisma.stock.createMany({ data: Object.entries(onHand).map(([warehouseId, n]) => ({ sku, warehouseId, onHand: n })) });
}

export async function addOrder(prisma: PrismaClient, items: { sku: string; quantity: number }[], customerId = 'cust-1'): Promise<string> {
  const order = await prisma.order.create({
    data: {
      customerId,
      paymentMethod: 'pm_approve',
      totalMinor: 0,
      currency: 'EUR',
      requestHash: 'fixture',
      items: { create: items.map((it, i) => ({ lineNo: i + 1, sku: it.sku, quantity: it.quantity, unitPriceMinor: 0 })) },
    },
  });
  return order.id;
}

export type StockCounts = { onHand: number; reserved: number; available: number; sold: number };

/** Stock of one SKU summed over warehouses, with units sold derived from committed reservations. */
export async function stockTotals(prisma: PrismaClient, sku: string): Promise<StockCounts> {
  const rows = await prisma.stock.findMany({ where: { sku } });
  const sold = await prisma.reservation.aggregate({ where: { sku, state: 'COMMITTED' }, _sum: { quantity: true } });
  const onHand = rows.reduce((n, r) => n + r.onHand, 0);
  const reserved = rows.reduce((n, r) => n + r.reserved, 0);
  return { onHand, reserved, available: onHand - reserved, sold: sold._sum.quantity ?? 0 };
}

export async function stockBy(prisma: PrismaClient, sku: string): Promise<Record<string, { onHand: number; reserved: number }>> {
  const rows = await prisma.stock.findMany({ where: { sku }, orderBy: { warehouseId: 'asc' } });
  return Object.fromEntries(rows.map((r) => [r.warehouseId, { onHand: r.onHand, reserved: r.reserved }]));
}
