// The mail the email plugin sends a business: plain text a person acts on, with the two
// signed links for a dispatch or a reminder, and a plain "do not ship" for a stop.
import type { DispatchTarget, ShipmentMessage } from '../../domain/shipments/dispatcher.js';

/** Minor units as `12.50 EUR`, with the currency's own number of decimals where Intl knows it. */
export function formatAmount(amountMinor: number, currency: string): string {
  let digits = 2;
  try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    // not an ISO 4217 code Intl knows: two decimals
  }
  return `${(amountMinor / 10 ** digits).toFixed(digits)} ${currency}`;
}

const SUBJECT: Record<ShipmentMessage['kind'], (orderId: string) => string> = {
  dispatch: (orderId) => `New shipment to send for order ${orderId}`,
  reminder: (orderId) => `Reminder: a shipment for order ${orderId} awaits your answer`,
  stop: (orderId) => `Do not ship: order ${orderId} was cancelled`,
};

const LEAD: Record<ShipmentMessage['kind'], string> = {
  dispatch: 'A paid order has a shipment for you to send.',
  reminder: 'We have not had your answer yet about this shipment.',
  stop: 'The order was cancelled: do NOT ship this shipment.',
};

export function emailText(message: ShipmentMessage, business: Pick<DispatchTarget, 'name'>): { subject: string; text: string } {
  const lines = message.lines.map((l) => `  ${l.quantity} x ${l.sku} ${l.name}`);
  const answer =
    message.kind === 'stop'
      ? ['Please do not ship it; the answer links sent before no longer apply.']
      : [
          `Open to accept: ${message.answerLinks.accept}`,
          `Open to decline: ${message.answerLinks.decline}`,
          '',
          `Systems can answer instead by POSTing a signed event to ${message.eventsUrl}.`,
        ];
  const text = [
    `Hello ${business.name},`,
    '',
    LEAD[message.kind],
    '',
    `Order: ${message.orderId}`,
    `Shipment: ${message.shipmentId}`,
    'Lines:',
    ...lines,
    `Amount: ${formatAmount(message.amountMinor, message.currency)}`,
    '',
    ...answer,
    '',
  ].join('\n');
  return { subject: SUBJECT[message.kind](message.orderId), text };
}
