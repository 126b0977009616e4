// Customer cancellation: allowed until the order's payment is secured, refused after (paid, then FULFILLING).
// The running order takes a request at once wherever its pre-payment phase stands
// (even stuck in an incident), and an unpaid order ends at its payment deadline even
// when its payment request keeps failing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { waitFor, sleep } from '../support/wait.js';
import { adminAuth, PAID_PATH, paid, startSaga, unitsByState, type OrderView, type Saga } from './support.js';

/** How long a published message waits for the process here: short, so that an order can sit stuck for longer. */
const MESSAGE_TTL_MS = 1000;

let saga: Saga;
beforeAll(async () => {
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT1M', PAYMENT_MESSAGE_TTL: `PT${MESSAGE_TTL_MS / 1000}S`, PAYMENT_RETRY_BACKOFF_MS: '10' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

type Incident = { key: string; orderId: string | null; elementId: string; errorType: string; createdAt: string };

/** The open incidents of one order, as an operator sees them (GET /ops/api/incidents). */
async function openIncidents(s: Saga, orderId: string): Promise<Incident[]> {
  const res = await s.get('/ops/api/incidents?limit=100', adminAuth);
  expect(res.status).toBe(200);
  return (res.body.incidents as Incident[]).filter((i) => i.orderId === orderId);
}

/** Waits for the order's payment request to have failed past the model's retries. */
async function incidentAtRequestPayment(s: Saga, orderId: string): Promise<Incident> {
  const incident = await waitFor(`an incident for order ${orderId}`, async () => (await openIncidents(s, orderId))[0]);
  expect(incident).toMatchObject({ elementId: 'RequestPayment', errorType: 'JOB_NO_RETRIES' });
  return incident;
}

/** Available units per warehouse, as GET /stocks/:sku shows them to anyone. */
async function publicStock(s: Saga, sku: string): Promise<Record<string, number>> {
  const res = await s.get(`/stocks/${sku}?limit=100`);
  expect(res.status).toBe(200);
  return Object.fromEntries((res.body.stocks as { warehouseId: string; count: number }[]).map((r) => [r.warehouseId, r.count]));
}

/** Waits for the order's "cancelled" notice to be sent, then answers every notice kind the order has. */
async function noticesAfterCancellation(s: Saga, orderId: string): Promise<string[]> {
  await waitFor('the cancellation notice', async () => (await s.notifications(orderId)).find((n) => n.kind === 'cancelled' && n.status === 'SENT'));
  // A duplicate would be recorded by a second run of the same step: give it the time to show.
  await sleep(300);
  return (await s.notifications(orderId)).map((n) => n.kind);
}

const statuses = (o: OrderView) => o.history.map((h) => h.to);
const at = (o: OrderView, status: string) => Date.parse(o.history.find((h) => h.to === status)?.at ?? '');

describe(`customer cancellation (${databaseKind})`, () => {
  test('cancel while waiting for payment: 202 accepted, then CANCELLED by the customer, stock restored, payment VOIDED', async () => {
    const before = await saga.stock('SKU-GRINDER');
    const id = await saga.placeOrder({ sku: 'SKU-GRINDER', quantity: 2, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id, status: 'AWAITING_PAYMENT', cancellation: 'accepted' });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('cancelled by customer');
    expect(statuses(o)).toEqual(['NEW', 'AWAITING_PAYMENT', 'CANCELLED']);
    expect(o.payment).toMatchObject({ status: 'VOIDED' });
    expect(unitsByState(o)).toEqual({ RELEASED: 2 });
    expect(await saga.stock('SKU-GRINDER')).toEqual(before);
    expect(await noticesAfterCancellation(saga, id)).toEqual(['cancelled']);
  });

  test('cancel right after placing (before the process waits for payment) still cancels, and nothing stays reserved', async () => {
    const before = await saga.stock('SKU-KETTLE');
    const id = await saga.placeOrder({ sku: 'SKU-KETTLE', quantity: 1, paymentMethod: 'pm_no_answer' });
    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(202);
    // Taken at once by its pre-payment phase (the embedded engine starts the process within POST /orders),
    // or queued for a process not started yet (Camunda 8 starts it a moment later); NEW, or AWAITING_PAYMENT
    // if its payment request was already made.
    expect(res.body).toEqual({ id, status: expect.stringMatching(/^(NEW|AWAITING_PAYMENT)$/), cancellation: expect.stringMatching(/^(accepted|queued)$/) });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('cancelled by customer');
    // Cancelled before or after Reserve stock ran: either way no unit is held or sold.
    expect(o.reservations.filter((r) => r.state !== 'RELEASED')).toEqual([]);
    expect(await saga.stock('SKU-KETTLE')).toEqual(before);
  });

  test('cancel while Request payment is stuck in an incident: 202 accepted, CANCELLED by the customer, incident closed, stock back per warehouse, payment VOIDED, one notice', async () => {
    const before = await saga.stock('SKU-FRENCHPRESS');
    const publicBefore = await publicStock(saga, 'SKU-FRENCHPRESS');
    // pm_fail_50: the payment API fails far more often than the model's 5 retries.
    const id = await saga.placeOrder({ sku: 'SKU-FRENCHPRESS', quantity: 3, paymentMethod: 'pm_fail_50' });
    await incidentAtRequestPayment(saga, id);
    const stuck = await saga.order(id);
    expect(stuck.status).toBe('NEW');
    expect(unitsByState(stuck)).toEqual({ RESERVED: 3 });
    expect(await publicStock(saga, 'SKU-FRENCHPRESS')).not.toEqual(publicBefore);

    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id, status: 'NEW', cancellation: 'accepted' });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('cancelled by customer');
    expect(statuses(o)).toEqual(['NEW', 'CANCELLED']);
    expect(o.payment).toMatchObject({ status: 'VOIDED', providerPaymentId: null });
    expect(unitsByState(o)).toEqual({ RELEASED: 3 });
    expect(await openIncidents(saga, id)).toEqual([]);
    const after = await saga.stock('SKU-FRENCHPRESS');
    expect(after.map((r) => ({ warehouseId: r.warehouseId, onHand: r.onHand, available: r.available }))).toEqual(
      before.map((r) => ({ warehouseId: r.warehouseId, onHand: r.onHand, available: r.available })),
    );
    expect(after).toEqual(before);
    expect(await publicStock(saga, 'SKU-FRENCHPRESS')).toEqual(publicBefore);
    expect(await noticesAfterCancellation(saga, id)).toEqual(['cancelled']);
  });

  test(`an order stuck longer than the message TTL (${MESSAGE_TTL_MS} ms here) is still cancelled on request`, async () => {
    const before = await saga.stock('SKU-BOARD');
    const id = await saga.placeOrder({ sku: 'SKU-BOARD', quantity: 1, paymentMethod: 'pm_fail_50_no_answer' });
    const incident = await incidentAtRequestPayment(saga, id);
    // Sit in the incident past the TTL a buffered message would have had.
    const pastTtl = Date.parse(incident.createdAt) + MESSAGE_TTL_MS + 500 - Date.now();
    if (pastTtl > 0) await sleep(pastTtl);
    expect(await openIncidents(saga, id)).toHaveLength(1);

    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id, status: 'NEW', cancellation: 'accepted' });
    // Longer than the TTL again after the request: nothing about it may expire unseen.
    const o = await saga.waitForFinal(id);
    expect(Date.now() - Date.parse(incident.createdAt)).toBeGreaterThan(MESSAGE_TTL_MS);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('cancelled by customer');
    expect(o.payment).toMatchObject({ status: 'VOIDED' });
    expect(await openIncidents(saga, id)).toEqual([]);
    expect(await saga.stock('SKU-BOARD')).toEqual(before);
  });

  test('a repeated cancel answers 202 the same (or, once it has ended, that it ended CANCELLED), and the order is cancelled once: one CANCELLED in its history, one notice', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-TOASTER', quantity: 1, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const first = await saga.post(`/orders/${id}/cancel`);
    const again = await saga.post(`/orders/${id}/cancel`);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ id, status: 'AWAITING_PAYMENT', cancellation: 'accepted' });
    // The repeat answers the same, or, when the compensation already ran to its end in between (a loaded
    // machine: seen once in CI), that the order ended CANCELLED. Never that it cannot be cancelled.
    if (again.status === 202) expect(again.body).toEqual(first.body);
    else expect([again.status, again.body.type, again.body.detail]).toEqual([409, '/problems/order-finished', `order ${id} has already ended as CANCELLED`]);
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(o.history.filter((h) => h.to === 'CANCELLED')).toHaveLength(1);
    expect(await noticesAfterCancellation(saga, id)).toEqual(['cancelled']);
    // Once it has ended, a further request says so.
    const late = await saga.post(`/orders/${id}/cancel`);
    expect(late.status).toBe(409);
    expect(late.body.type).toBe('/problems/order-finished');
    expect((await saga.order(id)).history).toEqual(o.history);
  });

  test('10 clients cancelling the same order at once: each told it is cancelled (202 accepted, or 409 order-finished once it has ended), the order CANCELLED exactly once, one notice', async () => {
    const before = await saga.stock('SKU-MUG-SET');
    const id = await saga.placeOrder({ sku: 'SKU-MUG-SET', quantity: 2, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const answers = await Promise.all(Array.from({ length: 10 }, () => saga.post(`/orders/${id}/cancel`)));
    // One request was taken; the others repeat it while it runs (the same answer) or come after the order
    // ended (it says CANCELLED). None is told the order cannot be cancelled.
    const seen = answers.map((a) =>
      a.status === 202 ? { status: 202, body: a.body } : { status: a.status, type: a.body.type, endedCancelled: /ended as CANCELLED/.test(a.body.detail) },
    );
    for (const answer of seen) {
      expect([
        { status: 202, body: { id, status: 'AWAITING_PAYMENT', cancellation: 'accepted' } },
        { status: 409, type: '/problems/order-finished', endedCancelled: true },
      ]).toContainEqual(answer);
    }
    expect(seen.filter((a) => a.status === 202).length).toBeGreaterThanOrEqual(1);
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('cancelled by customer');
    expect(statuses(o)).toEqual(['NEW', 'AWAITING_PAYMENT', 'CANCELLED']);
    expect(unitsByState(o)).toEqual({ RELEASED: 2 });
    expect(await saga.stock('SKU-MUG-SET')).toEqual(before);
    expect(await noticesAfterCancellation(saga, id)).toEqual(['cancelled']);
  });

  test('cancel after payment (paid, then FULFILLING), nothing shipped: 202, the order ends CANCELLED, its units back on hand, refunded in full', async () => {
    const before = await saga.stock('SKU-KETTLE');
    const id = await saga.placeOrder({ sku: 'SKU-KETTLE', quantity: 1, paymentMethod: 'pm_approve' });
    const o = await saga.waitForFinal(id);
    expect(statuses(o)).toEqual(PAID_PATH);
    expect(paid(o)).toBe(true);
    const res = await saga.post(`/orders/${id}/cancel`);
    expect([res.status, res.body]).toEqual([202, { id, status: 'FULFILLING', cancellation: 'accepted' }]);
    const after = await saga.waitForOrder(id, (x) => x.status === 'CANCELLED', 'CANCELLED after payment');
    expect(statuses(after)).toEqual([...PAID_PATH, 'CANCELLED']);
    expect(after.payment).toMatchObject({ status: 'APPROVED', capturedMinor: 0, refundedMinor: after.total.amountMinor });
    expect(await saga.stock('SKU-KETTLE')).toEqual(before);
  });

  test('cancel of an order that already ended (rejected): 409 order-finished; of an unknown order: 404', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-LAMP', quantity: 50, paymentMethod: 'pm_approve' });
    expect((await saga.waitForFinal(id)).status).toBe('REJECTED');
    const finished = await saga.post(`/orders/${id}/cancel`);
    expect(finished.status).toBe(409);
    expect(finished.body.type).toBe('/problems/order-finished');
    const unknown = await saga.post('/orders/00000000-0000-4000-8000-000000000000/cancel');
    expect(unknown.status).toBe(404);
  });
});

/** A short payment deadline, on a system of its own. */
const PAYMENT_TIMEOUT_MS = 3000;

describe(`payment deadline while the payment request keeps failing (PAYMENT_TIMEOUT=${PAYMENT_TIMEOUT_MS} ms, ${databaseKind})`, () => {
  let fast: Saga;
  beforeAll(async () => {
    fast = await startSaga({ PAYMENT_TIMEOUT: `PT${PAYMENT_TIMEOUT_MS / 1000}S`, PAYMENT_RETRY_BACKOFF_MS: '10' });
  }, 60_000);
  afterAll(async () => {
    await fast?.stop();
  });

  test('an order never paid is CANCELLED "payment timeout" PAYMENT_TIMEOUT after placement, even stuck in an incident at Request payment: stock released, payment VOIDED, incident closed', async () => {
    const before = await fast.stock('SKU-SCALE');
    const id = await fast.placeOrder({ sku: 'SKU-SCALE', quantity: 2, paymentMethod: 'pm_fail_50' });
    await incidentAtRequestPayment(fast, id);
    expect((await fast.order(id)).status).toBe('NEW');

    const o = await fast.waitForFinal(id, PAYMENT_TIMEOUT_MS + 10_000);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('payment timeout');
    expect(statuses(o)).toEqual(['NEW', 'CANCELLED']);
    // The deadline is placement + PAYMENT_TIMEOUT, in whole seconds (rounded up); then a few steps run.
    const tookMs = at(o, 'CANCELLED') - at(o, 'NEW');
    expect(tookMs).toBeGreaterThanOrEqual(PAYMENT_TIMEOUT_MS);
    expect(tookMs).toBeLessThan(PAYMENT_TIMEOUT_MS + 1000 + 2500);
    expect(o.payment).toMatchObject({ status: 'VOIDED' });
    expect(unitsByState(o)).toEqual({ RELEASED: 2 });
    expect(await fast.stock('SKU-SCALE')).toEqual(before);
    expect(await openIncidents(fast, id)).toEqual([]);
    expect(await noticesAfterCancellation(fast, id)).toEqual(['cancelled']);
  });
});
