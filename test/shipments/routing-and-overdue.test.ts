// Routing as a rule an analyst edits (bpmn/shipment-routing.dmn), and a business that never
// answers, on the whole system as `npm start` wires it. The table is changed and redeployed
// here as an analyst would from Camunda Modeler: no code changes. The first business takes
// shipments by webhook, from a local HTTP server standing in for its system (a boundary we
// cannot reach: it only records what it receives); the second uses the manual dispatcher.
// Ops act through the ops API with an ops key.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { adminAuth, startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';
import { businessAnswerer } from './business-answer.js';
import { startRecordingBusiness, type RecordingBusiness } from './recording-business.js';

const SECOND_SECRET = 'bsec_route-second_0123456789abcdef';
let saga: Saga;
let hook: RecordingBusiness;

beforeAll(async () => {
  hook = await startRecordingBusiness();
  saga = await startSaga();
  const prisma = saga.system.db.prisma;
  const url = hook.url;
  await prisma.business.create({
    data: {
      id: 'route-first',
      name: 'route-first',
      contactEmail: 'first@example.com',
      dispatcher: 'webhook',
      dispatcherSettings: { url },
      secret: 'bsec_route-first_0123456789abcdef',
    },
  });
  await prisma.business.create({
    data: { id: 'route-second', name: 'route-second', contactEmail: 'second@example.com', dispatcher: 'manual', secret: SECOND_SECRET },
  });
  await prisma.product.update({ where: { sku: 'SKU-GRINDER' }, data: { businessId: 'route-first' } });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
  await hook?.close();
});

const prisma = () => saga.system.db.prisma;
const shipmentOf = async (orderId: string) => prisma().shipment.findFirstOrThrow({ where: { orderId }, include: { history: { orderBy: { id: 'asc' } } } });

/** The shipment process's active steps for a shipment. */
async function stepsOf(shipmentId: string): Promise<string[]> {
  const rows = await prisma().$queryRaw<{ element_id: string }[]>`
    SELECT e.element_id FROM engine_element_instances e JOIN engine_process_instances p ON p.key = e.process_instance_key
    WHERE p.bpmn_process_id = 'order-shipment' AND p.state = 'ACTIVE' AND p.variables->>'shipmentId' = ${shipmentId} AND e.state = 'ACTIVE'
    ORDER BY e.element_id`;
  return rows.map((r) => r.element_id);
}

async function paidShipment(quantity = 1) {
  const id = await saga.placeOrder({ sku: 'SKU-GRINDER', quantity, paymentMethod: 'pm_approve' });
  await saga.waitForOrder(id, (o) => o.status === 'FULFILLING', 'paid and its shipments prepared');
  return { id, shipment: await shipmentOf(id) };
}

async function incidentOf(orderId: string) {
  return waitFor('an incident for the order', async () => {
    const res = await saga.get('/ops/api/incidents', adminAuth);
    return (res.body.incidents as { orderId: string; key: string; elementId: string; errorMessage: string }[]).find((i) => i.orderId === orderId);
  });
}

describe('routing (DMN) and businesses that do not answer', () => {
  test('as shipped, the table sends a 89.00 shipment out at once and gives the business 24 hours', async () => {
    const { shipment } = await paidShipment();
    await waitFor('dispatched', async () => (await shipmentOf(shipment.orderId)).status === 'SENT');
    await waitFor('waiting for the answer', async () => (await stepsOf(shipment.id)).includes('AwaitAnswer') || undefined);
  }, 60_000);

  test('the analyst changes the table (approval above 50.00, answers within 1 s) and redeploys: new shipments wait for ops, are reminded, then become an incident; ops reassign and retry: the earlier business is told to stop, the new one supplies it, the order completes', async () => {
    const shipped = await readFile(new URL('../../bpmn/shipment-routing.dmn', import.meta.url), 'utf8');
    const changed = shipped.replace('<text>&gt; 100000</text>', '<text>&gt; 5000</text>').replaceAll('"PT24H"', '"PT1S"');
    expect(changed).not.toBe(shipped);
    const deployment = await saga.system.engine.deploy([{ name: 'shipment-routing.dmn', xml: changed }]);
    expect(deployment.decisions?.map((d) => [d.decisionId, d.version])).toEqual([['shipment-routing', 2]]);

    const { id, shipment } = await paidShipment();
    await waitFor('waiting for ops to approve', async () => (await stepsOf(shipment.id)).includes('ShipmentApproved') || undefined);
    expect((await shipmentOf(id)).status).toBe('PENDING');
    expect((await saga.post(`/ops/api/shipments/${shipment.id}/approve`, {}, adminAuth)).status).toBe(202);
    await waitFor('dispatched after the approval', async () => (await shipmentOf(id)).status === 'SENT');

    // No answer within 1 s: a reminder, then after another second an incident naming what ops can do.
    const incident = await incidentOf(id);
    expect(incident.elementId).toBe('AnswerOverdue');
    expect(incident.errorMessage).toContain(`business route-first has not answered shipment ${shipment.id}, even after a reminder`);
    // The reminder went out in between.
    const told = () => hook.received.filter((m) => m.shipmentId === shipment.id).map((m) => m.type);
    expect(told()).toEqual(['shipment.dispatch', 'shipment.reminder']);

    const reassigned = await saga.post(`/ops/api/shipments/${shipment.id}/reassign`, { businessId: 'route-second' }, adminAuth);
    expect(reassigned.status).toBe(200);
    expect((await saga.post(`/ops/api/incidents/${incident.key}/retry`, { retries: 1 }, adminAuth)).status).toBe(202);
    await waitFor('dispatched to the new business', async () => {
      const s = await shipmentOf(id);
      return (s.businessId === 'route-second' && s.status === 'SENT') || undefined;
    });
    const history = (await shipmentOf(id)).history.map((h) => [h.fromStatus, h.toStatus]);
    expect(history).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'SENT'],
      ['SENT', 'PENDING'],
      ['PENDING', 'SENT'],
    ]);
    // The business it was taken from is told to stop, before the new one gets it.
    expect(told()).toEqual(['shipment.dispatch', 'shipment.reminder', 'shipment.stop']);

    // The new business supplies it: the order completes once the customer confirms delivery.
    const second = businessAnswerer(() => saga.url, SECOND_SECRET);
    expect((await second('route-second', shipment.id, { id: 's-1', type: 'accepted' })).status).toBe(200);
    expect((await second('route-second', shipment.id, { id: 's-2', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD77' })).status).toBe(200);
    expect((await second('route-second', shipment.id, { id: 's-3', type: 'delivered' })).status).toBe(200);
    await saga.waitForOrder(id, (o) => o.status === 'DELIVERED', 'DELIVERED');
    expect((await saga.post(`/orders/${id}/shipments/${shipment.id}/confirm-delivery`)).status).toBe(200);
    const done = await saga.waitForOrder(id, (o) => o.status === 'COMPLETED', 'COMPLETED');
    expect(done.history.map((h) => h.to)).toEqual(['NEW', 'AWAITING_PAYMENT', 'PAID', 'FULFILLING', 'SHIPPED', 'DELIVERED', 'COMPLETED']);
  }, 60_000);

  test('an overdue shipment ops cancel is handled as declined: units back on hand, amount refunded, the order CANCELLED', async () => {
    const before = (await saga.stock('SKU-GRINDER')).reduce((n, r) => n + r.onHand, 0);
    const { id, shipment } = await paidShipment();
    expect((await saga.post(`/ops/api/shipments/${shipment.id}/approve`, {}, adminAuth)).status).toBe(202);
    const incident = await incidentOf(id);
    expect((await saga.post(`/ops/api/shipments/${shipment.id}/cancel`, { reason: 'supplier unreachable' }, adminAuth)).status).toBe(200);
    expect((await saga.post(`/ops/api/incidents/${incident.key}/retry`, { retries: 1 }, adminAuth)).status).toBe(202);
    const done = await saga.waitForOrder(id, (o) => o.status === 'CANCELLED', 'CANCELLED');
    expect(done.failureReason).toBe('every shipment was declined: refunded in full');
    const payment = await prisma().payment.findUniqueOrThrow({ where: { orderId: id } });
    expect(payment.refundedMinor).toBe(done.total.amountMinor);
    expect((await saga.stock('SKU-GRINDER')).reduce((n, r) => n + r.onHand, 0)).toBe(before);
  }, 60_000);
});
