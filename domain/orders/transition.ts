import type { PrismaClient, Tx } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { eventTypeFor } from '../events/event-types.js';
import { newEventId } from '../events/record-event.js';
import { endsPaymentSaga, statusesLeadingTo, type OrderStatus } from './lifecycle.js';

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
  /** Set only when this call ended the payment saga (endsPaymentSaga): how long from being placed (ms), for the saga duration metric. */
  endedAfterMs?: number;
};

const FAILURES: readonly OrderStatus[] = ['REJECTED', 'PAYMENT_FAILED', 'CANCELLED'];

type Moved = { previous: OrderStatus | null; changed: boolean; age_ms: number | null };

/**
 * Moves an order along its lifecycle and records the change with its reason, and the
 * event telling other systems of it (the outbox), in one statement: it runs three times
 * per order (bench/README.md, bench:saga). The order row is locked first, so the status
 * the move starts from is the one committed last (FOR UPDATE reads the newest version).
 */
async function move(db: PrismaClient | Tx, orderId: string, to: OrderStatus, reason: string): Promise<TransitionResult> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  const [row] = await db.$queryRaw<Moved[]>`
    WITH prev AS (
      SELECT id, status, customer_id, total_minor, currency, created_at FROM orders WHERE id = ${orderId}::uuid FOR UPDATE),
    changed AS (
      UPDATE orders o SET status = ${to}::order_status, updated_at = clock_timestamp(),
        failure_reason = CASE WHEN ${FAILURES.includes(to)}::boolean THEN ${reason} ELSE o.failure_reason END
      FROM prev WHERE o.id = prev.id AND prev.status = ANY(${statusesLeadingTo(to)}::text[]::order_status[])
      RETURNING prev.status, prev.customer_id, prev.total_minor, prev.currency),
    told AS (
      INSERT INTO events (id, type, order_id, payload, created_at)
      SELECT ${newEventId()}, ${eventTypeFor(to)}, ${orderId}::uuid,
             jsonb_build_object('orderId', ${orderId}::text, 'customerId', c.customer_id, 'status', ${to}::text, 'previousStatus', c.status::text,
                                'reason', ${reason}::text, 'total', jsonb_build_object('amountMinor', c.total_minor, 'currency', c.currency)),
             clock_timestamp()
        FROM changed c),
    history AS (
      INSERT INTO order_history (order_id, from_status, to_status, reason, at)
      SELECT ${orderId}::uuid, c.status, ${to}::order_status, ${reason}, clock_timestamp() FROM changed c)
    SELECT (SELECT status::text FROM prev) AS previous, EXISTS (SELECT 1 FROM changed) AS changed,
           (SELECT (extract(epoch FROM now() - created_at) * 1000)::float8 FROM prev) AS age_ms`;
  const from = row?.previous ?? null;
  if (from === null) throw new NotFoundError('order', orderId, 'orderId');
  if (!row?.changed) {
    // Asking for the status the order already has changes nothing (a retried step).
    if (from === to) return { status: to, changed: false };
    throw new IllegalTransitionError(orderId, from, to);
  }
  return endsPaymentSaga(to) ? { status: to, changed: true, endedAfterMs: Math.max(0, Number(row.age_ms)) } : { status: to, changed: true };
}

/**
 * Moves an order along its lifecycle inside the caller's transaction and records
 * the change with its reason, and the event telling other systems of it (the
 * outbox). Asking for the status the order already has changes nothing (a retried
 * step); any other move the lifecycle does not allow is an IllegalTransitionError.
 */
export function transitionIn(tx: Tx, orderId: string, to: OrderStatus, reason: string): Promise<TransitionResult> {
  return move(tx, orderId, to, reason);
}

/** transitionIn on its own: one statement, a transaction of its own. */
export function transitionOrder(prisma: PrismaClient, orderId: string, to: OrderStatus, reason: string): Promise<TransitionResult> {
  return move(prisma, orderId, to, reason);
}
