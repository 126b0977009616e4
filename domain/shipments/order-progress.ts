// After PAID an order's status follows its shipments; only the end of the saga
// (complete-order) makes it COMPLETED or CANCELLED.
import type { Tx } from '../../infra/database.js';
import type { OrderStatus } from '../orders/lifecycle.js';
import { canTransition } from '../orders/lifecycle.js';
import { transitionIn } from '../orders/transition.js';
import { isLive, type ShipmentStatus } from './shipment-lifecycle.js';

type Following = Extract<OrderStatus, 'FULFILLING' | 'PARTIALLY_SHIPPED' | 'SHIPPED' | 'DELIVERED'>;

/** The order status its shipments say; undefined when none is live any more (the end decides). */
export function statusFromShipments(statuses: readonly ShipmentStatus[]): Following | undefined {
  const live = statuses.filter(isLive);
  if (live.length === 0) return undefined;
  if (live.every((s) => s === 'DELIVERED')) return 'DELIVERED';
  if (live.every((s) => s === 'SHIPPED' || s === 'DELIVERED')) return 'SHIPPED';
  if (live.some((s) => s === 'SHIPPED' || s === 'DELIVERED')) return 'PARTIALLY_SHIPPED';
  return 'FULFILLING';
}

/** Moves the order to what its shipments say, in the caller's transaction (the order row is locked by it). */
export async function followShipmentsIn(tx: Tx, orderId: string, reason: string): Promise<void> {
  const order = await tx.order.findUniqueOrThrow({ where: { id: orderId }, select: { status: true, shipments: { select: { status: true } } } });
  const target = statusFromShipments(order.shipments.map((s) => s.status));
  if (target === undefined || target === order.status) return;
  // A shipment reported delivered before another shipped: the order only moves forward.
  if (canTransition(order.status, target)) await transitionIn(tx, orderId, target, reason);
}
