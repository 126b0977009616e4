// Every worker of the order saga, one per task type in bpmn/order-fulfillment.bpmn.
// Start-up checks that this list and the deployed model name the same task types.
import { cancelOrderWorker } from './cancel-order.js';
import { checkPaymentStatusWorker } from './check-payment-status.js';
import { finalizeOrderWorker } from './finalize-order.js';
import { markPaymentFailed } from './mark-payment-failed.js';
import { notifyCustomer } from './notify-customer.js';
import { rejectOrderWorker } from './reject-order.js';
import { releaseStock } from './release-stock.js';
import { requestPaymentWorker } from './request-payment.js';
import { reserveStock } from './reserve-stock.js';
import type { SagaWorker } from './saga-worker.js';
import { voidPaymentWorker } from './void-payment.js';

export const SAGA_WORKERS: readonly SagaWorker[] = [
  reserveStock,
  rejectOrderWorker,
  requestPaymentWorker,
  checkPaymentStatusWorker,
  voidPaymentWorker,
  releaseStock,
  finalizeOrderWorker,
  markPaymentFailed,
  cancelOrderWorker,
  notifyCustomer,
];
