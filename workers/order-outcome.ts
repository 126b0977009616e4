// How an order ends: each task writes a final status in one transaction, and
// reports the end once (reportIfEnded), however often its job runs.
import type { Shortage } from '../domain/inventory/reserve.js';
import { cancelOrder } from '../domain/orders/cancel-order.js';
import { failPayment } from '../domain/orders/fail-payment.js';
import { finalizeOrder } from '../domain/orders/finalize-order.js';
import { rejectOrder } from '../domain/orders/reject-order.js';
import { complete } from '../orchestrator/engine.js';
import type { PaymentResult } from '../orchestrator/order-process.js';
import { killPoint } from '../infra/kill-points.js';
import { reportIfEnded, type OrderVariables, type SagaWorker } from './saga-worker.js';

export const ORDER_OUTCOME_TASK_TYPES = {
  finalizeOrder: 'finalize-order',
  markPaymentFailed: 'mark-payment-failed',
  cancelOrder: 'cancel-order',
  rejectOrder: 'reject-order',
} as const;

/** The verdict the payment was decided by (a webhook's, or a status check's). */
export type PaymentVerdictVariables = OrderVariables & { paymentResult?: PaymentResult };

/** Payment approved: stock sold, payment approved, order PAID, in one transaction. */
export const finalizeOrderWorker: SagaWorker<PaymentVerdictVariables, 'prisma' | 'metrics'> = {
  taskType: ORDER_OUTCOME_TASK_TYPES.finalizeOrder,
  async handle(job, deps) {
    const { committed, transition } = await finalizeOrder(deps.prisma, job.variables.orderId, job.variables.paymentResult);
    killPoint('finalize-order:after-commit');
    reportIfEnded(deps, transition);
    return complete({ soldUnits: committed });
  },
};

/** Payment declined (stock already released by the undo tasks): payment DECLINED, order PAYMENT_FAILED. */
export const markPaymentFailedWorker: SagaWorker<PaymentVerdictVariables, 'prisma' | 'metrics'> = {
  taskType: ORDER_OUTCOME_TASK_TYPES.markPaymentFailed,
  async handle(job, deps) {
    const transition = await failPayment(deps.prisma, job.variables.orderId, job.variables.paymentResult?.reason ?? 'declined by the provider');
    killPoint('mark-payment-failed:after-commit');
    reportIfEnded(deps, transition);
    return complete();
  },
};

/** Ends an unpaid order as CANCELLED; the model says why in the `reason` task header. */
export const cancelOrderWorker: SagaWorker<OrderVariables, 'prisma' | 'metrics'> = {
  taskType: ORDER_OUTCOME_TASK_TYPES.cancelOrder,
  async handle(job, deps) {
    const transition = await cancelOrder(deps.prisma, job.variables.orderId, job.customHeaders.reason ?? 'cancelled');
    killPoint('cancel-order:after-commit');
    reportIfEnded(deps, transition);
    return complete();
  },
};

/** The shortages come with the OUT_OF_STOCK error of reserve-stock. */
export type RejectOrderVariables = OrderVariables & { shortages?: Shortage[] };

/** Ends an order that could not be reserved. */
export const rejectOrderWorker: SagaWorker<RejectOrderVariables, 'prisma' | 'metrics'> = {
  taskType: ORDER_OUTCOME_TASK_TYPES.rejectOrder,
  async handle(job, deps) {
    const transition = await rejectOrder(deps.prisma, job.variables.orderId, job.variables.shortages ?? []);
    killPoint('reject-order:after-commit');
    reportIfEnded(deps, transition);
    return complete();
  },
};
