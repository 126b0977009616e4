import type { PrismaClient, Tx } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { recordOrderEventIn } from '../events/record-event.js';
import { canTransition, isFinal, type OrderStatus } from './lifecycle.js';

export class IllegalTransitionError extends ConflictError {
  constructor(
    readonly orderId: string,
    readonly from: OrderStatus,
    readonly to: OrderStatus,
  ) {
    super('ILLEGAL_TRANSITION', `order ${orderId} cannot go from ${from} to ${to}`, 'status');
    this.name = 'IllegalTransitionError';
  }
}

export type TransitionResult = {
  status: OrderStatus;
  changed: boolean;
  /** Set only when this call ended the order: how long it ran from being placed (ms), for the saga duration metric. */
  endedAfterMs?: number;
};

const FAILURES: readonly OrderStatus[] = ['REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

/**
 * Moves an order along its lifecycle inside the caller's transaction and records
 * the change with its reason, and the event telling other systems of it (the
 * outbox). Asking for the status the order already has changes nothing (a retried
 * step); any other move the lifecycle does not allow is an IllegalTransitionError.
 */
export async function transitionIn(tx: Tx, orderId: string, to: OrderStatus, reason: string): Promise<TransitionResult> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  const rows = await tx.$queryRaw<{ status: OrderStatus; age_ms: number }[]>`
    SELECT status, (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
  const from = rows[0]?.status;
  if (!from) throw new NotFoundError('order', orderId, 'orderId');
  if (from === to) return { status: to, changed: false };
  if (!canTransition(from, to)) throw new IllegalTransitionError(orderId, from, to);
  const order = await tx.order.update({
    where: { id: orderId },
    data: { status: to, ...(FAILURES.includes(to) ? { failureReason: reason } : {}) },
  });
  // The outbox: the event commits or rolls back with the change it tells of.
  await recordOrderEventIn(tx, {
    orderId,
    customerId: order.customerId,
    status: to,
    previousStatus: from,
    reason,
    total: { amountMinor: order.totalMinor, currency: order.currency },
  });
  await tx.orderHistory.create({ data: { orderId, fromStatus: from, toStatus: to, reason } });
  return isFinal(to) ? { status: to, changed: true, endedAfterMs: Math.max(0, Number(rows[0]?.age_ms)) } : { status: to, changed: true };
}

/** transitionIn in a transaction of its own. */
export async function transitionOrder(prisma: PrismaClient, orderId: string, to: OrderStatus, reason: string): Promise<TransitionResult> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  return prisma.$transaction((tx) => transitionIn(tx, orderId, to, reason));
}
