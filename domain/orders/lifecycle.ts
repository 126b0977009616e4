// The order lifecycle of DESIGN.md. A transition not listed here is a bug in the
// caller, reported as an error rather than silently overwriting the status.
export const ORDER_STATUSES = ['NEW', 'AWAITING_PAYMENT', 'PAID', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const NEXT: Record<OrderStatus, readonly OrderStatus[]> = {
  NEW: ['AWAITING_PAYMENT', 'REJECTED', 'CANCELLED'],
  AWAITING_PAYMENT: ['PAID', 'PAYMENT_FAILED', 'CANCELLED'],
  PAID: [],
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
