import type { PrismaClient } from '../../infra/database.js';
import type { PaymentGateway } from './gateway.js';
import { canMovePayment, type PaymentStatus } from './payment-status.js';
import { killPoint } from '../../infra/kill-points.js';

export type VoidResult = { voided: boolean; status: PaymentStatus | null };

/**
 * Compensation of "request payment": releases the authorization at the provider
 * and marks the payment VOIDED. No payment, or one already declined or voided,
 * leaves nothing to undo; nor does one the provider declined (`declined`), which
 * is recorded as DECLINED. Idempotent: the provider call is idempotent too, and
 * the row only moves from a status that can still be voided.
 */
export async function voidPayment(
  prisma: PrismaClient,
  gateway: PaymentGateway,
  orderId: string,
  reason: string,
  declined?: { reason: string },
): Promise<VoidResult> {
  // No payment yet: one is recorded VOIDED, so that a request-payment job still running for this order asks the provider for nothing.
  await prisma.$executeRaw`
    INSERT INTO payments (order_id, provider, amount_minor, currency, status, failure_reason, updated_at)
    SELECT id, ${gateway.provider}, total_minor, currency, 'VOIDED'::payment_status, ${reason}, now() FROM orders WHERE id = ${orderId}::uuid
    ON CONFLICT (order_id) DO NOTHING`;
  const payment = await prisma.payment.findUnique({ where: { orderId } });
  if (!payment) return { voided: false, status: null };
  if (!canMovePayment(payment.status, 'VOIDED')) return { voided: false, status: payment.status };
  if (declined && payment.status === 'REQUESTED') {
    // The provider said no: there is no authorization to release, and the payment's true end is DECLINED.
    await prisma.payment.updateMany({ where: { id: payment.id, status: 'REQUESTED' }, data: { status: 'DECLINED', failureReason: declined.reason } });
    return { voided: false, status: 'DECLINED' };
  }
  if (payment.providerPaymentId) await gateway.voidPayment({ paymentId: payment.id, providerPaymentId: payment.providerPaymentId });
  killPoint('void-payment:after-provider-call');
  const moved = await prisma.payment.updateMany({
    where: { id: payment.id, status: { in: ['REQUESTED', 'APPROVED'] } },
    data: { status: 'VOIDED', failureReason: reason },
  });
  return { voided: moved.count > 0, status: 'VOIDED' };
}
