import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { PaymentGateway } from './gateway.js';

/** The provider's verdict, shaped like the process variable `paymentResult` a webhook sets. */
export type PaymentVerdict = { status: 'approved' | 'declined'; reason?: string; source: 'status-check' };

/**
 * Asks the provider for an order's payment when its webhook is late or lost.
 * Read-only: the verdict goes to the process, whose finalize or mark-failed step
 * records it. Undefined while pending, or before the payment was requested.
 * A TransientProviderError from the gateway propagates for the caller to retry.
 */
export async function checkPaymentStatus(
  prisma: PrismaClient,
  gateway: Pick<PaymentGateway, 'getPayment'>,
  orderId: string,
): Promise<PaymentVerdict | undefined> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  const payment = await prisma.payment.findUnique({ where: { orderId } });
  if (!payment?.providerPaymentId) return undefined;

  const answer = await gateway.getPayment({ paymentId: payment.id, providerPaymentId: payment.providerPaymentId });
  switch (answer.status) {
    case 'approved':
      return { status: 'approved', source: 'status-check' };
    case 'declined':
      return { status: 'declined', reason: answer.reason ?? 'declined by the provider', source: 'status-check' };
    case 'voided':
      // Not by us (our void ends the wait first): the authorization is gone, so the order cannot be paid.
      return { status: 'declined', reason: 'voided at the provider', source: 'status-check' };
    case 'pending':
      return undefined;
  }
}
