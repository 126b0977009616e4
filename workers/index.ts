// Every worker of the order saga, one per task type in bpmn/order-fulfillment.bpmn,
// and the steps the saga undoes, each with its undo. Start-up checks that this list
// and the deployed model name the same task types; test/workers/compensation-pairs.test.ts
// checks the pairs against the model's paths.
import { NOTIFY_TASK_TYPES, notifyCustomerWorker } from './notify-customer.js';
import { cancelOrderWorker, finalizeOrderWorker, markPaymentFailedWorker, ORDER_OUTCOME_TASK_TYPES, rejectOrderWorker } from './order-outcome.js';
import { checkPaymentStatusWorker, PAYMENT_TASK_TYPES, paymentPair, requestPaymentWorker, voidPaymentWorker } from './payment.js';
import type { CompensationPair, SagaWorker } from './saga-worker.js';
import { releaseStockWorker, reserveStockWorker, STOCK_TASK_TYPES, stockPair } from './stock.js';
import { captureShipmentWorker, refundShipmentWorker, releaseFundsWorker, restockShipmentWorker, SHIPMENT_MONEY_TASK_TYPES } from './shipment-money.js';
import {
  answerOverdueWorker,
  completeOrderWorker,
  dispatchShipmentWorker,
  prepareShipmentsWorker,
  presumeDeliveredWorker,
  SHIPMENT_TASK_TYPES,
} from './shipments.js';

/** Every task type of the model by name, e.g. TASK_TYPES.reserveStock; each module declares its own. */
export const TASK_TYPES = {
  ...STOCK_TASK_TYPES,
  ...PAYMENT_TASK_TYPES,
  ...ORDER_OUTCOME_TASK_TYPES,
  ...NOTIFY_TASK_TYPES,
  ...SHIPMENT_TASK_TYPES,
  ...SHIPMENT_MONEY_TASK_TYPES,
} as const;

export const SAGA_WORKERS: readonly SagaWorker[] = [
  reserveStockWorker,
  rejectOrderWorker,
  requestPaymentWorker,
  checkPaymentStatusWorker,
  voidPaymentWorker,
  releaseStockWorker,
  finalizeOrderWorker,
  markPaymentFailedWorker,
  cancelOrderWorker,
  notifyCustomerWorker,
  prepareShipmentsWorker,
  dispatchShipmentWorker,
  answerOverdueWorker,
  captureShipmentWorker,
  presumeDeliveredWorker,
  releaseFundsWorker,
  restockShipmentWorker,
  refundShipmentWorker,
  completeOrderWorker,
];

/** The steps of Secure payment, each with the task that undoes it. */
export const COMPENSATION_PAIRS: readonly CompensationPair[] = [stockPair, paymentPair];
