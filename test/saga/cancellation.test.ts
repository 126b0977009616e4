// Customer cancellation: allowed until the order is paid, refused after.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { startSaga, waitUntil, unitsByState, type Saga } from './support.js';

let saga: Saga;
beforeAll(async () => {
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT1M' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

describe(`customer cancellation (${databaseKind})`, () => {
  test('cancel while waiting for payment: 202, then CANCELLED by the customer, stock restored, payment VOIDED', async () => {
    const before = await saga.stock('SKU-GRINDER');
    const id = await saga.placeOrder({ sku: 'SKU-GRINDER', quantity: 2, paymentMethod: 'pm_no_answer' });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id, cancellation: 'requested' });
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(o.failureReason).toBe('cancelled by customer');
    expect(o.history.map((h) => h.to)).toEqual(['NEW', 'AWAITING_PAYMENT', 'CANCELLED']);
    expect(o.payment).toMatchObject({ status: 'VOIDED' });
    expect(unitsByState(o)).toEqual({ RELEASED: 2 });
    expect(await saga.stock('SKU-GRINDER')).toEqual(before);
    await waitUntil('the cancellation notice', async () => (await saga.notifications(id)).find((n) => n.kind === 'cancelled' && n.status === 'SENT'));
  });

  test('cancel right after placing (before the process waits for payment) still cancels: the message is buffered', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-KETTLE', quantity: 1, paymentMethod: 'pm_no_answer' });
    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(202);
    const o = await saga.waitForFinal(id);
    expect(o.status).toBe('CANCELLED');
    expect(unitsByState(o)).toEqual({ RELEASED: 1 });
  });

  test('cancel after payment: 409 problem, the order stays PAID', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-KETTLE', quantity: 1, paymentMethod: 'pm_approve' });
    await saga.waitForFinal(id);
    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 409, type: '/problems/order-already-paid' });
    expect((await saga.order(id)).status).toBe('PAID');
  });

  test('cancel of an order that already ended (rejected): 409; of an unknown order: 404', async () => {
    const id = await saga.placeOrder({ sku: 'SKU-LAMP', quantity: 50, paymentMethod: 'pm_approve' });
    expect((await saga.waitForFinal(id)).status).toBe('REJECTED');
    const finished = await saga.post(`/orders/${id}/cancel`);
    expect(finished.status).toBe(409);
    expect(finished.body.type).toBe('/problems/order-finished');
    const unknown = await saga.post('/orders/00000000-0000-4000-8000-000000000000/cancel');
    expect(unknown.status).toBe(404);
  });
});
