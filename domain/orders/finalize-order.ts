import type { PrismaClient } from '../../infra/database.js';
import { commitIn } from '../inventory/commit.js';
import { settlePaymentIn } from '../payments/settle-payment.js';
import { transitionIn, type TransitionResult } from './transition.js';

/**
 * The happy ending, in one transaction: the reservation becomes a sale, the
 * payment is approved and the order is PAID. Idempotent; never half done.
 * The history names the provider event that approved the payment, when known.
 */
export async function finalizeOrder(prisma: PrismaClient, orderId: string, providerEventId?: string): Promise<{ committed: number; transition: TransitionResult }> {
  return prisma.$transaction(async (tx) => {
    const { committed } = await commitIn(tx, orderId);
    await settlePaymentIn(tx, orderId, 'APPROVED');
    const transition = await transitionIn(tx, orderId, 'PAID', providerEventId ? `payment approved (provider event ${providerEventId})` : 'payment approved');
    return { committed, transition };
  });
}
