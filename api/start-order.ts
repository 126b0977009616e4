// Starts the process of an order just placed (POST /orders, checkout). Started on a replay too:
// the first attempt may have died before starting it; the start message carries a messageId,
// so a second start of a running order is a no-op.
import type { CreatedOrder } from '../domain/orders/create-order.js';
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import type { OrderProcess } from '../orchestrator/order-process.js';

export type OrderStarter = { prisma: PrismaClient; orderProcess: Pick<OrderProcess, 'start'>; logger: Logger };

/** Whether the order still needs its process started: a replay of a request whose first attempt died before starting it. */
async function notYetPickedUp(prisma: PrismaClient, orderId: string): Promise<boolean> {
  const order = await prisma.order.findUnique({ where: { id: orderId }, select: { status: true, processInstanceKey: true } });
  return order?.status === 'NEW' && order.processInstanceKey === null;
}

export async function startPlacedOrder({ prisma, orderProcess, logger }: OrderStarter, order: CreatedOrder): Promise<void> {
  if (!order.created && !(await notYetPickedUp(prisma, order.id))) return;
  try {
    await orderProcess.start(order.id, order.createdAt);
  } catch (err) {
    // The order is durable: the recovery sweep starts orders that were never picked up.
    logger.warn({ err, orderId: order.id }, 'could not start the order process now; the recovery sweep will start it');
  }
}
