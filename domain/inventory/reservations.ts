import type { Tx } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';

export type ReservationState = 'RESERVED' | 'RELEASED' | 'COMMITTED';
export type ReservationLine = { sku: string; warehouseId: string; quantity: number; state: ReservationState };

/**
 * Locks the order row: every stock operation of one order runs one at a time,
 * whatever the interleaving of reserve, release and commit across workers.
 * Answers whether the order's stock was already released (its undo ran).
 */
export async function lockOrder(tx: Tx, orderId: string): Promise<{ stockReleased: boolean }> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  const [row] = await tx.$queryRaw<
    { released: boolean }[]
  >`SELECT stock_released_at IS NOT NULL AS released FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
  if (!row) throw new NotFoundError('order', orderId, 'orderId');
  return { stockReleased: row.released };
}

export async function reservationsOf(tx: Tx, orderId: string): Promise<ReservationLine[]> {
  return tx.reservation.findMany({
    where: { orderId },
    select: { sku: true, warehouseId: true, quantity: true, state: true },
    orderBy: [{ sku: 'asc' }, { warehouseId: 'asc' }],
  });
}

type SettledLine = { sku: string; warehouse_id: string; quantity: number };

/**
 * Moves an order's RESERVED lines to `to` and returns them; lines already released
 * or committed are left alone, which is what makes release and commit idempotent
 * and safe in any interleaving (the caller holds the order lock).
 */
export async function settleReservations(tx: Tx, orderId: string, to: 'RELEASED' | 'COMMITTED'): Promise<SettledLine[]> {
  return tx.$queryRaw<SettledLine[]>`
    UPDATE reservations SET state = ${to}::reservation_state, updated_at = now()
    WHERE order_id = ${orderId}::uuid AND state = 'RESERVED'
    RETURNING sku, warehouse_id, quantity`;
}
