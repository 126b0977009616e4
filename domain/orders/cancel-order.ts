import type { PrismaClient } from '../../infra/database.js';
import { transitionOrder, type TransitionResult } from './transition.js';

/** Ends an unpaid order as CANCELLED with the reason (customer request, payment timeout). Idempotent. */
export async function cancelOrder(prisma: PrismaClient, orderId: string, reason: string): Promise<TransitionResult> {
  return transitionOrder(prisma, orderId, 'CANCELLED', reason);
}
