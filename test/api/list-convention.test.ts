// One list convention for every list of the API (issue 19, item 5): `limit` (1–100,
// default 20) and an opaque `cursor` in, `nextCursor` out (null on the last page), keyset
// paging on a stable unique order, and a query parameter the list does not know refused
// with a 400 naming it. GET /orders and GET /products are tested in their own files; these
// are the other lists: an order's notifications, a SKU's stock per warehouse, the open
// incidents, the deployed process versions and the shipments of the ops API, and the businesses.
import { requireCustomerOrKey } from '../../api/authorize.js';
import { asShopBackend } from '../support/shop-backend-caller.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express, { type RequestHandler } from 'express';
import { pino } from 'pino';
import { openApiDocument } from '../../api/openapi.js';
import { notFoundHandler, problemErrorHandler } from '../../api/problem.js';
import { incidentRoutes } from '../../api/routes/incidents.js';
import { opsApiRoutes } from '../../api/routes/ops-api.js';
import { opsShipmentRoutes } from '../../api/routes/ops-shipments.js';
import { orderRoutes } from '../../api/routes/orders.js';
import { stockRoutes } from '../../api/routes/stocks.js';
import { businessRoutes } from '../../api/routes/businesses.js';
import { notificationPage } from '../../domain/notifications/list-notifications.js';
import { cursorOf } from '../../domain/paging.js';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import { EngineOperations, type IncidentView } from '../../orchestrator/embedded/operations.js';
import type { ProcessInspector } from '../../orchestrator/process-inspector.js';
import { bpmn, flow } from '../engine/support.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addOrder, addProduct } from '../support/fixtures.js';

let db: TestDatabase;
let engine: EmbeddedEngine;
let server: Server;
let baseUrl: string;
let orderId: string;
/** What the fake engine answers for open incidents: not sorted, keys of different lengths. */
const OPEN_INCIDENT_KEYS = ['2251799813685300', '9', '2251799813685299', '10', '123456', '2251799813685301', '11'];
const incident = (key: string): IncidentView => ({
  key,
  processInstanceKey: `7${key}`.slice(0, 19),
  bpmnProcessId: 'order-fulfillment',
  elementId: 'RequestPayment',
  elementInstanceKey: '1',
  jobKey: null,
  errorType: 'JOB_NO_RETRIES',
  errorMessage: `incident ${key}`,
  state: 'ACTIVE',
  createdAt: '2026-11-22T10:15:02.125Z',
});

const process = (id: string, label: string) => bpmn(id, `<bpmn:startEvent id="s" name="${label}"/><bpmn:endEvent id="e"/>${flow('f', 's', 'e')}`);

beforeAll(async () => {
  db = await openTestDatabase();
  // A SKU in 5 warehouses (stock rows inserted out of order).
  await addProduct(db.prisma, 'SKU-PAGED', { 'WH-P3': 3, 'WH-P1': 1, 'WH-P5': 5, 'WH-P2': 2, 'WH-P4': 4 });
  // An order with 4 notifications, two of them in the same millisecond (the tie is broken by id).
  orderId = await addOrder(db.prisma, [{ sku: 'SKU-PAGED', quantity: 1 }]);
  const t0 = Date.parse('2026-11-22T10:15:00.000Z');
  for (const [kind, at] of [
    ['rejected', t0 + 2000],
    ['confirmed', t0],
    ['cancelled', t0],
    ['payment-failed', t0 + 1000],
  ] as const) {
    await db.prisma.notification.create({ data: { orderId, kind, channel: 'log', subject: kind, body: kind, createdAt: new Date(at) } });
  }
  // Businesses besides the migration's 'default', inserted out of order.
  for (const id of ['zeta-supply', 'alpha-goods', '9-lives', 'mid-co']) {
    await db.prisma.business.create({ data: { id, name: id, contactEmail: `${id}@example.com`, dispatcher: 'manual', secret: `bsec_${id}` } });
  }
  // Shipments of that order, one per business, two of them in the same millisecond (the tie is broken by id).
  for (const [businessId, at] of [
    ['zeta-supply', t0 + 1000],
    ['alpha-goods', t0],
    ['9-lives', t0 + 2000],
    ['mid-co', t0],
  ] as const) {
    await db.prisma.shipment.create({ data: { orderId, businessId, amountMinor: 100, currency: 'EUR', createdAt: new Date(at) } });
  }
  // Five deployed versions: two processes, versions differing by a label.
  engine = new EmbeddedEngine(db, { logger: pino({ level: 'silent' }) });
  for (const [id, label] of [
    ['list-b', 'one'],
    ['list-a', 'one'],
    ['list-b', 'two'],
    ['list-a', 'two'],
    ['list-a', 'three'],
  ] as const) {
    await engine.deploy([{ name: `${id}.bpmn`, xml: process(id, label) }]);
  }

  const logger = pino({ level: 'silent' });
  const jsonParser = express.json();
  const pass: RequestHandler = (_req, _res, next) => next();
  const app = express();
  app.use(asShopBackend(db.prisma));
  app.use(stockRoutes(db.prisma, pass, jsonParser));
  app.use(
    orderRoutes({
      prisma: db.prisma,
      requireCaller: requireCustomerOrKey(),
      orderProcess: { start: async () => true, requestCancel: async () => 'accepted' as const },
      gateway: { checkPaymentMethod: () => undefined },
      inspector: {} as ProcessInspector,
      listNotifications: (id, page) => notificationPage(db.prisma, id, page),
      jsonParser,
      logger,
    }),
  );
  app.use(
    incidentRoutes({
      prisma: db.prisma,
      incidents: { incidents: async () => OPEN_INCIDENT_KEYS.map(incident) },
      engine: { updateJobRetries: async () => undefined, resolveIncident: async () => undefined },
      requireOps: pass,
      jsonParser,
    }),
  );
  app.use(opsApiRoutes({ prisma: db.prisma, operations: new EngineOperations(db.sql), requireOps: pass }));
  app.use(opsShipmentRoutes({ prisma: db.prisma, orderProcess: { reportShipment: async () => undefined }, requireOps: pass, jsonParser, logger }));
  app.use(businessRoutes({ prisma: db.prisma, requireBusinessesAdmin: pass, requireBusinessReader: pass, jsonParser, validateDispatcher: () => [] }));
  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await engine?.close();
  await db?.close();
});

type Page = Record<string, unknown> & { nextCursor: string | null };

async function get(path: string): Promise<{ status: number; contentType: string; body: Page }> {
  const res = await fetch(`${baseUrl}${path}`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: (await res.json()) as Page };
}

const ORDER_CURSOR = cursorOf(['2026-01-01T00:00:00.000Z', '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10']);
const SKU_CURSOR = cursorOf(['SKU-KETTLE']);

type ListCase = {
  /** The list's path, without a query. */
  path: () => string;
  /** The field holding the list's items. */
  field: string;
  /** What names an item in the expected order. */
  name: (item: Record<string, unknown>) => string;
  /** Every item's name, in the list's order. */
  expected: () => Promise<string[]>;
  /** A well-formed cursor that another list handed out, not this one. */
  foreignCursor: string;
};

const LISTS: [string, ListCase][] = [
  [
    'GET /orders/:id/notifications (oldest first: created_at, then id)',
    {
      path: () => `/orders/${orderId}/notifications`,
      field: 'notifications',
      name: (n) => String(n.kind),
      expected: async () => (await db.prisma.notification.findMany({ where: { orderId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((n) => n.kind),
      foreignCursor: SKU_CURSOR,
    },
  ],
  [
    'GET /stocks/:sku (by warehouse id)',
    {
      path: () => '/stocks/SKU-PAGED',
      field: 'stocks',
      name: (s) => `${String(s.warehouseId)}=${String(s.count)}`,
      expected: async () => ['WH-P1=1', 'WH-P2=2', 'WH-P3=3', 'WH-P4=4', 'WH-P5=5'],
      foreignCursor: ORDER_CURSOR,
    },
  ],
  [
    'GET /ops/api/incidents (by key, as a number)',
    {
      path: () => '/ops/api/incidents',
      field: 'incidents',
      name: (i) => String(i.key),
      expected: async () => ['9', '10', '11', '123456', '2251799813685299', '2251799813685300', '2251799813685301'],
      foreignCursor: SKU_CURSOR,
    },
  ],
  [
    'GET /ops/api/definitions (by process id, newest version first)',
    {
      path: () => '/ops/api/definitions',
      field: 'definitions',
      name: (d) => `${String(d.bpmnProcessId)} v${String(d.version)}`,
      expected: async () => ['list-a v3', 'list-a v2', 'list-a v1', 'list-b v2', 'list-b v1'],
      foreignCursor: ORDER_CURSOR,
    },
  ],
  [
    'GET /ops/api/shipments (newest first: created_at, then id)',
    {
      path: () => '/ops/api/shipments',
      field: 'shipments',
      name: (s) => String(s.businessId),
      expected: async () =>
        (await db.prisma.shipment.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], select: { businessId: true } })).map((s) => s.businessId),
      foreignCursor: SKU_CURSOR,
    },
  ],
  [
    'GET /businesses (by id)',
    {
      path: () => '/businesses',
      field: 'businesses',
      name: (b) => String(b.id),
      expected: async () => ['9-lives', 'alpha-goods', 'default', 'mid-co', 'zeta-supply'],
      foreignCursor: ORDER_CURSOR,
    },
  ],
];

/** Every page of `path?limit=…` from the first, following nextCursor. */
async function allPages(path: string, limit: number): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const answer = await get(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(answer.status).toBe(200);
    pages.push(answer.body);
    cursor = answer.body.nextCursor;
  } while (cursor && pages.length < 20);
  return pages;
}

describe.each(LISTS)(`%s (${databaseKind})`, (_name, list) => {
  const items = (page: Page) => (page[list.field] as Record<string, unknown>[]).map(list.name);

  test('the first page holds everything when it fits the default 20, with nextCursor null', async () => {
    const { status, body } = await get(list.path());
    expect(status).toBe(200);
    expect(items(body)).toEqual(await list.expected());
    expect(body.nextCursor).toBeNull();
  });

  test.each([1, 2, 3])('limit=%i: page after page, every item once in order, nextCursor null on the last page', async (limit) => {
    const expected = await list.expected();
    const pages = await allPages(list.path(), limit);
    expect(pages.map((p) => items(p).length)).toEqual(
      Array.from({ length: Math.ceil(expected.length / limit) }, (_, i) => Math.min(limit, expected.length - i * limit)),
    );
    expect(pages.flatMap(items)).toEqual(expected);
    expect(pages.slice(0, -1).every((p) => typeof p.nextCursor === 'string')).toBe(true);
    expect(pages.at(-1)?.nextCursor).toBeNull();
  });

  test.each([
    ['page=2', 'page', 'unknown query parameter'],
    ['offset=1', 'offset', 'unknown query parameter'],
    ['limit=2&sort=desc', 'sort', 'unknown query parameter'],
    ['limit=0', 'limit', 'must be an integer from 1 to 100'],
    ['limit=101', 'limit', 'must be an integer from 1 to 100'],
    ['limit=abc', 'limit', 'must be an integer from 1 to 100'],
    ['limit=2&limit=3', 'limit', 'must be an integer from 1 to 100'],
    ['cursor=', 'cursor', 'must not be empty'],
    ['cursor=not-a-cursor!', 'cursor', 'is not a cursor this API handed out'],
    ['cursor=FOREIGN', 'cursor', 'is not a cursor this API handed out'],
  ])('?%s → 400 problem+json naming %s', async (query, field, message) => {
    const { status, contentType, body } = await get(`${list.path()}?${query.replace('FOREIGN', list.foreignCursor)}`);
    expect(status).toBe(400);
    expect(contentType).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ type: '/problems/validation-error', status: 400, errors: [{ field, message }] });
  });
});

describe('the OpenAPI document of these lists', () => {
  const doc = openApiDocument('test', { saga: true, ops: 'embedded', businesses: true, shipments: true }) as unknown as {
    paths: Record<
      string,
      { get: { parameters: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }
    >;
    components: { schemas: Record<string, { required?: string[] }> };
  };

  test.each([
    ['/orders/{id}/notifications', ['path:id', 'query:cursor', 'query:limit'], 'NotificationList'],
    ['/stocks/{sku}', ['path:sku', 'query:cursor', 'query:limit'], 'StockList'],
    ['/ops/api/incidents', ['query:cursor', 'query:limit'], undefined],
    ['/ops/api/definitions', ['query:cursor', 'query:limit'], undefined],
    ['/businesses', ['query:cursor', 'query:limit'], 'BusinessList'],
    ['/ops/api/shipments', ['query:status', 'query:businessId', 'query:cursor', 'query:limit'], 'OpsShipmentList'],
  ])('%s takes cursor and limit, answers nextCursor, documents the 400', (path, parameters, component) => {
    const get = doc.paths[path]?.get;
    expect(get?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(parameters);
    expect(Object.keys(get?.responses ?? {})).toContain('400');
    const schema = (component ? doc.components.schemas[component] : get?.responses['200']?.content?.['application/json']?.schema) as { required?: string[] };
    expect(schema.required).toContain('nextCursor');
  });
});
