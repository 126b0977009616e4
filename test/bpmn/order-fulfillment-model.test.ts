// The real bpmn/order-fulfillment.bpmn on the embedded engine, with stand-in workers
// that only record which task ran (and its task headers). Each test drives one path
// of the saga through the engine's public API (messages, as the service does) and
// checks the exact sequence of jobs and the end event reached. Rules from Zeebe's
// docs: message start events, error boundary events, compensation (8.5+),
// event-based gateways, exclusive gateways with a default flow, message correlation
// and buffering (TTL), timer durations from FEEL.
import { beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { bpmnError, complete, type DeployedProcess, type JobHandler } from '../../orchestrator/engine.js';
import { MESSAGES, ORDER_PROCESS_ID } from '../../orchestrator/order-process.js';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { databaseKind } from '../support/database.js';
import { activeElements, completedElements, count, engineSuite, waitFor, waitForEnd } from '../engine/support.js';

const suite = engineSuite();

const TASK_TYPES = ['reserve-stock', 'reject-order', 'release-stock', 'request-payment', 'void-payment', 'finalize-order', 'mark-payment-failed', 'cancel-order', 'notify-customer'];

/** What ran, per order id: `type` plus its task headers, e.g. "notify-customer kind=confirmed". */
const ran = new Map<string, { step: string; elementId: string }[]>();
/** Orders whose stock reservation answers the BPMN error OUT_OF_STOCK. */
const outOfStock = new Set<string>();
/** `${orderId}:${taskType}` → a promise the worker waits for before answering. */
const gates = new Map<string, Promise<void>>();

function gate(orderId: string, taskType: string): () => void {
  let open!: () => void;
  gates.set(`${orderId}:${taskType}`, new Promise<void>((r) => (open = r)));
  return open;
}

const recordingWorker: JobHandler = async (job) => {
  const orderId = String(job.variables.orderId);
  const headers = Object.entries(job.customHeaders).map(([k, v]) => `${k}=${v}`);
  const list = ran.get(orderId) ?? [];
  list.push({ step: [job.type, ...headers].join(' '), elementId: job.elementId });
  ran.set(orderId, list);
  await gates.get(`${orderId}:${job.type}`);
  if (job.type === 'reserve-stock' && outOfStock.has(orderId)) return bpmnError('OUT_OF_STOCK', `no stock for ${orderId}`);
  return complete();
};

const steps = (orderId: string) => (ran.get(orderId) ?? []).map((r) => r.step);

let deployed: DeployedProcess[];

beforeAll(async () => {
  deployed = await suite.h.engine.deploy(await loadProcessModels());
});

beforeEach(() => {
  for (const type of TASK_TYPES) suite.workers.add(type, recordingWorker);
});

let orderSeq = 0;
const newOrderId = (what: string) => `order-${what}-${++orderSeq}`;

/** Starts the saga the way the service does: the order-placed message, correlation key = order id. */
async function placeOrder(orderId: string, paymentTimeout = 'PT1M'): Promise<string> {
  await suite.h.engine.publishMessage({ name: MESSAGES.orderPlaced, correlationKey: orderId, messageId: `order-placed:${orderId}`, variables: { orderId, paymentTimeout } });
  return waitFor(`the instance of ${orderId}`, async () => {
    const [row] = await suite.h.db.sql.query<{ key: string }>(
      `SELECT key::text FROM engine_process_instances WHERE bpmn_process_id = $1 AND variables->>'orderId' = $2`,
      [ORDER_PROCESS_ID, orderId],
    );
    return row?.key;
  });
}

/** Waits until the instance sits at "Await payment": both message subscriptions and the timer are open. */
async function waitAtAwaitPayment(key: string): Promise<void> {
  await waitFor('the instance to wait at AwaitPayment', async () => (await count(suite.h, 'engine_message_subscriptions', key)) === 2 && (await count(suite.h, 'engine_timers', key)) === 1);
  expect(await activeElements(suite.h, key)).toContain('AwaitPayment');
}

async function reportPayment(orderId: string, status: 'approved' | 'declined', timeToLive?: number): Promise<void> {
  await suite.h.engine.publishMessage({
    name: MESSAGES.paymentResult,
    correlationKey: orderId,
    messageId: `evt-${orderId}`,
    variables: { paymentResult: { status, providerEventId: `evt-${orderId}` } },
    timeToLive,
  });
}

/** Ends COMPLETED in `endEventId`, the last element to complete (then the process itself). */
async function expectEndedIn(key: string, endEventId: string): Promise<void> {
  expect(await waitForEnd(suite.h, key)).toMatchObject({ state: 'COMPLETED' });
  const done = await completedElements(suite.h, key);
  expect(done.at(-1)).toBe(endEventId);
}

const COMPENSATION = ['release-stock', 'void-payment'];

/** Reserve stock and request payment ran, both were compensated (in either order), then `tail` ran. */
function expectCompensatedThen(orderId: string, tail: string[]): void {
  const list = steps(orderId);
  expect(list.slice(0, 2)).toEqual(['reserve-stock', 'request-payment']);
  expect(list.slice(2, 4).sort()).toEqual(COMPENSATION);
  expect(list.slice(4)).toEqual(tail);
}

describe(`bpmn/order-fulfillment.bpmn on the embedded engine (${databaseKind})`, () => {
  test('deploys as process "order-fulfillment" (resource name = file name); redeploying the unchanged file makes no new version', async () => {
    expect(deployed).toEqual([expect.objectContaining({ bpmnProcessId: ORDER_PROCESS_ID, version: 1, resourceName: 'order-fulfillment.bpmn', isNew: true })]);
    const again = await suite.h.engine.deploy(await loadProcessModels());
    expect(again).toEqual([expect.objectContaining({ bpmnProcessId: ORDER_PROCESS_ID, version: 1, isNew: false })]);
  });

  test('the order-placed message starts one instance with the message variables (message start event)', async () => {
    const orderId = newOrderId('start');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    const [row] = await suite.h.db.sql.query<{ variables: Record<string, unknown> }>(`SELECT variables FROM engine_process_instances WHERE key = $1::bigint`, [key]);
    expect(row?.variables).toEqual({ orderId, paymentTimeout: 'PT1M' });
    await suite.h.engine.cancelProcessInstance(key);
  });

  test('payment approved: the order is finalized and confirmed, nothing is compensated; the event-based gateway drops the timer and the cancel subscription', async () => {
    const orderId = newOrderId('paid');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(orderId, 'approved');
    await expectEndedIn(key, 'OrderPaid');
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', 'finalize-order', 'notify-customer kind=confirmed']);
    const done = await completedElements(suite.h, key);
    expect(done).toEqual(expect.arrayContaining(['PaymentResultReceived', 'PaymentApproved', 'FinalizeOrder', 'NotifyOrderConfirmed']));
    expect(done).not.toContain('PaymentTimedOut');
    expect(done).not.toContain('CancellationRequested');
    expect(await count(suite.h, 'engine_timers', key)).toBe(0);
    expect(await count(suite.h, 'engine_message_subscriptions', key)).toBe(0);
  });

  test('out of stock: the BPMN error OUT_OF_STOCK is caught by the error boundary on "Reserve stock"; the order is rejected and nothing is compensated (the interrupted task never completed)', async () => {
    const orderId = newOrderId('no-stock');
    outOfStock.add(orderId);
    const key = await placeOrder(orderId);
    await expectEndedIn(key, 'OrderRejected');
    expect(steps(orderId)).toEqual(['reserve-stock', 'reject-order', 'notify-customer kind=rejected']);
    const done = await completedElements(suite.h, key);
    expect(done).toContain('OutOfStock');
    expect(done).not.toContain('ReserveStock');
  });

  test('payment declined takes the default flow: the compensation throw runs "Release stock" and "Void payment" and waits for both before "Mark payment failed"', async () => {
    const orderId = newOrderId('declined');
    const openVoid = gate(orderId, 'void-payment');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(orderId, 'declined');
    await waitFor('both compensation handlers to have been called', async () => COMPENSATION.every((t) => steps(orderId).includes(t)));
    await new Promise((r) => setTimeout(r, 300));
    expect(steps(orderId)).not.toContain('mark-payment-failed'); // waitForCompletion: the throw event waits for every handler
    expect(await activeElements(suite.h, key)).toEqual(['CompensatePaymentDeclined', 'VoidPayment']);
    openVoid();
    await expectEndedIn(key, 'PaymentFailed');
    expectCompensatedThen(orderId, ['mark-payment-failed', 'notify-customer kind=payment-failed']);
    const handlers = (ran.get(orderId) ?? []).filter((r) => COMPENSATION.includes(r.step)).map((r) => r.elementId).sort();
    expect(handlers).toEqual(['ReleaseStock', 'VoidPayment']);
  });

  test('no payment result within paymentTimeout (timer "=paymentTimeout", here PT0.3S): stock released and payment voided, then the order is cancelled with reason "payment timeout"', async () => {
    const orderId = newOrderId('timeout');
    const key = await placeOrder(orderId, 'PT0.3S');
    await expectEndedIn(key, 'OrderCancelledPaymentTimeout');
    expectCompensatedThen(orderId, ['cancel-order reason=payment timeout', 'notify-customer kind=cancelled']);
    const done = await completedElements(suite.h, key);
    expect(done).toContain('PaymentTimedOut');
    expect(done).not.toContain('PaymentResultReceived');
  });

  test('the customer cancels while payment is awaited (order-cancel-requested, correlation key =orderId): compensation, then the order is cancelled with reason "cancelled by customer"', async () => {
    const orderId = newOrderId('cancel');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await suite.h.engine.publishMessage({ name: MESSAGES.cancelRequested, correlationKey: orderId, variables: { cancelRequested: true } });
    await expectEndedIn(key, 'OrderCancelledByCustomer');
    expectCompensatedThen(orderId, ['cancel-order reason=cancelled by customer', 'notify-customer kind=cancelled']);
  });

  // A cancel racing the payment result: the event-based gateway takes the first message to arrive and
  // deletes the other subscription (Zeebe: "the first event triggered decides"); the loser stays buffered until its TTL.
  test('cancel then approval at "Await payment": the cancel wins, the order is cancelled once and never finalized; the approval finds no subscription', async () => {
    const orderId = newOrderId('cancel-first');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await suite.h.engine.publishMessage({ name: MESSAGES.cancelRequested, correlationKey: orderId, messageId: `cancel:${orderId}`, variables: { cancelRequested: true } });
    await reportPayment(orderId, 'approved', 60_000);
    await expectEndedIn(key, 'OrderCancelledByCustomer');
    expectCompensatedThen(orderId, ['cancel-order reason=cancelled by customer', 'notify-customer kind=cancelled']);
    const done = await completedElements(suite.h, key);
    expect(done).toContain('CancellationRequested');
    expect(done).not.toContain('PaymentResultReceived');
  });

  test('approval then cancel at "Await payment": the approval wins, the order is finalized and confirmed once and nothing is compensated; the cancel finds no subscription', async () => {
    const orderId = newOrderId('approval-first');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(orderId, 'approved', 60_000);
    await suite.h.engine.publishMessage({ name: MESSAGES.cancelRequested, correlationKey: orderId, messageId: `cancel:${orderId}`, variables: { cancelRequested: true } });
    await expectEndedIn(key, 'OrderPaid');
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', 'finalize-order', 'notify-customer kind=confirmed']);
    const done = await completedElements(suite.h, key);
    expect(done).toContain('PaymentResultReceived');
    expect(done).not.toContain('CancellationRequested');
  });

  test('messages correlate by order id: a payment result for another order leaves this one waiting', async () => {
    const orderId = newOrderId('waiting');
    const key = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(newOrderId('someone-else'), 'approved');
    await new Promise((r) => setTimeout(r, 200));
    expect(await activeElements(suite.h, key)).toEqual(['AwaitPayment']);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment']);
    await reportPayment(orderId, 'approved');
    await expectEndedIn(key, 'OrderPaid');
  });

  test('a payment result published with a TTL before the instance reaches "Await payment" is buffered and correlates when the gateway opens its subscription', async () => {
    const orderId = newOrderId('early');
    const openPayment = gate(orderId, 'request-payment');
    const key = await placeOrder(orderId);
    await waitFor('request-payment to be in its worker', async () => steps(orderId).includes('request-payment'));
    expect(await count(suite.h, 'engine_message_subscriptions', key)).toBe(0);
    await reportPayment(orderId, 'approved', 10_000);
    openPayment();
    await expectEndedIn(key, 'OrderPaid');
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', 'finalize-order', 'notify-customer kind=confirmed']);
  });
});
