// The security review's probe, through the whole system: an order waiting for its
// payment (pm_no_answer: the sandbox never calls back) gets an approval signed with
// the webhook secret, the development one, but for 1 cent under a made-up provider id.
// It must settle nothing; the genuine approval afterwards still pays the order.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { sleep } from '../support/wait.js';
import { approvalEvent, PAID_PATH, type Saga, startSaga } from '../saga/support.js';

const DEVELOPMENT_SECRET = 'whsec_sandbox_development_only';

let saga: Saga;
beforeAll(async () => {
  saga = await startSaga({ SANDBOX_WEBHOOK_SECRET: DEVELOPMENT_SECRET, PAYMENT_TIMEOUT: 'PT1M' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

describe(`a signed payment event that does not describe the payment (${databaseKind})`, () => {
  test('the forged approval (amountMinor 1, providerPaymentId sbx_forged) is refused with 422 and changes nothing; the genuine one pays the order', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-KETTLE', quantity: 1, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId: id } });
    expect(payment.amountMinor).toBeGreaterThan(1);

    const forged = approvalEvent(id, { ...payment, amountMinor: 1, providerPaymentId: 'sbx_forged' }, `evt_forged_${id}`);
    const refused = await saga.sendWebhook(forged, { secret: DEVELOPMENT_SECRET });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('/problems/payment-mismatch');
    expect(refused.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['amountMinor', 'providerPaymentId']);

    // Long enough for a recorded event to have been relayed and the order paid (the sandbox delay here is 30 ms).
    await sleep(1_000);
    expect(await saga.system.db.prisma.paymentEvent.count({ where: { orderId: id } })).toBe(0);
    const after = await saga.order(id);
    expect(after.status).toBe('AWAITING_PAYMENT');
    expect(after.payment?.status).toBe('REQUESTED');
    const metrics = await (await fetch(`${saga.url}/metrics`)).text();
    expect(metrics).toContain('order_saga_webhook_refused_total{provider="sandbox",reason="payment-mismatch"} 1');

    const genuine = await saga.sendWebhook(approvalEvent(id, payment, `evt_genuine_${id}`), { secret: DEVELOPMENT_SECRET });
    expect(genuine).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    const paid = await saga.waitForFinal(id);
    expect([paid.status, paid.history.map((h) => h.to)]).toEqual(['FULFILLING', [...PAID_PATH]]);
    expect(paid.history.find((h) => h.to === 'PAID')?.reason).toBe(`payment approved (provider event evt_genuine_${id})`);
  });
});
