import { cancelOrder } from '../domain/orders/cancel-order.js';
import { complete } from '../orchestrator/engine.js';
import { reportIfEnded, type SagaWorker } from './saga-worker.js';
import { killPoint } from '../infra/kill-points.js';

/** Ends an unpaid order as CANCELLED; the model says why in the `reason` task header. */
export const cancelOrderWorker: SagaWorker = {
  taskType: 'cancel-order',
  async handle(job, deps) {
    const transition = await cancelOrder(deps.prisma, job.variables.orderId, job.customHeaders.reason ?? 'cancelled');
    killPoint('cancel-order:after-commit');
    reportIfEnded(deps, transition);
    return complete();
  },
};
