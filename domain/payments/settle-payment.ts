import type { Tx } from '../../infra/database.js';
import { ConflictError } from '../errors.js';
import { canMovePayment } from './payment-status.js';

/**
 * Records the provider's verdict on an order's payment inside the caller's
 * transaction. Repeating the same verdict changes nothing; a verdict the payment
 * can no longer take (approving a voided payment) is a conflict for an operator.
 */
export async function settlePaymentIn(tx: Tx, orderId: string, to: 'APPROVED' | 'DECLINED', reason?: string): Promise<void> {
  const payment = await tx.payment.findUnique({ where: { orderId } });
  if (!payment) throw new ConflictError('NO_PAYMENT', `order ${orderId} has no payment to mark ${to.toLowerCase()}`);
  if (payment.status === to) return;
  if (!canMovePayment(payment.status, to)) {
    throw new ConflictError('PAYMENT_SETTLED', `payment of order ${orderId} is ${payment.status} and cannot become ${to}`);
  }
  await tx.payment.update({ where: { id: payment.id }, data: { status: to, failureReason: reason ?? null } });
}
