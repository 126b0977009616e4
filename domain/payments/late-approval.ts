// A provider's approval can arrive after the order ended unpaid: the customer
// cancelled or the payment timed out, and compensation has voided the payment.
// Nothing in the process waits for it any more, so the authorization it reports
// would stay open at the provider: it is released here instead. The provider's
// void is idempotent, so releasing twice (a redelivered event) is harmless.
import type { PrismaClient } from '../../infra/database.js';
import { isUuid } from '../ids.js';
import { endsPaymentSaga, type OrderStatus } from '../orders/lifecycle.js';
import type { PaymentGateway, PaymentOutcomeEvent } from './gateway.js';

export type LateApproval = { late: false } | { late: true; orderStatus: OrderStatus; released: boolean };

/** Releases the authorization of an approval that came after its order ended unpaid, or after the payment was voided. */
export async function releaseLateApproval(
  prisma: PrismaClient,
  gateway: Pick<PaymentGateway, 'voidPayment'>,
  event: Pick<PaymentOutcomeEvent, 'orderId' | 'providerPaymentId'>,
): Promise<LateApproval> {
  if (!isUuid(event.orderId)) return { late: false };
  // The order's status and its payment in one read: this runs for every approval.
  const [order] = await prisma.$queryRaw<
    { status: OrderStatus; payment_id: string | null; payment_status: string | null; provider_payment_id: string | null }[]
  >`
    SELECT o.status::text AS status, p.id::text AS payment_id, p.status::text AS payment_status, p.provider_payment_id
      FROM orders o LEFT JOIN payments p ON p.order_id = o.id WHERE o.id = ${event.orderId}::uuid`;
  if (!order) return { late: false };
  const { status } = order;
  const payment = order.payment_id ? { id: order.payment_id, status: order.payment_status, providerPaymentId: order.provider_payment_id } : null;
  // Ended unpaid: a paid order (PAID and everything after it) keeps its payment.
  const ended = endsPaymentSaga(status) && status !== 'PAID';
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
