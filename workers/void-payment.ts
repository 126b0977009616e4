import { voidPayment } from '../domain/payments/void-payment.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';

/** Compensation of request-payment: releases the authorization if there is one. */
export const voidPaymentWorker: SagaWorker = {
  taskType: 'void-payment',
  async handle(job, { prisma, gateway }) {
    const verdict = job.variables.paymentResult;
    const declined = verdict?.status === 'declined' ? { reason: verdict.reason ?? 'declined by the provider' } : undefined;
    const result = await voidPayment(prisma, gateway, job.variables.orderId, 'order did not complete', declined);
    return complete({ paymentVoided: result.voided });
  },
};
