// The saga's endings, end to end: real HTTP, real Redis, the embedded engine, the
// sandbox provider calling our signed webhook. Each scenario checks what a
// customer and an operator would see: status, stock per warehouse, payment,
// history and notifications.
import { DEV_API_KEY } from '../../infra/config.js';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { scrape, total as sampleTotal } from '../ops/prometheus.js';
import { waitFor, sleep } from '../support/wait.js';
import { adminAuth, PAID_PATH, paid, startSaga, unitsByState, type Saga, type StockRow } from './support.js';

/** Without a payment result for this long, the saga asks the provider (and again after each "pending"). */
const STATUS_CHECK_INTERVAL_MS = 300;

let saga: Saga;
beforeAll(async () => {
  // The sandbox decides SANDBOX_DELAY_MS (30 ms in tests) after the request: well before the first status check.
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT3S', PAYMENT_STATUS_CHECK_INTERVAL: `PT${STATUS_CHECK_INTERVAL_MS / 1000}S` });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});
// Each scenario answers for its own log, whichever ran before it: an error-level line
// (a 500, or a failure the service only logged) fails the test it came during, or the
// next one when it came between tests (or while the system started, before the first).
let errorLinesChecked = 0;
afterEach(() => {
  const logged = saga.errorLines.slice(errorLinesChecked);
  errorLinesChecked = saga.errorLines.length;
  expect({ 'error-level log lines': logged }).toEqual({ 'error-level log lines': [] });
});

const total = (rows: StockRow[], k: keyof StockRow) => rows.reduce((n, r) => n + (r[k] as number), 0);
const statuses = (o: { history: { to: string }[] }) => o.history.map((h) => h.to);
/** Status checks answered so far, all orders together (order_saga_job_duration_seconds_count): scenarios here run one at a time. */
const statusChecksAnswered = async () =>
  sampleTotal(await scrape(saga.url), 'order_saga_job_duration_seconds_count', { task_type: 'check-payment-status', outcome: 'complete' });

describe(`order outcomes, none answering 500 or logging an error (${databaseKind})`, () => {
  test('approved payment: order paid (then FULFILLING), units sold from one warehouse, payment APPROVED, customer told', async () => {
    const before = await saga.stock('SKU-SCALE');
    const id = await saga.placeOrder({ sku: 'SKU-SCALE', quantity: 2, paymentMethod: 'pm_approve', customerEmail: 'ada@example.com' });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('FULFILLING');
    expect(statuses(o)).toEqual(PAID_PATH);
    expect(o.payment).toMatchObject({ status: 'APPROVED', provider: 'sandbox' });
    expect(unitsByState(o)).toEqual({ COMMITTED: 2 });
    const after = await saga.stock('SKU-SCALE');
    expect(total(after, 'onHand')).toBe(total(before, 'onHand') - 2);
    expect(total(after, 'reserved')).toBe(total(before, 'reserved'));
    expect(total(after, 'sold') - total(before, 'sold')).toBe(2);
    await waitFor('the confirmation to be sent', async () => (await saga.notifications(id)).find((n) => n.kind === 'confirmed' && n.status === 'SENT'));
    expect((await saga.notifications(id)).map((n) => n.kind)).toEqual(['confirmed']);
  });

  test('out of stock: order REJECTED naming the short SKU, nothing reserved, no payment asked', async () => {
    const before = await saga.stock('SKU-LAMP');
    const id = await saga.placeOrder({
      items: [
        { sku: 'SKU-KETTLE', quantity: 1 },
        { sku: 'SKU-LAMP', quantity: 4 },
      ],
      paymentMethod: 'pm_approve',
    });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('REJECTED');
    expect(o.failureReason).toMatch(/SKU-LAMP \(requested 4, available 3\)/);
    expect(o.reservations).toEqual([]);
    expect(o.payment).toBeNull();
    expect(await saga.stock('SKU-LAMP')).toEqual(before);
    await waitFor('the rejection notice', async () => (await saga.notifications(id)).find((n) => n.kind === 'rejected' && n.status === 'SENT'));
  });

  test('declined payment: PAYMENT_FAILED with the reason, stock restored, payment DECLINED', async () => {
    const before = await saga.stock('SKU-BOARD');
    const id = await saga.placeOrder({ sku: 'SKU-BOARD', quantity: 3, paymentMethod: 'pm_decline' });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('PAYMENT_FAILED');
    expect(o.failureReason).toMatch(/card_declined/);
    expect(statuses(o)).toEqual(['NEW', 'AWAITING_PAYMENT', 'PAYMENT_FAILED']);
    expect(o.payment).toMatchObject({ status: 'DECLINED' });
    expect(unitsByState(o)).toEqual({ RELEASED: 3 });
    expect(await saga.stock('SKU-BOARD')).toEqual(before);
    await waitFor('the payment-failed notice', async () => (await saga.notifications(id)).find((n) => n.kind === 'payment-failed' && n.status === 'SENT'));
  });

  test('no answer from the provider: CANCELLED after the configured payment timeout, stock restored, payment VOIDED', async () => {
    const before = await saga.stock('SKU-KNIFE');
    const placedAt = Date.now();
    const id = await saga.placeOrder({ sku: 'SKU-KNIFE', quantity: 1, paymentMethod: 'pm_no_answer' });
    // Zeebe: the event-based gateway is what waits; its catch events activate only when one of them fires.
    const waiting = await saga.waitForOrder(id, (o) => o.process?.currentSteps[0]?.name === 'Await payment', 'to wait at "Await payment"');
    expect(waiting.status).toBe('AWAITING_PAYMENT');
    expect(waiting.process?.currentSteps).toHaveLength(1);
    const o = await saga.waitForFinal(id);
    expect(Date.now() - placedAt).toBeGreaterThanOrEqual(3000);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('payment timeout');
    expect(o.payment).toMatchObject({ status: 'VOIDED' });
    expect(unitsByState(o)).toEqual({ RELEASED: 1 });
    expect(await saga.stock('SKU-KNIFE')).toEqual(before);
    await waitFor('the cancellation notice', async () => (await saga.notifications(id)).find((n) => n.kind === 'cancelled' && n.status === 'SENT'));
  });

  test('a webhook lost on purpose (pm_approve_lost_webhook) is still paid (then FULFILLING), through the status check: units sold, payment APPROVED, one confirmation', async () => {
    const before = await saga.stock('SKU-FRENCHPRESS');
    const checksBefore = await statusChecksAnswered();
    const id = await saga.placeOrder({ sku: 'SKU-FRENCHPRESS', quantity: 2, paymentMethod: 'pm_approve_lost_webhook', customerEmail: 'lost@example.com' });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('FULFILLING');
    expect(statuses(o)).toEqual(PAID_PATH);
    expect(o.history.find((h) => h.to === 'PAID')?.reason).toBe('payment approved (status check at the provider)');
    expect(o.payment).toMatchObject({ status: 'APPROVED', provider: 'sandbox' });
    expect(await statusChecksAnswered()).toBeGreaterThan(checksBefore);
    // The provider never called: nothing reached the webhook inbox for this order.
    expect(await saga.system.db.prisma.paymentEvent.count({ where: { orderId: id } })).toBe(0);
    expect(unitsByState(o)).toEqual({ COMMITTED: 2 });
    const after = await saga.stock('SKU-FRENCHPRESS');
    expect(total(after, 'onHand')).toBe(total(before, 'onHand') - 2);
    expect(total(after, 'reserved')).toBe(total(before, 'reserved'));
    expect(total(after, 'sold') - total(before, 'sold')).toBe(2);
    await waitFor('the confirmation to be sent', async () => (await saga.notifications(id)).find((n) => n.kind === 'confirmed' && n.status === 'SENT'));
    await sleep(300);
    expect((await saga.notifications(id)).map((n) => n.kind)).toEqual(['confirmed']);
  });

  test(`a provider that never decides (pm_no_answer) is asked every ${STATUS_CHECK_INTERVAL_MS} ms, answers pending each time, and the order is CANCELLED "payment timeout"`, async () => {
    const before = await saga.stock('SKU-GRINDER');
    const checksBefore = await statusChecksAnswered();
    const placedAt = Date.now();
    const id = await saga.placeOrder({ sku: 'SKU-GRINDER', quantity: 1, paymentMethod: 'pm_no_answer' });
    const o = await saga.waitForFinal(id);
    const lived = Date.now() - placedAt;
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('payment timeout');
    // Pending answers change nothing the customer sees: still awaiting payment until the deadline.
    expect(statuses(o)).toEqual(['NEW', 'AWAITING_PAYMENT', 'CANCELLED']);
    // Asked repeatedly: at least twice in the 3 s before the deadline, and never more often than the interval allows.
    const checks = (await statusChecksAnswered()) - checksBefore;
    expect(checks).toBeGreaterThanOrEqual(2);
    expect(checks).toBeLessThanOrEqual(Math.ceil(lived / STATUS_CHECK_INTERVAL_MS));
    expect(o.payment).toMatchObject({ status: 'VOIDED' });
    expect(unitsByState(o)).toEqual({ RELEASED: 1 });
    expect(await saga.stock('SKU-GRINDER')).toEqual(before);
    await waitFor('the cancellation notice', async () => (await saga.notifications(id)).find((n) => n.kind === 'cancelled' && n.status === 'SENT'));
    expect((await saga.notifications(id)).map((n) => n.kind)).toEqual(['cancelled']);
  });

  test('transient provider failures are retried with back-off, then the order is paid (then FULFILLING)', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-MUG-SET', quantity: 1, paymentMethod: 'pm_fail_3' });
    const o = await saga.waitForFinal(id);
    expect(paid(o)).toBe(true);
    expect(o.payment).toMatchObject({ status: 'APPROVED' });
    const incidents = await saga.get('/ops/api/incidents', adminAuth);
    expect(incidents.body.incidents.filter((i: { orderId: string }) => i.orderId === id)).toEqual([]);
  });

  test('provider failing past all retries: an incident naming the order; retrying it gets the order paid (then FULFILLING)', async () => {
    // Request payment has 5 retries in the model; the sandbox fails 6 times, then approves.
    const id = await saga.placeOrder({ sku: 'SKU-TEAPOT', quantity: 1, paymentMethod: 'pm_fail_6' });
    const incident = await waitFor('an incident for the order', async () => {
      const res = await saga.get('/ops/api/incidents', adminAuth);
      return (res.body.incidents as { orderId: string; key: string; elementId: string; errorMessage: string }[]).find((i) => i.orderId === id);
    });
    expect(incident.elementId).toBe('RequestPayment');
    expect(incident.errorMessage).toMatch(/attempt 5 of 6/);
    // An incident is an operator's alarm: this test's one expected error-level line (test/ops/incident-alarm.test.ts).
    await waitFor('the incident to be logged', async () => saga.errorLines.length > errorLinesChecked);
    expect(saga.errorLines.slice(errorLinesChecked).map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ orderId: id, elementId: 'RequestPayment', incidentKey: incident.key, errorType: 'JOB_NO_RETRIES' }),
    ]);
    errorLinesChecked = saga.errorLines.length;
    const stuck = await saga.order(id);
    expect(stuck.status).toBe('NEW');
    expect(stuck.process?.currentSteps.map((s) => s.elementId)).toEqual(['RequestPayment']);

    const retried = await saga.post(`/ops/api/incidents/${incident.key}/retry`, { retries: 2 }, adminAuth);
    expect(retried.status).toBe(202);
    const o = await saga.waitForFinal(id);
    expect(paid(o)).toBe(true);
    const after = await saga.get('/ops/api/incidents', adminAuth);
    expect(after.body.incidents.filter((i: { orderId: string }) => i.orderId === id)).toEqual([]);
  });

  test('Bull Board at /ops/queues asks a browser for the admin token and lists the saga queues', async () => {
    const anonymous = await fetch(`${saga.url}/ops/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    const basic = `Basic ${Buffer.from(`ops:${DEV_API_KEY}`).toString('base64')}`;
    const wrong = await fetch(`${saga.url}/ops/queues`, { headers: { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const page = await fetch(`${saga.url}/ops/queues`, { headers: { authorization: basic } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
    const api = await fetch(`${saga.url}/ops/queues/api/queues`, { headers: { authorization: basic } });
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(['notifications', 'payment-events', 'sandbox-provider']);
  });
});
