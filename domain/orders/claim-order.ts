import type { PrismaClient } from '../../infra/database.js';
import { ConflictError } from '../errors.js';

/**
 * Links an order to the process instance that runs it (the API starts it by a
 * message, which does not say which instance it created). The first instance
 * wins; a second one for the same order is refused, so no order is ever run twice.
 */
export async function claimOrder(prisma: PrismaClient, orderId: string, processInstanceKey: string): Promise<void> {
  const claimed = await prisma.order.updateMany({ where: { id: orderId, processInstanceKey: null }, data: { processInstanceKey } });
  if (claimed.count > 0) return;
  const order = await prisma.order.findUnique({ where: { id: orderId }, select: { processInstanceKey: true } });
  if (order && order.processInstanceKey !== processInstanceKey) {
    throw new ConflictError('ORDER_ALREADY_RUNNING', `order ${orderId} is already run by process instance ${order.processInstanceKey}`);
  }
}
