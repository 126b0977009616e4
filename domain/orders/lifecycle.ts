// The order lifecycle of DESIGN.md. A transition not listed here is a bug in the
// caller, reported as an error rather than silently overwriting the status.
// After PAID the status follows the shipments (domain/shipments/order-progress.ts).
export const ORDER_STATUSES = [
  'NEW',
  'AWAITING_PAYMENT',
  'PAID',
  'FULFILLING',
  'PARTIALLY_SHIPPED',
  'SHIPPED',
  'DELIVERED',
  'COMPLETED',
  'REJECTED',
  'PAYMENT_FAILED',
  'CANCELLED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  NEW: ['AWAITING_PAYMENT', 'REJECTED', 'CANCELLED'],
  AWAITING_PAYMENT: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  // Cancelled after payment: until the first shipment has shipped, refunded.
  PAID: ['FULFILLING', 'CANCELLED'],
  // A business may report delivery before shipping (out of order): the order follows its shipments.
  FULFILLING: ['PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'CANCELLED'],
  PARTIALLY_SHIPPED: ['SHIPPED', 'DELIVERED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: ['COMPLETED'],
  COMPLETED: [],
  REJECTED: [],
  PAYMENT_FAILED: [],
  CANCELLED: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return NEXT[from].includes(to);
}

export function isFinal(status: OrderStatus): boolean {
  return NEXT[status].length === 0;
}

/** The statuses from which an order may move to `to`. */
export function statusesLeadingTo(to: OrderStatus): OrderStatus[] {
  return ORDER_STATUSES.filter((from) => canTransition(from, to));
}

/**
 * The payment saga's outcomes: how long an order took to reach one is the saga duration
 * metric. An order's whole life (to COMPLETED) takes days and is not that metric.
 */
export function endsPaymentSaga(status: OrderStatus): boolean {
  return status === 'PAID' || status === 'REJECTED' || status === 'PAYMENT_FAILED' || status === 'CANCELLED';
}

/** Whether the payment saga is over with the order paid: PAID or any status after it. */
export function isPaidOrLater(status: OrderStatus): boolean {
  return PAID_OR_LATER.includes(status);
}
const PAID_OR_LATER: readonly OrderStatus[] = ['PAID', 'FULFILLING', 'PARTIALLY_SHIPPED', 'SHIPPED', 'DELIVERED', 'COMPLETED'];
