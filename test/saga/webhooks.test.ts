// Payment callbacks through the whole system: early, duplicated, replayed, forged.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { waitFor, sleep } from '../support/wait.js';
import { adminAuth, approvalEvent, PAID_PATH, paid, type Saga, startSaga } from './support.js';

let saga: Saga;
beforeAll(async () => {
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT1M' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

async function paymentOf(orderId: string) {
  return saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId } });
}

const eventRows = (providerEventId: string) => saga.system.db.prisma.paymentEvent.count({ where: { providerEventId } });

describe(`payment webhooks end to end (${databaseKind})`, () => {
  test('a callback that arrives before the process waits for it still correlates (message buffered with a TTL)', async () => {
    // pm_fail_5_no_answer: Request payment fails 5 times (the model's retries), so the order is parked in an
    // incident at that step, with no subscription open, for as long as the test likes; and the sandbox never
    // calls back, so the only approval there is comes from this test.
    const id = await saga.placeOrder({ sku: 'SKU-FRENCHPRESS', quantity: 1, paymentMethod: 'pm_fail_5_no_answer' });
    const incident = await waitFor('the incident at Request payment', async () => {
      const res = await saga.get('/ops/api/incidents', adminAuth);
      return (res.body.incidents as { key: string; orderId: string | null; elementId: string }[]).find((i) => i.orderId === id);
    });
    expect(incident.elementId).toBe('RequestPayment');
    const eventId = `evt_early_${id}`;
    expect((await saga.sendWebhook(approvalEvent(id, await paymentOf(id), eventId))).status).toBe(200);
    // Processed = published to the engine, which had nothing waiting for it: it is buffered.
    await waitFor(
      'the early event to be published',
      async () => (await saga.system.db.prisma.paymentEvent.findFirst({ where: { providerEventId: eventId } }))?.processedAt,
    );
    const early = await saga.order(id);
    expect(early.status).toBe('NEW');
    expect(early.process?.currentSteps.map((s) => s.elementId)).toEqual(['RequestPayment']);

    expect((await saga.post(`/ops/api/incidents/${incident.key}/retry`, { retries: 1 }, adminAuth)).status).toBe(202);
    const o = await saga.waitForFinal(id);
    expect(paid(o)).toBe(true);
    expect(o.history.find((h) => h.to === 'PAID')?.reason).toBe(`payment approved (provider event ${eventId})`);
    expect((await saga.system.db.prisma.paymentEvent.findMany({ where: { orderId: id } })).map((e) => e.providerEventId)).toEqual([eventId]);
  });

  test('paying by hand as docs/api.md shows: the order view names the payment a webhook must describe', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-TOASTER', quantity: 1, paymentMethod: 'pm_no_answer' });
    const waiting = await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    expect(waiting.payment).toMatchObject({ id: (await paymentOf(id)).id, status: 'REQUESTED' });
    expect((await saga.sendWebhook(approvalEvent(id, waiting.payment!, `evt_by_hand_${id}`))).status).toBe(200);
    expect(paid(await saga.waitForFinal(id))).toBe(true);
  });

  test('the same callback delivered 5 times at once and replayed later has one effect', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-TOASTER', quantity: 1, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const event = approvalEvent(id, await paymentOf(id), `evt_dup_${id}`);
    const answers = await Promise.all(Array.from({ length: 5 }, () => saga.sendWebhook(event)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('FULFILLING');
    expect(o.history.map((h) => h.to)).toEqual(PAID_PATH);
    expect(o.history.filter((h) => h.to === 'PAID')).toHaveLength(1);
    expect(await eventRows(event.id)).toBe(1);

    const replay = await saga.sendWebhook({ ...event, created: Math.floor(Date.now() / 1000) });
    expect(replay).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    await sleep(300);
    const later = await saga.order(id);
    expect(later.history).toEqual(o.history);
    expect(await eventRows(event.id)).toBe(1);
    expect((await saga.notifications(id)).filter((n) => n.kind === 'confirmed')).toHaveLength(1);
  });

  test('a forged or stale signature is refused with 401 and nothing is recorded or changed', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-TOASTER', quantity: 1, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const event = approvalEvent(id, await paymentOf(id), `evt_forged_${id}`);
    const forged = await saga.sendWebhook(event, { secret: 'whsec_not_the_real_secret_at_all' });
    const stale = await saga.sendWebhook(event, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    const unsigned = await saga.sendWebhook(event, { signature: '' });
    for (const res of [forged, stale, unsigned]) {
      expect(res.status).toBe(401);
      expect(res.body.errors[0].field).toMatch(/sandbox-signature/i);
    }
    expect(await eventRows(event.id)).toBe(0);
    await sleep(300);
    expect((await saga.order(id)).status).toBe('AWAITING_PAYMENT');
  });

  test('a malformed callback body is a 400 naming the field, nothing recorded', async () => {
    const res = await saga.sendWebhook({ id: 'evt_bad', type: 'payment.succeeded', data: { amountMinor: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['data.orderId']));
    expect(await eventRows('evt_bad')).toBe(0);
  });
});
