// A valid signature proves only that the sender holds the webhook secret. Before
// an event may settle an order it must also describe the payment we asked the
// provider for: our payment id, the provider's id for it (once the provider told
// us; its webhook may overtake our saving it), the amount and the currency.
// An order without a payment row was never sent to the provider, so no genuine
// event can name it.
import type { PrismaClient } from '../../infra/database.js';
import { isUuid } from '../ids.js';
import type { PaymentOutcomeEvent } from './gateway.js';

export type PaymentEventMismatch = { field: keyof PaymentOutcomeEvent; message: string };

/** What in `event` differs from the payment of the order it names: empty when the event describes that payment. */
export async function matchPaymentEvent(
  prisma: PrismaClient,
  event: Pick<PaymentOutcomeEvent, 'orderId' | 'paymentId' | 'providerPaymentId' | 'amountMinor' | 'currency'>,
): Promise<PaymentEventMismatch[]> {
  const payment = isUuid(event.orderId) ? await prisma.payment.findUnique({ where: { orderId: event.orderId } }) : null;
  if (!payment) return [{ field: 'orderId', message: 'names no order with a payment requested from the provider' }];

  const ofTheOrder = `of order ${event.orderId}`;
  const mismatches: PaymentEventMismatch[] = [];
  if (event.paymentId !== payment.id) mismatches.push({ field: 'paymentId', message: `is not the id of the payment ${ofTheOrder}` });
  if (payment.providerPaymentId !== null && event.providerPaymentId !== payment.providerPaymentId) {
    mismatches.push({ field: 'providerPaymentId', message: `is not the provider's id for the payment ${ofTheOrder}` });
  }
  if (event.amountMinor !== payment.amountMinor) mismatches.push({ field: 'amountMinor', message: `is not the amount of the payment ${ofTheOrder}` });
  if (event.currency !== payment.currency) mismatches.push({ field: 'currency', message: `is not the currency of the payment ${ofTheOrder}` });
  return mismatches;
}
