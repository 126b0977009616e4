import { failPayment } from '../domain/orders/fail-payment.js';
import { complete } from '../orchestrator/engine.js';
import { reportIfEnded, type SagaWorker } from './saga-worker.js';
import { killPoint } from '../infra/kill-points.js';

/** Payment declined (stock already released by compensation): payment DECLINED, order PAYMENT_FAILED. */
export const markPaymentFailed: SagaWorker = {
  taskType: 'mark-payment-failed',
  async handle(job, deps) {
    const transition = await failPayment(deps.prisma, job.variables.orderId, job.variables.paymentResult?.reason ?? 'declined by the provider');
    killPoint('mark-payment-failed:after-commit');
    reportIfEnded(deps, transition);
    return complete();
  },
};
