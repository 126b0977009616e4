// Every step of the order saga is delivered at least once: a job whose answer was
// lost, or whose worker died, runs again, possibly while the first run is still
// going. So each worker's `handle`, run twice (one after the other, and at the same
// time), must leave the world as one run does: stock, reservations, the order's
// status and history, the payment and what the provider was asked, notifications.
// No engine and no saga here: each worker is called directly, on a real database.
//
// Already tested at the domain level, and not repeated here:
//   test/inventory/reserve-release-commit.test.ts: reserve again / concurrently,
//     release twice, commit twice, release after commit and the reverse.
//   test/orders/lifecycle.test.ts: asking again for the status an order has.
//   test/queues/notifications.test.ts: recording a notification twice (also
//     concurrently), and enqueueing one twice delivers it once.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createOrder } from '../../domain/orders/create-order.js';
import { TransientProviderError } from '../../domain/payments/gateway.js';
import type { PrismaClient } from '../../infra/database.js';
import { complete, bpmnError, fail, type JobAction } from '../../orchestrator/engine.js';
import type { PaymentResult } from '../../orchestrator/order-process.js';
import { notifyCustomerWorker } from '../../workers/notify-customer.js';
import { cancelOrderWorker, finalizeOrderWorker, markPaymentFailedWorker, rejectOrderWorker } from '../../workers/order-outcome.js';
import { checkPaymentStatusWorker, requestPaymentWorker, voidPaymentWorker } from '../../workers/payment.js';
import type { WorkerDeps } from '../../workers/saga-worker.js';
import { releaseStockWorker, reserveStockWorker } from '../../workers/stock.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { addProduct, stockBy } from '../support/fixtures.js';
import { sagaJob, workerDeps, type TestWorkerDeps } from './support.js';

let db: TestDatabase;
let deps: TestWorkerDeps;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});
beforeEach(() => {
  // A fresh provider, queue and metrics per test, so their counts are this test's.
  deps = workerDeps(db.prisma);
});

let skuCount = 0;

/**
 * A NEW order placed as the API places it (priced from the catalog, history "order
 * placed"), one line per entry, each of a product of its own (10.00 EUR a unit)
 * with the given units on hand per warehouse.
 */
async function placeOrder(...lines: { quantity: number; onHand: Record<string, number> }[]): Promise<{ orderId: string; skus: string[] }> {
  const skus: string[] = [];
  for (const line of lines) {
    const sku = `STEP-${++skuCount}`;
    await addProduct(db.prisma, sku, line.onHand, 1000);
    skus.push(sku);
  }
  const { id } = await createOrder(db.prisma, {
    customerId: 'cust-steps',
    paymentMethod: 'pm_approve',
    items: lines.map((l, i) => ({ sku: skus[i] as string, quantity: l.quantity })),
  });
  return { orderId: id, skus };
}

/** Another order for `quantity` of an existing product, with its stock held: a neighbour whose hold must survive our steps. */
async function neighbourHolding(sku: string, quantity: number): Promise<string> {
  const { id } = await createOrder(db.prisma, { customerId: 'cust-neighbour', paymentMethod: 'pm_approve', items: [{ sku, quantity }] });
  expect(await step.reserveStock(id)).toMatchObject({ action: 'complete' });
  return id;
}

/** Everything a step may change for one order, without timestamps. */
async function world(orderId: string) {
  const o = await db.prisma.order.findUniqueOrThrow({
    where: { id: orderId },
    include: {
      items: { orderBy: { lineNo: 'asc' } },
      history: { orderBy: { id: 'asc' } },
      reservations: { orderBy: [{ sku: 'asc' }, { warehouseId: 'asc' }] },
      payment: true,
      notifications: { orderBy: { kind: 'asc' } },
    },
  });
  const stock: Record<string, Record<string, { onHand: number; reserved: number }>> = {};
  for (const item of o.items) stock[item.sku] = await stockBy(db.prisma, item.sku);
  return {
    status: o.status,
    failureReason: o.failureReason,
    processInstanceKey: o.processInstanceKey,
    history: o.history.map((h) => `${h.fromStatus ?? '-'} -> ${h.toStatus}: ${h.reason}`),
    reservations: o.reservations.map((r) => `${r.sku}@${r.warehouseId} x${r.quantity} ${r.state}`),
    stock,
    payment: o.payment && {
      id: o.payment.id,
      status: o.payment.status,
      provider: o.payment.provider,
      providerPaymentId: o.payment.providerPaymentId,
      amountMinor: o.payment.amountMinor,
      currency: o.payment.currency,
      failureReason: o.payment.failureReason,
    },
    paymentRows: await db.prisma.payment.count({ where: { orderId } }),
    notifications: o.notifications.map((n) => ({ id: n.id, kind: n.kind, channel: n.channel, subject: n.subject, status: n.status })),
  };
}

/**
 * Runs a step, then runs it again as a redelivered job would: the second run must
 * leave the world exactly as the first one left it. Returns both answers.
 */
async function runTwice(orderId: string, step: () => Promise<JobAction>): Promise<[JobAction, JobAction]> {
  const first = await step();
  const afterOnce = await world(orderId);
  const second = await step();
  expect(await world(orderId)).toEqual(afterOnce);
  return [first, second];
}

/** Two deliveries of the same job handled at the same time. */
const runTwiceAtOnce = (step: () => Promise<JobAction>) => Promise.all([step(), step()]);

const PROCESS_INSTANCE = '2251799813685249';
const declined = (reason: string): PaymentResult => ({ status: 'declined', reason, providerEventId: 'evt_declined_1' });
const approved: PaymentResult = { status: 'approved', providerEventId: 'evt_approved_1' };

// The saga's steps as the model's jobs call them (task headers as in bpmn/order-fulfillment.bpmn).
const step = {
  reserveStock: (orderId: string, d: WorkerDeps = deps) =>
    reserveStockWorker.handle(sagaJob('reserve-stock', { orderId }, { processInstanceKey: PROCESS_INSTANCE }), d),
  releaseStock: (orderId: string) => releaseStockWorker.handle(sagaJob('release-stock', { orderId }), deps),
  requestPayment: (orderId: string, d: WorkerDeps = deps) => requestPaymentWorker.handle(sagaJob('request-payment', { orderId }, { retries: 5 }), d),
  checkPaymentStatus: (orderId: string) => checkPaymentStatusWorker.handle(sagaJob('check-payment-status', { orderId }), deps),
  voidPayment: (orderId: string, paymentResult?: PaymentResult) =>
    voidPaymentWorker.handle(sagaJob('void-payment', { orderId, ...(paymentResult ? { paymentResult } : {}) }), deps),
  finalizeOrder: (orderId: string, paymentResult: PaymentResult = approved) =>
    finalizeOrderWorker.handle(sagaJob('finalize-order', { orderId, paymentResult }), deps),
  markPaymentFailed: (orderId: string, paymentResult: PaymentResult) =>
    markPaymentFailedWorker.handle(sagaJob('mark-payment-failed', { orderId, paymentResult }), deps),
  cancelOrder: (orderId: string, reason: 'payment timeout' | 'cancelled by customer') =>
    cancelOrderWorker.handle(sagaJob('cancel-order', { orderId }, { headers: { reason } }), deps),
  rejectOrder: (orderId: string, shortages: { sku: string; requested: number; available: number }[]) =>
    rejectOrderWorker.handle(sagaJob('reject-order', { orderId, shortages }), deps),
  notifyCustomer: (orderId: string, kind: 'confirmed' | 'payment-failed' | 'cancelled' | 'rejected') =>
    notifyCustomerWorker.handle(sagaJob('notify-customer', { orderId }, { headers: { kind } }), deps),
};

const PLACED = '- -> NEW: order placed';
const AWAITING = 'NEW -> AWAITING_PAYMENT: payment requested from fake-provider';
/** The PAID row's reason may also name the provider event that approved the payment. */
const PAID_ROW = expect.stringMatching(/^AWAITING_PAYMENT -> PAID: payment approved\b/);

/** Sorted answers, for two concurrent runs whose order of finishing is not defined. */
const sortedAnswers = (answers: JobAction[]) => answers.map((a) => JSON.stringify(a)).sort();

describe(`reserve-stock (${databaseKind})`, () => {
  test('reserve-stock run twice holds the stock once', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 4, onHand: { 'WH-1': 10 } });
    const sku = skus[0] as string;
    const [first, second] = await runTwice(orderId, () => step.reserveStock(orderId));
    expect(first).toEqual(complete({ reservations: [{ sku, warehouseId: 'WH-1', quantity: 4 }] }));
    expect(second).toEqual(first);
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 10, reserved: 4 } } });
    expect(w.reservations).toEqual([`${sku}@WH-1 x4 RESERVED`]);
    expect(w.processInstanceKey).toBe(PROCESS_INSTANCE);
    // Reserving is not a status change: the order stays NEW with its one history row.
    expect([w.status, w.history]).toEqual(['NEW', [PLACED]]);
  });

  test('reserve-stock run twice at once holds the stock once, also when a line is split over warehouses', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 5, onHand: { 'WH-1': 3, 'WH-2': 3 } }, { quantity: 2, onHand: { 'WH-1': 9 } });
    const [a, b] = skus as [string, string];
    const answers = await runTwiceAtOnce(() => step.reserveStock(orderId));
    const expected = complete({
      reservations: [
        { sku: a, warehouseId: 'WH-1', quantity: 3 },
        { sku: a, warehouseId: 'WH-2', quantity: 2 },
        { sku: b, warehouseId: 'WH-1', quantity: 2 },
      ],
    });
    expect(answers).toEqual([expected, expected]);
    const w = await world(orderId);
    expect(w.stock).toEqual({ [a]: { 'WH-1': { onHand: 3, reserved: 3 }, 'WH-2': { onHand: 3, reserved: 2 } }, [b]: { 'WH-1': { onHand: 9, reserved: 2 } } });
    expect(w.reservations).toEqual([`${a}@WH-1 x3 RESERVED`, `${a}@WH-2 x2 RESERVED`, `${b}@WH-1 x2 RESERVED`]);
    expect(w.processInstanceKey).toBe(PROCESS_INSTANCE);
  });

  test('reserve-stock out of stock, run twice, answers the same OUT_OF_STOCK and holds nothing', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 11, onHand: { 'WH-1': 6, 'WH-2': 4 } });
    const sku = skus[0] as string;
    const [first, second] = await runTwice(orderId, () => step.reserveStock(orderId));
    expect(first).toEqual(bpmnError('OUT_OF_STOCK', `not enough stock for order ${orderId}`, { shortages: [{ sku, requested: 11, available: 10 }] }));
    expect(second).toEqual(first);
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 6, reserved: 0 }, 'WH-2': { onHand: 4, reserved: 0 } } });
    expect(w.reservations).toEqual([]);
  });
});

describe(`release-stock (${databaseKind})`, () => {
  // Released twice one after the other: test/inventory/reserve-release-commit.test.ts ("release twice gives the units back once").
  test("release-stock run twice at once gives the units back once, leaving another order's hold alone", async () => {
    const { orderId, skus } = await placeOrder({ quantity: 5, onHand: { 'WH-1': 10 } });
    const sku = skus[0] as string;
    await step.reserveStock(orderId);
    const neighbour = await neighbourHolding(sku, 5);
    const answers = await runTwiceAtOnce(() => step.releaseStock(orderId));
    expect(sortedAnswers(answers)).toEqual(sortedAnswers([complete({ releasedUnits: 5 }), complete({ releasedUnits: 0 })]));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 10, reserved: 5 } } });
    expect(w.reservations).toEqual([`${sku}@WH-1 x5 RELEASED`]);
    expect((await world(neighbour)).reservations).toEqual([`${sku}@WH-1 x5 RESERVED`]);
  });

  test('compensation after reserve-stock ran twice: release-stock run twice puts all the stock back, once', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 7, onHand: { 'WH-1': 4, 'WH-2': 4 } }, { quantity: 1, onHand: { 'WH-1': 1 } });
    const [a, b] = skus as [string, string];
    const [reserved, again] = await runTwice(orderId, () => step.reserveStock(orderId));
    // Every redelivery answers as the first run did: an OUT_OF_STOCK now would reject an order that holds stock.
    expect(reserved).toMatchObject({ action: 'complete' });
    expect([again, ...(await runTwiceAtOnce(() => step.reserveStock(orderId)))]).toEqual([reserved, reserved, reserved]);
    // Another order holds the last unit of WH-2: a second release of ours must not give it away.
    await neighbourHolding(a, 1);
    expect((await world(orderId)).stock).toEqual({
      [a]: { 'WH-1': { onHand: 4, reserved: 4 }, 'WH-2': { onHand: 4, reserved: 4 } },
      [b]: { 'WH-1': { onHand: 1, reserved: 1 } },
    });

    const [first, second] = await runTwice(orderId, () => step.releaseStock(orderId));
    expect([first, second]).toEqual([complete({ releasedUnits: 8 }), complete({ releasedUnits: 0 })]);
    const w = await world(orderId);
    expect(w.stock).toEqual({ [a]: { 'WH-1': { onHand: 4, reserved: 0 }, 'WH-2': { onHand: 4, reserved: 1 } }, [b]: { 'WH-1': { onHand: 1, reserved: 0 } } });
    expect(w.reservations).toEqual([`${a}@WH-1 x4 RELEASED`, `${a}@WH-2 x3 RELEASED`, `${b}@WH-1 x1 RELEASED`]);
  });
});

describe(`request-payment, against a fake provider (${databaseKind})`, () => {
  test('request-payment run twice asks the provider once and moves the order to AWAITING_PAYMENT once', async () => {
    const { orderId } = await placeOrder({ quantity: 3, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    const [first, second] = await runTwice(orderId, () => step.requestPayment(orderId));
    const w = await world(orderId);
    const paymentId = w.payment?.id as string;
    expect(first).toEqual(complete({ paymentId, providerPaymentId: `fake_${paymentId}` }));
    expect(second).toEqual(first);
    expect(deps.gateway.requests).toEqual([{ paymentId, orderId, amountMinor: 3000, currency: 'EUR', paymentMethod: 'pm_approve' }]);
    expect(w.payment).toEqual({
      id: paymentId,
      status: 'REQUESTED',
      provider: 'fake-provider',
      providerPaymentId: `fake_${paymentId}`,
      amountMinor: 3000,
      currency: 'EUR',
      failureReason: null,
    });
    expect(w.paymentRows).toBe(1);
    expect([w.status, w.history]).toEqual(['AWAITING_PAYMENT', [PLACED, AWAITING]]);
  });

  test('request-payment run twice at once: one payment, every provider call keyed by its id, AWAITING_PAYMENT once', async () => {
    const { orderId } = await placeOrder({ quantity: 2, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    const answers = await runTwiceAtOnce(() => step.requestPayment(orderId));
    const w = await world(orderId);
    const paymentId = w.payment?.id as string;
    expect(answers).toEqual([0, 1].map(() => complete({ paymentId, providerPaymentId: `fake_${paymentId}` })));
    // Both runs may reach the provider; that is safe only because both use the payment's id as the idempotency key.
    expect(deps.gateway.requests.length).toBeGreaterThanOrEqual(1);
    for (const r of deps.gateway.requests) expect(r).toEqual({ paymentId, orderId, amountMinor: 2000, currency: 'EUR', paymentMethod: 'pm_approve' });
    expect(deps.gateway.paymentsTakenEffect()).toEqual([paymentId]);
    expect(w.paymentRows).toBe(1);
    expect(w.payment).toMatchObject({ status: 'REQUESTED', providerPaymentId: `fake_${paymentId}` });
    expect([w.status, w.history]).toEqual(['AWAITING_PAYMENT', [PLACED, AWAITING]]);
  });

  test("request-payment retried after the provider's answer was lost asks again with the same idempotency key", async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    deps.gateway.loseAnswers(1);
    await expect(step.requestPayment(orderId)).rejects.toBeInstanceOf(TransientProviderError);
    const between = await world(orderId);
    expect(between.payment).toMatchObject({ status: 'REQUESTED', providerPaymentId: null });
    expect(between.status).toBe('NEW');

    const paymentId = between.payment?.id as string;
    expect(await step.requestPayment(orderId)).toEqual(complete({ paymentId, providerPaymentId: `fake_${paymentId}` }));
    expect(deps.gateway.requests.map((r) => r.paymentId)).toEqual([paymentId, paymentId]);
    expect(deps.gateway.paymentsTakenEffect()).toEqual([paymentId]);
    const w = await world(orderId);
    expect(w.paymentRows).toBe(1);
    expect(w.payment).toMatchObject({ id: paymentId, status: 'REQUESTED', providerPaymentId: `fake_${paymentId}` });
    expect([w.status, w.history]).toEqual(['AWAITING_PAYMENT', [PLACED, AWAITING]]);
  });

  test("request-payment failing after the provider's answer, at the transaction that records it, leaves no half-write; the retry asks again with the same key and moves the order once", async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    // The first run loses its database connection at its first transaction (recording the
    // provider's id and moving the order together), as after a crash there.
    await expect(step.requestPayment(orderId, { ...deps, prisma: failingAtFirstTransaction(db.prisma) })).rejects.toThrow('Connection terminated unexpectedly');
    const between = await world(orderId);
    const paymentId = between.payment?.id as string;
    expect(between.payment).toMatchObject({ status: 'REQUESTED', providerPaymentId: null });
    expect(between.status).toBe('NEW');

    expect(await step.requestPayment(orderId)).toEqual(complete({ paymentId, providerPaymentId: `fake_${paymentId}` }));
    expect(deps.gateway.requests.map((r) => r.paymentId)).toEqual([paymentId, paymentId]);
    expect(deps.gateway.paymentsTakenEffect()).toEqual([paymentId]);
    const w = await world(orderId);
    expect([w.status, w.history]).toEqual(['AWAITING_PAYMENT', [PLACED, AWAITING]]);
  });

  test("request-payment finding the provider's id recorded but the order still NEW (left by an earlier version that wrote them apart) moves the order without asking the provider again", async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    const payment = await db.prisma.payment.create({
      data: { orderId, provider: deps.gateway.provider, amountMinor: 1000, currency: 'EUR', providerPaymentId: 'fake_earlier' },
    });
    expect(await step.requestPayment(orderId)).toEqual(complete({ paymentId: payment.id, providerPaymentId: 'fake_earlier' }));
    expect(deps.gateway.requests).toEqual([]);
    const w = await world(orderId);
    expect([w.status, w.history]).toEqual(['AWAITING_PAYMENT', [PLACED, AWAITING]]);
  });
});

describe(`void-payment, against a fake provider (${databaseKind})`, () => {
  async function awaitingPayment(): Promise<{ orderId: string; paymentId: string }> {
    const { orderId } = await placeOrder({ quantity: 2, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    await step.requestPayment(orderId);
    return { orderId, paymentId: (await world(orderId)).payment?.id as string };
  }

  test('void-payment run twice releases the authorization once', async () => {
    const { orderId, paymentId } = await awaitingPayment();
    const before = await world(orderId);
    const [first, second] = await runTwice(orderId, () => step.voidPayment(orderId));
    expect([first, second]).toEqual([complete({ paymentVoided: true }), complete({ paymentVoided: false })]);
    expect(deps.gateway.voids).toEqual([{ paymentId, providerPaymentId: `fake_${paymentId}` }]);
    const w = await world(orderId);
    expect(w.payment).toMatchObject({ status: 'VOIDED', failureReason: 'order did not complete' });
    // Voiding is compensation: the order's status is the next step's business.
    expect([w.status, w.history]).toEqual([before.status, before.history]);
  });

  test('void-payment run twice at once: the authorization is released once, every provider call keyed by the payment', async () => {
    const { orderId, paymentId } = await awaitingPayment();
    const answers = await runTwiceAtOnce(() => step.voidPayment(orderId));
    expect(sortedAnswers(answers)).toEqual(sortedAnswers([complete({ paymentVoided: true }), complete({ paymentVoided: false })]));
    for (const v of deps.gateway.voids) expect(v).toEqual({ paymentId, providerPaymentId: `fake_${paymentId}` });
    expect(deps.gateway.voidsTakenEffect()).toEqual([paymentId]);
    expect((await world(orderId)).payment).toMatchObject({ status: 'VOIDED', failureReason: 'order did not complete' });
  });

  test('void-payment of a declined payment, run twice, records DECLINED once and never calls the provider', async () => {
    const { orderId } = await awaitingPayment();
    const [first, second] = await runTwice(orderId, () => step.voidPayment(orderId, declined('insufficient funds')));
    expect([first, second]).toEqual([complete({ paymentVoided: false }), complete({ paymentVoided: false })]);
    expect(deps.gateway.voids).toEqual([]);
    expect((await world(orderId)).payment).toMatchObject({ status: 'DECLINED', failureReason: 'insufficient funds' });
  });

  test('void-payment with no payment to undo (the request never happened), run twice, calls no provider and leaves a VOIDED marker', async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    const [first, second] = await runTwice(orderId, () => step.voidPayment(orderId));
    expect([first, second]).toEqual([complete({ paymentVoided: false }), complete({ paymentVoided: false })]);
    expect(deps.gateway.voids).toEqual([]);
    expect((await world(orderId)).payment).toMatchObject({ status: 'VOIDED', providerPaymentId: null, failureReason: 'order did not complete' });
  });
});

// Cancellation and the deadline interrupt the pre-payment phase wherever it stands, so an undo
// step may run while the job it undoes is still in its worker (the engine refuses that job's
// late answer, not its side effects). Each undo must leave nothing behind in either order.
describe(`an undo racing the step it undoes (${databaseKind})`, () => {
  test('release-stock before a late reserve-stock: the reservation holds nothing, the stock stays available', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 3, onHand: { 'WH-1': 10 } });
    expect(await step.releaseStock(orderId)).toEqual(complete({ releasedUnits: 0 }));
    expect(await step.reserveStock(orderId)).toEqual(complete({ reservations: [] }));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [skus[0] as string]: { 'WH-1': { onHand: 10, reserved: 0 } } });
    expect(w.reservations).toEqual([]);
  });

  test('void-payment before a late request-payment: the provider is never asked, the order does not move', async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    await step.voidPayment(orderId);
    expect(await step.requestPayment(orderId)).toEqual(complete({ paymentId: expect.any(String), providerPaymentId: null }));
    expect(deps.gateway.requests).toEqual([]);
    const w = await world(orderId);
    expect([w.status, w.payment?.status, w.paymentRows]).toEqual(['NEW', 'VOIDED', 1]);
  });

  test('void-payment while the provider answers request-payment: the fresh authorization is voided at the provider, the order does not move to AWAITING_PAYMENT', async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    const release = deps.gateway.holdRequests();
    const requesting = step.requestPayment(orderId);
    await waitFor('the request at the provider', async () => deps.gateway.requests.length === 1);
    expect(await step.voidPayment(orderId)).toEqual(complete({ paymentVoided: true }));
    release();
    await requesting;
    const paymentId = deps.gateway.requests[0]?.paymentId as string;
    expect(deps.gateway.voids).toEqual([{ paymentId, providerPaymentId: `fake_${paymentId}` }]);
    const w = await world(orderId);
    expect([w.status, w.payment?.status, w.payment?.providerPaymentId]).toEqual(['NEW', 'VOIDED', `fake_${paymentId}`]);
    expect(w.history).toEqual([PLACED]);
  });
});

describe(`finalize-order (${databaseKind})`, () => {
  async function awaitingPayment(quantity: number, onHand: Record<string, number>) {
    const placed = await placeOrder({ quantity, onHand });
    await step.reserveStock(placed.orderId);
    await step.requestPayment(placed.orderId);
    return placed;
  }

  test("finalize-order run twice sells the stock once, approves once, records PAID once and counts the order's end once", async () => {
    const { orderId, skus } = await awaitingPayment(7, { 'WH-1': 5, 'WH-2': 5 });
    const sku = skus[0] as string;
    const [first, second] = await runTwice(orderId, () => step.finalizeOrder(orderId));
    expect([first, second]).toEqual([complete({ soldUnits: 7 }), complete({ soldUnits: 0 })]);
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 0, reserved: 0 }, 'WH-2': { onHand: 3, reserved: 0 } } });
    expect(w.reservations).toEqual([`${sku}@WH-1 x5 COMMITTED`, `${sku}@WH-2 x2 COMMITTED`]);
    expect(w.payment).toMatchObject({ status: 'APPROVED', failureReason: null });
    expect([w.status, w.failureReason, w.history]).toEqual(['PAID', null, [PLACED, AWAITING, PAID_ROW]]);
    expect(deps.recorded.ended).toEqual([{ status: 'PAID', seconds: expect.any(Number) }]);
  });

  test("finalize-order run twice at once sells the stock once and counts the order's end once", async () => {
    const { orderId, skus } = await awaitingPayment(3, { 'WH-1': 10 });
    const sku = skus[0] as string;
    const answers = await runTwiceAtOnce(() => step.finalizeOrder(orderId));
    expect(sortedAnswers(answers)).toEqual(sortedAnswers([complete({ soldUnits: 3 }), complete({ soldUnits: 0 })]));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 7, reserved: 0 } } });
    expect(w.reservations).toEqual([`${sku}@WH-1 x3 COMMITTED`]);
    expect(w.payment).toMatchObject({ status: 'APPROVED' });
    expect([w.status, w.history]).toEqual(['PAID', [PLACED, AWAITING, PAID_ROW]]);
    expect(deps.recorded.ended).toEqual([{ status: 'PAID', seconds: expect.any(Number) }]);
  });

  test("the PAID history row says where the approval came from: the webhook's provider event, or the status check at the provider", async () => {
    const byWebhook = await awaitingPayment(1, { 'WH-1': 10 });
    await runTwice(byWebhook.orderId, () =>
      step.finalizeOrder(byWebhook.orderId, { status: 'approved', providerEventId: 'evt_approved_1', source: 'webhook' }),
    );
    expect((await world(byWebhook.orderId)).history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> PAID: payment approved (provider event evt_approved_1)']);

    const byStatusCheck = await awaitingPayment(1, { 'WH-1': 10 });
    await runTwice(byStatusCheck.orderId, () => step.finalizeOrder(byStatusCheck.orderId, { status: 'approved', source: 'status-check' }));
    const w = await world(byStatusCheck.orderId);
    expect([w.status, w.payment?.status, w.history]).toEqual([
      'PAID',
      'APPROVED',
      [PLACED, AWAITING, 'AWAITING_PAYMENT -> PAID: payment approved (status check at the provider)'],
    ]);
  });
});

describe(`mark-payment-failed (${databaseKind})`, () => {
  async function awaitingPayment() {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    await step.requestPayment(orderId);
    return orderId;
  }

  test('mark-payment-failed run twice declines the payment once and records PAYMENT_FAILED once', async () => {
    const orderId = await awaitingPayment();
    const [first, second] = await runTwice(orderId, () => step.markPaymentFailed(orderId, declined('card expired')));
    expect([first, second]).toEqual([complete(), complete()]);
    const w = await world(orderId);
    expect(w.payment).toMatchObject({ status: 'DECLINED', failureReason: 'card expired' });
    expect([w.status, w.failureReason]).toEqual(['PAYMENT_FAILED', 'payment declined: card expired']);
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> PAYMENT_FAILED: payment declined: card expired']);
    expect(deps.recorded.ended).toEqual([{ status: 'PAYMENT_FAILED', seconds: expect.any(Number) }]);
  });

  test('mark-payment-failed run twice at once records PAYMENT_FAILED once', async () => {
    const orderId = await awaitingPayment();
    await runTwiceAtOnce(() => step.markPaymentFailed(orderId, declined('card expired')));
    const w = await world(orderId);
    expect(w.payment).toMatchObject({ status: 'DECLINED', failureReason: 'card expired' });
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> PAYMENT_FAILED: payment declined: card expired']);
    expect(deps.recorded.ended).toEqual([{ status: 'PAYMENT_FAILED', seconds: expect.any(Number) }]);
  });
});

describe(`cancel-order (${databaseKind})`, () => {
  test("cancel-order run twice records CANCELLED once, with the model's reason", async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    await step.requestPayment(orderId);
    const [first, second] = await runTwice(orderId, () => step.cancelOrder(orderId, 'payment timeout'));
    expect([first, second]).toEqual([complete(), complete()]);
    const w = await world(orderId);
    expect([w.status, w.failureReason]).toEqual(['CANCELLED', 'payment timeout']);
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> CANCELLED: payment timeout']);
    expect(deps.recorded.ended).toEqual([{ status: 'CANCELLED', seconds: expect.any(Number) }]);
  });

  test('cancel-order run twice at once records CANCELLED once', async () => {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.reserveStock(orderId);
    await step.requestPayment(orderId);
    await runTwiceAtOnce(() => step.cancelOrder(orderId, 'cancelled by customer'));
    const w = await world(orderId);
    expect([w.status, w.failureReason]).toEqual(['CANCELLED', 'cancelled by customer']);
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> CANCELLED: cancelled by customer']);
    expect(deps.recorded.ended).toEqual([{ status: 'CANCELLED', seconds: expect.any(Number) }]);
  });
});

describe(`reject-order (${databaseKind})`, () => {
  test('reject-order run twice records REJECTED once, naming the line short', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 11, onHand: { 'WH-1': 10 } });
    const shortages = [{ sku: skus[0] as string, requested: 11, available: 10 }];
    const [first, second] = await runTwice(orderId, () => step.rejectOrder(orderId, shortages));
    expect([first, second]).toEqual([complete(), complete()]);
    const reason = `out of stock: ${skus[0]} (requested 11, available 10)`;
    const w = await world(orderId);
    expect([w.status, w.failureReason, w.history]).toEqual(['REJECTED', reason, [PLACED, `NEW -> REJECTED: ${reason}`]]);
    expect(deps.recorded.ended).toEqual([{ status: 'REJECTED', seconds: expect.any(Number) }]);
  });

  test('reject-order run twice at once records REJECTED once', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 3, onHand: { 'WH-1': 2 } });
    const shortages = [{ sku: skus[0] as string, requested: 3, available: 2 }];
    await runTwiceAtOnce(() => step.rejectOrder(orderId, shortages));
    const reason = `out of stock: ${skus[0]} (requested 3, available 2)`;
    const w = await world(orderId);
    expect([w.status, w.history]).toEqual(['REJECTED', [PLACED, `NEW -> REJECTED: ${reason}`]]);
    expect(deps.recorded.ended).toEqual([{ status: 'REJECTED', seconds: expect.any(Number) }]);
  });
});

describe(`notify-customer (${databaseKind})`, () => {
  async function cancelled(): Promise<string> {
    const { orderId } = await placeOrder({ quantity: 1, onHand: { 'WH-1': 10 } });
    await step.cancelOrder(orderId, 'cancelled by customer');
    return orderId;
  }

  test('notify-customer run twice records one notification per order and kind, and queues that one each time', async () => {
    const orderId = await cancelled();
    const [first, second] = await runTwice(orderId, () => step.notifyCustomer(orderId, 'cancelled'));
    const w = await world(orderId);
    const id = w.notifications[0]?.id as string;
    expect([first, second]).toEqual([complete({ notificationId: id }), complete({ notificationId: id })]);
    expect(w.notifications).toEqual([{ id, kind: 'cancelled', channel: 'log', subject: `Your order ${orderId.slice(0, 8)} was cancelled`, status: 'PENDING' }]);
    // Queued twice with the same id: the queue delivers it once (test/queues/notifications.test.ts).
    expect(deps.enqueued).toEqual([id, id]);
  });

  test('notify-customer run twice at once records one notification', async () => {
    const orderId = await cancelled();
    const answers = await runTwiceAtOnce(() => step.notifyCustomer(orderId, 'cancelled'));
    const w = await world(orderId);
    const id = w.notifications[0]?.id as string;
    expect(answers).toEqual([complete({ notificationId: id }), complete({ notificationId: id })]);
    expect(w.notifications.map((n) => n.kind)).toEqual(['cancelled']);
    expect(deps.enqueued).toEqual([id, id]);
  });

  test('a shipment kind (the shipment process) run twice records one notification per shipment and kind; without shipmentId it is an incident naming the element', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 2, onHand: { 'WH-1': 10 } });
    const shipment = await db.prisma.shipment.create({
      data: {
        orderId,
        businessId: 'default',
        amountMinor: 2000,
        currency: 'EUR',
        declineReason: 'none left',
        lines: { create: [{ sku: skus[0]!, quantity: 2, unitPriceMinor: 1000 }] },
      },
    });
    const notify = (variables: Record<string, unknown>) =>
      notifyCustomerWorker.handle(sagaJob('notify-customer', { orderId, ...variables }, { headers: { kind: 'shipment-refunded' } }), deps);
    const [first, second] = await runTwice(orderId, () => notify({ shipmentId: shipment.id }));
    const w = await world(orderId);
    const id = w.notifications[0]?.id as string;
    expect([first, second]).toEqual([complete({ notificationId: id }), complete({ notificationId: id })]);
    expect(w.notifications).toEqual([
      {
        id,
        kind: `shipment-refunded:${shipment.id}`,
        channel: 'log',
        subject: `Part of your order ${orderId.slice(0, 8)} could not be supplied`,
        status: 'PENDING',
      },
    ]);
    expect(await notify({})).toEqual(
      fail({ errorMessage: 'task header "kind" shipment-refunded needs the process variable shipmentId on element notify-customer', retries: 0 }),
    );
  });
});

describe(`each path of the model, every step run twice, ends as if each ran once (${databaseKind})`, () => {
  test('paid: reserve, request payment, finalize, notify', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 2, onHand: { 'WH-1': 10 } });
    const sku = skus[0] as string;
    await runTwice(orderId, () => step.reserveStock(orderId));
    await runTwice(orderId, () => step.requestPayment(orderId));
    await runTwice(orderId, () => step.finalizeOrder(orderId));
    await runTwice(orderId, () => step.notifyCustomer(orderId, 'confirmed'));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 8, reserved: 0 } } });
    expect(w.payment).toMatchObject({ status: 'APPROVED' });
    expect(deps.gateway.requests).toHaveLength(1);
    expect(deps.gateway.voids).toEqual([]);
    expect(w.history).toEqual([PLACED, AWAITING, PAID_ROW]);
    expect(w.notifications.map((n) => n.kind)).toEqual(['confirmed']);
    expect(deps.recorded.ended.map((e) => e.status)).toEqual(['PAID']);
  });

  test("paid, its webhook lost: reserve, request payment, status check (pending, then approved), finalize with the check's paymentResult, notify", async () => {
    const { orderId } = await placeOrder({ quantity: 2, onHand: { 'WH-1': 10 } });
    await runTwice(orderId, () => step.reserveStock(orderId));
    await runTwice(orderId, () => step.requestPayment(orderId));
    expect(await runTwice(orderId, () => step.checkPaymentStatus(orderId))).toEqual([
      complete({ paymentStatus: 'pending' }),
      complete({ paymentStatus: 'pending' }),
    ]);
    deps.gateway.answerStatus({ status: 'approved' });
    const [checked] = await runTwice(orderId, () => step.checkPaymentStatus(orderId));
    // The process hands the check's variables on to finalize-order, as it does a webhook's.
    const paymentResult = (checked.action === 'complete' ? checked.variables?.paymentResult : undefined) as PaymentResult;
    await runTwice(orderId, () => step.finalizeOrder(orderId, paymentResult));
    await runTwice(orderId, () => step.notifyCustomer(orderId, 'confirmed'));
    const w = await world(orderId);
    expect(w.payment).toMatchObject({ status: 'APPROVED' });
    expect(deps.gateway.requests).toHaveLength(1);
    expect(deps.gateway.voids).toEqual([]);
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> PAID: payment approved (status check at the provider)']);
    expect(w.notifications.map((n) => n.kind)).toEqual(['confirmed']);
    expect(deps.recorded.ended.map((e) => e.status)).toEqual(['PAID']);
  });

  test('payment declined: reserve, request payment, compensation (void, release), mark payment failed, notify', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 6, onHand: { 'WH-1': 4, 'WH-2': 4 } });
    const sku = skus[0] as string;
    await runTwice(orderId, () => step.reserveStock(orderId));
    await runTwice(orderId, () => step.requestPayment(orderId));
    await runTwice(orderId, () => step.voidPayment(orderId, declined('insufficient funds')));
    await runTwice(orderId, () => step.releaseStock(orderId));
    await runTwice(orderId, () => step.markPaymentFailed(orderId, declined('insufficient funds')));
    await runTwice(orderId, () => step.notifyCustomer(orderId, 'payment-failed'));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 4, reserved: 0 }, 'WH-2': { onHand: 4, reserved: 0 } } });
    expect(w.reservations).toEqual([`${sku}@WH-1 x4 RELEASED`, `${sku}@WH-2 x2 RELEASED`]);
    expect(w.payment).toMatchObject({ status: 'DECLINED', failureReason: 'insufficient funds' });
    expect(deps.gateway.requests).toHaveLength(1);
    expect(deps.gateway.voids).toEqual([]);
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> PAYMENT_FAILED: payment declined: insufficient funds']);
    expect(w.notifications.map((n) => n.kind)).toEqual(['payment-failed']);
    expect(deps.recorded.ended.map((e) => e.status)).toEqual(['PAYMENT_FAILED']);
  });

  test('payment timeout: reserve, request payment, compensation (void, release), cancel, notify', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 3, onHand: { 'WH-1': 3 } });
    const sku = skus[0] as string;
    await runTwice(orderId, () => step.reserveStock(orderId));
    await runTwice(orderId, () => step.requestPayment(orderId));
    await runTwice(orderId, () => step.voidPayment(orderId));
    await runTwice(orderId, () => step.releaseStock(orderId));
    await runTwice(orderId, () => step.cancelOrder(orderId, 'payment timeout'));
    await runTwice(orderId, () => step.notifyCustomer(orderId, 'cancelled'));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 3, reserved: 0 } } });
    const paymentId = w.payment?.id as string;
    expect(w.payment).toMatchObject({ status: 'VOIDED', failureReason: 'order did not complete' });
    expect(deps.gateway.paymentsTakenEffect()).toEqual([paymentId]);
    expect(deps.gateway.voids).toEqual([{ paymentId, providerPaymentId: `fake_${paymentId}` }]);
    expect(w.history).toEqual([PLACED, AWAITING, 'AWAITING_PAYMENT -> CANCELLED: payment timeout']);
    expect(w.notifications.map((n) => n.kind)).toEqual(['cancelled']);
    expect(deps.recorded.ended.map((e) => e.status)).toEqual(['CANCELLED']);
  });

  test('out of stock: reserve (OUT_OF_STOCK), reject, notify', async () => {
    const { orderId, skus } = await placeOrder({ quantity: 4, onHand: { 'WH-1': 3 } });
    const sku = skus[0] as string;
    const [answer] = await runTwice(orderId, () => step.reserveStock(orderId));
    const shortages = answer.action === 'error' ? (answer.variables?.shortages as { sku: string; requested: number; available: number }[]) : [];
    await runTwice(orderId, () => step.rejectOrder(orderId, shortages));
    await runTwice(orderId, () => step.notifyCustomer(orderId, 'rejected'));
    const w = await world(orderId);
    expect(w.stock).toEqual({ [sku]: { 'WH-1': { onHand: 3, reserved: 0 } } });
    expect(w.reservations).toEqual([]);
    expect(w.payment).toBeNull();
    expect(w.history).toEqual([PLACED, `NEW -> REJECTED: out of stock: ${sku} (requested 4, available 3)`]);
    expect(w.notifications.map((n) => n.kind)).toEqual(['rejected']);
    expect(deps.recorded.ended.map((e) => e.status)).toEqual(['REJECTED']);
  });
});

/**
 * The database as a run sees it when its connection drops at its first
 * transaction: everything it wrote before stays written, the transaction fails.
 */
function failingAtFirstTransaction(prisma: PrismaClient): PrismaClient {
  let failed = false;
  return new Proxy(prisma, {
    get(target, prop) {
      if (prop === '$transaction' && !failed) {
        failed = true;
        return () => Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
