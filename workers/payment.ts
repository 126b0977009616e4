// The order's payment: request-payment asks the provider, void-payment (its undo)
// releases the authorization, check-payment-status asks when no answer came in time.
import { checkPaymentStatus } from '../domain/payments/check-payment-status.js';
import { requestPayment } from '../domain/payments/request-payment.js';
import { voidPayment } from '../domain/payments/void-payment.js';
import { complete } from '../orchestrator/engine.js';
import type { PaymentResult } from '../orchestrator/order-process.js';
import type { CompensationPair, OrderVariables, SagaWorker } from './saga-worker.js';

export const PAYMENT_TASK_TYPES = { requestPayment: 'request-payment', voidPayment: 'void-payment', checkPaymentStatus: 'check-payment-status' } as const;

/**
 * Asks the provider for payment; the answer comes later as a webhook. A
 * TransientProviderError is retried with back-off by the shared failure policy,
 * and past the model's retries it becomes an incident for an operator.
 */
export const requestPaymentWorker: SagaWorker<OrderVariables, 'prisma' | 'gateway'> = {
  taskType: PAYMENT_TASK_TYPES.requestPayment,
  async handle(job, { prisma, gateway }) {
    const payment = await requestPayment(prisma, gateway, job.variables.orderId);
    return complete({ paymentId: payment.paymentId, providerPaymentId: payment.providerPaymentId });
  },
};

/** A declined verdict, when there is one, is recorded with the void. */
export type VoidPaymentVariables = OrderVariables & { paymentResult?: PaymentResult };

/** Undoes request-payment: releases the authorization if there is one. */
export const voidPaymentWorker: SagaWorker<VoidPaymentVariables, 'prisma' | 'gateway'> = {
  taskType: PAYMENT_TASK_TYPES.voidPayment,
  async handle(job, { prisma, gateway }) {
    const verdict = job.variables.paymentResult;
    const declined = verdict?.status === 'declined' ? { reason: verdict.reason ?? 'declined by the provider' } : undefined;
    const result = await voidPayment(prisma, gateway, job.variables.orderId, 'order did not complete', declined);
    return complete({ paymentVoided: result.voided });
  },
};

export const paymentPair: CompensationPair = { do: requestPaymentWorker, undo: voidPaymentWorker };

/**
 * No payment result in time: asks the provider. `paymentStatus` routes the model
 * ('pending': wait again); a verdict goes on as `paymentResult`, as a webhook's does.
 * A TransientProviderError is retried with back-off by the shared failure policy,
 * and past the model's retries it becomes an incident for an operator.
 */
export const checkPaymentStatusWorker: SagaWorker<OrderVariables, 'prisma' | 'gateway'> = {
  taskType: PAYMENT_TASK_TYPES.checkPaymentStatus,
  async handle(job, { prisma, gateway }) {
    const result = await checkPaymentStatus(prisma, gateway, job.variables.orderId);
    return result ? complete({ paymentStatus: result.status, paymentResult: result }) : complete({ paymentStatus: 'pending' });
  },
};
