import type { PrismaClient } from '../../infra/database.js';
import { transitionIn, type TransitionResult } from '../orders/transition.js';
import { isLive } from './shipment-lifecycle.js';

/**
 * The end of an order's life after payment, once every shipment's process ended: COMPLETED
 * when something was delivered (funds released), CANCELLED when every shipment was declined
 * (each was refunded by its own process). Idempotent.
 */
export async function completeOrder(prisma: PrismaClient, orderId: string): Promise<TransitionResult> {
  return prisma.$transaction(async (tx) => {
    const shipments = await tx.shipment.findMany({ where: { orderId }, select: { status: true } });
    const delivered = shipments.some((s) => isLive(s.status));
    if (delivered) return transitionIn(tx, orderId, 'COMPLETED', "delivered, and the businesses' funds released");
    return transitionIn(tx, orderId, 'CANCELLED', 'every shipment was declined: refunded in full');
  });
}
