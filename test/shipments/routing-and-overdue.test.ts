// Routing as a rule an analyst edits (bpmn/shipment-routing.dmn), and a business that never
// answers, on the whole system as `npm start` wires it. The table is changed and redeployed
// here as an analyst would from Camunda Modeler: no code changes. Businesses use the manual
// dispatcher, so nothing leaves the machine; ops act through the ops API with an ops key.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { adminAuth, startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';

let saga: Saga;

beforeAll(async () => {
  saga = await startSaga();
  const prisma = saga.system.db.prisma;
  for (const id of ['route-first', 'route-second']) {
    await prisma.business.create({ data: { id, name: id, contactEmail: `${id}@example.com`, dispatcher: 'manual', secret: `bsec_${id}_0123456789abcdef` } });
  }
  await prisma.product.update({ where: { sku: 'SKU-GRINDER' }, data: { businessId: 'route-first' } });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
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

  test('the analyst changes the table (approval above 50.00, answers within 1 s) and redeploys: new shipments wait for ops, are reminded, then become an incident; ops reassign and retry', async () => {
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
    // The reminder went out in between (the manual dispatcher sends nothing outside; its step completed).
    const reminded = await prisma().$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM engine_audit a JOIN engine_process_instances p ON p.key = a.process_instance_key
      WHERE a.element_id = 'RemindBusiness' AND a.intent = 'ELEMENT_COMPLETED' AND p.variables->>'shipmentId' = ${shipment.id}`;
    expect(reminded[0]!.n).toBe(1);

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
