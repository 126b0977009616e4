import { finalizeOrder } from '../domain/orders/finalize-order.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';

/** Payment approved: stock sold, payment approved, order PAID, in one transaction. */
export const finalizeOrderWorker: SagaWorker = {
  taskType: 'finalize-order',
  async handle(job, { prisma }) {
    const { committed } = await finalizeOrder(prisma, job.variables.orderId);
    return complete({ soldUnits: committed });
  },
};
