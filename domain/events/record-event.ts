// Writes an event into the outbox inside the caller's transaction: the event exists
// exactly when the change it tells of was committed.
import { randomBytes } from 'node:crypto';
import type { OrderStatus } from '../orders/lifecycle.js';

/** What every order event carries (`data` of the envelope); `items` on order.created only. */
export type OrderEventData = {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  previousStatus: OrderStatus | null;
  reason: string;
  total: { amountMinor: number; currency: string };
  items?: { sku: string; quantity: number; unitPriceMinor: number }[];
};

/** A public event id: evt_ and 24 hex digits, random (the stream's order is the cursor's business). */
export function newEventId(): string {
  return `evt_${randomBytes(12).toString('hex')}`;
}
