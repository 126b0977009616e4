import { checkPaymentStatus } from '../domain/payments/check-payment-status.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';

/**
 * No payment result in time: asks the provider. `paymentStatus` routes the model
 * ('pending': wait again); a verdict goes on as `paymentResult`, as a webhook's does.
 * A TransientProviderError is retried with back-off by the shared failure policy,
 * and past the model's retries it becomes an incident for an operator.
 */
export const checkPaymentStatusWorker: SagaWorker = {
  taskType: 'check-payment-status',
  async handle(job, { prisma, gateway }) {
    const result = await checkPaymentStatus(prisma, gateway, job.variables.orderId);
    return result ? complete({ paymentStatus: result.status, paymentResult: result }) : complete({ paymentStatus: 'pending' });
  },
};
