import type { PrismaClient, Tx } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { eventTypeFor } from '../events/event-types.js';
import { newEventId, type OrderEventData } from '../events/record-event.js';
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
  const rows = await tx.$queryRaw<{ status: OrderStatus; customer_id: string; total_minor: number; currency: string; age_ms: number }[]>`
    SELECT status, customer_id, total_minor, currency, (extract(epoch FROM now() - created_at) * 1000)::float8 AS age_ms
    FROM orders WHERE id = ${orderId}::uuid FOR UPDATE`;
  const order = rows[0];
  if (!order) throw new NotFoundError('order', orderId, 'orderId');
  const from = order.status;
  if (from === to) return { status: to, changed: false };
  if (!canTransition(from, to)) throw new IllegalTransitionError(orderId, from, to);
  const event: OrderEventData = {
    orderId,
    customerId: order.customer_id,
    status: to,
    previousStatus: from,
    reason,
    total: { amountMinor: Number(order.total_minor), currency: order.currency },
  };
  // The change, its event (the outbox: it commits or rolls back with the change) and its
  // history line in one statement: this runs three times per order (bench/README.md, bench:saga).
  await tx.$executeRaw`
    WITH changed AS (
      UPDATE orders SET status = ${to}::order_status, updated_at = clock_timestamp(),
        failure_reason = CASE WHEN ${FAILURES.includes(to)}::boolean THEN ${reason} ELSE failure_reason END
      WHERE id = ${orderId}::uuid),
    told AS (
      INSERT INTO events (id, type, order_id, payload, created_at)
      VALUES (${newEventId()}, ${eventTypeFor(to)}, ${orderId}::uuid, ${JSON.stringify(event)}::jsonb, clock_timestamp()))
    INSERT INTO order_history (order_id, from_status, to_status, reason, at)
    VALUES (${orderId}::uuid, ${from}::order_status, ${to}::order_status, ${reason}, clock_timestamp())`;
  return isFinal(to) ? { status: to, changed: true, endedAfterMs: Math.max(0, Number(order.age_ms)) } : { status: to, changed: true };
}

/** transitionIn in a transaction of its own. */
export async function transitionOrder(prisma: PrismaClient, orderId: string, to: OrderStatus, reason: string): Promise<TransitionResult> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  return prisma.$transaction((tx) => transitionIn(tx, orderId, to, reason));
}
