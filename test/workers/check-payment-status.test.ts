// The status check the saga runs when no payment result arrived in time
// (workers/payment.ts over domain/payments/check-payment-status.ts):
// what it answers the process, on a real database, against a fake provider whose
// status answer each test sets. It only reads: asking again answers the same.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createOrder } from '../../domain/orders/create-order.js';
import { checkPaymentStatus } from '../../domain/payments/check-payment-status.js';
import { TransientProviderError } from '../../domain/payments/gateway.js';
import { complete } from '../../orchestrator/engine.js';
import type { PaymentResult } from '../../orchestrator/order-process.js';
import { checkPaymentStatusWorker, requestPaymentWorker } from '../../workers/payment.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { registeredHandler, sagaJob, workerDeps, type TestWorkerDeps } from './support.js';

let db: TestDatabase;
let deps: TestWorkerDeps;

beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'CHECK-1', { 'WH-1': 1000 });
});
afterAll(async () => {
  await db?.close();
});
beforeEach(() => {
  deps = workerDeps(db.prisma);
});

const placeOrder = async () =>
  (await createOrder(db.prisma, { customerId: 'cust-check', paymentMethod: 'pm_approve', items: [{ sku: 'CHECK-1', quantity: 1 }] })).id;

/** An order whose payment the fake provider accepted: AWAITING_PAYMENT, payment REQUESTED with the provider's id. */
async function awaitingPayment(): Promise<{ orderId: string; paymentId: string }> {
  const orderId = await placeOrder();
  await requestPaymentWorker.handle(sagaJob('request-payment', { orderId }), deps);
  return { orderId, paymentId: (await db.prisma.payment.findUniqueOrThrow({ where: { orderId } })).id };
}

const check = (orderId: string) => checkPaymentStatusWorker.handle(sagaJob('check-payment-status', { orderId }), deps);

/** The order, its history and its payment row, timestamps included: what a write would change. */
const stored = (orderId: string) =>
  db.prisma.order.findUniqueOrThrow({ where: { id: orderId }, include: { history: { orderBy: { id: 'asc' } }, payment: true } });

describe(`check-payment-status (${databaseKind})`, () => {
  test("no payment row yet: 'pending', without asking the provider", async () => {
    const orderId = await placeOrder();
    expect(await check(orderId)).toEqual(complete({ paymentStatus: 'pending' }));
    expect(deps.gateway.statusChecks).toEqual([]);
  });

  test("a payment row without the provider's id (its answer to the request was lost): 'pending', without asking the provider", async () => {
    const orderId = await placeOrder();
    deps.gateway.loseAnswers(1);
    await expect(requestPaymentWorker.handle(sagaJob('request-payment', { orderId }), deps)).rejects.toBeInstanceOf(TransientProviderError);
    expect(await db.prisma.payment.findUniqueOrThrow({ where: { orderId } })).toMatchObject({ providerPaymentId: null });
    deps.gateway.answerStatus({ status: 'approved' });
    expect(await check(orderId)).toEqual(complete({ paymentStatus: 'pending' }));
    expect(deps.gateway.statusChecks).toEqual([]);
  });

  test("the provider still pending: 'pending' and no paymentResult; the provider is asked by our payment id and its own", async () => {
    const { orderId, paymentId } = await awaitingPayment();
    expect(await check(orderId)).toEqual(complete({ paymentStatus: 'pending' }));
    expect(deps.gateway.statusChecks).toEqual([{ paymentId, providerPaymentId: `fake_${paymentId}` }]);
  });

  test("approved at the provider: paymentStatus 'approved' and a paymentResult from the status check, the same answer when run twice, nothing written", async () => {
    const { orderId } = await awaitingPayment();
    deps.gateway.answerStatus({ status: 'approved' });
    const before = await stored(orderId);
    const first = await check(orderId);
    const second = await check(orderId);
    const paymentResult: PaymentResult = { status: 'approved', source: 'status-check' };
    expect(first).toEqual(complete({ paymentStatus: 'approved', paymentResult }));
    expect(second).toEqual(first);
    expect(deps.gateway.statusChecks).toHaveLength(2);
    // Recording the approval is finalize-order's job, after the model routed there.
    expect(await stored(orderId)).toEqual(before);
    expect(before).toMatchObject({ status: 'AWAITING_PAYMENT', payment: { status: 'REQUESTED' } });
  });

  test("declined at the provider: a declined paymentResult carrying the provider's reason", async () => {
    const { orderId } = await awaitingPayment();
    deps.gateway.answerStatus({ status: 'declined', reason: 'insufficient_funds' });
    expect(await check(orderId)).toEqual(
      complete({ paymentStatus: 'declined', paymentResult: { status: 'declined', reason: 'insufficient_funds', source: 'status-check' } }),
    );
  });

  test("voided at the provider (not by us): declined, reason 'voided at the provider', so the order cannot be paid", async () => {
    const { orderId } = await awaitingPayment();
    deps.gateway.answerStatus({ status: 'voided' });
    expect(await checkPaymentStatus(db.prisma, deps.gateway, orderId)).toEqual({
      status: 'declined',
      reason: 'voided at the provider',
      source: 'status-check',
    });
  });

  test('the provider failing transiently: retried by the shared failure policy (one retry fewer, back-off), then the next try answers', async () => {
    const { orderId } = await awaitingPayment();
    deps.gateway.failStatusChecks(1);
    deps.gateway.answerStatus({ status: 'approved' });
    const handle = registeredHandler(checkPaymentStatusWorker, deps);
    const job = sagaJob('check-payment-status', { orderId }, { retries: 3 });
    expect(await handle(job)).toEqual({ action: 'fail', errorMessage: 'fake-provider timed out after 10000 ms', retries: 2, retryBackOffMs: 8000 });
    expect(await handle({ ...job, retries: 2 })).toEqual(
      complete({ paymentStatus: 'approved', paymentResult: { status: 'approved', source: 'status-check' } }),
    );
  });
});
