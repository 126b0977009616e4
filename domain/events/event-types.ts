// The events other systems can subscribe to, and the one each order status is told by.
import type { OrderStatus } from '../orders/lifecycle.js';

export const EVENT_TYPES = [
  'order.created',
  'order.awaiting_payment',
  'order.paid',
  'order.fulfilling',
  'order.partially_shipped',
  'order.shipped',
  'order.delivered',
  'order.completed',
  'order.rejected',
  'order.payment_failed',
  'order.cancelled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const BY_STATUS: Record<OrderStatus, EventType> = {
  NEW: 'order.created',
  AWAITING_PAYMENT: 'order.awaiting_payment',
  PAID: 'order.paid',
  FULFILLING: 'order.fulfilling',
  PARTIALLY_SHIPPED: 'order.partially_shipped',
  SHIPPED: 'order.shipped',
  DELIVERED: 'order.delivered',
  COMPLETED: 'order.completed',
  REJECTED: 'order.rejected',
  PAYMENT_FAILED: 'order.payment_failed',
  CANCELLED: 'order.cancelled',
};

export function eventTypeFor(status: OrderStatus): EventType {
  return BY_STATUS[status];
}

export function isEventType(type: string): type is EventType {
  return (EVENT_TYPES as readonly string[]).includes(type);
}
