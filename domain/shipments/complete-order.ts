import type { PrismaClient } from '../../infra/database.js';
import { CANCELLED_AFTER_PAYMENT } from '../orders/cancel-paid-order.js';
import { transitionIn, type TransitionResult } from '../orders/transition.js';
import { isLive } from './shipment-lifecycle.js';
import { DEFAULT_POINTS_EARNED_PER_100_MINOR, earnPointsIn } from '../points/points.js';

/**
 * The end of an order's life after payment, once every shipment's process ended: COMPLETED
 * when something was delivered (funds released), CANCELLED when every shipment was declined
 * or the customer cancelled (each was refunded by its own process). A completed order earns
 * its points (domain/points/points.ts). Idempotent.
 */
export async function completeOrder(
  prisma: PrismaClient,
  orderId: string,
  o: { pointsEarnedPer100Minor: number } = { pointsEarnedPer100Minor: DEFAULT_POINTS_EARNED_PER_100_MINOR },
): Promise<TransitionResult> {
  return prisma.$transaction(async (tx) => {
    const shipments = await tx.shipment.findMany({ where: { orderId }, select: { status: true } });
    const delivered = shipments.some((s) => isLive(s.status));
    if (delivered) {
      const completed = await transitionIn(tx, orderId, 'COMPLETED', "delivered, and the businesses' funds released");
      // In the same transaction: a completed order has its points, and a repeat earns nothing more.
      await earnPointsIn(tx, orderId, o.pointsEarnedPer100Minor);
      return completed;
    }
    const order = await tx.order.findUniqueOrThrow({ where: { id: orderId }, select: { cancelRequestedAt: true } });
    if (order.cancelRequestedAt) return transitionIn(tx, orderId, 'CANCELLED', `${CANCELLED_AFTER_PAYMENT}: refunded in full`);
    return transitionIn(tx, orderId, 'CANCELLED', 'every shipment was declined: refunded in full');
  });
}
