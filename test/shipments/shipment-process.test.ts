// An order's life after PAID on the whole system as `npm start` wires it: embedded engine,
// workers, real Redis, the sandbox provider, real HTTP. The order process splits a paid order
// into shipments and runs bpmn/shipment.bpmn for each; the businesses (manual dispatcher, so
// nothing leaves the machine) answer over HTTP, signed with their secret, as a business's
// system would, and the customer confirms delivery through the API.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { signPayload } from '../../domain/payments/signature.js';
import { adminAuth, startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';
import { businessAnswerer } from './business-answer.js';

let saga: Saga;
const SECRET = 'bsec_shipment_process_test_secret_0123456789';

beforeAll(async () => {
  // Test-short windows: delivery presumed 3 s after shipping, funds released 3 s after delivery.
  saga = await startSaga({ FULFILMENT_DELIVERY_PRESUMED_AFTER: 'PT3S', FULFILMENT_ACCEPTANCE_WINDOW: 'PT3S' });
  const prisma = saga.system.db.prisma;
  for (const id of ['proc-north', 'proc-south']) {
    await prisma.business.create({ data: { id, name: id, contactEmail: `${id}@example.com`, dispatcher: 'manual', secret: SECRET } });
  }
  await prisma.product.update({ where: { sku: 'SKU-KETTLE' }, data: { businessId: 'proc-north' } });
  await prisma.product.update({ where: { sku: 'SKU-LAMP' }, data: { businessId: 'proc-south' } });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
});

async function paidOrderWithShipments(items: { sku: string; quantity: number }[], paymentMethod = 'pm_approve') {
  const id = await saga.placeOrder({ items, paymentMethod });
  await saga.waitForOrder(id, (o) => o.status === 'FULFILLING', 'paid and its shipments sent');
  const rows = await saga.system.db.prisma.shipment.findMany({ where: { orderId: id }, orderBy: { businessId: 'asc' } });
  const shipments = rows.map((r) => ({ shipmentId: r.id, businessId: r.businessId, amountMinor: r.amountMinor }));
  return { id, shipments };
}

const answer = businessAnswerer(() => saga.url, SECRET);

const shipment = (id: string) => saga.system.db.prisma.shipment.findUniqueOrThrow({ where: { id }, include: { history: { orderBy: { id: 'asc' } } } });
const earned = async (orderId: string) =>
  (await saga.system.db.prisma.pointsEntry.findMany({ where: { orderId }, orderBy: { id: 'asc' } })).map((e) => [e.kind, e.points]);
const ledger = (shipmentId: string) => saga.system.db.prisma.ledgerEntry.findMany({ where: { shipmentId }, orderBy: { id: 'asc' } });

describe("after PAID: shipments, money and the order's end", () => {
  test('one business through delivery, confirmed by the customer: captured once when shipped, funds released on confirmation, order COMPLETED', async () => {
    const { id, shipments } = await paidOrderWithShipments([{ sku: 'SKU-KETTLE', quantity: 2 }]);
    const [s] = shipments;
    await waitFor('dispatched through the manual plugin', async () => (await shipment(s!.shipmentId)).status === 'SENT');
    expect((await answer('proc-north', s!.shipmentId, { id: 'a-1', type: 'accepted' })).status).toBe(200);
    const shipped = { id: 'a-2', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD01', trackingUrl: 'https://track.example/JJD01' };
    expect((await answer('proc-north', s!.shipmentId, shipped)).status).toBe(200);
    // The business sends its event twice: one effect.
    expect((await answer('proc-north', s!.shipmentId, shipped)).body.duplicate).toBe(true);
    await waitFor('captured when shipped', async () => (await shipment(s!.shipmentId)).capturedMinor === s!.amountMinor);
    expect((await answer('proc-north', s!.shipmentId, { id: 'a-3', type: 'delivered' })).status).toBe(200);
    const confirm = await saga.post(`/orders/${id}/shipments/${s!.shipmentId}/confirm-delivery`);
    expect(confirm.status).toBe(200);
    const done = await saga.waitForOrder(id, (o) => o.status === 'COMPLETED', 'COMPLETED');
    expect(done.history.map((h) => h.to)).toEqual(['NEW', 'AWAITING_PAYMENT', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED', 'COMPLETED']);
    const view = (await saga.get(`/orders/${id}`)).body;
    expect(view.payment).toMatchObject({ amountMinor: done.total.amountMinor, capturedMinor: done.total.amountMinor, refundedMinor: 0 });
    expect(view.shipments).toEqual([
      expect.objectContaining({
        businessId: 'proc-north',
        status: 'DELIVERED',
        tracking: { carrier: 'DHL', trackingNumber: 'JJD01', trackingUrl: 'https://track.example/JJD01' },
      }),
    ]);
    expect(view.funds).toEqual([{ businessId: 'proc-north', owedMinor: s!.amountMinor, releasedMinor: s!.amountMinor, reversedMinor: 0 }]);
    // Completed: the customer earned 1 point per 100 minor units (the default), rounded down, once.
    expect(await earned(id)).toEqual([['EARNED', Math.floor(s!.amountMinor / 100)]]);
    const points = (await saga.get('/admin/customers/cust-1/points?limit=100')).body;
    expect(points.entries).toContainEqual(expect.objectContaining({ kind: 'EARNED', orderId: id, points: Math.floor(s!.amountMinor / 100) }));
    expect(points.balance).toBe(points.entries.reduce((n: number, e: { points: number }) => n + e.points, 0));
    expect((await ledger(s!.shipmentId)).map((e) => [e.kind, e.reason])).toEqual([
      ['OWED', 'captured when shipped: held until delivery is confirmed'],
      ['RELEASED', 'delivery confirmed by the customer'],
    ]);
    expect((await shipment(s!.shipmentId)).history.map((h) => h.toStatus)).toEqual(['PENDING', 'SENT', 'ACCEPTED', 'SHIPPED', 'DELIVERED']);
    expect(await saga.system.db.prisma.paymentOperation.count({ where: { shipmentId: s!.shipmentId } })).toBe(1);
    // Confirming again answers the same.
    expect((await saga.post(`/orders/${id}/shipments/${s!.shipmentId}/confirm-delivery`)).body.deliveryConfirmedAt).toBe(confirm.body.deliveryConfirmedAt);
    // The customer heard of the order, then of its shipment on the way (with its tracking) and delivered: once each, sent.
    const told = await waitFor('the shipment notifications sent', async () => {
      const list = await saga.notifications(id);
      return list.length === 3 && list.every((n) => n.status === 'SENT') && list;
    });
    expect(told.map((n) => [n.kind, n.shipmentId])).toEqual([
      ['confirmed', null],
      ['shipment-shipped', s!.shipmentId],
      ['shipment-delivered', s!.shipmentId],
    ]);
    const [, onItsWay, delivered] = told;
    expect(onItsWay!.subject).toBe(`Part of your order ${id.slice(0, 8)} is on its way`);
    expect(onItsWay!.body).toContain('2 × Electric kettle 1.7 l (SKU-KETTLE)');
    expect(onItsWay!.body).toContain('Tracking: DHL JJD01');
    expect(onItsWay!.body).toContain('Follow it here: https://track.example/JJD01');
    expect(onItsWay!.body).toContain(`We have now charged €${(s!.amountMinor / 100).toFixed(2)} for them.`);
    expect(delivered!.body).toContain('Please confirm that you received them.');
  }, 60_000);

  test('no delivery report and no confirmation: presumed delivered after its (test-short) time, funds released after the acceptance window', async () => {
    const { id, shipments } = await paidOrderWithShipments([{ sku: 'SKU-KETTLE', quantity: 1 }]);
    const [s] = shipments;
    await answer('proc-north', s!.shipmentId, { id: 'w-1', type: 'accepted' });
    await answer('proc-north', s!.shipmentId, { id: 'w-2', type: 'shipped', carrier: 'UPS', trackingNumber: '1Z999' });
    await saga.waitForOrder(id, (o) => o.status === 'COMPLETED', 'COMPLETED', 30_000);
    const history = (await shipment(s!.shipmentId)).history;
    expect(history.at(-1)).toMatchObject({ toStatus: 'DELIVERED', reason: 'presumed delivered: no report PT3S after shipping' });
    expect((await ledger(s!.shipmentId)).map((e) => e.reason)).toEqual([
      'captured when shipped: held until delivery is confirmed',
      'acceptance window passed without a complaint',
    ]);
  }, 60_000);

  test('two businesses, one declines: its units go back on hand and its amount is given back; the other ships, order COMPLETED with a partial refund', async () => {
    const before = (await saga.stock('SKU-LAMP')).reduce((n, r) => n + r.onHand, 0);
    const { id, shipments } = await paidOrderWithShipments([
      { sku: 'SKU-KETTLE', quantity: 1 },
      { sku: 'SKU-LAMP', quantity: 3 },
    ]);
    const north = shipments.find((s) => s.businessId === 'proc-north')!;
    const south = shipments.find((s) => s.businessId === 'proc-south')!;
    expect((await saga.stock('SKU-LAMP')).reduce((n, r) => n + r.onHand, 0)).toBe(before - 3);
    expect((await answer('proc-south', south.shipmentId, { id: 'b-1', type: 'declined', reason: 'out of lamps' })).status).toBe(200);
    await waitFor('declined shipment refunded', async () => (await shipment(south.shipmentId)).refundedMinor === south.amountMinor);
    await waitFor('lamps back on hand', async () => (await saga.stock('SKU-LAMP')).reduce((n, r) => n + r.onHand, 0) === before);
    // Out of order: delivered before shipped still captures, and implies the steps it skipped.
    expect((await answer('proc-north', north.shipmentId, { id: 'b-2', type: 'delivered' })).status).toBe(200);
    await saga.post(`/orders/${id}/shipments/${north.shipmentId}/confirm-delivery`);
    const done = await saga.waitForOrder(id, (o) => o.status === 'COMPLETED', 'COMPLETED');
    expect(done.history.map((h) => h.to)).toEqual(['NEW', 'AWAITING_PAYMENT', 'PAID', 'FULFILLING', 'DELIVERED', 'COMPLETED']);
    expect((await shipment(north.shipmentId)).history.map((h) => [h.toStatus, h.reason.endsWith('(implied)')])).toEqual([
      ['PENDING', false],
      ['SENT', false],
      ['ACCEPTED', true],
      ['SHIPPED', true],
      ['DELIVERED', false],
    ]);
    const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId: id } });
    expect([payment.capturedMinor, payment.refundedMinor]).toEqual([north.amountMinor, south.amountMinor]);
    // Points on what the customer kept: the delivered shipment, not the refunded one.
    expect(await earned(id)).toEqual([['EARNED', Math.floor(north.amountMinor / 100)]]);
    expect((await shipment(south.shipmentId)).declineReason).toBe('out of lamps');
    // The declined shipment was never captured: nothing was owed to its business.
    expect(await ledger(south.shipmentId)).toEqual([]);
    // The customer heard why part of the order will not come, and that its amount goes back.
    const told = await waitFor('the shipment notifications', async () => {
      const list = await saga.notifications(id);
      return list.length === 4 && list;
    });
    // The two shipments run side by side: their notifications interleave.
    expect(told.map((n) => `${n.kind} ${n.shipmentId}`).sort()).toEqual(
      [`confirmed null`, `shipment-delivered ${north.shipmentId}`, `shipment-refunded ${south.shipmentId}`, `shipment-shipped ${north.shipmentId}`].sort(),
    );
    const refunded = told.find((n) => n.kind === 'shipment-refunded')!;
    expect(refunded.subject).toBe(`Part of your order ${id.slice(0, 8)} could not be supplied`);
    expect(refunded.body).toContain('Reason: out of lamps');
    expect(refunded.body).toContain(`€${(south.amountMinor / 100).toFixed(2)} for them goes back to you`);
  }, 60_000);

  test('every shipment declined: the order ends CANCELLED, refunded in full, its units back on hand', async () => {
    const before = (await saga.stock('SKU-KETTLE')).reduce((n, r) => n + r.onHand, 0);
    const { id, shipments } = await paidOrderWithShipments([{ sku: 'SKU-KETTLE', quantity: 2 }]);
    await answer('proc-north', shipments[0]!.shipmentId, { id: 'c-1', type: 'accepted' });
    await answer('proc-north', shipments[0]!.shipmentId, { id: 'c-2', type: 'declined', reason: 'kettle broke in the warehouse' });
    const done = await saga.waitForOrder(id, (o) => o.status === 'CANCELLED', 'CANCELLED');
    expect(done.failureReason).toBe('every shipment was declined: refunded in full');
    // Nothing kept, nothing earned.
    expect(await earned(id)).toEqual([]);
    const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId: id } });
    expect([payment.capturedMinor, payment.refundedMinor]).toEqual([0, done.total.amountMinor]);
    expect((await saga.stock('SKU-KETTLE')).reduce((n, r) => n + r.onHand, 0)).toBe(before);
  }, 60_000);

  test('capture failing transiently at the provider (pm_approve_capture_fail_2) is retried with back-off and captures once', async () => {
    const { id, shipments } = await paidOrderWithShipments([{ sku: 'SKU-KETTLE', quantity: 1 }], 'pm_approve_capture_fail_2');
    const [s] = shipments;
    await answer('proc-north', s!.shipmentId, { id: 'r-1', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD02' });
    await waitFor('captured after two transient failures', async () => (await shipment(s!.shipmentId)).capturedMinor === s!.amountMinor);
    const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId: id } });
    expect(payment.capturedMinor).toBe(s!.amountMinor);
    // The provider's own books: captured once, whatever the retries.
    const atProvider = await saga.system.gateway.getPayment({ paymentId: payment.id, providerPaymentId: payment.providerPaymentId! });
    expect(atProvider.capturedMinor).toBe(s!.amountMinor);
    expect(await saga.system.db.prisma.paymentOperation.count({ where: { shipmentId: s!.shipmentId } })).toBe(1);
  }, 60_000);

  test('a refund failing past its retries (pm_approve_refund_fail_5) ends in an incident naming the order; retrying it refunds once', async () => {
    const { id, shipments } = await paidOrderWithShipments([{ sku: 'SKU-KETTLE', quantity: 1 }], 'pm_approve_refund_fail_5');
    const [s] = shipments;
    await answer('proc-north', s!.shipmentId, { id: 'i-1', type: 'declined', reason: 'no stock' });
    const incident = await waitFor('an incident at Refund shipment', async () => {
      const res = await saga.get('/ops/api/incidents', adminAuth);
      return (res.body.incidents as { orderId: string; key: string; elementId: string; errorMessage: string }[]).find((i) => i.orderId === id);
    });
    expect(incident.elementId).toBe('RefundShipment');
    expect((await shipment(s!.shipmentId)).refundedMinor).toBe(0);
    expect((await saga.post(`/ops/api/incidents/${incident.key}/retry`, { retries: 1 }, adminAuth)).status).toBe(202);
    const done = await saga.waitForOrder(id, (o) => o.status === 'CANCELLED', 'CANCELLED after the refund');
    const payment = await saga.system.db.prisma.payment.findUniqueOrThrow({ where: { orderId: id } });
    expect([payment.refundedMinor, done.total.amountMinor]).toEqual([s!.amountMinor, s!.amountMinor]);
    expect(await saga.system.db.prisma.paymentOperation.count({ where: { shipmentId: s!.shipmentId, kind: 'REFUND' } })).toBe(1);
  }, 60_000);

  test('a forged answer (another secret) is refused with 401 and changes nothing', async () => {
    const { shipments } = await paidOrderWithShipments([{ sku: 'SKU-KETTLE', quantity: 1 }]);
    const raw = JSON.stringify({ id: 'f-1', type: 'accepted' });
    const res = await fetch(`${saga.url}/businesses/proc-north/shipments/${shipments[0]!.shipmentId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'business-signature': signPayload('bsec_someone_else', raw, Math.floor(Date.now() / 1000)) },
      body: raw,
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('Business-Signature');
    expect(await saga.system.db.prisma.shipmentEvent.count({ where: { shipmentId: shipments[0]!.shipmentId } })).toBe(0);
  }, 60_000);
});
