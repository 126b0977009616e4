// A provider's approval can arrive after the order ended unpaid: the customer
// cancelled or the payment timed out, and compensation has voided the payment.
// Nothing in the process waits for it any more, so the authorization it reports
// would stay open at the provider: it is released here instead. The provider's
// void is idempotent, so releasing twice (a redelivered event) is harmless.
import type { PrismaClient } from '../../infra/database.js';
import { isFinal, type OrderStatus } from '../orders/lifecycle.js';
import type { PaymentGateway, PaymentOutcomeEvent } from './gateway.js';

export type LateApproval = { late: false } | { late: true; orderStatus: OrderStatus; released: boolean };

/** Releases the authorization of an approval that came after its order ended unpaid, or after the payment was voided. */
export async function releaseLateApproval(
  prisma: PrismaClient,
  gateway: Pick<PaymentGateway, 'voidPayment'>,
  event: Pick<PaymentOutcomeEvent, 'orderId' | 'providerPaymentId'>,
): Promise<LateApproval> {
  const order = await prisma.order.findUnique({ where: { id: event.orderId }, select: { status: true, payment: true } });
  if (!order) return { late: false };
  const { status, payment } = order;
  const ended = isFinal(status) && status !== 'PAID';
  if (!ended && payment?.status !== 'VOIDED') return { late: false };
  // An order rejected before any payment was requested has nothing at the provider to release.
  if (!payment) return { late: true, orderStatus: status, released: false };
  await gateway.voidPayment({ paymentId: payment.id, providerPaymentId: payment.providerPaymentId ?? event.providerPaymentId });
  await prisma.payment.updateMany({
    where: { id: payment.id, status: { in: ['REQUESTED', 'APPROVED'] } },
    data: { status: 'VOIDED', failureReason: `approved by the provider after the order ended ${status}: authorization released` },
  });
  return { late: true, orderStatus: status, released: true };
}
