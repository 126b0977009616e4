// After PAID: the order is split into one shipment per business, each dispatched through
// its business's plugin and followed by a shipment process (bpmn/shipment.bpmn); when every
// one ended, the order completes (or is cancelled when every shipment was declined).
import { overdueOutcome } from '../domain/shipments/answer-overdue.js';
import { completeOrder } from '../domain/shipments/complete-order.js';
import { presumeDelivered } from '../domain/shipments/delivery.js';
import { DISPATCH_RECIPIENTS, dispatchShipment, type DispatchRecipient } from '../domain/shipments/dispatch-shipment.js';
import { PermanentDispatchError, type ShipmentMessage } from '../domain/shipments/dispatcher.js';
import { prepareShipments } from '../domain/shipments/prepare-shipments.js';
import { complete, fail } from '../orchestrator/engine.js';
import { reportIfEnded, type OrderVariables, type SagaWorker } from './saga-worker.js';

export const SHIPMENT_TASK_TYPES = {
  prepareShipments: 'prepare-shipments',
  dispatchShipment: 'dispatch-shipment',
  presumeDelivered: 'presume-delivered',
  completeOrder: 'complete-order',
  answerOverdue: 'answer-overdue',
} as const;

export type ShipmentVariables = OrderVariables & { shipmentId: string; deliveryPresumedAfter?: string };

/** One shipment per business; the model's multi-instance runs over `shipments`. */
export const prepareShipmentsWorker: SagaWorker<OrderVariables, 'prisma'> = {
  taskType: SHIPMENT_TASK_TYPES.prepareShipments,
  async handle(job, { prisma }) {
    return complete({ shipments: await prepareShipments(prisma, job.variables.orderId) });
  },
};

const KINDS: readonly ShipmentMessage['kind'][] = ['dispatch', 'reminder', 'stop'];

/**
 * Tells the business through its plugin (task header `kind`: dispatch, reminder, stop; header
 * `to: previous-business`: the business ops reassigned the shipment away from).
 * A transient failure is retried with back-off; a refusal no retry changes (a 4xx, a bad
 * address) goes straight to an incident, where ops can fix the business and retry.
 */
export const dispatchShipmentWorker: SagaWorker<ShipmentVariables, 'prisma' | 'dispatchers' | 'fulfilment'> = {
  taskType: SHIPMENT_TASK_TYPES.dispatchShipment,
  async handle(job, { prisma, dispatchers, fulfilment }) {
    const kind = job.customHeaders.kind ?? 'dispatch';
    if (!(KINDS as readonly string[]).includes(kind)) {
      return fail({
        errorMessage: `task header "kind" must be one of ${KINDS.join(', ')} (got ${JSON.stringify(kind)}) on element ${job.elementId}`,
        retries: 0,
      });
    }
    const to = job.customHeaders.to ?? 'business';
    if (!(DISPATCH_RECIPIENTS as readonly string[]).includes(to)) {
      return fail({
        errorMessage: `task header "to" must be one of ${DISPATCH_RECIPIENTS.join(', ')} (got ${JSON.stringify(to)}) on element ${job.elementId}`,
        retries: 0,
      });
    }
    try {
      const sent = await dispatchShipment(prisma, dispatchers, job.variables.shipmentId, kind as ShipmentMessage['kind'], fulfilment, to as DispatchRecipient);
      return complete({ dispatchedThrough: sent.plugin });
    } catch (err) {
      if (err instanceof PermanentDispatchError) return fail({ errorMessage: `${err.name}: ${err.message}`, retries: 0 });
      throw err;
    }
  },
};

/**
 * The business did not answer, even after a reminder. Until ops reassign or cancel the shipment
 * it stays an incident that says what to do; their retry then routes the model on the outcome.
 */
export const answerOverdueWorker: SagaWorker<ShipmentVariables, 'prisma'> = {
  taskType: SHIPMENT_TASK_TYPES.answerOverdue,
  async handle(job, { prisma }) {
    const { outcome, businessId } = await overdueOutcome(prisma, job.variables.shipmentId);
    if (outcome !== 'unresolved') return complete({ overdueOutcome: outcome });
    return fail({
      errorMessage:
        `business ${businessId} has not answered shipment ${job.variables.shipmentId}, even after a reminder: reassign it ` +
        `(POST /ops/api/shipments/${job.variables.shipmentId}/reassign) or cancel it (POST /ops/api/shipments/${job.variables.shipmentId}/cancel), then retry this incident`,
      retries: 0,
    });
  },
};

/** No delivery report in time after shipping: presumed delivered. */
export const presumeDeliveredWorker: SagaWorker<ShipmentVariables, 'prisma'> = {
  taskType: SHIPMENT_TASK_TYPES.presumeDelivered,
  async handle(job, { prisma }) {
    await presumeDelivered(prisma, job.variables.shipmentId, job.variables.deliveryPresumedAfter ?? 'the configured time');
    return complete();
  },
};

/** Every shipment's process ended: COMPLETED, or CANCELLED when all were declined. */
export const completeOrderWorker: SagaWorker<OrderVariables, 'prisma' | 'metrics' | 'pointsEarnedPer100Minor'> = {
  taskType: SHIPMENT_TASK_TYPES.completeOrder,
  async handle(job, deps) {
    const transition = await completeOrder(
      deps.prisma,
      job.variables.orderId,
      deps.pointsEarnedPer100Minor === undefined ? undefined : { pointsEarnedPer100Minor: deps.pointsEarnedPer100Minor },
    );
    reportIfEnded(deps, transition);
    return complete({ orderStatus: transition.status });
  },
};
