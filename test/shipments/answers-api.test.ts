// A business answers for its shipments over real HTTP (api/routes/shipment-answers.ts), as a
// business would see it: signed JSON events, its own API key, an ops key, and the links of
// the dispatch e-mail. The app runs on the embedded engine with the real OrderProcess; what
// it publishes is recorded on the way through (the shipment process that waits for these
// messages is tested elsewhere). Each order is placed, reserved and paid by the domain's own
// steps, then split into shipments by prepareShipments.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createApiKey } from '../../domain/access/api-keys.js';
import { reserve } from '../../domain/inventory/reserve.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { finalizeOrder } from '../../domain/orders/finalize-order.js';
import { transitionOrder } from '../../domain/orders/transition.js';
import { signPayload } from '../../domain/payments/signature.js';
import { answerLink } from '../../domain/shipments/answer-links.js';
import { prepareShipments } from '../../domain/shipments/prepare-shipments.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { startShipmentApi, type ShipmentApi } from './support.js';

const ACME = { id: 'acme-answers', secret: 'bsec_acme_answers_0123456789abcdef' };
const GLOBEX = { id: 'globex-answers', secret: 'bsec_globex_answers_fedcba9876543210' };
const HEADER = 'Business-Signature';

type Problem = { type: string; status: number; detail: string; errors?: { field: string; message: string }[] };
type Ack = { received: boolean; duplicate: boolean; shipmentStatus: string };
type Answer = { status: number; contentType: string; text: string };

let db: TestDatabase;
let api: ShipmentApi;
let baseUrl: string;
let acmeKey: string;
let opsKey: string;

beforeAll(async () => {
  db = await openTestDatabase();
  const prisma = db.prisma;
  for (const b of [ACME, GLOBEX]) {
    await prisma.business.create({ data: { id: b.id, name: b.id, contactEmail: `${b.id}@example.com`, dispatcher: 'manual', secret: b.secret } });
  }
  await addProduct(prisma, 'SKU-ACME', { 'WH-ANS': 1000 }, 1500);
  await addProduct(prisma, 'SKU-GLOBEX', { 'WH-ANS': 1000 }, 700);
  await prisma.product.update({ where: { sku: 'SKU-ACME' }, data: { businessId: ACME.id } });
  await prisma.product.update({ where: { sku: 'SKU-GLOBEX' }, data: { businessId: GLOBEX.id } });
  acmeKey = (await createApiKey(prisma, { name: 'acme', scopes: ['shipments:write'], businessId: ACME.id })).token;
  opsKey = (await createApiKey(prisma, { name: 'dispatcher', scopes: ['ops'] })).token;

  api = await startShipmentApi(db, 'answers-admin-token');
  baseUrl = api.baseUrl;
}, 60_000);

afterAll(async () => {
  await api?.close();
  await db?.close();
});

// A 500 (or any error-level line) fails the test it came during.
afterEach(() => api.expectNoNewErrorLines());

/** An order of `sku`, placed, reserved and paid as the saga does it, then split into its shipment: that shipment's id. */
async function paidShipment(sku = 'SKU-ACME'): Promise<{ orderId: string; shipmentId: string }> {
  const prisma = db.prisma;
  const order = await createOrder(prisma, { customerId: 'cust-answers', items: [{ sku, quantity: 2 }], paymentMethod: 'pm_approve' });
  const reserved = await reserve(prisma, order.id);
  expect(reserved.ok).toBe(true);
  await transitionOrder(prisma, order.id, 'AWAITING_PAYMENT', 'payment requested (test)');
  await prisma.payment.create({ data: { orderId: order.id, provider: 'sandbox', amountMinor: order.totalMinor, currency: order.currency } });
  await finalizeOrder(prisma, order.id);
  const [shipment] = await prepareShipments(prisma, order.id);
  return { orderId: order.id, shipmentId: shipment!.shipmentId };
}

const eventsPath = (businessId: string, shipmentId: string) => `/businesses/${businessId}/shipments/${shipmentId}/events`;

async function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const res = await fetch(baseUrl + path, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The event sent as a business sends it: the raw body signed with `secret` (the business's own by default) at `t`. */
function signed(business: { id: string; secret: string }, shipmentId: string, event: unknown, o: { secret?: string; t?: number; path?: string } = {}) {
  const body = typeof event === 'string' ? event : JSON.stringify(event);
  const header = signPayload(o.secret ?? business.secret, body, o.t ?? Math.floor(Date.now() / 1000));
  return send('POST', o.path ?? eventsPath(business.id, shipmentId), { 'content-type': 'application/json', [HEADER]: header }, body);
}

function withKey(key: string, businessId: string, shipmentId: string, event: unknown) {
  return send('POST', eventsPath(businessId, shipmentId), { 'content-type': 'application/json', authorization: `Bearer ${key}` }, JSON.stringify(event));
}

function ackOf(answer: Answer): Ack {
  expect({ status: answer.status, body: answer.text.slice(0, 300) }).toEqual({ status: 200, body: expect.any(String) });
  return JSON.parse(answer.text) as Ack;
}

/** A problem+json with `status`, naming `field`. */
function expectProblem(answer: Answer, status: number, field: string): Problem {
  expect({ status: answer.status, contentType: answer.contentType }).toEqual({ status, contentType: expect.stringMatching(/^application\/problem\+json/) });
  const problem = JSON.parse(answer.text) as Problem;
  expect(problem.status).toBe(status);
  expect((problem.errors ?? []).map((e) => e.field)).toContain(field);
  return problem;
}

async function shipmentOf(shipmentId: string) {
  return db.prisma.shipment.findUniqueOrThrow({
    where: { id: shipmentId },
    select: {
      status: true,
      carrier: true,
      declineReason: true,
      history: { orderBy: { id: 'asc' }, select: { fromStatus: true, toStatus: true, reason: true } },
    },
  });
}

const publishedFor = (shipmentId: string) => api.published.filter((m) => m.correlationKey === shipmentId);
const eventsOf = (shipmentId: string) => db.prisma.shipmentEvent.count({ where: { shipmentId } });

describe(`a business answers for its shipment with a signed event (${databaseKind})`, () => {
  test('a signed accepted answer is 200: the shipment is ACCEPTED, its history has the step, shipment-accepted is api.published for it', async () => {
    const { shipmentId } = await paidShipment();
    const ack = ackOf(await signed(ACME, shipmentId, { id: `evt-${randomUUID()}`, type: 'accepted' }));
    expect(ack).toEqual({ received: true, duplicate: false, shipmentStatus: 'ACCEPTED' });
    const shipment = await shipmentOf(shipmentId);
    expect(shipment.status).toBe('ACCEPTED');
    expect(shipment.history.at(-1)).toMatchObject({ toStatus: 'ACCEPTED', reason: expect.stringContaining(`accepted by business ${ACME.id}`) });
    expect(publishedFor(shipmentId)).toEqual([
      { name: 'shipment-accepted', correlationKey: shipmentId, messageId: `${shipmentId}:shipment-accepted`, variables: {} },
    ]);
  });

  test('a forged signature, a stale timestamp, or no signature and no key is 401 naming Business-Signature, and nothing is recorded', async () => {
    const { shipmentId } = await paidShipment();
    const event = { id: `evt-${randomUUID()}`, type: 'accepted' };
    const forged = await signed(ACME, shipmentId, event, { secret: GLOBEX.secret });
    expect(expectProblem(forged, 401, HEADER).detail).toMatch(/mismatch/);
    const stale = await signed(ACME, shipmentId, event, { t: Math.floor(Date.now() / 1000) - 3600 });
    expect(expectProblem(stale, 401, HEADER).detail).toMatch(/stale/);
    const missing = await send('POST', eventsPath(ACME.id, shipmentId), { 'content-type': 'application/json' }, JSON.stringify(event));
    expectProblem(missing, 401, HEADER);
    expect((await shipmentOf(shipmentId)).status).toBe('PENDING');
    expect(await eventsOf(shipmentId)).toBe(0);
    expect(publishedFor(shipmentId)).toEqual([]);
  });

  test('the same event id twice is one step in the history: the second answer is duplicate: true and publishes the same messages', async () => {
    const { shipmentId } = await paidShipment();
    const event = { id: `evt-${randomUUID()}`, type: 'accepted' };
    expect(ackOf(await signed(ACME, shipmentId, event)).duplicate).toBe(false);
    const first = publishedFor(shipmentId);
    expect(ackOf(await signed(ACME, shipmentId, event))).toEqual({ received: true, duplicate: true, shipmentStatus: 'ACCEPTED' });
    const shipment = await shipmentOf(shipmentId);
    expect(shipment.history.filter((h) => h.toStatus === 'ACCEPTED')).toHaveLength(1);
    expect(await eventsOf(shipmentId)).toBe(1);
    expect(publishedFor(shipmentId)).toEqual([...first, ...first]);
  });

  test('out of order: delivered before shipped is 200, the shipment DELIVERED through ACCEPTED and SHIPPED (implied), each api.published, the order DELIVERED', async () => {
    const { orderId, shipmentId } = await paidShipment();
    expect(ackOf(await signed(ACME, shipmentId, { id: `evt-${randomUUID()}`, type: 'delivered' })).shipmentStatus).toBe('DELIVERED');
    const shipment = await shipmentOf(shipmentId);
    expect(shipment.status).toBe('DELIVERED');
    const steps = shipment.history.filter((h) => h.toStatus !== 'PENDING' && h.toStatus !== 'SENT');
    expect(steps.map((h) => [h.toStatus, h.reason.endsWith('(implied)')])).toEqual([
      ['ACCEPTED', true],
      ['SHIPPED', true],
      ['DELIVERED', false],
    ]);
    expect(publishedFor(shipmentId).map((m) => m.name)).toEqual(['shipment-accepted', 'shipment-shipped', 'shipment-delivered']);
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id: orderId } })).status).toBe('DELIVERED');
  });

  test('declined after shipped is 409 naming type, and the shipment stays SHIPPED', async () => {
    const { shipmentId } = await paidShipment();
    ackOf(
      await signed(ACME, shipmentId, {
        id: `evt-${randomUUID()}`,
        type: 'shipped',
        carrier: 'DHL',
        trackingNumber: '0034043416',
        trackingUrl: 'https://track.example/1',
      }),
    );
    const refused = await signed(ACME, shipmentId, { id: `evt-${randomUUID()}`, type: 'declined', reason: 'changed our mind' });
    expectProblem(refused, 409, 'type');
    expect((await shipmentOf(shipmentId)).status).toBe('SHIPPED');
    expect(publishedFor(shipmentId).map((m) => m.name)).toEqual(['shipment-accepted', 'shipment-shipped']);
  });

  test("another business's shipment, or one that does not exist, is 404", async () => {
    const theirs = await paidShipment('SKU-GLOBEX');
    expectProblem(await signed(ACME, theirs.shipmentId, { id: `evt-${randomUUID()}`, type: 'accepted' }), 404, 'shipmentId');
    expectProblem(await signed(ACME, randomUUID(), { id: `evt-${randomUUID()}`, type: 'accepted' }), 404, 'shipmentId');
    expect((await shipmentOf(theirs.shipmentId)).status).toBe('PENDING');
    expect(publishedFor(theirs.shipmentId)).toEqual([]);
  });

  test.each([
    ['an unknown type', 'type', { type: 'lost' }],
    ['declined without a reason', 'reason', { type: 'declined' }],
    ['a trackingUrl that is not http(s)', 'trackingUrl', { type: 'shipped', carrier: 'DHL', trackingNumber: '1', trackingUrl: 'ftp://track.example/1' }],
    ['a NUL in the id', 'id', { type: 'accepted', id: 'evt-\u0000' }],
    ['a NUL in the reason', 'reason', { type: 'declined', reason: 'out\u0000of stock' }],
    ['an unknown field', 'note', { type: 'accepted', note: 'hi' }],
  ])('a body with %s is 400 naming %s, and nothing is recorded', async (_name, field, fields) => {
    const { shipmentId } = await paidShipment();
    expectProblem(await signed(ACME, shipmentId, { id: `evt-${randomUUID()}`, ...fields }), 400, field);
    expect(await eventsOf(shipmentId)).toBe(0);
    expect((await shipmentOf(shipmentId)).status).toBe('PENDING');
  });

  test('a body that is not UTF-8, or not JSON, is 400 naming body', async () => {
    const { shipmentId } = await paidShipment();
    const bytes = Buffer.concat([Buffer.from('{"id":"evt-'), Buffer.from([0xff, 0xfe]), Buffer.from('","type":"accepted"}')]);
    const header = signPayload(ACME.secret, bytes, Math.floor(Date.now() / 1000));
    expectProblem(await send('POST', eventsPath(ACME.id, shipmentId), { 'content-type': 'application/json', [HEADER]: header }, bytes), 400, 'body');
    expectProblem(await signed(ACME, shipmentId, '{"id":'), 400, 'body');
    expect(await eventsOf(shipmentId)).toBe(0);
  });
});

describe(`a business's key, and an ops key, answer without a signature (${databaseKind})`, () => {
  test("a business's key with shipments:write answers for its own shipment", async () => {
    const { shipmentId } = await paidShipment();
    expect(ackOf(await withKey(acmeKey, ACME.id, shipmentId, { id: `evt-${randomUUID()}`, type: 'accepted' })).shipmentStatus).toBe('ACCEPTED');
    expect((await shipmentOf(shipmentId)).history.at(-1)?.reason).toMatch(/business key/);
  });

  test("a business's key is refused for another business's shipment: 403 under the other business, 404 under its own", async () => {
    const theirs = await paidShipment('SKU-GLOBEX');
    expectProblem(await withKey(acmeKey, GLOBEX.id, theirs.shipmentId, { id: `evt-${randomUUID()}`, type: 'accepted' }), 403, 'Authorization');
    expectProblem(await withKey(acmeKey, ACME.id, theirs.shipmentId, { id: `evt-${randomUUID()}`, type: 'accepted' }), 404, 'shipmentId');
    expect((await shipmentOf(theirs.shipmentId)).status).toBe('PENDING');
    expect(await eventsOf(theirs.shipmentId)).toBe(0);
  });

  test('an ops key may answer for any business (the manual dispatcher)', async () => {
    const theirs = await paidShipment('SKU-GLOBEX');
    expect(ackOf(await withKey(opsKey, GLOBEX.id, theirs.shipmentId, { id: `evt-${randomUUID()}`, type: 'accepted' })).shipmentStatus).toBe('ACCEPTED');
    expect((await shipmentOf(theirs.shipmentId)).history.at(-1)?.reason).toMatch(/\(ops,/);
    expect(publishedFor(theirs.shipmentId).map((m) => m.name)).toEqual(['shipment-accepted']);
  });
});

describe(`the dispatch e-mail's links (${databaseKind})`, () => {
  const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
  const linkPath = (url: string) => url.slice(baseUrl.length);

  test('opening a link shows a page with a button and changes nothing; pressing it accepts', async () => {
    const { shipmentId } = await paidShipment();
    const link = linkPath(answerLink(baseUrl, ACME, shipmentId, 'accept', inAnHour()));
    const page = await send('GET', link, {});
    expect({ status: page.status, contentType: page.contentType }).toEqual({ status: 200, contentType: expect.stringMatching(/^text\/html/) });
    expect(page.text).toMatch(/<form method="post">.*<button type="submit">Accept<\/button>/);
    expect((await shipmentOf(shipmentId)).status).toBe('PENDING');
    expect(await eventsOf(shipmentId)).toBe(0);
    const pressed = await send('POST', link, { 'content-type': 'application/x-www-form-urlencoded' }, '');
    expect(pressed.status).toBe(200);
    expect(pressed.text).toMatch(/is accepted/);
    expect((await shipmentOf(shipmentId)).status).toBe('ACCEPTED');
    expect(publishedFor(shipmentId).map((m) => m.name)).toEqual(['shipment-accepted']);
  });

  test('a decline link records the reason given on its page', async () => {
    const { shipmentId } = await paidShipment();
    const link = linkPath(answerLink(baseUrl, ACME, shipmentId, 'decline', inAnHour()));
    const pressed = await send('POST', link, { 'content-type': 'application/x-www-form-urlencoded' }, 'reason=out+of+stock');
    expect(pressed.status).toBe(200);
    const shipment = await shipmentOf(shipmentId);
    expect({ status: shipment.status, reason: shipment.declineReason }).toEqual({ status: 'DECLINED', reason: 'out of stock' });
    expect(publishedFor(shipmentId)).toEqual([expect.objectContaining({ name: 'shipment-declined', variables: { declineReason: 'out of stock' } })]);
  });

  test('a tampered link is 401 naming sig, and an expired one 410 naming expires; neither records anything', async () => {
    const { shipmentId } = await paidShipment();
    const link = linkPath(answerLink(baseUrl, ACME, shipmentId, 'accept', inAnHour()));
    const tampered = link.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    expectProblem(await send('GET', tampered, {}), 401, 'sig');
    expectProblem(await send('POST', tampered, {}, ''), 401, 'sig');
    // The accept link's signature on a decline: not a link we sent either.
    expectProblem(await send('POST', link.replace('action=accept', 'action=decline'), {}, ''), 401, 'sig');
    const expired = linkPath(answerLink(baseUrl, ACME, shipmentId, 'accept', Math.floor(Date.now() / 1000) - 60));
    expectProblem(await send('GET', expired, {}), 410, 'expires');
    expectProblem(await send('POST', expired, {}, ''), 410, 'expires');
    expect((await shipmentOf(shipmentId)).status).toBe('PENDING');
    expect(await eventsOf(shipmentId)).toBe(0);
    expect(publishedFor(shipmentId)).toEqual([]);
  });

  test('pressing the button twice has one effect', async () => {
    const { shipmentId } = await paidShipment();
    const link = linkPath(answerLink(baseUrl, ACME, shipmentId, 'accept', inAnHour()));
    expect((await send('POST', link, {}, '')).status).toBe(200);
    const first = publishedFor(shipmentId);
    expect((await send('POST', link, {}, '')).status).toBe(200);
    const shipment = await shipmentOf(shipmentId);
    expect(shipment.history.filter((h) => h.toStatus === 'ACCEPTED')).toHaveLength(1);
    expect(await eventsOf(shipmentId)).toBe(1);
    // The repeat publishes the same messages again (one per message id in the engine).
    expect(publishedFor(shipmentId)).toEqual([...first, ...first]);
  });
});
