import { failPayment } from '../domain/orders/fail-payment.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';

/** Payment declined (stock already released by compensation): payment DECLINED, order PAYMENT_FAILED. */
export const markPaymentFailed: SagaWorker = {
  taskType: 'mark-payment-failed',
  async handle(job, { prisma }) {
    await failPayment(prisma, job.variables.orderId, job.variables.paymentResult?.reason ?? 'declined by the provider');
    return complete();
  },
};
