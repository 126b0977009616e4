import type { PrismaClient } from '../../infra/database.js';
import { commitIn } from '../inventory/commit.js';
import { settlePaymentIn } from '../payments/settle-payment.js';
import { transitionIn, type TransitionResult } from './transition.js';

/**
 * The happy ending, in one transaction: the reservation becomes a sale, the
 * payment is approved and the order is PAID. Idempotent; never half done.
 */
export async function finalizeOrder(prisma: PrismaClient, orderId: string): Promise<{ committed: number; transition: TransitionResult }> {
  return prisma.$transaction(async (tx) => {
    const { committed } = await commitIn(tx, orderId);
    await settlePaymentIn(tx, orderId, 'APPROVED');
    const transition = await transitionIn(tx, orderId, 'PAID', 'payment approved');
    return { committed, transition };
  });
}
