// The order API over real HTTP: a real database (seeded demo catalog), a real
// embedded engine running a small inline process, a real OrderProcess. The process
// starts on `order-placed`, claims the order, then waits at a service task nobody
// works on; a cancel-request message boundary on that task ends it. A payment-result
// message (boundary) moves it on to a "finalize" task nobody works on either: out of
// the cancel boundary's scope, as an order whose payment is secured.
import { requireCustomerOrKey } from '../../api/authorize.js';
import { asShopBackend } from '../support/shop-backend-caller.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { openApiDocument } from '../../api/openapi.js';
import { CreateOrderBody, OrderLine } from '../../api/schemas.js';
import { notFoundHandler, problemErrorHandler } from '../../api/problem.js';
import { orderRoutes } from '../../api/routes/orders.js';
import { notificationPage } from '../../domain/notifications/list-notifications.js';
import { claimOrder } from '../../domain/orders/claim-order.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { transitionOrder } from '../../domain/orders/transition.js';
import { loadConfig } from '../../infra/config.js';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import { EmbeddedProcessInspector } from '../../orchestrator/embedded/process-inspector.js';
import type { JobWorker } from '../../orchestrator/engine.js';
import { MESSAGES, OrderProcess } from '../../orchestrator/order-process.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { bpmn, flow, message } from '../engine/support.js';
import { waitFor, sleep } from '../support/wait.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';

const PROCESS_ID = 'api-orders-test';
const MODEL = bpmn(
  PROCESS_ID,
  `<bpmn:startEvent id="placed" name="Order placed"><bpmn:messageEventDefinition messageRef="m-placed"/></bpmn:startEvent>
   <bpmn:serviceTask id="claim" name="Claim order"><bpmn:extensionElements><zeebe:taskDefinition type="api-test-claim"/></bpmn:extensionElements></bpmn:serviceTask>
   <bpmn:serviceTask id="await-payment" name="Await&#10;payment"><bpmn:extensionElements><zeebe:taskDefinition type="api-test-nobody-works-on-this"/></bpmn:extensionElements></bpmn:serviceTask>
   <bpmn:boundaryEvent id="cancel-requested" name="Cancel requested" attachedToRef="await-payment"><bpmn:messageEventDefinition messageRef="m-cancel"/></bpmn:boundaryEvent>
   <bpmn:boundaryEvent id="payment-arrived" name="Payment arrived" attachedToRef="await-payment"><bpmn:messageEventDefinition messageRef="m-payment"/></bpmn:boundaryEvent>
   <bpmn:serviceTask id="finalize" name="Finalize order"><bpmn:extensionElements><zeebe:taskDefinition type="api-test-nobody-finalizes"/></bpmn:extensionElements></bpmn:serviceTask>
   <bpmn:endEvent id="paid"/>
   <bpmn:endEvent id="cancelled"/>
   ${flow('f1', 'placed', 'claim')}${flow('f2', 'claim', 'await-payment')}${flow('f3', 'await-payment', 'paid')}${flow('f4', 'cancel-requested', 'cancelled')}${flow('f5', 'payment-arrived', 'finalize')}${flow('f6', 'finalize', 'paid')}`,
  `<bpmn:message id="m-placed" name="${MESSAGES.orderPlaced}"/>${message('m-cancel', MESSAGES.cancelRequested, '=orderId')}${message('m-payment', MESSAGES.paymentResult, '=orderId')}`,
);

let db: TestDatabase;
let engine: EmbeddedEngine;
let claimWorker: JobWorker;
let server: Server;
let baseUrl: string;
const logLines: { level: number; msg: string; orderId?: string }[] = [];
/** Makes the engine look unavailable to the routes (start / requestCancel throw). */
const engineDown = { start: false, cancel: false };
/** The Idempotency-Key window this app is configured with (IDEMPOTENCY_KEY_TTL=PT1M). */
const KEY_TTL_MS = 60_000;
/** PAYMENT_TIMEOUT of this app's OrderProcess (PT10M): an unpaid order's deadline is placement + this. */
const PAYMENT_TIMEOUT_MS = 600_000;
let orderProcess: OrderProcess;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemoCatalog(db.prisma);
  engine = new EmbeddedEngine(db, { logger: pino({ level: 'silent' }), timerPollIntervalMs: 50, jobPollIntervalMs: 50 });
  await engine.deploy([{ name: 'api-orders-test.bpmn', xml: MODEL }]);
  claimWorker = engine.createWorker<{ orderId: string }>({
    taskType: 'api-test-claim',
    handler: async (job) => {
      await claimOrder(db.prisma, job.variables.orderId, job.processInstanceKey);
      return { action: 'complete' };
    },
  });
  orderProcess = new OrderProcess(engine, { paymentTimeoutMs: PAYMENT_TIMEOUT_MS, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 });
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line) as (typeof logLines)[number]) });
  const app = express();
  app.use(asShopBackend(db.prisma));
  app.use(
    orderRoutes({
      prisma: db.prisma,
      requireCaller: requireCustomerOrKey(),
      orderProcess: {
        start: async (id, placedAt) => {
          if (engineDown.start) throw new Error('engine unavailable (test)');
          return orderProcess.start(id, placedAt);
        },
        requestCancel: async (id, order) => {
          if (engineDown.cancel) throw new Error('engine unavailable (test)');
          return orderProcess.requestCancel(id, order);
        },
      },
      gateway: { checkPaymentMethod: (pm) => (pm === 'pm_approve' ? undefined : `unknown payment method ${pm}: the test gateway takes pm_approve only`) },
      inspector: new EmbeddedProcessInspector(db),
      listNotifications: async (orderId, page) => {
        const { notifications, nextCursor } = await notificationPage(db.prisma, orderId, page);
        return { notifications: notifications.map((n) => ({ kind: n.kind, channel: n.channel, status: n.status, subject: n.subject })), nextCursor };
      },
      jsonParser: express.json({ limit: '100kb' }),
      logger,
      idempotencyKeyTtlMs: KEY_TTL_MS,
    }),
  );
  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await claimWorker?.close();
  await engine?.close();
  await db?.close();
});

type Problem = { type: string; title: string; status: number; detail: string; instance: string; errors?: { field: string; message: string; hint?: string }[] };
const ORDER_BODY_TYPE = '/problems/invalid-order-body';
type Answer<T = Record<string, unknown>> = { status: number; headers: Headers; body: T };

async function call<T = Record<string, unknown>>(
  method: string,
  path: string,
  o: { json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const headers = { ...(o.json !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers };
  const body = o.json !== undefined ? JSON.stringify(o.json) : o.body;
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

const placeOrder = (json: unknown, key?: string) => call('POST', '/orders', { json, headers: key === undefined ? {} : { 'idempotency-key': key } });
const validOrder = (over: Record<string, unknown> = {}) => ({
  customerId: 'cust-api',
  items: [
    { sku: 'SKU-KETTLE', quantity: 2 },
    { sku: 'SKU-SCALE', quantity: 1 },
  ],
  paymentMethod: 'pm_approve',
  ...over,
});

function expectProblem(answer: Answer, status: number, type: string, fields: string[] = []): Problem {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = answer.body as unknown as Problem;
  expect(problem).toMatchObject({ type, status, title: expect.any(String), detail: expect.any(String), instance: expect.any(String) });
  const named = (problem.errors ?? []).map((e) => e.field);
  for (const field of fields) expect(named).toContain(field);
  return problem;
}

async function instanceCount(orderId: string): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine_process_instances WHERE variables->>'orderId' = $1`, [orderId]);
  return row?.n ?? 0;
}

type OrderBody = {
  id: string;
  status: string;
  processInstanceKey: string | null;
  process: null | {
    processInstanceKey: string;
    bpmnProcessId: string;
    state: string;
    currentSteps: { elementId: string; name: string | null; type: string; since: string }[];
    incidents: unknown[];
  };
};

/** GET /orders/:id until its process waits at `elementId`. */
async function waitUntilAt(orderId: string, elementId: string): Promise<OrderBody> {
  return waitFor(`order ${orderId} at ${elementId}`, async () => {
    const { body } = await call<OrderBody>('GET', `/orders/${orderId}`);
    return body.process?.currentSteps.some((s) => s.elementId === elementId) ? body : undefined;
  });
}

describe(`POST /orders (${databaseKind})`, () => {
  test('202 with Location; GET shows the order NEW, priced from the catalog, and the BPMN step it waits at', async () => {
    const placed = await placeOrder(validOrder({ customerEmail: 'ada@example.com' }));
    expect(placed.status).toBe(202);
    const id = placed.body.id as string;
    expect(placed.headers.get('location')).toBe(`/orders/${id}`);
    expect(placed.headers.get('idempotent-replayed')).toBeNull();
    expect(placed.body).toEqual({
      id,
      status: 'NEW',
      total: { amountMinor: 2 * 3499 + 1999, currency: 'EUR' },
      links: { self: `/orders/${id}`, cancel: `/orders/${id}/cancel`, notifications: `/orders/${id}/notifications` },
    });

    const view = await waitUntilAt(id, 'await-payment');
    expect(view).toMatchObject({
      id,
      customerId: 'cust-api',
      customerEmail: 'ada@example.com',
      status: 'NEW',
      paymentMethod: 'pm_approve',
      failureReason: null,
      total: { amountMinor: 8997, currency: 'EUR' },
      items: [
        { sku: 'SKU-KETTLE', quantity: 2, unitPriceMinor: 3499 },
        { sku: 'SKU-SCALE', quantity: 1, unitPriceMinor: 1999 },
      ],
      reservations: [],
      payment: null,
      history: [{ from: null, to: 'NEW', reason: 'order placed', at: expect.any(String) }],
    });
    expect(view.processInstanceKey).toMatch(/^\d+$/);
    expect(view.process).toEqual({
      processInstanceKey: view.processInstanceKey,
      bpmnProcessId: PROCESS_ID,
      version: 1,
      state: 'ACTIVE',
      // The name comes from the diagram, line breaks folded; the process container is not a step.
      currentSteps: [{ elementId: 'await-payment', name: 'Await payment', type: 'serviceTask', since: expect.any(String) }],
      incidents: [],
    });
    expect(Date.parse(view.process?.currentSteps[0]?.since ?? '')).not.toBeNaN();
  });

  test('before its process picked it up, an order answers process: null', async () => {
    engineDown.start = true;
    try {
      const placed = await placeOrder(validOrder({ customerId: 'cust-unstarted' }));
      expect(placed.status).toBe(202);
      const { status, body } = await call<OrderBody>('GET', `/orders/${placed.body.id as string}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'NEW', processInstanceKey: null, process: null });
    } finally {
      engineDown.start = false;
    }
  });

  test('an Idempotency-Key replay answers the same order: one order row, one process instance', async () => {
    const key = 'replay-key-1';
    const first = await placeOrder(validOrder({ customerId: 'cust-replay' }), key);
    const second = await placeOrder(validOrder({ customerId: 'cust-replay' }), key);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const id = first.body.id as string;
    await waitUntilAt(id, 'await-payment');
    // A third replay after the process picked the order up.
    expect((await placeOrder(validOrder({ customerId: 'cust-replay' }), key)).body.id).toBe(id);
    await sleep(200);
    expect(await db.prisma.order.count({ where: { customerId: 'cust-replay' } })).toBe(1);
    expect(await instanceCount(id)).toBe(1);
  });

  test('engine unavailable: still 202 with a warning; the order is durable and a replay starts its process', async () => {
    const key = 'engine-down-key';
    engineDown.start = true;
    let id: string;
    try {
      const placed = await placeOrder(validOrder({ customerId: 'cust-engine-down' }), key);
      expect(placed.status).toBe(202);
      id = placed.body.id as string;
    } finally {
      engineDown.start = false;
    }
    expect(logLines).toContainEqual(expect.objectContaining({ level: 40, orderId: id, msg: expect.stringContaining('recovery sweep') }));
    expect(await db.prisma.order.findUnique({ where: { id } })).toMatchObject({ status: 'NEW', processInstanceKey: null });
    expect(await instanceCount(id)).toBe(0);

    const replay = await placeOrder(validOrder({ customerId: 'cust-engine-down' }), key);
    expect(replay).toMatchObject({ status: 202, body: { id } });
    await waitUntilAt(id, 'await-payment');
    expect(await instanceCount(id)).toBe(1);
  });

  test('the same Idempotency-Key with a different body is 422 naming Idempotency-Key; nothing new is created', async () => {
    const key = 'reused-key-1';
    expect((await placeOrder(validOrder({ customerId: 'cust-reuse' }), key)).status).toBe(202);
    const different = [
      validOrder({ customerId: 'cust-reuse', items: [{ sku: 'SKU-KETTLE', quantity: 3 }] }),
      validOrder({ customerId: 'cust-reuse', customerEmail: 'other@example.com' }),
      validOrder({ customerId: 'cust-reuse-2' }),
    ];
    for (const body of different) {
      const answer = await placeOrder(body, key);
      expectProblem(answer, 422, '/problems/idempotency-key-reused', ['Idempotency-Key']);
    }
    expect(await db.prisma.order.count({ where: { customerId: { in: ['cust-reuse', 'cust-reuse-2'] } } })).toBe(1);
  });

  /** Moves an order's creation back by `ms` on the database clock: as if it had been placed that long ago. */
  async function age(orderId: string, ms: number): Promise<void> {
    await db.sql.query(`UPDATE orders SET created_at = now() - $2::float8 * interval '1 millisecond' WHERE id = $1::uuid`, [orderId, ms]);
  }

  test('an Idempotency-Key is kept for the configured window (1 minute here): a replay within it, a new order after it', async () => {
    const key = 'window-key-1';
    const body = validOrder({ customerId: 'cust-window' });
    const first = await placeOrder(body, key);
    expect(first.status).toBe(202);
    const firstId = first.body.id as string;

    await age(firstId, KEY_TTL_MS - 5_000);
    const replay = await placeOrder(body, key);
    expect(replay).toMatchObject({ status: 202, body: { id: firstId } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');

    await age(firstId, KEY_TTL_MS + 1_000);
    const fresh = await placeOrder(body, key);
    expect(fresh.status).toBe(202);
    const freshId = fresh.body.id as string;
    expect(freshId).not.toBe(firstId);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect(fresh.headers.get('location')).toBe(`/orders/${freshId}`);
    await waitUntilAt(freshId, 'await-payment'); // a process of its own

    // From now on the key names the new order; the old one is still there, as it was.
    const again = await placeOrder(body, key);
    expect(again).toMatchObject({ status: 202, body: { id: freshId } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await call('GET', `/orders/${firstId}`)).body).toMatchObject({ id: firstId, customerId: 'cust-window', total: { amountMinor: 8997 } });
    expect(await db.prisma.order.count({ where: { customerId: 'cust-window' } })).toBe(2);
  });

  test('after the window, the key may be used for a different order (no 422)', async () => {
    const key = 'window-key-2';
    const first = await placeOrder(validOrder({ customerId: 'cust-window-2' }), key);
    expectProblem(await placeOrder(validOrder({ customerId: 'cust-window-2b' }), key), 422, '/problems/idempotency-key-reused', ['Idempotency-Key']);
    await age(first.body.id as string, KEY_TTL_MS + 1_000);
    const other = await placeOrder(validOrder({ customerId: 'cust-window-2b' }), key);
    expect(other.status).toBe(202);
    expect(other.body.id).not.toBe(first.body.id);
  });

  test('eight clients at once with one expired key: one new order, all eight answer it', async () => {
    const key = 'window-race';
    const body = validOrder({ customerId: 'cust-window-race' });
    const first = await placeOrder(body, key);
    await age(first.body.id as string, KEY_TTL_MS + 1_000);

    const answers = await Promise.all(Array.from({ length: 8 }, () => placeOrder(body, key)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const ids = new Set(answers.map((a) => a.body.id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.body.id)).toBe(false);
    expect(answers.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(await db.prisma.order.count({ where: { customerId: 'cust-window-race' } })).toBe(2);
  });

  const invalid: [string, unknown, string[], Record<string, string>?][] = [
    [
      'an unknown SKU',
      validOrder({
        items: [
          { sku: 'SKU-KETTLE', quantity: 1 },
          { sku: 'SKU-NOPE', quantity: 1 },
        ],
      }),
      ['items[1].sku'],
    ],
    ['no items', validOrder({ items: [] }), ['items']],
    ['items missing', { customerId: 'cust-api', paymentMethod: 'pm_approve' }, ['items']],
    ['quantity 0', validOrder({ items: [{ sku: 'SKU-KETTLE', quantity: 0 }] }), ['items[0].quantity']],
    ['a negative quantity', validOrder({ items: [{ sku: 'SKU-KETTLE', quantity: -2 }] }), ['items[0].quantity']],
    ['a fractional quantity', validOrder({ items: [{ sku: 'SKU-KETTLE', quantity: 1.5 }] }), ['items[0].quantity']],
    ['a quantity as a string', validOrder({ items: [{ sku: 'SKU-KETTLE', quantity: '2' }] }), ['items[0].quantity']],
    [
      'a SKU twice',
      validOrder({
        items: [
          { sku: 'SKU-KETTLE', quantity: 1 },
          { sku: 'SKU-KETTLE', quantity: 1 },
        ],
      }),
      ['items[1].sku'],
    ],
    ['an unknown field', validOrder({ coupon: 'FREE' }), ['coupon']],
    ['an unknown field in an item', validOrder({ items: [{ sku: 'SKU-KETTLE', quantity: 1, price: 1 }] }), ['items[0].price']],
    ['a payment method the gateway refuses', validOrder({ paymentMethod: 'pm_bogus' }), ['paymentMethod']],
    ['a missing payment method', { customerId: 'cust-api', items: [{ sku: 'SKU-KETTLE', quantity: 1 }] }, ['paymentMethod']],
    ['a missing customerId', { items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' }, ['customerId']],
    ['a malformed e-mail', validOrder({ customerEmail: 'not an email' }), ['customerEmail']],
    [
      'an unknown SKU and a refused payment method at once',
      validOrder({ paymentMethod: 'pm_bogus', items: [{ sku: 'SKU-NOPE', quantity: 1 }] }),
      ['items[0].sku', 'paymentMethod'],
    ],
    ['a JSON array body', [validOrder()], ['body']],
    ['an empty Idempotency-Key', validOrder(), ['Idempotency-Key'], { 'idempotency-key': '' }],
    ['an Idempotency-Key with a space', validOrder(), ['Idempotency-Key'], { 'idempotency-key': 'two words' }],
    ['an Idempotency-Key of 201 characters', validOrder(), ['Idempotency-Key'], { 'idempotency-key': 'k'.repeat(201) }],
  ];

  const orderAndStartCount = async () => ({
    orders: await db.prisma.order.count(),
    starts: (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine_messages WHERE name = $1`, [MESSAGES.orderPlaced]))[0]?.n,
  });

  test.each(invalid)('%s → 400 naming the field; no order, no process', async (_name, body, fields, headers = {}) => {
    const before = await orderAndStartCount();
    // A bad header is a plain validation error; anything wrong with the body is an invalid order body.
    const type = headers['idempotency-key'] === undefined ? ORDER_BODY_TYPE : '/problems/validation-error';
    expectProblem(await call('POST', '/orders', { json: body, headers }), 400, type, fields);
    expect(await orderAndStartCount()).toEqual(before);
  });

  test("another shop's order body → 400 naming all six problems, with hints, pointing to the docs; nothing created", async () => {
    const before = await orderAndStartCount();
    const foreign = { customerId: 'cust-foreign', amount: 6998, items: [{ id: 'p-17', name: 'Electric kettle', amount: 3499, quantity: 2 }] };
    const problem = expectProblem(await placeOrder(foreign, 'foreign-1'), 400, ORDER_BODY_TYPE);
    const prices = expect.stringContaining('prices come from the catalogue');
    expect(problem.errors).toHaveLength(6);
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { field: 'amount', message: 'unknown field', hint: 'prices come from the catalogue: send items with sku and quantity only' },
        { field: 'items[0].id', message: 'unknown field', hint: expect.stringMatching(/^use sku/) },
        { field: 'items[0].name', message: 'unknown field', hint: expect.stringContaining('names come from the catalogue') },
        { field: 'items[0].amount', message: 'unknown field', hint: prices },
        { field: 'items[0].sku', message: 'is required' },
        { field: 'paymentMethod', message: 'is required', hint: expect.stringContaining('pm_approve') },
      ]),
    );
    expect(problem.detail).toContain(ORDER_BODY_TYPE);
    expect(problem.detail).toContain('/docs');
    expect(problem.detail).toContain('/openapi.json');
    expect(await orderAndStartCount()).toEqual(before);
    // The key was not used up by the refused body.
    expect((await placeOrder(validOrder({ customerId: 'cust-foreign' }), 'foreign-1')).status).toBe(202);
  });

  test('a field no other API is known for gets no hint; catalog refusals are order-body problems too', async () => {
    const coupon = expectProblem(await placeOrder(validOrder({ coupon: 'FREE' })), 400, ORDER_BODY_TYPE);
    expect(coupon.errors).toEqual([{ field: 'coupon', message: 'unknown field' }]);
    const unknownSku = expectProblem(await placeOrder(validOrder({ items: [{ sku: 'SKU-NOPE', quantity: 1 }] })), 400, ORDER_BODY_TYPE);
    expect(unknownSku.errors).toEqual([{ field: 'items[0].sku', message: 'unknown SKU SKU-NOPE' }]);
  });

  test("the problem's type resolves to a page explaining the order body", async () => {
    const { body } = await placeOrder({ customerId: 'cust-foreign', amount: 1, items: [{ id: 'p-17', quantity: 1 }] });
    const res = await fetch(new URL((body as unknown as Problem).type, baseUrl));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    // Every field the body takes, and where prices and names come from.
    const fields = [...Object.keys(CreateOrderBody.shape), ...Object.keys(OrderLine.shape).map((f) => `items[].${f}`)];
    expect(fields).toEqual(['customerId', 'items', 'paymentMethod', 'customerEmail', 'items[].sku', 'items[].quantity']);
    for (const field of fields) expect(page).toContain(`<code>${field}</code>`);
    expect(page).toContain('Prices come from the catalogue');
    expect(page).toContain('names come from the catalogue');
    expect(page).toContain('<a href="/docs">');
    expect(page).toContain('<a href="/openapi.json">');
    expect(page).toContain('<a href="/products">');
    expect(page).toContain('A key is kept for 1 minute');
  });

  test('an Idempotency-Key of 200 visible ASCII characters is fine', async () => {
    const placed = await placeOrder(validOrder({ customerId: 'cust-long-key' }), `k-${'x'.repeat(197)}~`);
    expect(placed.status).toBe(202);
  });

  test('a body that is not JSON is 415, malformed JSON is 400', async () => {
    expectProblem(
      await call('POST', '/orders', { body: 'customerId=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      '/problems/unsupported-media-type',
      ['Content-Type'],
    );
    expectProblem(
      await call('POST', '/orders', { body: '{"customerId":', headers: { 'content-type': 'application/json' } }),
      400,
      '/problems/validation-error',
      ['body'],
    );
  });
});

describe(`GET /orders/:id (${databaseKind})`, () => {
  test('an unknown id or one that is not a UUID is a 404 problem', async () => {
    expectProblem(await call('GET', '/orders/4c1f2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b'), 404, '/problems/not-found', ['id']);
    expectProblem(await call('GET', '/orders/not-a-uuid'), 404, '/problems/not-found', ['id']);
  });
});

describe(`GET /orders (${databaseKind})`, () => {
  let created: string[] = [];
  beforeAll(async () => {
    // Oldest first; created one after the other, so each is newer than the last.
    created = [];
    for (let i = 0; i < 25; i++) {
      const order = await createOrder(db.prisma, {
        customerId: 'cust-list',
        items: [{ sku: 'SKU-MUG-SET', quantity: 1 + (i % 3) }],
        paymentMethod: 'pm_approve',
      });
      created.push(order.id);
    }
    for (const id of created.slice(0, 3)) await transitionOrder(db.prisma, id, 'CANCELLED', 'test');
    await createOrder(db.prisma, { customerId: 'cust-list-other', items: [{ sku: 'SKU-MUG-SET', quantity: 1 }], paymentMethod: 'pm_approve' });
  });

  type Page = {
    orders: { id: string; customerId: string; status: string; total: { amountMinor: number; currency: string }; createdAt: string; updatedAt: string }[];
    nextCursor: string | null;
  };

  test('pages through 25 orders 10 at a time: 3 pages, newest first, no duplicates', async () => {
    const pages: Page[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/orders?customerId=cust-list&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { status, body } = await call<Page>('GET', query);
      expect(status).toBe(200);
      pages.push(body);
      cursor = body.nextCursor;
    } while (cursor && pages.length < 5);
    expect(pages.map((p) => p.orders.length)).toEqual([10, 10, 5]);
    expect(pages[2]?.nextCursor).toBeNull();
    const ids = pages.flatMap((p) => p.orders.map((o) => o.id));
    expect(ids).toEqual([...created].reverse());
    expect(new Set(ids).size).toBe(25);
    const first = pages[0]?.orders[0];
    expect(first).toEqual({
      id: created[24],
      customerId: 'cust-list',
      status: 'NEW',
      total: { amountMinor: 3200, currency: 'EUR' },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const times = pages.flatMap((p) => p.orders.map((o) => Date.parse(o.createdAt)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  test('default page size is 20; filters by customer and by status', async () => {
    const all = await call<Page>('GET', '/orders?customerId=cust-list');
    expect(all.body.orders).toHaveLength(20);
    expect(all.body.nextCursor).not.toBeNull();

    const cancelled = await call<Page>('GET', '/orders?customerId=cust-list&status=CANCELLED');
    expect(cancelled.body).toEqual({ orders: expect.any(Array), nextCursor: null });
    expect(cancelled.body.orders.map((o) => o.id)).toEqual(created.slice(0, 3).reverse());
    expect(cancelled.body.orders.every((o) => o.status === 'CANCELLED')).toBe(true);

    const other = await call<Page>('GET', '/orders?customerId=cust-list-other');
    expect(other.body.orders.map((o) => o.customerId)).toEqual(['cust-list-other']);

    const anyCustomer = await call<Page>('GET', '/orders?status=CANCELLED&limit=100');
    expect(anyCustomer.body.orders.every((o) => o.status === 'CANCELLED')).toBe(true);
    expect(anyCustomer.body.orders.map((o) => o.id)).toEqual(expect.arrayContaining(created.slice(0, 3)));

    expect((await call<Page>('GET', '/orders?customerId=nobody')).body).toEqual({ orders: [], nextCursor: null });
  });

  test.each([
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('2026-01-01T00:00:00.000Z|x').toString('base64url')}`, 'cursor'],
    ['cursor=', 'cursor'],
    ['status=LOST', 'status'],
    ['status=new', 'status'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=2.5', 'limit'],
    ['sort=asc', 'sort'],
    ['status=NEW&status=PAID', 'status'],
  ])('?%s → 400 naming %s', async (query, field) => {
    expectProblem(await call('GET', `/orders?${query}`), 400, '/problems/validation-error', [field]);
  });
});

describe(`POST /orders/:id/cancel (${databaseKind})`, () => {
  /** The order-cancel-requested messages buffered for an order (published, waiting for a process to take them). */
  async function bufferedCancels(orderId: string) {
    return db.sql.query<{ message_id: string | null; expires_at: Date }>(
      `SELECT message_id, expires_at FROM engine_messages WHERE name = $1 AND correlation_key = $2 ORDER BY key`,
      [MESSAGES.cancelRequested, orderId],
    );
  }
  /** Which elements of the order's instance completed, in order (engine audit). */
  async function completedElements(processInstanceKey: string): Promise<string[]> {
    const rows = await db.sql.query<{ element_id: string }>(
      `SELECT element_id FROM engine_audit WHERE process_instance_key = $1::bigint AND intent = 'ELEMENT_COMPLETED' ORDER BY id`,
      [processInstanceKey],
    );
    return rows.map((r) => r.element_id);
  }
  async function instanceEnded(orderId: string): Promise<OrderBody> {
    return waitFor(`the instance of ${orderId} to end`, async () => {
      const { body } = await call<OrderBody>('GET', `/orders/${orderId}`);
      return body.process?.state === 'COMPLETED' ? body : undefined;
    });
  }
  const createUnstarted = async (customerId: string) =>
    (await createOrder(db.prisma, { customerId, items: [{ sku: 'SKU-BOARD', quantity: 1 }], paymentMethod: 'pm_approve' })).id;

  test('202 accepted: the running process takes the order-cancel-requested message at once (nothing is buffered)', async () => {
    const id = (await placeOrder(validOrder({ customerId: 'cust-cancel' }))).body.id as string;
    const waiting = await waitUntilAt(id, 'await-payment');
    // No body and no content type.
    const answer = await call('POST', `/orders/${id}/cancel`);
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ id, status: 'NEW', cancellation: 'accepted' });
    expect(await bufferedCancels(id)).toEqual([]);

    // The boundary event on the waiting task caught the message and ended the instance.
    const ended = await instanceEnded(id);
    expect(ended.process?.currentSteps).toEqual([]);
    const path = await completedElements(waiting.processInstanceKey as string);
    expect(path).toEqual(expect.arrayContaining(['cancel-requested', 'cancelled']));
    expect(path).not.toContain('paid');
  });

  test('an empty JSON object, an empty body and a repeated request answer 202 accepted again, with no second message; a body with fields is 400', async () => {
    const id = (await placeOrder(validOrder({ customerId: 'cust-cancel-2' }))).body.id as string;
    const waiting = await waitUntilAt(id, 'await-payment');
    const accepted = { id, status: 'NEW', cancellation: 'accepted' };
    expect(await call('POST', `/orders/${id}/cancel`, { json: {} })).toMatchObject({ status: 202, body: accepted });
    await instanceEnded(id);
    // The process has ended, so a second message could not be taken: the repeats answer from the recorded request.
    expect(await call('POST', `/orders/${id}/cancel`, { body: '', headers: { 'content-type': 'application/json' } })).toMatchObject({
      status: 202,
      body: accepted,
    });
    expect(await call('POST', `/orders/${id}/cancel`, { body: 'please', headers: { 'content-type': 'text/plain' } })).toMatchObject({
      status: 202,
      body: accepted,
    });
    expect(await call('POST', `/orders/${id}/cancel`)).toMatchObject({ status: 202, body: accepted });
    expectProblem(await call('POST', `/orders/${id}/cancel`, { json: { reason: 'changed my mind' } }), 400, '/problems/validation-error', ['reason']);
    expect(await bufferedCancels(id)).toEqual([]);
    expect((await completedElements(waiting.processInstanceKey as string)).filter((e) => e === 'cancel-requested')).toHaveLength(1);
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id } })).cancelRequestedAt).not.toBeNull();
  });

  test('once the process has left the cancellable scope (payment arrived), 409 order-not-cancellable naming status; nothing recorded or buffered', async () => {
    const id = (await placeOrder(validOrder({ customerId: 'cust-cancel-late' }))).body.id as string;
    await waitUntilAt(id, 'await-payment');
    await engine.publishMessage({ name: MESSAGES.paymentResult, correlationKey: id, variables: { paymentResult: { status: 'approved' } }, timeToLive: 0 });
    const finalizing = await waitUntilAt(id, 'finalize');
    expect(finalizing).toMatchObject({ status: 'NEW', process: { state: 'ACTIVE' } });

    for (let i = 0; i < 2; i++) {
      const problem = expectProblem(await call('POST', `/orders/${id}/cancel`), 409, '/problems/order-not-cancellable', ['status']);
      expect(problem.detail).toContain(id);
    }
    expect(await bufferedCancels(id)).toEqual([]);
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id } })).cancelRequestedAt).toBeNull();
    expect((await call<OrderBody>('GET', `/orders/${id}`)).body.process?.currentSteps.map((s) => s.elementId)).toEqual(['finalize']);
  });

  test('an order whose process has not started yet: 202 queued; one cancel message is buffered until its payment deadline (+1 min), and its process takes it once started', async () => {
    const id = await createUnstarted('cust-c-queued');
    const order = await db.prisma.order.findUniqueOrThrow({ where: { id } });
    expect(order.processInstanceKey).toBeNull();
    const queued = { id, status: 'NEW', cancellation: 'queued' };
    expect(await call('POST', `/orders/${id}/cancel`)).toMatchObject({ status: 202, body: queued });
    expect(await call('POST', `/orders/${id}/cancel`)).toMatchObject({ status: 202, body: queued });

    const buffered = await bufferedCancels(id);
    expect(buffered).toHaveLength(1);
    // Until the deadline (placement + PAYMENT_TIMEOUT, in whole seconds), and a minute more: not the 1-minute message TTL.
    const expectedExpiry = order.createdAt.getTime() + PAYMENT_TIMEOUT_MS + 60_000;
    const expiresAt = new Date(buffered[0]?.expires_at as Date).getTime();
    expect(expiresAt).toBeGreaterThanOrEqual(expectedExpiry - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(expectedExpiry + 2_000);

    // The recovery sweep's start: the process runs, reaches the waiting task and takes the buffered request there.
    await orderProcess.start(id, order.createdAt);
    const ended = await instanceEnded(id);
    expect(await completedElements(ended.processInstanceKey as string)).toEqual(expect.arrayContaining(['cancel-requested', 'cancelled']));
  });

  test('AWAITING_PAYMENT may be cancelled; PAID not yet split into shipments is 409 order-not-cancellable; CANCELLED is 409 order-finished; unknown is 404', async () => {
    const awaiting = await createUnstarted('cust-c-awaiting');
    await transitionOrder(db.prisma, awaiting, 'AWAITING_PAYMENT', 'test');
    expect(await call('POST', `/orders/${awaiting}/cancel`)).toMatchObject({
      status: 202,
      body: { id: awaiting, status: 'AWAITING_PAYMENT', cancellation: 'queued' },
    });

    const paid = await createUnstarted('cust-c-paid');
    await transitionOrder(db.prisma, paid, 'AWAITING_PAYMENT', 'test');
    await transitionOrder(db.prisma, paid, 'PAID', 'test');
    expectProblem(await call('POST', `/orders/${paid}/cancel`), 409, '/problems/order-not-cancellable', ['status']);

    const cancelled = await createUnstarted('cust-c-cancelled');
    await transitionOrder(db.prisma, cancelled, 'CANCELLED', 'test');
    const finished = expectProblem(await call('POST', `/orders/${cancelled}/cancel`), 409, '/problems/order-finished', ['status']);
    expect(finished.detail).toContain('CANCELLED');

    const rejected = await createUnstarted('cust-c-rejected');
    await transitionOrder(db.prisma, rejected, 'REJECTED', 'test');
    expect(expectProblem(await call('POST', `/orders/${rejected}/cancel`), 409, '/problems/order-finished').detail).toContain('REJECTED');

    expectProblem(await call('POST', '/orders/4c1f2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b/cancel'), 404, '/problems/not-found', ['id']);
    expectProblem(await call('POST', '/orders/nope/cancel'), 404, '/problems/not-found', ['id']);
    // Refusals publish nothing.
    const [row] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine_messages WHERE name = $1 AND correlation_key = ANY($2)`, [
      MESSAGES.cancelRequested,
      [paid, cancelled, rejected],
    ]);
    expect(row?.n).toBe(0);
  });

  test('engine unavailable: 503 with Retry-After, nothing recorded; once it is back, the request is taken', async () => {
    const id = await createUnstarted('cust-c-down');
    engineDown.cancel = true;
    try {
      const answer = await call('POST', `/orders/${id}/cancel`);
      expectProblem(answer, 503, '/problems/engine-unavailable');
      expect(answer.headers.get('retry-after')).toBe('5');
    } finally {
      engineDown.cancel = false;
    }
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id } })).cancelRequestedAt).toBeNull();
    expect(await bufferedCancels(id)).toEqual([]);
    expect(await call('POST', `/orders/${id}/cancel`)).toMatchObject({ status: 202, body: { id, cancellation: 'queued' } });
  });
});

describe(`GET /orders/:id/notifications (${databaseKind})`, () => {
  test("lists the order's notifications; unknown order is 404", async () => {
    const id = (await createOrder(db.prisma, { customerId: 'cust-notify', items: [{ sku: 'SKU-BOARD', quantity: 1 }], paymentMethod: 'pm_approve' })).id;
    expect(await call('GET', `/orders/${id}/notifications`)).toMatchObject({ status: 200, body: { notifications: [] } });
    await db.prisma.notification.create({ data: { orderId: id, kind: 'confirmed', channel: 'log', subject: 'Confirmed', body: 'Thanks' } });
    expect((await call('GET', `/orders/${id}/notifications`)).body).toEqual({
      notifications: [{ kind: 'confirmed', channel: 'log', status: 'PENDING', subject: 'Confirmed' }],
      nextCursor: null,
    });
    expectProblem(await call('GET', '/orders/4c1f2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b/notifications'), 404, '/problems/not-found', ['id']);
    expectProblem(await call('GET', '/orders/nope/notifications'), 404, '/problems/not-found', ['id']);
  });
});

describe('the OpenAPI document', () => {
  const doc = openApiDocument('test', { saga: true }) as unknown as {
    openapi: string;
    paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, unknown> };
  };

  test('documents every order route and the payment webhook', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/orders', '/orders/{id}', '/orders/{id}/cancel', '/orders/{id}/notifications', '/webhooks/payments/{provider}']),
    );
    expect(Object.keys(doc.paths['/orders'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/webhooks/payments/{provider}']?.post?.responses ?? {}).sort()).toEqual(['200', '400', '401', '404', '422']);
    expect(doc.paths['/webhooks/payments/{provider}']?.post?.parameters?.map((p) => p.name)).toEqual(['provider', 'Sandbox-Signature']);
    expect(doc.paths['/orders']?.get?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['query:customerId', 'query:status', 'query:cursor', 'query:limit']);
    expect(doc.paths['/orders']?.post?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['header:Idempotency-Key']);
  });

  test('POST /orders documents the invalid-order-body problem with hints, and its type is a documented page', () => {
    const post = doc.paths['/orders']?.post as unknown as {
      description: string;
      responses: Record<string, { content: Record<string, { examples: Record<string, { value: Problem }> }> }>;
    };
    const examples = post.responses['400']?.content['application/problem+json']?.examples ?? {};
    expect(examples.foreign?.value).toMatchObject({ type: ORDER_BODY_TYPE, status: 400 });
    expect(examples.foreign?.value.errors).toContainEqual({
      field: 'amount',
      message: 'unknown field',
      hint: expect.stringContaining('prices come from the catalogue'),
    });
    expect(post.description).toContain('IDEMPOTENCY_KEY_TTL');
    const page = doc.paths[ORDER_BODY_TYPE]?.get as unknown as { responses: Record<string, { content: Record<string, unknown> }> };
    expect(Object.keys(page.responses['200']?.content ?? {})).toEqual(['text/html']);
    expect(doc.components.schemas.Problem).toMatchObject({ properties: { errors: { items: { properties: { hint: { type: 'string' } } } } } });
  });

  test('every path parameter is declared, and every $ref resolves inside the document', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(item)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort()).toEqual([...names].sort());
      }
    }
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas).toHaveProperty([ref.replace('#/components/schemas/', '')]);
    }
    expect(JSON.stringify(doc)).not.toContain('"$defs"');
    expect(JSON.stringify(doc)).not.toContain('"$schema"');
    for (const [id, schema] of Object.entries(doc.components.schemas)) expect([id, Object.keys(schema as object)]).not.toEqual([id, ['$ref']]);
  });

  test('without the saga, only the catalogue (products, listings, customers’ levels), stock and API-key routes are documented', () => {
    const plain = openApiDocument('test') as unknown as { paths: Record<string, unknown> };
    expect(Object.keys(plain.paths).sort()).toEqual([
      '/admin/api-keys',
      '/admin/api-keys/{id}',
      '/admin/customers/{id}',
      '/admin/customers/{id}/points',
      '/admin/listings',
      '/admin/listings/{id}',
      '/admin/listings/{id}/take-off',
      '/admin/products',
      '/admin/products/{sku}',
      '/admin/products/{sku}/archive',
      '/customers/me',
      '/customers/me/points',
      '/health',
      '/listings',
      '/listings/{id}',
      '/products',
      '/products/{sku}',
      '/ready',
      '/stocks/{sku}',
      '/stocks/{sku}/{warehouseId}',
    ]);
  });
});

describe(`IDEMPOTENCY_KEY_TTL through createApp (${databaseKind})`, () => {
  test('the configured window reaches POST /orders and the order-body page', async () => {
    const config = loadConfig({ IDEMPOTENCY_KEY_TTL: 'PT2M' });
    expect(config.orders.idempotencyKeyTtlMs).toBe(120_000);
    const unused = async () => {
      throw new Error('not used by this test');
    };
    const app = createApp({
      db,
      config,
      logger: pino({ level: 'silent' }),
      saga: {
        orderProcess: { start: async () => true, requestCancel: unused },
        gateway: { checkPaymentMethod: () => undefined },
        inspector: { instance: async () => undefined },
        listNotifications: async () => ({ notifications: [], nextCursor: null }),
        webhookProviders: [],
        relay: { relayNow: unused },
        incidents: { incidents: async () => [] },
        engine: { updateJobRetries: unused, resolveIncident: unused },
        queues: [],
      },
    });
    const wired = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    try {
      const url = `http://127.0.0.1:${(wired.address() as AddressInfo).port}`;
      const post = async () => {
        const res = await fetch(`${url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'wired-key', authorization: `Bearer ${config.auth.devApiKey}` },
          body: JSON.stringify(validOrder({ customerId: 'cust-wired' })),
        });
        return { status: res.status, id: ((await res.json()) as { id: string }).id };
      };
      const first = await post();
      expect(first.status).toBe(202);
      // Older than 2 minutes, younger than the 24-hour default.
      await db.sql.query(`UPDATE orders SET created_at = now() - interval '121 seconds' WHERE id = $1::uuid`, [first.id]);
      const second = await post();
      expect(second.status).toBe(202);
      expect(second.id).not.toBe(first.id);
      expect(await (await fetch(`${url}${ORDER_BODY_TYPE}`)).text()).toContain('A key is kept for 2 minutes');
    } finally {
      wired.closeAllConnections();
      await new Promise<void>((resolve) => wired.close(() => resolve()));
    }
  });
});

describe('logging', () => {
  test('no request answered 500: nothing was logged at error level', () => {
    expect(logLines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
