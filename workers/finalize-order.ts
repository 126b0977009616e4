import { finalizeOrder } from '../domain/orders/finalize-order.js';
import { complete } from '../orchestrator/engine.js';
import { reportIfEnded, type SagaWorker } from './saga-worker.js';
import { killPoint } from '../infra/kill-points.js';

/** Payment approved: stock sold, payment approved, order PAID, in one transaction. */
export const finalizeOrderWorker: SagaWorker = {
  taskType: 'finalize-order',
  async handle(job, deps) {
    const { committed, transition } = await finalizeOrder(deps.prisma, job.variables.orderId, job.variables.paymentResult);
    killPoint('finalize-order:after-commit');
    reportIfEnded(deps, transition);
    return complete({ soldUnits: committed });
  },
};
