import type { PrismaClient } from '../../infra/database.js';
import { CANCELLED_AFTER_PAYMENT } from '../orders/cancel-paid-order.js';
import { transitionIn, type TransitionResult } from '../orders/transition.js';
import { isLive } from './shipment-lifecycle.js';

/**
 * The end of an order's life after payment, once every shipment's process ended: COMPLETED
 * when something was delivered (funds released), CANCELLED when every shipment was declined
 * or the customer cancelled (each was refunded by its own process). Idempotent.
 */
export async function completeOrder(prisma: PrismaClient, orderId: string): Promise<TransitionResult> {
  return prisma.$transaction(async (tx) => {
    const shipments = await tx.shipment.findMany({ where: { orderId }, select: { status: true } });
    const delivered = shipments.some((s) => isLive(s.status));
    if (delivered) return transitionIn(tx, orderId, 'COMPLETED', "delivered, and the businesses' funds released");
    const order = await tx.order.findUniqueOrThrow({ where: { id: orderId }, select: { cancelRequestedAt: true } });
    if (order.cancelRequestedAt) return transitionIn(tx, orderId, 'CANCELLED', `${CANCELLED_AFTER_PAYMENT}: refunded in full`);
    return transitionIn(tx, orderId, 'CANCELLED', 'every shipment was declined: refunded in full');
  });
}
