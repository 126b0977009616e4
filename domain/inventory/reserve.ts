import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import { lockOrder, reservationsOf, type ReservationLine } from './reservations.js';

export type ReserveItem = { sku: string; quantity: number };
export type Shortage = { sku: string; requested: number; available: number };
export type ReserveResult =
  { ok: true; reservations: ReservationLine[]; alreadyReserved: boolean } | { ok: false; reason: 'OUT_OF_STOCK'; shortages: Shortage[] };

type StockRow = { sku: string; warehouse_id: string; available: number };

/**
 * Chooses warehouses for one line: the first warehouse (by id) that holds the
 * whole quantity; otherwise the fullest warehouses first (fewest shipments), ties
 * by id. Deterministic, so a retried reservation chooses the same way.
 */
export function allocate(quantity: number, stock: { warehouseId: string; available: number }[]): { warehouseId: string; quantity: number }[] | undefined {
  const byId = [...stock].sort((a, b) => a.warehouseId.localeCompare(b.warehouseId));
  const whole = byId.find((s) => s.available >= quantity);
  if (whole) return [{ warehouseId: whole.warehouseId, quantity }];
  const total = stock.reduce((sum, s) => sum + Math.max(0, s.available), 0);
  if (total < quantity) return undefined;
  const plan: { warehouseId: string; quantity: number }[] = [];
  let left = quantity;
  for (const s of byId.sort((a, b) => b.available - a.available || a.warehouseId.localeCompare(b.warehouseId))) {
    if (left === 0) break;
    const take = Math.min(left, s.available);
    if (take > 0) {
      plan.push({ warehouseId: s.warehouseId, quantity: take });
      left -= take;
    }
  }
  return plan;
}

function mergeLines(items: ReserveItem[]): Map<string, number> {
  const lines = new Map<string, number>();
  items.forEach((item, i) => {
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) {
      throw new InvalidInputError([{ field: `items[${i}].quantity`, message: 'must be a positive integer' }]);
    }
    lines.set(item.sku, (lines.get(item.sku) ?? 0) + item.quantity);
  });
  if (lines.size === 0) throw new InvalidInputError([{ field: 'items', message: 'must not be empty' }]);
  return lines;
}

/**
 * Reserves every line of an order, or nothing. Idempotent: once an order has
 * reservations, calling again changes nothing and returns them.
 */
export async function reserve(prisma: PrismaClient, orderId: string, items: ReserveItem[]): Promise<ReserveResult> {
  const lines = mergeLines(items);
  return prisma.$transaction(async (tx) => {
    const { stockReleased } = await lockOrder(tx, orderId);
    const existing = await reservationsOf(tx, orderId);
    if (existing.length > 0) return { ok: true, reservations: existing, alreadyReserved: true };
    // The order was undone (cancelled) while this reservation was on its way: hold nothing.
    if (stockReleased) return { ok: true, reservations: [], alreadyReserved: true };

    const skus = [...lines.keys()].sort();
    // Stock rows locked in one global order (sku, warehouse) so concurrent orders queue instead of deadlocking.
    const rows = await tx.$queryRaw<StockRow[]>`
      SELECT sku, warehouse_id, on_hand - reserved AS available FROM stock
      WHERE sku = ANY(${skus}::text[]) ORDER BY sku, warehouse_id FOR UPDATE`;

    const plan: { sku: string; warehouseId: string; quantity: number }[] = [];
    const shortages: Shortage[] = [];
    for (const sku of skus) {
      const requested = lines.get(sku) as number;
      const stock = rows.filter((r) => r.sku === sku).map((r) => ({ warehouseId: r.warehouse_id, available: r.available }));
      const allocation = allocate(requested, stock);
      if (!allocation) shortages.push({ sku, requested, available: stock.reduce((n, s) => n + s.available, 0) });
      else plan.push(...allocation.map((a) => ({ sku, ...a })));
    }
    if (shortages.length > 0) return { ok: false, reason: 'OUT_OF_STOCK', shortages };

    // Every line held and recorded in one statement (the stock rows are locked above).
    await tx.$executeRaw`
      WITH plan AS (
        SELECT * FROM unnest(${plan.map((p) => p.sku)}::text[], ${plan.map((p) => p.warehouseId)}::text[], ${plan.map((p) => p.quantity)}::int[])
          AS p(sku, warehouse_id, quantity)),
      held AS (
        UPDATE stock s SET reserved = s.reserved + p.quantity, updated_at = now()
        FROM plan p WHERE s.sku = p.sku AND s.warehouse_id = p.warehouse_id)
      INSERT INTO reservations (order_id, sku, warehouse_id, quantity, updated_at)
      SELECT ${orderId}::uuid, sku, warehouse_id, quantity, now() FROM plan`;
    const reservations = plan
      .map((p) => ({ ...p, state: 'RESERVED' as const }))
      .sort((a, b) => (a.sku === b.sku ? (a.warehouseId < b.warehouseId ? -1 : 1) : a.sku < b.sku ? -1 : 1));
    return { ok: true, reservations, alreadyReserved: false };
  });
}
