// The customer cancels a paid order (issue 17, docs/fulfilment.md), on the whole system as
// `npm start` wires it: until the first shipment has shipped, every shipment is stopped, its
// business told (the webhook plugin's `stop`), its units put back and its amount given back,
// and the order ends CANCELLED, refunded in full; once something shipped, 409 naming why.
// A local HTTP server stands in for one business's system (a boundary we cannot reach: it
// only records what it receives); the other business answers over the API as ops would.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { businessAnswerer } from './business-answer.js';
import { startRecordingBusiness, type RecordingBusiness } from './recording-business.js';
import { PAID_PATH, startSaga, type Saga } from '../saga/support.js';

const SECRET = 'bsec_cancel_after_payment_test_secret_0123';
let saga: Saga;
let hook: RecordingBusiness;

beforeAll(async () => {
  hook = await startRecordingBusiness();
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT5M' });
  const prisma = saga.system.db.prisma;
  const url = hook.url;
  await prisma.business.create({
    data: { id: 'cancel-hook', name: 'Hook & Co', contactEmail: 'hook@example.com', dispatcher: 'webhook', dispatcherSettings: { url }, secret: SECRET },
  });
  await prisma.business.create({ data: { id: 'cancel-desk', name: 'Desk Ltd', contactEmail: 'desk@example.com', dispatcher: 'manual', secret: SECRET } });
  await prisma.product.update({ where: { sku: 'SKU-KETTLE' }, data: { businessId: 'cancel-hook' } });
  await prisma.product.update({ where: { sku: 'SKU-LAMP' }, data: { businessId: 'cancel-desk' } });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
  await hook?.close();
});

const answer = businessAnswerer(() => saga.url, SECRET);

const onHand = async (sku: string) => (await saga.stock(sku)).reduce((n, r) => n + r.onHand, 0);
const shipmentsOf = (orderId: string) => saga.system.db.prisma.shipment.findMany({ where: { orderId }, orderBy: { businessId: 'asc' } });

/** A paid order of a kettle (the webhook business) and a lamp (the manual one), both shipments sent. */
async function paidAndSent() {
  const id = await saga.placeOrder({
    items: [
      { sku: 'SKU-KETTLE', quantity: 2 },
      { sku: 'SKU-LAMP', quantity: 1 },
    ],
    paymentMethod: 'pm_approve',
  });
  // By business id: cancel-desk, then cancel-hook.
  const [desk, hooked] = await waitFor('both shipments sent', async () => {
    const rows = await shipmentsOf(id);
    return rows.length === 2 && rows.every((s) => s.status === 'SENT') && rows;
  });
  return { id, hooked: hooked!, desk: desk! };
}

describe(`cancellation after payment (${databaseKind})`, () => {
  test('before anything shipped: 202; each shipment stopped and its business told, its units back on hand, its amount given back; the order ends CANCELLED, refunded in full', async () => {
    const before = { kettles: await onHand('SKU-KETTLE'), lamps: await onHand('SKU-LAMP') };
    const { id, hooked, desk } = await paidAndSent();
    expect((await answer('cancel-desk', desk.id, { id: 'desk-1', type: 'accepted' })).status).toBe(200);
    await waitFor('the desk shipment ACCEPTED', async () => (await shipmentsOf(id))[0]!.status === 'ACCEPTED');

    const res = await saga.post(`/orders/${id}/cancel`);
    expect([res.status, res.body]).toEqual([202, { id, status: 'FULFILLING', cancellation: 'accepted' }]);
    const done = await saga.waitForOrder(id, (o) => o.status === 'CANCELLED', 'CANCELLED after payment');
    expect(done.history.map((h) => h.to)).toEqual([...PAID_PATH, 'CANCELLED']);
    expect(done.failureReason).toBe('cancelled by the customer after payment: refunded in full');

    const view = (await saga.get(`/orders/${id}`)).body;
    expect(view.payment).toMatchObject({ amountMinor: done.total.amountMinor, capturedMinor: 0, refundedMinor: done.total.amountMinor });
    const rows = await shipmentsOf(id);
    expect(rows.map((s) => [s.businessId, s.status, s.refundedMinor])).toEqual([
      ['cancel-desk', 'CANCELLED', desk.amountMinor],
      ['cancel-hook', 'CANCELLED', hooked.amountMinor],
    ]);
    expect({ kettles: await onHand('SKU-KETTLE'), lamps: await onHand('SKU-LAMP') }).toEqual(before);
    // The webhook business got its shipment, then the stop; the manual one is read by ops on the ops page.
    await waitFor('the stop at the business', async () => hook.received.some((m) => m.shipmentId === hooked.id && m.type === 'shipment.stop'));
    expect(hook.received.filter((m) => m.shipmentId === hooked.id).map((m) => m.type)).toEqual(['shipment.dispatch', 'shipment.stop']);

    // The customer hears once per shipment that its money goes back because they cancelled.
    const told = await waitFor('the refund notifications', async () => {
      const list = (await saga.notifications(id)).filter((n) => n.kind === 'shipment-refunded');
      return list.length === 2 && list;
    });
    for (const n of told) expect(n.subject).toBe(`Your order ${id.slice(0, 8)} is cancelled: your money goes back`);

    // Too late for the business to ship; too late to cancel again.
    expect((await answer('cancel-desk', desk.id, { id: 'desk-2', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD9' })).status).toBe(409);
    const again = await saga.post(`/orders/${id}/cancel`);
    expect([again.status, again.body.type]).toEqual([409, '/problems/order-finished']);
  }, 90_000);

  test('once a shipment has shipped: 409 order-shipped naming status, and nothing is cancelled', async () => {
    const { id, hooked, desk } = await paidAndSent();
    expect((await answer('cancel-desk', desk.id, { id: 'desk-s', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD10' })).status).toBe(200);
    await saga.waitForOrder(id, (o) => o.status === 'PARTIALLY_SHIPPED', 'PARTIALLY_SHIPPED');

    const res = await saga.post(`/orders/${id}/cancel`);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/order-shipped', errors: [{ field: 'status' }] });
    expect(res.body.detail).toContain('has already shipped');
    const after = await saga.order(id);
    expect(after.status).toBe('PARTIALLY_SHIPPED');
    expect((await shipmentsOf(id)).map((s) => s.status)).toEqual(['SHIPPED', 'SENT']);
    expect(hook.received.filter((m) => m.shipmentId === hooked.id).map((m) => m.type)).toEqual(['shipment.dispatch']);
  }, 90_000);
});
