import type { PrismaClient } from '../../infra/database.js';
import { settlePaymentIn } from '../payments/settle-payment.js';
import { transitionIn, type TransitionResult } from './transition.js';

/** A declined payment, in one transaction: payment DECLINED, order PAYMENT_FAILED, with the provider's reason. Idempotent. */
export async function failPayment(prisma: PrismaClient, orderId: string, reason: string): Promise<TransitionResult> {
  return prisma.$transaction(async (tx) => {
    await settlePaymentIn(tx, orderId, 'DECLINED', reason);
    return transitionIn(tx, orderId, 'PAYMENT_FAILED', `payment declined: ${reason}`);
  });
}
