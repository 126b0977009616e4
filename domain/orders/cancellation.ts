import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { OrderStatus } from './lifecycle.js';

export type CancellableStatus = Extract<OrderStatus, 'NEW' | 'AWAITING_PAYMENT'>;
export type CancellableOrder = { status: CancellableStatus; started: boolean; placedAt: Date; cancelRequested: boolean };

/**
 * Whether a customer may still cancel the order: only before it is paid or has
 * ended. Answers the current status and whether a process runs the order; the
 * cancellation itself is the process's job (a message), which decides a race with
 * a payment that arrives meanwhile.
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
      return { status: order.status, started: order.processInstanceKey !== null, placedAt: order.createdAt, cancelRequested: order.cancelRequestedAt !== null };
    case 'PAID':
    case 'FULFILLING':
    case 'PARTIALLY_SHIPPED':
    case 'SHIPPED':
    case 'DELIVERED':
      throw new ConflictError('ORDER_ALREADY_PAID', `order ${orderId} is already paid and can no longer be cancelled`, 'status');
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
