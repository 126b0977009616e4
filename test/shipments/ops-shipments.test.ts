// Ops act on shipments over real HTTP (api/routes/ops-shipments.ts), with an ops key: approve
// one the routing rule held for approval, reassign one its business has not answered, cancel
// one before it shipped, and list them. The app runs on the embedded engine with the real
// OrderProcess; what it publishes is recorded on the way through (the shipment process that
// waits for the approval is tested elsewhere). Each order is placed, reserved and paid by the
// domain's own steps, then split into shipments by prepareShipments.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createApiKey } from '../../domain/access/api-keys.js';
import { reserve } from '../../domain/inventory/reserve.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { finalizeOrder } from '../../domain/orders/finalize-order.js';
import { transitionOrder } from '../../domain/orders/transition.js';
import { SHIPMENT_APPROVED } from '../../domain/shipments/business-answers.js';
import { moveShipmentIn } from '../../domain/shipments/move-shipment.js';
import { prepareShipments } from '../../domain/shipments/prepare-shipments.js';
import type { ShipmentStatus } from '../../domain/shipments/shipment-lifecycle.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { startShipmentApi, type ShipmentApi } from './support.js';

const ACME = 'acme-ops';
const GLOBEX = 'globex-ops';
const NORTHWIND = 'northwind-ops';
/** Its shipments are the list's: no other test makes any. */
const INITECH = 'initech-ops';
const SKU_OF: Record<string, string> = { [ACME]: 'SKU-OPS-ACME', [GLOBEX]: 'SKU-OPS-GLOBEX', [INITECH]: 'SKU-OPS-INITECH' };

type Problem = { type: string; status: number; detail: string; errors?: { field: string; message: string }[] };
type Answer = { status: number; contentType: string; body: Record<string, unknown> };
type Listed = { id: string; orderId: string; businessId: string; status: string; amountMinor: number; currency: string; createdAt: string };

let db: TestDatabase;
let api: ShipmentApi;
let baseUrl: string;
let opsKey: string;
let opsKeyId: string;
let readerKey: string;

beforeAll(async () => {
  db = await openTestDatabase();
  const prisma = db.prisma;
  for (const id of [ACME, GLOBEX, NORTHWIND, INITECH]) {
    await prisma.business.create({ data: { id, name: id, contactEmail: `${id}@example.com`, dispatcher: 'manual', secret: `bsec_${id}_0123456789` } });
  }
  for (const [businessId, sku] of Object.entries(SKU_OF)) {
    await addProduct(prisma, sku, { 'WH-OPS': 1000 }, 1500);
    await prisma.product.update({ where: { sku }, data: { businessId } });
  }
  const ops = await createApiKey(prisma, { name: 'ops desk', scopes: ['ops'] });
  opsKey = ops.token;
  opsKeyId = ops.id;
  readerKey = (await createApiKey(prisma, { name: 'reader', scopes: ['orders:read', 'orders:write', 'businesses:admin'] })).token;

  api = await startShipmentApi(db, 'ops-shipments-admin-token');
  baseUrl = api.baseUrl;
}, 60_000);

afterAll(async () => {
  await api?.close();
  await db?.close();
});

// A 500 (or any error-level line) fails the test it came during.
afterEach(() => api.expectNoNewErrorLines());

/** An order of one unit per business named, placed, reserved and paid as the saga does it, then split into its shipments (by business). */
async function paidOrder(...businesses: string[]): Promise<{ orderId: string; shipments: Record<string, string> }> {
  const prisma = db.prisma;
  const items = (businesses.length ? businesses : [ACME]).map((b) => ({ sku: SKU_OF[b]!, quantity: 1 }));
  const order = await createOrder(prisma, { customerId: 'cust-ops', items, paymentMethod: 'pm_approve' });
  expect((await reserve(prisma, order.id)).ok).toBe(true);
  await transitionOrder(prisma, order.id, 'AWAITING_PAYMENT', 'payment requested (test)');
  await prisma.payment.create({ data: { orderId: order.id, provider: 'sandbox', amountMinor: order.totalMinor, currency: order.currency } });
  await finalizeOrder(prisma, order.id);
  const refs = await prepareShipments(prisma, order.id);
  return { orderId: order.id, shipments: Object.fromEntries(refs.map((r) => [r.businessId, r.shipmentId])) };
}

async function paidShipment(business = ACME): Promise<{ orderId: string; shipmentId: string }> {
  const { orderId, shipments } = await paidOrder(business);
  return { orderId, shipmentId: shipments[business]! };
}

/** The shipment moved on as its process and its business would move it. */
async function moveTo(shipmentId: string, to: ShipmentStatus): Promise<void> {
  await db.prisma.$transaction((tx) => moveShipmentIn(tx, shipmentId, to, `${to.toLowerCase()} (test)`));
}

async function call(method: string, path: string, o: { key?: string | null; body?: unknown } = {}): Promise<Answer> {
  const key = o.key === undefined ? opsKey : o.key;
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as Record<string, unknown> };
}

const approve = (id: string, body?: unknown) => call('POST', `/ops/api/shipments/${id}/approve`, { body });
const reassign = (id: string, body: unknown) => call('POST', `/ops/api/shipments/${id}/reassign`, { body });
const cancel = (id: string, body?: unknown) => call('POST', `/ops/api/shipments/${id}/cancel`, { body });

/** A problem+json with `status`, naming `field`. */
function expectProblem(answer: Answer, status: number, field: string): Problem {
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status, contentType: expect.stringMatching(/^application\/problem\+json/) });
  const problem = answer.body as unknown as Problem;
  expect((problem.errors ?? []).map((e) => e.field)).toContain(field);
  return problem;
}

async function shipmentOf(shipmentId: string) {
  return db.prisma.shipment.findUniqueOrThrow({
    where: { id: shipmentId },
    select: { status: true, businessId: true, history: { orderBy: { id: 'asc' }, select: { fromStatus: true, toStatus: true, reason: true } } },
  });
}

const publishedFor = (shipmentId: string) => api.published.filter((m) => m.correlationKey === shipmentId);

describe(`POST /ops/api/shipments/{id}/approve (${databaseKind})`, () => {
  test('a PENDING shipment is approved with 202, and each call publishes shipment-approved with the stable message id', async () => {
    const { shipmentId } = await paidShipment();
    const message = { name: SHIPMENT_APPROVED, correlationKey: shipmentId, messageId: `${shipmentId}:shipment-approved`, variables: {} };
    const first = await approve(shipmentId, {});
    expect({ status: first.status, body: first.body }).toEqual({ status: 202, body: { id: shipmentId, approved: true } });
    expect(publishedFor(shipmentId)).toEqual([message]);
    // No body at all is the same; a repeat publishes the same message again (the engine keeps one per id).
    expect((await approve(shipmentId)).status).toBe(202);
    expect(publishedFor(shipmentId)).toEqual([message, message]);
    expect((await shipmentOf(shipmentId)).status).toBe('PENDING');
  });

  test('a shipment past PENDING is 409 naming status, and nothing is api.published', async () => {
    const { shipmentId } = await paidShipment();
    await moveTo(shipmentId, 'SENT');
    expect(expectProblem(await approve(shipmentId), 409, 'status').detail).toMatch(/is SENT/);
    expect(publishedFor(shipmentId)).toEqual([]);
  });

  test('an unknown shipment, or text that is no shipment id, is 404 naming shipmentId', async () => {
    expectProblem(await approve(randomUUID()), 404, 'shipmentId');
    expectProblem(await approve('not-a-shipment'), 404, 'shipmentId');
  });

  test('a body with fields is 400 naming the field, and nothing is api.published', async () => {
    const { shipmentId } = await paidShipment();
    expectProblem(await approve(shipmentId, { approved: true }), 400, 'approved');
    expect(publishedFor(shipmentId)).toEqual([]);
  });
});

describe(`POST /ops/api/shipments/{id}/reassign (${databaseKind})`, () => {
  test('a SENT shipment moves to another business and back to PENDING, with a history row naming both businesses and the caller', async () => {
    const { shipmentId } = await paidShipment();
    await moveTo(shipmentId, 'SENT');
    const answer = await reassign(shipmentId, { businessId: NORTHWIND });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { id: shipmentId, from: ACME, to: NORTHWIND, status: 'PENDING' } });
    const shipment = await shipmentOf(shipmentId);
    expect(shipment).toMatchObject({ status: 'PENDING', businessId: NORTHWIND });
    expect(shipment.history.at(-1)).toEqual({
      fromStatus: 'SENT',
      toStatus: 'PENDING',
      reason: `reassigned from ${ACME} to ${NORTHWIND} by key:${opsKeyId}`,
    });
  });

  test('the business the shipment already has changes nothing and answers from = to', async () => {
    const { shipmentId } = await paidShipment();
    const before = await shipmentOf(shipmentId);
    const answer = await reassign(shipmentId, { businessId: ACME });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { id: shipmentId, from: ACME, to: ACME, status: 'PENDING' } });
    expect(await shipmentOf(shipmentId)).toEqual(before);
  });

  test('reassigning twice to the same new business is one change', async () => {
    const { shipmentId } = await paidShipment();
    expect((await reassign(shipmentId, { businessId: NORTHWIND })).status).toBe(200);
    const again = await reassign(shipmentId, { businessId: NORTHWIND });
    expect(again.body).toEqual({ id: shipmentId, from: NORTHWIND, to: NORTHWIND, status: 'PENDING' });
    expect((await shipmentOf(shipmentId)).history.filter((h) => h.reason.startsWith('reassigned'))).toHaveLength(1);
  });

  test('an ACCEPTED shipment (its business answered) is 409 naming status, and keeps its business', async () => {
    const { shipmentId } = await paidShipment();
    await moveTo(shipmentId, 'ACCEPTED');
    expect(expectProblem(await reassign(shipmentId, { businessId: NORTHWIND }), 409, 'status').detail).toMatch(/is ACCEPTED/);
    expect(await shipmentOf(shipmentId)).toMatchObject({ status: 'ACCEPTED', businessId: ACME });
  });

  test('a business the order already has a shipment of is 409 naming businessId', async () => {
    const { shipments } = await paidOrder(ACME, GLOBEX);
    const acmeShipment = shipments[ACME]!;
    expectProblem(await reassign(acmeShipment, { businessId: GLOBEX }), 409, 'businessId');
    expect(await shipmentOf(acmeShipment)).toMatchObject({ status: 'PENDING', businessId: ACME });
  });

  test('an unknown shipment is 404 naming shipmentId, an unknown business 404 naming businessId', async () => {
    expectProblem(await reassign(randomUUID(), { businessId: NORTHWIND }), 404, 'shipmentId');
    const { shipmentId } = await paidShipment();
    expectProblem(await reassign(shipmentId, { businessId: 'no-such-business' }), 404, 'businessId');
    expect((await shipmentOf(shipmentId)).businessId).toBe(ACME);
  });

  test('a body without businessId, with one that is no slug, or with an unknown field is 400 naming it', async () => {
    const { shipmentId } = await paidShipment();
    expectProblem(await reassign(shipmentId, {}), 400, 'businessId');
    expectProblem(await reassign(shipmentId, { businessId: 'Not A Slug' }), 400, 'businessId');
    expectProblem(await reassign(shipmentId, { businessId: NORTHWIND, force: true }), 400, 'force');
    expectProblem(await reassign(shipmentId, { businessId: 'bad\u0000id' }), 400, 'businessId');
  });
});

describe(`POST /ops/api/shipments/{id}/cancel (${databaseKind})`, () => {
  test('a shipment is CANCELLED with a history row naming who and why; the order of its only shipment stays as it is until its process ends it', async () => {
    const { orderId, shipmentId } = await paidShipment();
    await moveTo(shipmentId, 'SENT');
    const orderBefore = await db.prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: { status: true } });
    const answer = await cancel(shipmentId, { reason: 'the business does not answer' });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { id: shipmentId, status: 'CANCELLED' } });
    const shipment = await shipmentOf(shipmentId);
    expect(shipment.status).toBe('CANCELLED');
    expect(shipment.history.at(-1)).toEqual({
      fromStatus: 'SENT',
      toStatus: 'CANCELLED',
      reason: `cancelled by key:${opsKeyId}: the business does not answer`,
    });
    expect(await db.prisma.order.findUniqueOrThrow({ where: { id: orderId }, select: { status: true } })).toEqual(orderBefore);
  });

  test('cancelling again (no body) changes nothing and answers the same', async () => {
    const { shipmentId } = await paidShipment();
    expect((await cancel(shipmentId)).status).toBe(200);
    const before = await shipmentOf(shipmentId);
    expect(before.history.at(-1)).toMatchObject({ toStatus: 'CANCELLED', reason: `cancelled by key:${opsKeyId}: no reason given` });
    const again = await cancel(shipmentId, { reason: 'second click' });
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { id: shipmentId, status: 'CANCELLED' } });
    expect(await shipmentOf(shipmentId)).toEqual(before);
  });

  test('a shipped shipment is 409 naming status, and stays SHIPPED', async () => {
    const { shipmentId } = await paidShipment();
    await moveTo(shipmentId, 'SHIPPED');
    expect(expectProblem(await cancel(shipmentId), 409, 'status').detail).toMatch(/SHIPPED/);
    expect((await shipmentOf(shipmentId)).status).toBe('SHIPPED');
  });

  test('an unknown shipment is 404 naming shipmentId; a reason empty, too long or unstorable is 400 naming reason', async () => {
    expectProblem(await cancel(randomUUID()), 404, 'shipmentId');
    const { shipmentId } = await paidShipment();
    expectProblem(await cancel(shipmentId, { reason: '' }), 400, 'reason');
    expectProblem(await cancel(shipmentId, { reason: 'x'.repeat(501) }), 400, 'reason');
    expectProblem(await cancel(shipmentId, { reason: 'nul\u0000' }), 400, 'reason');
    expectProblem(await cancel(shipmentId, { why: 'unknown field' }), 400, 'why');
    expect((await shipmentOf(shipmentId)).status).toBe('PENDING');
  });
});

describe(`GET /ops/api/shipments (${databaseKind})`, () => {
  test('filters by status and business, newest first, page by page with nextCursor null on the last page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await paidShipment(INITECH)).shipmentId);
    await moveTo(ids[1]!, 'SENT');
    const all = await call('GET', `/ops/api/shipments?businessId=${INITECH}`);
    expect(all.status).toBe(200);
    const listed = all.body.shipments as Listed[];
    expect(listed.map((s) => s.id)).toEqual([...ids].reverse());
    expect(listed[0]).toEqual({
      id: ids[2],
      orderId: expect.any(String),
      businessId: INITECH,
      status: 'PENDING',
      amountMinor: 1500,
      currency: 'EUR',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(all.body.nextCursor).toBeNull();

    const first = await call('GET', `/ops/api/shipments?businessId=${INITECH}&status=PENDING&limit=1`);
    expect((first.body.shipments as Listed[]).map((s) => s.id)).toEqual([ids[2]]);
    expect(typeof first.body.nextCursor).toBe('string');
    const second = await call('GET', `/ops/api/shipments?businessId=${INITECH}&status=PENDING&limit=1&cursor=${String(first.body.nextCursor)}`);
    expect((second.body.shipments as Listed[]).map((s) => s.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();

    const sent = await call('GET', `/ops/api/shipments?businessId=${INITECH}&status=SENT`);
    expect((sent.body.shipments as Listed[]).map((s) => s.id)).toEqual([ids[1]]);
  });

  test('an unknown status, a business id that is no slug, or an unknown parameter is 400 naming it', async () => {
    expectProblem(await call('GET', '/ops/api/shipments?status=LOST'), 400, 'status');
    expectProblem(await call('GET', '/ops/api/shipments?businessId=Not%20A%20Slug'), 400, 'businessId');
    expectProblem(await call('GET', '/ops/api/shipments?after=x'), 400, 'after');
  });
});

describe(`only ops act on shipments (${databaseKind})`, () => {
  test('no key is 401, a key without ops is 403, on every route; nothing changes and nothing is api.published', async () => {
    const { shipmentId } = await paidShipment();
    const routes: [string, string, unknown][] = [
      ['GET', '/ops/api/shipments', undefined],
      ['POST', `/ops/api/shipments/${shipmentId}/approve`, {}],
      ['POST', `/ops/api/shipments/${shipmentId}/reassign`, { businessId: NORTHWIND }],
      ['POST', `/ops/api/shipments/${shipmentId}/cancel`, {}],
    ];
    for (const [method, path, body] of routes) {
      expect(`${method} ${path} without a key: ${(await call(method, path, { key: null, body })).status}`).toBe(`${method} ${path} without a key: 401`);
      expect(`${method} ${path} without ops: ${(await call(method, path, { key: readerKey, body })).status}`).toBe(`${method} ${path} without ops: 403`);
    }
    expect(await shipmentOf(shipmentId)).toMatchObject({ status: 'PENDING', businessId: ACME });
    expect(publishedFor(shipmentId)).toEqual([]);
  });
});
