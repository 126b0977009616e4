import type { Shortage } from '../domain/inventory/reserve.js';
import { rejectOrder } from '../domain/orders/reject-order.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';

/** Ends an order that could not be reserved; the shortages come with the OUT_OF_STOCK error. */
export const rejectOrderWorker: SagaWorker = {
  taskType: 'reject-order',
  async handle(job, { prisma }) {
    const { shortages } = job.variables as { shortages?: Shortage[] };
    await rejectOrder(prisma, job.variables.orderId, shortages ?? []);
    return complete();
  },
};
