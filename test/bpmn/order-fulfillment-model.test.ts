// The real bpmn/order-fulfillment.bpmn on the embedded engine, with stand-in workers
// that only record which task ran (and its task headers). Each test drives one path
// of the saga through the engine's public API (messages, as the service does) and
// checks the exact sequence of jobs and the end event reached (a paid order does not end:
// after the confirmation it is split into shipments and waits in FulfilShipments, one
// call of bpmn/shipment.bpmn per shipment, with no worker for its tasks here). Rules from Zeebe's
// docs: message start events, embedded sub-processes and the boundary events on
// them (error, timer timeDate, message; interrupting), error end events, event-based
// gateways, exclusive gateways with a default flow, message correlation (publish
// with TTL: buffered; correlate: never buffered), incidents, timer durations and
// dates from FEEL.
import { afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { EngineOperations } from '../../orchestrator/embedded/operations.js';
import { bpmnError, complete, fail, type DeployedProcess, type JobAction, type JobHandler } from '../../orchestrator/engine.js';
import { MESSAGES, ORDER_PROCESS_ID } from '../../orchestrator/order-process.js';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { databaseKind } from '../support/database.js';
import { activeElements, completedElements, count, engineSuite, eventually, incidentsOf, waitForEnd, waitForIncidents } from '../engine/support.js';
import { waitFor, sleep } from '../support/wait.js';

const suite = engineSuite();

const TASK_TYPES = [
  'reserve-stock',
  'reject-order',
  'release-stock',
  'request-payment',
  'check-payment-status',
  'void-payment',
  'finalize-order',
  'mark-payment-failed',
  'cancel-order',
  'notify-customer',
  'prepare-shipments',
];

type PaymentStatus = 'pending' | 'approved' | 'declined';
type Ran = { type: string; step: string; elementId: string; at: number };

/** What ran, per order id: `type` plus its task headers, e.g. "notify-customer kind=confirmed". */
const ran = new Map<string, Ran[]>();
/** Orders whose stock reservation answers the BPMN error OUT_OF_STOCK. */
const outOfStock = new Set<string>();
/** Orders whose payment request fails with no retries left: an incident on RequestPayment. */
const paymentRequestFails = new Set<string>();
/** Per order, what check-payment-status answers, call after call; the last answer repeats. Default: pending. */
const statusScript = new Map<string, PaymentStatus[]>();
/** `${orderId}:${taskType}:${nth}` → a promise the worker waits for before answering the nth job of that type. */
const gates = new Map<string, Promise<void>>();
const openers: (() => void)[] = [];

function gate(orderId: string, taskType: string, nth = 1): () => void {
  let open!: () => void;
  gates.set(`${orderId}:${taskType}:${nth}`, new Promise<void>((r) => (open = r)));
  openers.push(open);
  return open;
}

function statusAnswer(orderId: string): JobAction {
  const script = statusScript.get(orderId) ?? ['pending'];
  const status = (script.length > 1 ? script.shift() : script[0]) as PaymentStatus;
  if (status === 'pending') return complete({ paymentStatus: 'pending' });
  return complete({ paymentStatus: status, paymentResult: { status, source: 'status-check' } });
}

const recordingWorker: JobHandler = async (job) => {
  const orderId = String(job.variables.orderId);
  const headers = Object.entries(job.customHeaders).map(([k, v]) => `${k}=${v}`);
  const list = ran.get(orderId) ?? [];
  list.push({ type: job.type, step: [job.type, ...headers].join(' '), elementId: job.elementId, at: Date.now() });
  ran.set(orderId, list);
  const nth = list.filter((r) => r.type === job.type).length;
  await gates.get(`${orderId}:${job.type}:${nth}`);
  if (job.type === 'reserve-stock' && outOfStock.has(orderId)) return bpmnError('OUT_OF_STOCK', `no stock for ${orderId}`);
  if (job.type === 'request-payment' && paymentRequestFails.has(orderId)) return fail({ errorMessage: 'payment provider unavailable', retries: 0 });
  if (job.type === 'check-payment-status') return statusAnswer(orderId);
  if (job.type === 'prepare-shipments') return complete({ shipments: shipmentsOf(orderId) });
  return complete();
};

/** What the stand-in prepare-shipments answers: two businesses, so two shipments (the multi-instance's input collection). */
function shipmentsOf(orderId: string) {
  return ['acme-supplies', 'northwind-traders'].map((businessId, i) => ({ shipmentId: `${orderId}:${businessId}`, businessId, amountMinor: 1000 * (i + 1) }));
}

const steps = (orderId: string) => (ran.get(orderId) ?? []).map((r) => r.step);
const elementsRun = (orderId: string, type: string) => (ran.get(orderId) ?? []).filter((r) => r.type === type).map((r) => r.elementId);
const timesRun = (orderId: string, type: string) => elementsRun(orderId, type).length;

let deployed: DeployedProcess[];

beforeAll(async () => {
  deployed = await suite.h.engine.deploy(await loadProcessModels());
});

beforeEach(() => {
  for (const type of TASK_TYPES) suite.workers.add(type, recordingWorker);
});

/** The shipment process's durations, passed at the start as the service does (OrderProcess: its defaults). */
const SHIPMENT_DURATIONS = { deliveryPresumedAfter: 'P14D', acceptanceWindow: 'P7D' };

let orderSeq = 0;
const newOrderId = (what: string) => `order-${what}-${++orderSeq}`;
const HOUR = 3_600_000;

type PlaceOptions = {
  /** The deadline as the service sets it; default: `deadlineInMs` from now, with milliseconds. */
  paymentDeadline?: string;
  /** Default an hour: no test meets it unless it asks. */
  deadlineInMs?: number;
  /** Default PT1H: no status check unless the test asks. */
  checkInterval?: string;
};

/** Starts the saga the way the service does: the order-placed message, correlation key = order id. */
async function placeOrder(orderId: string, o: PlaceOptions = {}): Promise<{ key: string; paymentDeadline: string }> {
  const paymentDeadline = o.paymentDeadline ?? new Date(Date.now() + (o.deadlineInMs ?? HOUR)).toISOString();
  await suite.h.engine.publishMessage({
    name: MESSAGES.orderPlaced,
    correlationKey: orderId,
    messageId: `order-placed:${orderId}`,
    variables: { orderId, paymentDeadline, paymentStatusCheckInterval: o.checkInterval ?? 'PT1H', ...SHIPMENT_DURATIONS },
  });
  const key = await waitFor(`the instance of ${orderId}`, async () => {
    const [row] = await suite.h.db.sql.query<{ key: string }>(
      `SELECT key::text FROM engine_process_instances WHERE bpmn_process_id = $1 AND variables->>'orderId' = $2`,
      [ORDER_PROCESS_ID, orderId],
    );
    return row?.key;
  });
  return { key, paymentDeadline };
}

async function timers(key: string) {
  return suite.h.db.sql.query<{ key: string; element_id: string; due_at: Date }>(
    `SELECT key::text, element_id, due_at FROM engine_timers WHERE process_instance_key = $1::bigint ORDER BY element_id`,
    [key],
  );
}

async function subscriptions(key: string) {
  return suite.h.db.sql.query<{ element_id: string; message_name: string; correlation_key: string }>(
    `SELECT element_id, message_name, correlation_key FROM engine_message_subscriptions WHERE process_instance_key = $1::bigint ORDER BY element_id`,
    [key],
  );
}

/** Every audit record (activated, completed, terminated) of these elements. */
async function audited(key: string, elementIds: string[]) {
  return suite.h.db.sql.query<{ element_id: string; intent: string }>(
    `SELECT element_id, intent FROM engine_audit WHERE process_instance_key = $1::bigint AND element_id = ANY($2::text[]) ORDER BY id`,
    [key, elementIds],
  );
}

/**
 * Waits until the instance sits at "Await payment": the gateway's payment-result subscription and
 * status-check timer are open, and so are the sub-process's cancel subscription and deadline timer.
 */
async function waitAtAwaitPayment(key: string): Promise<void> {
  await waitFor(
    'the instance to wait at AwaitPayment',
    async () => (await count(suite.h, 'engine_message_subscriptions', key)) === 2 && (await count(suite.h, 'engine_timers', key)) === 2,
  );
  expect(await activeElements(suite.h, key)).toEqual(['AwaitPayment', 'SecurePayment']);
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

/** The customer cancels the way the service asks: correlate, never buffered. */
async function requestCancel(orderId: string) {
  return suite.h.engine.correlateMessage({ name: MESSAGES.cancelRequested, correlationKey: orderId, variables: { cancelRequested: true } });
}

/** Ends COMPLETED in `endEventId`, the last element to complete (then the process itself). */
async function expectEndedIn(key: string, endEventId: string): Promise<void> {
  expect(await waitForEnd(suite.h, key)).toMatchObject({ state: 'COMPLETED' });
  const done = await completedElements(suite.h, key);
  expect(done.at(-1)).toBe(endEventId);
}

/**
 * Paid: after the confirmation the order is split (PrepareShipments, whose `shipments` is the
 * input collection) and waits in FulfilShipments (a parallel multi-instance call activity): one
 * order-shipment instance per shipment, called with its shipmentId, each still running (no worker
 * for its tasks here). CompleteOrder and OrderCompleted come only when every shipment instance
 * has ended.
 */
async function expectWaitingForShipments(orderId: string, key: string): Promise<void> {
  const shipments = shipmentsOf(orderId);
  // The multi-instance body and one inner call activity per shipment.
  await eventually(
    'the instance to wait in FulfilShipments',
    () => activeElements(suite.h, key),
    shipments.map(() => 'FulfilShipments').concat('FulfilShipments'),
  );
  expect(await suite.h.probe.instance(key)).toMatchObject({ state: 'ACTIVE' });
  const done = await completedElements(suite.h, key);
  expect(done).toEqual(expect.arrayContaining(['NotifyOrderConfirmed', 'PrepareShipments']));
  for (const id of ['FulfilShipments', 'CompleteOrder', 'OrderCompleted']) expect(done).not.toContain(id);
  expect(await count(suite.h, 'engine_jobs', key)).toBe(0);
  const children = await suite.h.probe.childInstances(key);
  expect(children).toEqual(
    shipments.map(() => expect.objectContaining({ bpmnProcessId: 'order-shipment', state: 'ACTIVE', parentElementId: 'FulfilShipments' })),
  );
  const called = await Promise.all(children.map(async (c) => (await suite.h.probe.instance(c.key))?.variables));
  // Each called with its shipment (input mappings; the multi-instance's input element and loopCounter are the call
  // activity's locals too); propagateAllParentVariables="false": none of the order process's own variables.
  expect(called.sort((a, b) => String(a?.shipmentId).localeCompare(String(b?.shipmentId)))).toEqual(
    shipments.map((s, i) => expect.objectContaining({ orderId, shipmentId: s.shipmentId, ...SHIPMENT_DURATIONS, shipment: s, loopCounter: i + 1 })),
  );
  for (const v of called) for (const own of ['paymentDeadline', 'paymentStatusCheckInterval', 'shipments']) expect(v).not.toHaveProperty(own);
}

const UNDO = ['void-payment', 'release-stock'];
const CONFIRMED = ['finalize-order', 'notify-customer kind=confirmed'];
/** The paid path's jobs after the payment: confirmed, then split into shipments. */
const PAID = [...CONFIRMED, 'prepare-shipments'];
const PAYMENT_FAILED = [...UNDO, 'mark-payment-failed', 'notify-customer kind=payment-failed'];
const CANCELLED_ON_TIMEOUT = [...UNDO, 'cancel-order reason=payment timeout', 'notify-customer kind=cancelled'];
const CANCELLED_BY_CUSTOMER = [...UNDO, 'cancel-order reason=cancelled by customer', 'notify-customer kind=cancelled'];

/**
 * The sub-process was interrupted and its first undo task `undoElementId` is held in its worker:
 * nothing of the sub-process is left (elements, jobs, timers, subscriptions, open incidents).
 */
async function expectOnlyUndoLeft(orderId: string, key: string, undoElementId: string): Promise<void> {
  await waitFor('void-payment to be in its worker', async () => steps(orderId).includes('void-payment'));
  expect(await activeElements(suite.h, key)).toEqual([undoElementId]);
  const jobs = await suite.h.db.sql.query<{ element_id: string }>(`SELECT element_id FROM engine_jobs WHERE process_instance_key = $1::bigint`, [key]);
  expect(jobs).toEqual([{ element_id: undoElementId }]);
  expect(await timers(key)).toEqual([]);
  expect(await subscriptions(key)).toEqual([]);
  expect(await new EngineOperations(suite.h.db.sql).incidents({ state: 'ACTIVE', processInstanceKey: key })).toEqual([]);
}

/** Neither undo task ran (and nothing else of a failure path). */
function expectNothingUndone(orderId: string): void {
  expect(steps(orderId)).not.toContain('void-payment');
  expect(steps(orderId)).not.toContain('release-stock');
}

/**
 * Where an order can stand when its deadline passes or its customer cancels, and how a test
 * brings it there. `ranBefore`: the jobs that ran up to that point.
 */
type Point = {
  name: string;
  /** The Zeebe rule the point adds, named in the test title; `cancelRule` for the cancel, when it differs. */
  rule: string;
  cancelRule?: string;
  checkInterval?: string;
  /** Deadline for the timeout test: comfortably after the point is reached. */
  deadlineInMs: number;
  prepare(orderId: string, forCancel: boolean): void;
  reach(orderId: string, key: string): Promise<unknown>;
  ranBefore(orderId: string): string[];
  /** After the end: what must hold of the point left behind. */
  check?(orderId: string, key: string): Promise<void>;
};

const POINTS: Point[] = [
  {
    name: 'at ReserveStock (its job in the worker)',
    rule: 'the job is cancelled with its terminated task: the late answer changes nothing',
    deadlineInMs: 1_000,
    prepare(orderId) {
      gate(orderId, 'reserve-stock');
    },
    reach: (orderId) => waitFor('reserve-stock to be in its worker', async () => steps(orderId).includes('reserve-stock')),
    ranBefore: () => ['reserve-stock'],
    async check(orderId, key) {
      // The job went with its task: the late answer of the worker changes nothing.
      for (const open of openers) open();
      await sleep(150);
      expect(await completedElements(suite.h, key)).not.toContain('ReserveStock');
      expect(await activeElements(suite.h, key)).toEqual([]);
      expect(timesRun(orderId, 'request-payment')).toBe(0);
    },
  },
  {
    name: 'at RequestPayment while it has an incident (job failed, no retries left)',
    rule: 'terminating the task resolves its incident',
    deadlineInMs: 1_000,
    prepare(orderId) {
      paymentRequestFails.add(orderId);
    },
    async reach(_orderId, key) {
      const [incident] = await waitForIncidents(suite.h, key);
      expect(incident).toMatchObject({
        error_type: 'JOB_NO_RETRIES',
        element_id: 'RequestPayment',
        state: 'ACTIVE',
        error_message: 'payment provider unavailable',
      });
      expect(await activeElements(suite.h, key)).toEqual(['RequestPayment', 'SecurePayment']);
    },
    ranBefore: () => ['reserve-stock', 'request-payment'],
    async check(_orderId, key) {
      // Zeebe: terminating the element resolves its incident; the failed job goes with it.
      expect(await incidentsOf(suite.h, key)).toEqual([
        expect.objectContaining({ element_id: 'RequestPayment', error_type: 'JOB_NO_RETRIES', state: 'RESOLVED' }),
      ]);
      expect(await new EngineOperations(suite.h.db.sql).incidents({ state: 'ACTIVE', processInstanceKey: key })).toEqual([]);
      expect(await new EngineOperations(suite.h.db.sql).incidents({ state: 'RESOLVED', processInstanceKey: key })).toEqual([
        expect.objectContaining({ elementId: 'RequestPayment', errorType: 'JOB_NO_RETRIES' }),
      ]);
      expect(await count(suite.h, 'engine_jobs', key)).toBe(0);
      expect(await suite.h.probe.terminatedElements(key)).toEqual(expect.arrayContaining(['RequestPayment', 'SecurePayment']));
    },
  },
  {
    name: 'at AwaitPayment',
    rule: "the event-based gateway's subscription and timer close with it",
    deadlineInMs: 1_000,
    prepare: () => undefined,
    reach: (_orderId, key) => waitAtAwaitPayment(key),
    ranBefore: () => ['reserve-stock', 'request-payment'],
    async check(_orderId, key) {
      const done = await completedElements(suite.h, key);
      expect(done).not.toContain('PaymentResultReceived');
      expect(done).not.toContain('NoPaymentResultYet');
      expect(await suite.h.probe.terminatedElements(key)).toEqual(expect.arrayContaining(['AwaitPayment', 'SecurePayment']));
    },
  },
  {
    name: 'during the status check loop',
    rule: 'the loop runs inside the sub-process and does not reset its boundary timer',
    cancelRule: 'the boundary subscription stays open through every round of the loop inside the sub-process',
    checkInterval: 'PT0.2S',
    deadlineInMs: 1_500,
    // Pending every time; for the cancel, the second check is held in its worker.
    prepare(orderId, forCancel) {
      if (forCancel) gate(orderId, 'check-payment-status', 2);
    },
    reach: (orderId) => waitFor('two status checks', async () => timesRun(orderId, 'check-payment-status') >= 2),
    ranBefore: (orderId) => ['reserve-stock', 'request-payment', ...elementsRun(orderId, 'check-payment-status').map(() => 'check-payment-status')],
    async check(orderId, key) {
      expect(timesRun(orderId, 'check-payment-status')).toBeGreaterThanOrEqual(2);
      expect(await completedElements(suite.h, key)).not.toContain('PaymentResultKnown');
    },
  },
];

describe(`bpmn/order-fulfillment.bpmn on the embedded engine (${databaseKind})`, () => {
  afterEach(() => {
    // A test that failed half-way leaves no handler waiting (the workers close after this).
    for (const open of openers.splice(0)) open();
  });

  test('deploys as process "order-fulfillment" (resource name = file name); redeploying the unchanged file makes no new version', async () => {
    // bpmn/ also holds the shipment process (order-shipment): only the order process is this suite's.
    const ours = (d: typeof deployed) => d.filter((p) => p.bpmnProcessId === ORDER_PROCESS_ID);
    expect(ours(deployed)).toEqual([
      expect.objectContaining({ bpmnProcessId: ORDER_PROCESS_ID, version: 1, resourceName: 'order-fulfillment.bpmn', isNew: true }),
    ]);
    const again = await suite.h.engine.deploy(await loadProcessModels());
    expect(ours(again)).toEqual([expect.objectContaining({ bpmnProcessId: ORDER_PROCESS_ID, version: 1, isNew: false })]);
  });

  test('start variables (message start event: the message variables become the process variables); the deadline timer is the timeDate =paymentDeadline, the status-check timer the duration =paymentStatusCheckInterval; messages subscribe with correlation key =orderId', async () => {
    const orderId = newOrderId('start');
    const paymentDeadline = new Date(Math.ceil((Date.now() + HOUR) / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z'); // as the service sets it
    const { key } = await placeOrder(orderId, { paymentDeadline, checkInterval: 'PT5M' });
    await waitAtAwaitPayment(key);
    const [row] = await suite.h.db.sql.query<{ variables: Record<string, unknown> }>(`SELECT variables FROM engine_process_instances WHERE key = $1::bigint`, [
      key,
    ]);
    expect(row?.variables).toEqual({ orderId, paymentDeadline, paymentStatusCheckInterval: 'PT5M', ...SHIPMENT_DURATIONS });
    const [check, deadline] = await timers(key);
    expect(deadline).toMatchObject({ element_id: 'PaymentTimedOut' });
    expect(new Date(deadline!.due_at).getTime()).toBe(Date.parse(paymentDeadline));
    expect(check).toMatchObject({ element_id: 'NoPaymentResultYet' });
    const dueIn = new Date(check!.due_at).getTime() - Date.now();
    expect(dueIn).toBeGreaterThan(4 * 60_000);
    expect(dueIn).toBeLessThanOrEqual(5 * 60_000);
    expect(await subscriptions(key)).toEqual([
      { element_id: 'CancellationRequested', message_name: MESSAGES.cancelRequested, correlation_key: orderId },
      { element_id: 'PaymentResultReceived', message_name: MESSAGES.paymentResult, correlation_key: orderId },
    ]);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment']);
    await suite.h.engine.cancelProcessInstance(key);
  });

  test('payment approved: the sub-process completes at PaymentSecured (embedded sub-process: completes when no token is left) and closes its boundary events (deadline timer, cancel subscription); the order is finalized and confirmed, then split into shipments and waits in FulfilShipments (one order-shipment instance per shipment), nothing is undone', async () => {
    const orderId = newOrderId('paid');
    const openFinalize = gate(orderId, 'finalize-order');
    const { key } = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(orderId, 'approved');
    await waitFor('finalize-order to be in its worker', async () => steps(orderId).includes('finalize-order'));
    expect(await activeElements(suite.h, key)).toEqual(['FinalizeOrder']);
    expect(await timers(key)).toEqual([]);
    expect(await subscriptions(key)).toEqual([]);
    expect(await completedElements(suite.h, key)).toEqual(
      expect.arrayContaining(['PaymentResultReceived', 'PaymentResultKnown', 'PaymentApproved', 'PaymentSecured', 'SecurePayment']),
    );
    openFinalize();
    await expectWaitingForShipments(orderId, key);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', ...PAID]);
    const done = await completedElements(suite.h, key);
    for (const id of ['PaymentTimedOut', 'CancellationRequested', 'PaymentDeclined', 'OutOfStock', 'NoPaymentResultYet', 'CheckPaymentStatus'])
      expect(done).not.toContain(id);
    expect(await suite.h.probe.terminatedElements(key)).toEqual([]);
  });

  test('out of stock: the BPMN error OUT_OF_STOCK thrown by the reserve-stock job inside the sub-process propagates to the error boundary on the sub-process (Zeebe: an error is caught by the nearest matching catch event up the scope hierarchy); the order is rejected, no undo task runs', async () => {
    const orderId = newOrderId('no-stock');
    outOfStock.add(orderId);
    const { key } = await placeOrder(orderId);
    await expectEndedIn(key, 'OrderRejected');
    expect(steps(orderId)).toEqual(['reserve-stock', 'reject-order', 'notify-customer kind=rejected']);
    const done = await completedElements(suite.h, key);
    expect(done).toContain('OutOfStock');
    expect(done).not.toContain('ReserveStock');
    expect(done).not.toContain('SecurePayment');
    expect(await suite.h.probe.terminatedElements(key)).toEqual(['ReserveStock', 'SecurePayment']);
    expectNothingUndone(orderId);
  });

  test('payment declined: the default flow of PaymentApproved reaches the error end event PAYMENT_DECLINED, caught by the error boundary on the sub-process (error end event → boundary); then void payment, release stock, mark failed, notify', async () => {
    const orderId = newOrderId('declined');
    const { key } = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(orderId, 'declined');
    await expectEndedIn(key, 'PaymentFailed');
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', ...PAYMENT_FAILED]);
    expect(elementsRun(orderId, 'void-payment')).toEqual(['VoidPaymentDeclined']);
    expect(elementsRun(orderId, 'release-stock')).toEqual(['ReleaseStockDeclined']);
    const done = await completedElements(suite.h, key);
    expect(done).toEqual(expect.arrayContaining(['PaymentResultReceived', 'PaymentDeclinedThrown', 'PaymentDeclined']));
    expect(done).not.toContain('PaymentSecured');
    expect(done).not.toContain('SecurePayment');
    expect(await suite.h.probe.terminatedElements(key)).toEqual(['SecurePayment']);
  });

  test('status check loop: no result within paymentStatusCheckInterval → the timer wins at the event-based gateway → CheckPaymentStatus; "pending" takes the default flow back and the gateway waits again (a new timer each round); then "approved" → finalized, confirmed, and waiting in FulfilShipments', async () => {
    const orderId = newOrderId('check-approved');
    statusScript.set(orderId, ['pending', 'pending', 'approved']);
    const { key } = await placeOrder(orderId, { checkInterval: 'PT0.3S' });
    await expectWaitingForShipments(orderId, key);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', 'check-payment-status', 'check-payment-status', 'check-payment-status', ...PAID]);
    // Each check waited out the interval after the previous step.
    const list = ran.get(orderId) ?? [];
    for (let i = 2; i <= 4; i++) expect(list[i]!.at - list[i - 1]!.at).toBeGreaterThanOrEqual(280);
    const done = await completedElements(suite.h, key);
    const times = (id: string) => done.filter((e) => e === id).length;
    expect([times('AwaitPaymentAgain'), times('AwaitPayment'), times('NoPaymentResultYet'), times('CheckPaymentStatus'), times('PaymentStatusKnown')]).toEqual([
      3, 3, 3, 3, 3,
    ]);
    expect(done).not.toContain('PaymentResultReceived');
    expect(done).toEqual(expect.arrayContaining(['PaymentResultKnown', 'PaymentSecured', 'SecurePayment']));
    const [end] = await suite.h.db.sql.query<{ variables: Record<string, unknown> }>(`SELECT variables FROM engine_process_instances WHERE key = $1::bigint`, [
      key,
    ]);
    expect(end?.variables).toMatchObject({ paymentStatus: 'approved', paymentResult: { status: 'approved', source: 'status-check' } });
    expectNothingUndone(orderId);
  });

  test('status check loop: "pending", then "declined" → the known-status flow, the default flow of PaymentApproved, the error end event → the failed path', async () => {
    const orderId = newOrderId('check-declined');
    statusScript.set(orderId, ['pending', 'declined']);
    const { key } = await placeOrder(orderId, { checkInterval: 'PT0.3S' });
    await expectEndedIn(key, 'PaymentFailed');
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', 'check-payment-status', 'check-payment-status', ...PAYMENT_FAILED]);
    expect(await completedElements(suite.h, key)).toEqual(expect.arrayContaining(['PaymentDeclinedThrown', 'PaymentDeclined']));
  });

  test('a payment result that arrives while CheckPaymentStatus runs (no subscription open) is buffered with its TTL and correlates when AwaitPayment opens its subscription again (Zeebe: message buffering)', async () => {
    const orderId = newOrderId('result-during-check');
    const openCheck = gate(orderId, 'check-payment-status');
    const { key } = await placeOrder(orderId, { checkInterval: 'PT0.3S' });
    await waitFor('check-payment-status to be in its worker', async () => steps(orderId).includes('check-payment-status'));
    expect((await subscriptions(key)).map((s) => s.element_id)).toEqual(['CancellationRequested']);
    await reportPayment(orderId, 'approved', 10_000);
    openCheck(); // answers pending: back to AwaitPayment, which takes the buffered result at once
    await expectWaitingForShipments(orderId, key);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', 'check-payment-status', ...PAID]);
    const done = await completedElements(suite.h, key);
    expect(done.filter((e) => e === 'AwaitPayment')).toHaveLength(2);
    expect(done.filter((e) => e === 'NoPaymentResultYet')).toHaveLength(1);
    expect(done).toContain('PaymentResultReceived');
  });

  test('a payment result published with a TTL before the instance reaches AwaitPayment is buffered and correlates when the gateway opens its subscription', async () => {
    const orderId = newOrderId('early');
    const openPayment = gate(orderId, 'request-payment');
    const { key } = await placeOrder(orderId);
    await waitFor('request-payment to be in its worker', async () => steps(orderId).includes('request-payment'));
    expect((await subscriptions(key)).map((s) => s.element_id)).toEqual(['CancellationRequested']);
    await reportPayment(orderId, 'approved', 10_000);
    openPayment();
    await expectWaitingForShipments(orderId, key);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', ...PAID]);
  });

  test('messages correlate by order id: a payment result for another order leaves this one waiting', async () => {
    const orderId = newOrderId('waiting');
    const { key } = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(newOrderId('someone-else'), 'approved');
    await sleep(200);
    expect(await activeElements(suite.h, key)).toEqual(['AwaitPayment', 'SecurePayment']);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment']);
    await reportPayment(orderId, 'approved');
    await expectWaitingForShipments(orderId, key);
  });

  describe('the payment deadline (interrupting timer boundary, timeDate =paymentDeadline) interrupts the sub-process wherever the order stands', () => {
    for (const point of POINTS) {
      test(`${point.name}: the sub-process and everything in it is terminated (${point.rule}); void payment, release stock, cancel (reason payment timeout), notify`, async () => {
        const orderId = newOrderId('deadline');
        point.prepare(orderId, false);
        const openVoid = gate(orderId, 'void-payment');
        const { key, paymentDeadline } = await placeOrder(orderId, { deadlineInMs: point.deadlineInMs, checkInterval: point.checkInterval });
        const [deadlineTimer] = (await timers(key)).filter((t) => t.element_id === 'PaymentTimedOut');
        expect(new Date(deadlineTimer!.due_at).getTime()).toBe(Date.parse(paymentDeadline));
        await point.reach(orderId, key);
        expect(Date.now()).toBeLessThan(Date.parse(paymentDeadline)); // reached in time: the deadline meets the order here
        if (point.name.startsWith('during the status check loop')) {
          // The loop runs inside the sub-process: the boundary timer is the one opened with it, not reset by any round.
          expect((await timers(key)).filter((t) => t.element_id === 'PaymentTimedOut')).toEqual([deadlineTimer]);
        }
        await expectOnlyUndoLeft(orderId, key, 'VoidPaymentTimeout');
        openVoid();
        await expectEndedIn(key, 'OrderCancelledPaymentTimeout');
        const before = point.ranBefore(orderId);
        expect(steps(orderId)).toEqual([...before, ...CANCELLED_ON_TIMEOUT]);
        expect(elementsRun(orderId, 'void-payment')).toEqual(['VoidPaymentTimeout']);
        expect(elementsRun(orderId, 'release-stock')).toEqual(['ReleaseStockTimeout']);
        // The deadline is a date: it fired when due, however many rounds the loop made.
        const firstUndo = (ran.get(orderId) ?? [])[before.length]!.at;
        expect(firstUndo).toBeGreaterThanOrEqual(Date.parse(paymentDeadline) - 100);
        expect(firstUndo).toBeLessThan(Date.parse(paymentDeadline) + 2_000);
        const done = await completedElements(suite.h, key);
        expect(done).toContain('PaymentTimedOut');
        expect(done).not.toContain('SecurePayment');
        expect(await suite.h.probe.terminatedElements(key)).toContain('SecurePayment');
        await point.check?.(orderId, key);
      });
    }
  });

  describe('the customer cancels (interrupting message boundary order-cancel-requested, correlation key =orderId; correlateMessage: correlated now or NOT_FOUND, never buffered) wherever the order stands', () => {
    for (const point of POINTS) {
      test(`${point.name}: correlateMessage answers the instance; the sub-process is terminated (${point.cancelRule ?? point.rule}); void payment, release stock, cancel (reason cancelled by customer), notify`, async () => {
        const orderId = newOrderId('cancel');
        point.prepare(orderId, true);
        const openVoid = gate(orderId, 'void-payment');
        const { key } = await placeOrder(orderId, { checkInterval: point.checkInterval });
        await point.reach(orderId, key);
        const before = point.ranBefore(orderId);
        expect(await requestCancel(orderId)).toEqual({ key: expect.any(String), processInstanceKey: key });
        await expectOnlyUndoLeft(orderId, key, 'VoidPaymentCancelled');
        openVoid();
        await expectEndedIn(key, 'OrderCancelledByCustomer');
        expect(steps(orderId)).toEqual([...before, ...CANCELLED_BY_CUSTOMER]);
        expect(elementsRun(orderId, 'void-payment')).toEqual(['VoidPaymentCancelled']);
        expect(elementsRun(orderId, 'release-stock')).toEqual(['ReleaseStockCancelled']);
        const done = await completedElements(suite.h, key);
        expect(done).toContain('CancellationRequested');
        expect(done).not.toContain('SecurePayment');
        expect(await suite.h.probe.terminatedElements(key)).toContain('SecurePayment');
        const [end] = await suite.h.db.sql.query<{ variables: Record<string, unknown> }>(
          `SELECT variables FROM engine_process_instances WHERE key = $1::bigint`,
          [key],
        );
        expect(end?.variables).toMatchObject({ cancelRequested: true });
        await point.check?.(orderId, key);
      });
    }
  });

  test('approval wins: once the sub-process has completed nothing subscribes to the cancel, so correlateMessage answers NOT_FOUND (never buffered) and the order is finalized and confirmed once, then waits in FulfilShipments', async () => {
    const orderId = newOrderId('approval-first');
    const openFinalize = gate(orderId, 'finalize-order');
    const { key } = await placeOrder(orderId);
    await waitAtAwaitPayment(key);
    await reportPayment(orderId, 'approved');
    await waitFor('finalize-order to be in its worker', async () => steps(orderId).includes('finalize-order'));
    await expect(requestCancel(orderId)).rejects.toMatchObject({ name: 'EngineError', code: 'NOT_FOUND' });
    const [buffered] = await suite.h.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine_messages WHERE name = $1 AND correlation_key = $2`, [
      MESSAGES.cancelRequested,
      orderId,
    ]);
    expect(buffered?.n).toBe(0);
    openFinalize();
    await expectWaitingForShipments(orderId, key);
    expect(steps(orderId)).toEqual(['reserve-stock', 'request-payment', ...PAID]);
    const done = await completedElements(suite.h, key);
    expect(done).not.toContain('CancellationRequested');
    expect(done.filter((e) => e === 'FinalizeOrder')).toHaveLength(1);
  });

  test('a cancel published with a TTL before the instance exists is buffered; the instance takes it at start: the sub-process opens its boundary subscription, which correlates the buffered message (Zeebe: buffered messages correlate when a subscription opens), and the interrupted sub-process never starts: no reserve-stock job is created', async () => {
    const orderId = newOrderId('cancel-before-start');
    await suite.h.engine.publishMessage({
      name: MESSAGES.cancelRequested,
      correlationKey: orderId,
      messageId: `cancel:${orderId}`,
      variables: { cancelRequested: true },
      timeToLive: 10_000,
    });
    const { key } = await placeOrder(orderId);
    await expectEndedIn(key, 'OrderCancelledByCustomer');
    expect(steps(orderId)).toEqual(CANCELLED_BY_CUSTOMER);
    expect(await audited(key, ['SecurePaymentStarted', 'ReserveStock', 'RequestPayment'])).toEqual([]);
    expect(await audited(key, ['SecurePayment'])).toEqual([
      { element_id: 'SecurePayment', intent: 'ELEMENT_ACTIVATED' },
      { element_id: 'SecurePayment', intent: 'ELEMENT_TERMINATED' },
    ]);
    expect(await suite.h.probe.terminatedElements(key)).toEqual(['SecurePayment']);
    expect(await completedElements(suite.h, key)).toEqual(expect.arrayContaining(['OrderPlaced', 'CancellationRequested']));
    const [end] = await suite.h.db.sql.query<{ variables: Record<string, unknown> }>(`SELECT variables FROM engine_process_instances WHERE key = $1::bigint`, [
      key,
    ]);
    expect(end?.variables).toMatchObject({ orderId, cancelRequested: true });
  });
});
