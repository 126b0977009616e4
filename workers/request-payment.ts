import { requestPayment } from '../domain/payments/request-payment.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';

/**
 * Asks the provider for payment; the answer comes later as a webhook. A
 * TransientProviderError is retried with back-off by the shared failure policy,
 * and past the model's retries it becomes an incident for an operator.
 */
export const requestPaymentWorker: SagaWorker = {
  taskType: 'request-payment',
  async handle(job, { prisma, gateway }) {
    const payment = await requestPayment(prisma, gateway, job.variables.orderId);
    return complete({ paymentId: payment.paymentId, providerPaymentId: payment.providerPaymentId });
  },
};
