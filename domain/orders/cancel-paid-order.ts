// The customer cancels a paid order before anything shipped (docs/fulfilment.md): every
// shipment still open becomes CANCELLED here, in one transaction with the order row locked,
// the lock a business's "shipped" takes too (move-shipment.ts), so exactly one of the two
// wins. Each shipment's process then tells its business to stop, puts the units back and
// gives the amount back; when they all ended, the order ends CANCELLED (complete-order.ts).
import type { PrismaClient } from '../../infra/database.js';
import { ConflictError } from '../errors.js';
import { moveShipmentIn } from '../shipments/move-shipment.js';
import { shippedConflict } from './cancellation.js';

/** The shipment history's reason, and the order's when it ends. */
export const CANCELLED_AFTER_PAYMENT = 'cancelled by the customer after payment';

/** The shipments whose processes must hear of the cancellation: cancelled now, or by an earlier request. */
export type PaidCancellation = { shipmentIds: string[] };

/**
 * Cancels every open shipment of a paid order and records the request. Idempotent: a repeat
 * answers the same shipments (their messages are published again). An order with a shipment
 * shipped or delivered is a ConflictError (ORDER_SHIPPED); one not yet split into shipments
 * (PAID) is ORDER_NOT_CANCELLABLE, for the caller to try again a moment later.
 */
export async function cancelPaidOrder(prisma: PrismaClient, orderId: string): Promise<PaidCancellation> {
  return prisma.$transaction(async (tx) => {
    const [order] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
    if (order?.status === 'PAID') {
      throw new ConflictError('ORDER_NOT_CANCELLABLE', `order ${orderId} is paid and its shipments are being made; try again in a moment`, 'status');
    }
    if (order?.status !== 'FULFILLING') throw shippedOrEnded(orderId, order?.status);
    const shipments = await tx.shipment.findMany({ where: { orderId }, select: { id: true, status: true }, orderBy: { id: 'asc' } });
    const gone = shipments.find((s) => s.status === 'SHIPPED' || s.status === 'DELIVERED');
    if (gone) throw shippedConflict(orderId, gone.id);
    const shipmentIds: string[] = [];
    for (const s of shipments) {
      if (s.status === 'DECLINED') continue; // its business said no: its process already gave the amount back
      if (s.status !== 'CANCELLED') await moveShipmentIn(tx, s.id, 'CANCELLED', CANCELLED_AFTER_PAYMENT);
      shipmentIds.push(s.id);
    }
    await tx.order.updateMany({ where: { id: orderId, cancelRequestedAt: null }, data: { cancelRequestedAt: new Date() } });
    return { shipmentIds };
  });
}

function shippedOrEnded(orderId: string, status: string | undefined): ConflictError {
  if (status === 'PARTIALLY_SHIPPED' || status === 'SHIPPED' || status === 'DELIVERED') return shippedConflict(orderId);
  return new ConflictError('ORDER_FINISHED', `order ${orderId} has already ended as ${status ?? 'unknown'}`, 'status');
}
