// The outbox sweep: hand-offs a crash left half done are re-driven. Here the
// "crash" is simulated by writing the durable half directly, as the API or the
// webhook would have before dying, and never doing the second half.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createOrder } from '../../domain/orders/create-order.js';
import { recordPaymentEvent } from '../../domain/payments/payment-events.js';
import { databaseKind } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { PAID_PATH, paid, startSaga, type Saga } from './support.js';

let saga: Saga;
beforeAll(async () => {
  saga = await startSaga({ RECOVERY_INTERVAL_MS: '300', PAYMENT_TIMEOUT: 'PT1M' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

describe(`recovery sweep (${databaseKind})`, () => {
  test('an order saved but never started (the API died before starting its process) is started and paid (then FULFILLING)', async () => {
    const { id } = await createOrder(saga.system.db.prisma, { customerId: 'lost', items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' });
    const o = await saga.waitForFinal(id);
    expect(paid(o)).toBe(true);
    expect(o.history.map((h) => h.to)).toEqual(PAID_PATH);
  });

  test('a verified webhook event recorded but never relayed (Redis lost the job) still reaches the process', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-KETTLE', quantity: 1, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.process?.currentSteps[0]?.elementId === 'AwaitPayment', 'to wait for payment');
    const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId: id } });
    const event = {
      providerEventId: `evt_orphan_${id}`,
      type: 'payment.succeeded' as const,
      orderId: id,
      paymentId: payment.id,
      providerPaymentId: payment.providerPaymentId as string,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    };
    await recordPaymentEvent(saga.system.db.prisma, 'sandbox', event, { recorded: 'by the test, never enqueued' });
    const o = await saga.waitForFinal(id);
    expect(paid(o)).toBe(true);
    expect(o.history.find((h) => h.to === 'PAID')?.reason).toBe(`payment approved (provider event ${event.providerEventId})`);
    await waitFor(
      'the event to be marked processed',
      async () =>
        (await saga.system.db.prisma.paymentEvent.findFirst({ where: { providerEventId: event.providerEventId, processedAt: { not: null } } })) ?? undefined,
    );
  });
});
