import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { OrderStatus } from './lifecycle.js';

export type CancellableStatus = Extract<OrderStatus, 'NEW' | 'AWAITING_PAYMENT' | 'PAID' | 'FULFILLING'>;
export type CancellableOrder = { status: CancellableStatus; started: boolean; placedAt: Date; cancelRequested: boolean };

/** Paid, nothing shipped yet: cancelled through its shipments (cancel-paid-order.ts), not the payment's message. */
export const isPaidCancellation = (o: CancellableOrder): boolean => o.status === 'PAID' || o.status === 'FULFILLING';

/**
 * Whether a customer may still cancel the order: until its first shipment has shipped, and
 * not once it ended. Answers the current status and whether a process runs the order.
 * Before payment the cancellation is the process's job (a message), which decides a race
 * with a payment that arrives meanwhile; after payment, cancelPaidOrder decides it against
 * a business's "shipped" under the order's lock.
 */
export async function assertCancellable(prisma: PrismaClient, orderId: string): Promise<CancellableOrder> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'id');
  const order = await prisma.order.findUnique({
    where: { id: orderId },
    select: { status: true, processInstanceKey: true, createdAt: true, cancelRequestedAt: true },
  });
  if (!order) throw new NotFoundError('order', orderId, 'id');
  switch (order.status) {
    case 'NEW':
    case 'AWAITING_PAYMENT':
    case 'PAID':
    case 'FULFILLING':
      return { status: order.status, started: order.processInstanceKey !== null, placedAt: order.createdAt, cancelRequested: order.cancelRequestedAt !== null };
    case 'PARTIALLY_SHIPPED':
    case 'SHIPPED':
    case 'DELIVERED':
      throw shippedConflict(orderId);
    case 'REJECTED':
    case 'PAYMENT_FAILED':
    case 'CANCELLED':
    case 'COMPLETED':
      throw new ConflictError('ORDER_FINISHED', `order ${orderId} has already ended as ${order.status}`, 'status');
  }
}

/** Records that the order's process took the cancellation, so that a repeated request answers the same. Idempotent. */
export async function recordCancelRequested(prisma: PrismaClient, orderId: string): Promise<void> {
  await prisma.order.updateMany({ where: { id: orderId, cancelRequestedAt: null }, data: { cancelRequestedAt: new Date() } });
}

/** The customer may cancel until the first shipment has shipped: then 409 naming why. */
export function shippedConflict(orderId: string, shipmentId?: string): ConflictError {
  const which = shipmentId ? `shipment ${shipmentId}` : 'a shipment';
  return new ConflictError('ORDER_SHIPPED', `order ${orderId} can no longer be cancelled: ${which} has already shipped`, 'status');
}
