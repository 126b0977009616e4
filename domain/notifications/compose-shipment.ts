// What the customer is told about one shipment of a paid order: it is on its way (with
// tracking), it arrived, or its business could not supply it (or the customer cancelled) and
// its amount went back.
// Plain text, stored with the notification, like the order's own (compose.ts).
import { formatMoney } from './compose.js';

export const SHIPMENT_NOTIFICATION_KINDS = ['shipment-shipped', 'shipment-delivered', 'shipment-refunded'] as const;
export type ShipmentNotificationKind = (typeof SHIPMENT_NOTIFICATION_KINDS)[number];

export function isShipmentNotificationKind(value: string): value is ShipmentNotificationKind {
  return (SHIPMENT_NOTIFICATION_KINDS as readonly string[]).includes(value);
}

export type NotifiedShipment = {
  id: string;
  orderId: string;
  currency: string;
  amountMinor: number;
  businessName: string;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  declineReason: string | null;
  /** The customer cancelled the paid order: the items are not sent because they asked so. */
  cancelledByCustomer: boolean;
  lines: { sku: string; name: string; quantity: number; unitPriceMinor: number }[];
};

function lineTexts(s: NotifiedShipment): string[] {
  return s.lines.map((l) => `  ${l.quantity} × ${l.name} (${l.sku}) at ${formatMoney(l.unitPriceMinor, s.currency)}`);
}

function trackingTexts(s: NotifiedShipment): string[] {
  if (!s.carrier && !s.trackingNumber && !s.trackingUrl) return ['No tracking number was given for this parcel.'];
  const number = [s.carrier, s.trackingNumber].filter(Boolean).join(' ');
  return [...(number ? [`Tracking: ${number}`] : []), ...(s.trackingUrl ? [`Follow it here: ${s.trackingUrl}`] : [])];
}

const TEXT: Record<ShipmentNotificationKind, (s: NotifiedShipment) => { subject: string; lead: string; after: string[] }> = {
  'shipment-shipped': (s) => ({
    subject: 'Part of your order {id} is on its way',
    lead: `${s.businessName} has sent these items of your order:`,
    after: [...trackingTexts(s), '', `We have now charged ${formatMoney(s.amountMinor, s.currency)} for them.`],
  }),
  'shipment-delivered': (s) => ({
    subject: 'Part of your order {id} has been delivered',
    lead: `These items from ${s.businessName} have been delivered:`,
    after: ['Please confirm that you received them. If they did not arrive, or something is wrong with them, tell us before the time to complain is over.'],
  }),
  'shipment-refunded': (s) =>
    s.cancelledByCustomer
      ? {
          subject: 'Your order {id} is cancelled: your money goes back',
          lead: `As you asked, these items from ${s.businessName} will not be sent:`,
          after: [
            `${formatMoney(s.amountMinor, s.currency)} for them goes back to you: it was released from your payment, or refunded if it had been charged.`,
          ],
        }
      : {
          subject: 'Part of your order {id} could not be supplied',
          lead: `Sorry: ${s.businessName} could not supply these items of your order:`,
          after: [
            ...(s.declineReason ? [`Reason: ${s.declineReason}`, ''] : []),
            `${formatMoney(s.amountMinor, s.currency)} for them goes back to you: it was released from your payment, or refunded if it had been charged.`,
          ],
        },
};

export function composeShipmentNotification(kind: ShipmentNotificationKind, s: NotifiedShipment): { subject: string; body: string } {
  const text = TEXT[kind](s);
  const body = ['Hello,', '', text.lead, ...lineTexts(s), '', `Order ${s.orderId}, shipment ${s.id}`, '', ...text.after, '', '— order-saga', ''].join('\n');
  return { subject: text.subject.replace('{id}', s.orderId.slice(0, 8)), body };
}

/**
 * An order has one notification per kind, and one per shipment for these: the row's kind
 * is `<kind>:<shipment id>` (the unique key order id + kind holds), shown as the two fields.
 */
export const shipmentNotificationKey = (kind: ShipmentNotificationKind, shipmentId: string) => `${kind}:${shipmentId}`;

export function parseNotificationKey(stored: string): { kind: string; shipmentId: string | null } {
  const at = stored.indexOf(':');
  return at < 0 ? { kind: stored, shipmentId: null } : { kind: stored.slice(0, at), shipmentId: stored.slice(at + 1) };
}
