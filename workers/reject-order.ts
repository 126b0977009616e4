import type { Shortage } from '../domain/inventory/reserve.js';
import { rejectOrder } from '../domain/orders/reject-order.js';
import { complete } from '../orchestrator/engine.js';
import { reportIfEnded, type SagaWorker } from './saga-worker.js';
import { killPoint } from '../infra/kill-points.js';

/** Ends an order that could not be reserved; the shortages come with the OUT_OF_STOCK error. */
export const rejectOrderWorker: SagaWorker = {
  taskType: 'reject-order',
  async handle(job, deps) {
    const { shortages } = job.variables as { shortages?: Shortage[] };
    const transition = await rejectOrder(deps.prisma, job.variables.orderId, shortages ?? []);
    killPoint('reject-order:after-commit');
    reportIfEnded(deps, transition);
    return complete();
  },
};
