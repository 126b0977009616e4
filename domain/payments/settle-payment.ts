import type { Tx } from '../../infra/database.js';
import { ConflictError } from '../errors.js';
import { canMovePayment, PAYMENT_STATUSES, type PaymentStatus } from './payment-status.js';

/**
 * Records the provider's verdict on an order's payment inside the caller's
 * transaction. Repeating the same verdict changes nothing; a verdict the payment
 * can no longer take (approving a voided payment) is a conflict for an operator.
 */
export async function settlePaymentIn(tx: Tx, orderId: string, to: 'APPROVED' | 'DECLINED', reason?: string): Promise<void> {
  // The usual case in one statement: a payment that may take the verdict takes it.
  const movable = PAYMENT_STATUSES.filter((from) => canMovePayment(from, to));
  const moved = await tx.$executeRaw`
    UPDATE payments SET status = ${to}::payment_status, failure_reason = ${reason ?? null}, updated_at = now()
    WHERE order_id = ${orderId}::uuid AND status::text = ANY(${movable}::text[])`;
  if (moved > 0) return;
  const payment = await tx.payment.findUnique({ where: { orderId }, select: { status: true } });
  if (!payment) throw new ConflictError('NO_PAYMENT', `order ${orderId} has no payment to mark ${to.toLowerCase()}`);
  if (payment.status === to) return;
  throw new ConflictError('PAYMENT_SETTLED', `payment of order ${orderId} is ${payment.status as PaymentStatus} and cannot become ${to}`);
}
