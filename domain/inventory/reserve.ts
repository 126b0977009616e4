import type { PrismaClient, Tx } from '../../infra/database.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { displayedStock } from '../listings/storefront.js';
import type { ReservationLine } from './reservations.js';

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

type OrderLine = ReserveItem & { listingId: string | null };
type LockedForReservation = { released: boolean; items: OrderLine[] };

/**
 * Locks the order row (as lockOrder does: every stock operation of one order runs one at a
 * time) and reads whether its stock was released and its lines, in one statement.
 */
async function lockForReservation(tx: Tx, orderId: string): Promise<LockedForReservation> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  // The lines may come from the statement's snapshot: they never change after the order is placed.
  const [row] = await tx.$queryRaw<LockedForReservation[]>`
    SELECT stock_released_at IS NOT NULL AS released,
      (SELECT COALESCE(json_agg(json_build_object('sku', i.sku, 'quantity', i.quantity, 'listingId', i.listing_id) ORDER BY i.line_no), '[]')
         FROM order_items i WHERE i.order_id = o.id) AS items
    FROM orders o WHERE o.id = ${orderId}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('order', orderId, 'orderId');
  return row;
}

/**
 * Locks the listings the order's lines came from (before any stock row: every transaction
 * takes order, listings, stock in that order) and answers per SKU the shelf units left
 * (null: no shelf limit).
 */
async function lockShelves(tx: Tx, lines: OrderLine[]): Promise<Map<string, { listingId: string; left: number | null }>> {
  const listed = lines.filter((l): l is OrderLine & { listingId: string } => l.listingId !== null);
  if (listed.length === 0) return new Map();
  const rows = await tx.$queryRaw<{ id: string; left: number | null }[]>`
    SELECT id::text AS id, shelf_units - shelf_taken AS left FROM listings
     WHERE id = ANY(${listed.map((l) => l.listingId)}::uuid[]) ORDER BY id FOR UPDATE`;
  const left = new Map(rows.map((r) => [r.id, r.left]));
  return new Map(listed.map((l) => [l.sku, { listingId: l.listingId, left: left.get(l.listingId) ?? null }]));
}

/**
 * The reservations the order holds and the stock rows of these SKUs, locked in one global
 * order (sku, warehouse) so that concurrent orders queue instead of deadlocking. A statement
 * of its own, after the order lock: its snapshot sees what the previous holder of that lock
 * committed (under READ COMMITTED the lock statement's own snapshot is older).
 */
async function heldAndStock(tx: Tx, orderId: string, skus: string[]): Promise<{ existing: ReservationLine[]; stock: StockRow[] }> {
  const [row] = await tx.$queryRaw<{ existing: ReservationLine[]; stock: StockRow[] }[]>`
    SELECT
      (SELECT COALESCE(json_agg(json_build_object('sku', r.sku, 'warehouseId', r.warehouse_id, 'quantity', r.quantity, 'state', r.state)
                                ORDER BY r.sku, r.warehouse_id), '[]')
         FROM reservations r WHERE r.order_id = ${orderId}::uuid) AS existing,
      (SELECT COALESCE(json_agg(json_build_object('sku', s.sku, 'warehouse_id', s.warehouse_id, 'available', s.available)), '[]')
         FROM (SELECT sku, warehouse_id, on_hand - reserved AS available FROM stock
                WHERE sku = ANY(${skus}::text[]) ORDER BY sku, warehouse_id FOR UPDATE) s) AS stock`;
  return row as { existing: ReservationLine[]; stock: StockRow[] };
}

/**
 * Reserves every line of an order, or nothing. Idempotent: once an order has
 * reservations, calling again changes nothing and returns them. `items` are the lines
 * to hold; without them, the order's own lines as recorded.
 */
export async function reserve(prisma: PrismaClient, orderId: string, items?: ReserveItem[]): Promise<ReserveResult> {
  const given = items === undefined ? undefined : mergeLines(items);
  return prisma.$transaction(async (tx) => {
    const locked = await lockForReservation(tx, orderId);
    if (given === undefined && locked.items.length === 0) throw new NotFoundError('order', orderId, 'orderId');
    const lines = given ?? mergeLines(locked.items);
    const skus = [...lines.keys()].sort();
    const shelves = await lockShelves(tx, locked.items);
    const { existing, stock: rows } = await heldAndStock(tx, orderId, skus);
    if (existing.length > 0) return { ok: true, reservations: existing, alreadyReserved: true };
    // The order was undone (cancelled) while this reservation was on its way: hold nothing.
    if (locked.released) return { ok: true, reservations: [], alreadyReserved: true };

    const plan: { sku: string; warehouseId: string; quantity: number }[] = [];
    const shortages: Shortage[] = [];
    for (const sku of skus) {
      const requested = lines.get(sku) as number;
      const stock = rows.filter((r) => r.sku === sku).map((r) => ({ warehouseId: r.warehouse_id, available: r.available }));
      const shelfLeft = shelves.get(sku)?.left ?? null;
      const allocation = shelfLeft !== null && shelfLeft < requested ? undefined : allocate(requested, stock);
      if (!allocation)
        shortages.push({
          sku,
          requested,
          available: displayedStock(
            shelfLeft,
            stock.reduce((n, s) => n + s.available, 0),
          ),
        });
      else plan.push(...allocation.map((a) => ({ sku, ...a })));
    }
    if (shortages.length > 0) return { ok: false, reason: 'OUT_OF_STOCK', shortages };

    // Every line held and recorded in one statement, the shelves taken with it (all rows locked above).
    const shelved = skus.filter((sku) => shelves.has(sku));
    await tx.$executeRaw`
      WITH plan AS (
        SELECT * FROM unnest(${plan.map((p) => p.sku)}::text[], ${plan.map((p) => p.warehouseId)}::text[], ${plan.map((p) => p.quantity)}::int[])
          AS p(sku, warehouse_id, quantity)),
      held AS (
        UPDATE stock s SET reserved = s.reserved + p.quantity, updated_at = now()
        FROM plan p WHERE s.sku = p.sku AND s.warehouse_id = p.warehouse_id),
      shelved AS (
        UPDATE listings l SET shelf_taken = l.shelf_taken + x.quantity, updated_at = now()
        FROM unnest(${shelved.map((sku) => shelves.get(sku)?.listingId as string)}::uuid[], ${shelved.map((sku) => lines.get(sku) as number)}::int[])
          AS x(listing_id, quantity)
        WHERE l.id = x.listing_id)
      INSERT INTO reservations (order_id, sku, warehouse_id, quantity, updated_at)
      SELECT ${orderId}::uuid, sku, warehouse_id, quantity, now() FROM plan`;
    const reservations = plan
      .map((p) => ({ ...p, state: 'RESERVED' as const }))
      .sort((a, b) => (a.sku === b.sku ? (a.warehouseId < b.warehouseId ? -1 : 1) : a.sku < b.sku ? -1 : 1));
    return { ok: true, reservations, alreadyReserved: false };
  });
}
