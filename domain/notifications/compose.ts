// What the customer is told when an order ends. Plain text only: it goes out by
// mail or into the log, and is stored with the notification, so what was sent
// can be shown later exactly as it was.

export const NOTIFICATION_KINDS = ['confirmed', 'payment-failed', 'cancelled', 'rejected'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export function isNotificationKind(value: string): value is NotificationKind {
  return (NOTIFICATION_KINDS as readonly string[]).includes(value);
}

export type NotificationOrder = {
  id: string;
  currency: string;
  totalMinor: number;
  failureReason: string | null;
  items: { sku: string; name?: string | undefined; quantity: number; unitPriceMinor: number }[];
};

export type ComposedNotification = { subject: string; body: string };

/** 3499 EUR → "€34.99"; the currency's own number of decimals (JPY has none). */
export function formatMoney(amountMinor: number, currency: string): string {
  let format: Intl.NumberFormat;
  try {
    format = new Intl.NumberFormat('en', { style: 'currency', currency });
  } catch {
    return `${(amountMinor / 100).toFixed(2)} ${currency}`; // not an ISO 4217 code Intl knows
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amountMinor / 10 ** digits);
}

function itemLines(order: NotificationOrder): string[] {
  const lines = order.items.map((i) => {
    const label = i.name ? `${i.name} (${i.sku})` : i.sku;
    return `  ${i.quantity} × ${label} at ${formatMoney(i.unitPriceMinor, order.currency)} = ${formatMoney(i.quantity * i.unitPriceMinor, order.currency)}`;
  });
  return [...lines, `  Total: ${formatMoney(order.totalMinor, order.currency)}`];
}

const TEXT: Record<NotificationKind, { subject: string; lead: string; reasonLabel?: string; after: string }> = {
  confirmed: {
    subject: 'Your order {id} is confirmed',
    lead: 'Thank you: we received your payment and your order is confirmed.',
    after: 'We will prepare it for shipping now.',
  },
  'payment-failed': {
    subject: 'Payment for your order {id} did not go through',
    lead: 'We could not take the payment for your order, so it has not been placed.',
    reasonLabel: 'Reason',
    after: 'You have not been charged and the items are no longer held for you. You are welcome to order again with another payment method.',
  },
  cancelled: {
    subject: 'Your order {id} was cancelled',
    lead: 'Your order has been cancelled.',
    reasonLabel: 'Reason',
    after: 'You have not been charged; any payment authorisation has been released.',
  },
  rejected: {
    subject: 'We could not accept your order {id}',
    lead: 'Sorry: we could not accept your order because some items are not in stock in the quantity you asked for.',
    reasonLabel: 'Details',
    after: 'You have not been charged.',
  },
};

export function composeNotification(kind: NotificationKind, order: NotificationOrder): ComposedNotification {
  const text = TEXT[kind];
  // The full id is in the body; a short one keeps the subject readable in a mail list.
  const subject = text.subject.replace('{id}', order.id.slice(0, 8));
  const body = [
    'Hello,',
    '',
    text.lead,
    '',
    `Order ${order.id}`,
    ...itemLines(order),
    ...(text.reasonLabel && order.failureReason ? ['', `${text.reasonLabel}: ${order.failureReason}`] : []),
    '',
    text.after,
    '',
    '— order-saga',
    '',
  ].join('\n');
  return { subject, body };
}
