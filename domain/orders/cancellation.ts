import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { OrderStatus } from './lifecycle.js';

export type CancellableStatus = Extract<OrderStatus, 'NEW' | 'AWAITING_PAYMENT'>;

/**
 * Whether a customer may still cancel the order: only before it is paid or has
 * ended. Answers the current status; the cancellation itself is the process's
 * job (a message), which also copes with a payment that wins the race meanwhile.
 */
export async function assertCancellable(prisma: PrismaClient, orderId: string): Promise<CancellableStatus> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'id');
  const order = await prisma.order.findUnique({ where: { id: orderId }, select: { status: true } });
  if (!order) throw new NotFoundError('order', orderId, 'id');
  switch (order.status) {
    case 'NEW':
    case 'AWAITING_PAYMENT':
      return order.status;
    case 'PAID':
      throw new ConflictError('ORDER_ALREADY_PAID', `order ${orderId} is already paid and can no longer be cancelled`, 'status');
    case 'REJECTED':
    case 'PAYMENT_FAILED':
    case 'CANCELLED':
      throw new ConflictError('ORDER_FINISHED', `order ${orderId} has already ended as ${order.status}`, 'status');
  }
}
