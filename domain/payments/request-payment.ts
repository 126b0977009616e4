import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { transitionIn } from '../orders/transition.js';
import type { PaymentGateway } from './gateway.js';
import type { PaymentStatus } from './payment-status.js';
import { killPoint } from '../../infra/kill-points.js';

export type RequestedPayment = { paymentId: string; providerPaymentId: string | null; status: PaymentStatus; alreadyRequested: boolean };

/**
 * Asks the provider for an order's payment and moves the order to AWAITING_PAYMENT.
 * At-least-once safe: the payment row is created once per order, and its id is the
 * idempotency key the provider sees, so a retry after a crash never charges twice.
 * A TransientProviderError from the gateway propagates for the caller to retry.
 */
export async function requestPayment(prisma: PrismaClient, gateway: PaymentGateway, orderId: string): Promise<RequestedPayment> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  const order = await prisma.order.findUnique({ where: { id: orderId } });
  if (!order) throw new NotFoundError('order', orderId, 'orderId');

  await prisma.$executeRaw`
    INSERT INTO payments (order_id, provider, amount_minor, currency, updated_at)
    VALUES (${orderId}::uuid, ${gateway.provider}, ${order.totalMinor}, ${order.currency}, now())
    ON CONFLICT (order_id) DO NOTHING`;
  killPoint('request-payment:after-payment-row');
  const payment = await prisma.payment.findUniqueOrThrow({ where: { orderId } });
  // Voided before it was requested (the order was cancelled while this job ran): ask the provider for nothing.
  if (payment.status !== 'REQUESTED' && !payment.providerPaymentId)
    return { paymentId: payment.id, providerPaymentId: null, status: payment.status, alreadyRequested: true };
  if (payment.providerPaymentId) {
    // A run that saved the provider's id may have died before moving the order (or before voiding): finish its work.
    await recordRequested(prisma, gateway, orderId, payment.id, payment.providerPaymentId);
    return { paymentId: payment.id, providerPaymentId: payment.providerPaymentId, status: payment.status, alreadyRequested: true };
  }

  const { providerPaymentId } = await gateway.requestPayment({
    paymentId: payment.id,
    orderId,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    paymentMethod: order.paymentMethod,
  });
  killPoint('request-payment:after-provider-call');
  await recordRequested(prisma, gateway, orderId, payment.id, providerPaymentId);
  killPoint('request-payment:after-recorded');
  return { paymentId: payment.id, providerPaymentId, status: payment.status, alreadyRequested: false };
}

/**
 * The provider's id and the order's move to AWAITING_PAYMENT, together or not at all. Idempotent.
 * A payment voided meanwhile (the order was undone while the provider answered) keeps the order
 * where it is, and what the provider authorized is released there.
 */
async function recordRequested(prisma: PrismaClient, gateway: PaymentGateway, orderId: string, paymentId: string, providerPaymentId: string): Promise<void> {
  const outcome = await prisma.$transaction(async (tx) => {
    await tx.payment.updateMany({ where: { id: paymentId, providerPaymentId: null }, data: { providerPaymentId } });
    const { status } = await tx.payment.findUniqueOrThrow({ where: { id: paymentId }, select: { status: true } });
    if (status === 'VOIDED') return 'voided';
    await transitionIn(tx, orderId, 'AWAITING_PAYMENT', `payment requested from ${gateway.provider}`);
    return 'recorded';
  });
  if (outcome === 'voided') await gateway.voidPayment({ paymentId, providerPaymentId });
}
