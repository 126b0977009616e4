import type { PrismaClient } from '../../infra/database.js';
import { commitIn } from '../inventory/commit.js';
import { settlePaymentIn } from '../payments/settle-payment.js';
import { transitionIn, type TransitionResult } from './transition.js';

/** Where an approval came from: the provider's webhook (with its event id) or asking the provider for the status. */
export type ApprovalSource = { providerEventId?: string; source?: 'webhook' | 'status-check' };

/**
 * The happy ending, in one transaction: the reservation becomes a sale, the
 * payment is approved and the order is PAID. Idempotent; never half done.
 * The history says where the approval came from, when known.
 */
export async function finalizeOrder(
  prisma: PrismaClient,
  orderId: string,
  approval: ApprovalSource = {},
): Promise<{ committed: number; transition: TransitionResult }> {
  return prisma.$transaction(async (tx) => {
    // The status change locks the order row first, as every stock operation of an order does.
    const transition = await transitionIn(tx, orderId, 'PAID', approvalReason(approval));
    const { committed } = await commitIn(tx, orderId, { orderLocked: true });
    await settlePaymentIn(tx, orderId, 'APPROVED');
    return { committed, transition };
  });
}

function approvalReason({ providerEventId, source }: ApprovalSource): string {
  if (source === 'status-check') return 'payment approved (status check at the provider)';
  return providerEventId ? `payment approved (provider event ${providerEventId})` : 'payment approved';
}
