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
  // The order read and its payment row created (once per order) or read, in one statement.
  type Row = { payment_method: string; id: string | null; status: PaymentStatus; provider_payment_id: string | null; amount_minor: number; currency: string };
  const [row] = await prisma.$queryRaw<Row[]>`
    WITH o AS (SELECT total_minor, currency, payment_method FROM orders WHERE id = ${orderId}::uuid),
    created AS (
      INSERT INTO payments (order_id, provider, amount_minor, currency, updated_at)
      SELECT ${orderId}::uuid, ${gateway.provider}, total_minor, currency, now() FROM o
      ON CONFLICT (order_id) DO NOTHING
      RETURNING id::text, status::text, provider_payment_id, amount_minor, currency),
    payment AS (
      SELECT * FROM created
      UNION ALL
      SELECT id::text, status::text, provider_payment_id, amount_minor, currency FROM payments
      WHERE order_id = ${orderId}::uuid AND NOT EXISTS (SELECT 1 FROM created))
    SELECT o.payment_method, p.* FROM o LEFT JOIN payment p ON true`;
  if (!row) throw new NotFoundError('order', orderId, 'orderId');
  killPoint('request-payment:after-payment-row');
  // A concurrent run created the row after this statement's snapshot: read it now.
  const payment = row.id
    ? { id: row.id, status: row.status, providerPaymentId: row.provider_payment_id, amountMinor: Number(row.amount_minor), currency: row.currency }
    : await prisma.payment.findUniqueOrThrow({ where: { orderId } });
  const order = { paymentMethod: row.payment_method };
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
    // The provider's id is kept if one is there already (a retried run); the status says whether the payment was voided meanwhile.
    const [{ status } = { status: undefined }] = await tx.$queryRaw<{ status: PaymentStatus }[]>`
      UPDATE payments SET provider_payment_id = COALESCE(provider_payment_id, ${providerPaymentId}), updated_at = now()
      WHERE id = ${paymentId}::uuid RETURNING status::text`;
    if (status === 'VOIDED') return 'voided';
    await transitionIn(tx, orderId, 'AWAITING_PAYMENT', `payment requested from ${gateway.provider}`);
    return 'recorded';
  });
  if (outcome === 'voided') await gateway.voidPayment({ paymentId, providerPaymentId });
}
