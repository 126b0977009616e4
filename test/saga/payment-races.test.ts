// A customer's cancellation racing the provider's approval, and an approval that
// arrives after the order was already cancelled, through the whole system over
// HTTP. The approvals are signed webhooks sent as the provider would send them
// (the provider is the boundary we cannot reach). pm_approve_lost_webhook: the sandbox's bank
// approves, but its callback never comes (and the status check is not due within a test), so
// every approval here is the test's own, and the provider's books agree with it: an order
// cancelled after payment can be given its money back.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { approvalEvent, type OrderView, PAID_PATH, type Saga, startSaga, unitsByState } from './support.js';

const LATE_APPROVAL_LOG = 'payment approved after the order ended unpaid; the authorization is released';

type Harness = { saga: Saga; warnings: { msg: string; orderId?: string }[] };

/** A system started before the describe block's tests and stopped after them; warn lines are kept. */
function systemFor(env: Record<string, string>): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    const warnings: Harness['warnings'] = [];
    const saga = await startSaga(env, { onLine: (line) => warnings.push(JSON.parse(line) as { msg: string; orderId?: string }) });
    h = { saga, warnings };
  }, 60_000);
  afterAll(async () => {
    await h?.saga.stop();
  });
  return () => h as Harness;
}

/** Places an order whose approval only the test will deliver, and waits until its process sits at "Await payment". */
async function awaitingPayment(saga: Saga, sku: string, quantity: number, customerId = 'cust-race'): Promise<string> {
  const id = await saga.placeOrder({ sku, quantity, paymentMethod: 'pm_approve_lost_webhook', customerId });
  await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT' && o.process?.currentSteps[0]?.elementId === 'AwaitPayment', 'to wait at Await payment');
  return id;
}

async function sendApproval(saga: Saga, orderId: string, eventId: string) {
  const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId } });
  return saga.sendWebhook(approvalEvent(orderId, payment, eventId));
}

/** The inbox row of an event once the relay has dealt with it. */
const processed = (saga: Saga, providerEventId: string) =>
  waitFor(`event ${providerEventId} to be processed`, async () => {
    const row = await saga.system.db.prisma.paymentEvent.findFirst({ where: { providerEventId } });
    return row?.processedAt ? row : undefined;
  });

const kinds = async (saga: Saga, id: string) => (await saga.notifications(id)).map((n) => n.kind).sort();

/** What a cancelled order must show: stock back, payment voided, the customer told once. */
async function expectCancelledOnce(saga: Saga, o: OrderView, quantity: number, reason: string) {
  expect(o.status).toBe('CANCELLED');
  expect(o.failureReason).toBe(reason);
  expect(o.history.filter((h) => h.to === 'CANCELLED')).toHaveLength(1);
  expect(o.history.map((h) => h.to)).not.toContain('PAID');
  expect(unitsByState(o)).toEqual({ RELEASED: quantity });
  expect(o.payment?.status).toBe('VOIDED');
  expect(await kinds(saga, o.id)).toEqual(['cancelled']);
}

/** What an order cancelled after payment must show: PAID once, then CANCELLED, the sale undone, refunded in full, the customer told. */
async function expectCancelledAfterPayment(saga: Saga, o: OrderView, quantity: number) {
  expect(o.status).toBe('CANCELLED');
  expect(o.failureReason).toBe('cancelled by the customer after payment: refunded in full');
  expect(o.history.map((h) => h.to)).toEqual([...PAID_PATH, 'CANCELLED']);
  expect(unitsByState(o)).toEqual({ RELEASED: quantity });
  expect(o.payment).toMatchObject({ status: 'APPROVED', capturedMinor: 0, refundedMinor: o.total.amountMinor });
  expect(await kinds(saga, o.id)).toEqual(['confirmed', 'shipment-refunded']);
}

/** What a paid order must show: PAID once, then FULFILLING (its shipments sent), the stock sold, the payment approved, the customer told once. */
async function expectPaidOnce(saga: Saga, o: OrderView, quantity: number) {
  expect(o.status).toBe('FULFILLING');
  expect(o.history.map((h) => h.to)).toEqual(PAID_PATH);
  expect(o.history.filter((h) => h.to === 'PAID')).toHaveLength(1);
  expect(o.history.map((h) => h.to)).not.toContain('CANCELLED');
  expect(unitsByState(o)).toEqual({ COMMITTED: quantity });
  expect(o.payment?.status).toBe('APPROVED');
  expect(await kinds(saga, o.id)).toEqual(['confirmed']);
}

/**
 * Sends an approval for an order that ended CANCELLED and checks that it changed nothing the
 * customer or the shop sees, and that the relay released it (its warning, once).
 */
async function expectLateApprovalReleased(h: Harness, cancelled: OrderView, quantity: number, reason: string, stockBefore: unknown) {
  const { saga } = h;
  const eventId = `evt_late_${cancelled.id}`;
  expect((await sendApproval(saga, cancelled.id, eventId)).status).toBe(200);
  await processed(saga, eventId);
  const after = await saga.order(cancelled.id);
  expect(after.history).toEqual(cancelled.history);
  await expectCancelledOnce(saga, after, quantity, reason);
  expect(await saga.stock(cancelled.items[0]?.sku as string)).toEqual(stockBefore);
  expect(h.warnings.filter((w) => w.orderId === cancelled.id && w.msg === LATE_APPROVAL_LOG)).toHaveLength(1);
}

describe(`a cancellation racing the payment approval (${databaseKind})`, () => {
  const system = systemFor({ PAYMENT_TIMEOUT: 'PT1M', PAYMENT_STATUS_CHECK_INTERVAL: 'PT50S' });

  test('cancel first, approval after: CANCELLED once with stock back and payment VOIDED; the late approval is released at the provider, not paid, and the customer is told once', async () => {
    const { saga } = system();
    const before = await saga.stock('SKU-GRINDER');
    const id = await awaitingPayment(saga, 'SKU-GRINDER', 2);
    expect((await saga.post(`/orders/${id}/cancel`)).status).toBe(202);
    const cancelled = await saga.waitForFinal(id);
    await expectCancelledOnce(saga, cancelled, 2, 'cancelled by customer');
    await expectLateApprovalReleased(system(), cancelled, 2, 'cancelled by customer', before);
  });

  test('approval first, cancel after: paid once (PAID, then FULFILLING) with the stock sold; the cancel, before anything shipped, is honoured after payment', async () => {
    const { saga } = system();
    const id = await awaitingPayment(saga, 'SKU-BOARD', 1);
    expect((await sendApproval(saga, id, `evt_before_cancel_${id}`)).status).toBe(200);
    const o = await saga.waitForFinal(id);
    await expectPaidOnce(saga, o, 1);
    expect(o.history.find((h) => h.to === 'PAID')?.reason).toBe(`payment approved (provider event evt_before_cancel_${id})`);

    const accepted = await saga.post(`/orders/${id}/cancel`);
    expect([accepted.status, accepted.body]).toEqual([202, { id, status: 'FULFILLING', cancellation: 'accepted' }]);
    await expectCancelledAfterPayment(saga, await saga.waitForOrder(id, (x) => x.status === 'CANCELLED', 'CANCELLED after payment'), 1);
  });

  test('cancel and approval sent at the same moment, in both orders, for 8 orders: each order ends in exactly one outcome, with stock, payment and notifications to match', async () => {
    const { saga } = system();
    const sku = 'SKU-SCALE';
    const before = await saga.stock(sku);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await awaitingPayment(saga, sku, 1 + (i % 2), `cust-race-${i}`));

    const answers = await Promise.all(
      ids.map(async (id, i) => {
        const cancel = () => saga.post(`/orders/${id}/cancel`);
        const approve = () => sendApproval(saga, id, `evt_race_${id}`);
        // Started in this order, without waiting: which one the engine sees first is up to the race.
        const [first, second] = i % 2 === 0 ? [cancel(), approve()] : [approve(), cancel()];
        const [a, b] = await Promise.all([first, second]);
        return i % 2 === 0 ? { cancel: a, approve: b } : { cancel: b, approve: a };
      }),
    );

    for (const [i, id] of ids.entries()) {
      const quantity = 1 + (i % 2);
      const answer = answers[i] as (typeof answers)[number];
      expect(answer.approve.status).toBe(200);
      // Nothing has shipped: the cancel is honoured whichever came first, before payment (voided) or after it (refunded).
      expect(answer.cancel.status).toBe(202);
      const o = await saga.waitForOrder(id, (x) => x.status === 'CANCELLED', 'CANCELLED');
      await processed(saga, `evt_race_${id}`);
      if (o.history.some((h) => h.to === 'PAID')) await expectCancelledAfterPayment(saga, o, quantity);
      else await expectCancelledOnce(saga, o, quantity, 'cancelled by customer');
    }

    // Per warehouse: nothing left reserved by these orders, nothing sold, every unit back on hand.
    const after = await saga.stock(sku);
    const total = (rows: typeof after, field: 'onHand' | 'reserved' | 'sold') => rows.reduce((sum, r) => sum + r[field], 0);
    expect(total(after, 'reserved')).toBe(total(before, 'reserved'));
    expect(total(after, 'onHand')).toBe(total(before, 'onHand'));
    for (const row of after) expect(row.onHand).toBe(row.available + row.reserved);
  });
});

describe(`an approval after the payment timeout cancelled the order (${databaseKind})`, () => {
  const system = systemFor({ PAYMENT_TIMEOUT: 'PT1S' });

  test('the order stays CANCELLED, the payment VOIDED (released again at the provider), the stock back, and the customer is told once, never "confirmed"', async () => {
    const { saga } = system();
    const before = await saga.stock('SKU-KNIFE');
    const id = await saga.placeOrder({ sku: 'SKU-KNIFE', quantity: 1, paymentMethod: 'pm_no_answer' });
    const cancelled = await saga.waitForFinal(id);
    await expectCancelledOnce(saga, cancelled, 1, 'payment timeout');
    await expectLateApprovalReleased(system(), cancelled, 1, 'payment timeout', before);
  });
});
