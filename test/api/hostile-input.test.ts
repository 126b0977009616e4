// No input answers 5xx (issue 13). The app with every route mounted serves its OpenAPI
// document; for every operation in it fast-check generates hostile requests (wrong
// types, missing and unknown fields and parameters, huge and NaN-ish numbers, NUL and
// lone surrogates, odd path characters, invalid JSON, bytes that are not UTF-8, wrong
// content types and encodings, 2 MB bodies; with the admin token and without, signed and
// not) and sends them over real HTTP. Every answer must be below 500, every 4xx a
// problem+json, nothing may be logged at error level, and the service must be ready
// afterwards. The seed is fixed and printed: HOSTILE_SEED=<seed> replays a run, and
// HOSTILE_OPERATION='<METHOD> <path>' one operation of it; HOSTILE_RUNS sets the requests per operation.
import { DEV_API_KEY } from '../../infra/config.js';
import { request as httpRequest, Agent } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { databaseKind } from '../support/database.js';
import { startEveryRouteApp, type EveryRouteApp } from '../support/every-route-app.js';
import { addOrder } from '../support/fixtures.js';
import { SANDBOX_SIGNATURE_HEADER } from '../../integrations/payments/sandbox/webhook-event.js';
import { hostileRequest, materialize, operationsOf, type Fixtures, type HostileRequest, type OpenApiDocument } from './hostile-requests.js';

const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_122);
const RUNS = Number(process.env.HOSTILE_RUNS ?? 100);
/** One operation only, e.g. HOSTILE_OPERATION='GET /orders' (with HOSTILE_SEED, to replay what a run found). */
const ONLY = process.env.HOSTILE_OPERATION;

let app: EveryRouteApp;
let doc: OpenApiDocument;
let fixtures: Fixtures;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const started = Date.now();
const statuses = new Map<number, number>();
let sent = 0;

type Answer = { status: number; contentType: string | undefined; text: string };

function send(method: string, target: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  const url = new URL(app.baseUrl);
  return new Promise((resolve, reject) => {
    // Node sends no Content-Length for a GET by itself: without one, the body would read as the next request.
    const length = body === undefined ? {} : { 'content-length': String(body.length) };
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: target, headers: { ...headers, ...length }, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sendHostile(request: HostileRequest): Promise<Answer> {
  const { headers, body } = materialize(request, fixtures);
  const answer = await send(request.method, request.target, headers, body);
  sent += 1;
  statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  return answer;
}

/** What every answer must be; a string naming the breach, or undefined. */
function breach(answer: Answer): string | undefined {
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.text.slice(0, 300)}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType?.startsWith('application/problem+json')) return `a ${answer.status} as ${answer.contentType}, not problem+json`;
  const problem = JSON.parse(answer.text) as { status?: unknown; type?: unknown };
  if (problem.status !== answer.status || typeof problem.type !== 'string') return `a ${answer.status} whose problem says ${answer.text.slice(0, 200)}`;
  return undefined;
}

const CUSTOMER_SECRET = 'hostile-input-customer-secret-0123456789abc';

beforeAll(async () => {
  const customerTokens = { secret: CUSTOMER_SECRET, issuer: 'hostile', audience: 'order-saga' };
  app = await startEveryRouteApp({ auth: { devApiKey: DEV_API_KEY, customerTokens } });
  const orderId = await addOrder(app.db.prisma, [{ sku: 'SKU-KETTLE', quantity: 1 }]);
  const payment = await app.db.prisma.payment.create({ data: { orderId, provider: 'sandbox', amountMinor: 0, currency: 'EUR' } });
  // Path parameters are filled by name: a business whose id is the order's (a UUID is a slug too) lets /businesses/{id} reach a business.
  await app.db.prisma.business.create({
    data: { id: orderId, name: 'Hostile', contactEmail: 'hostile@example.com', dispatcher: 'manual', secret: 'bsec_hostile' },
  });
  // A shipment of that business, for its answers (an ops key may answer for any business).
  const shipment = await app.db.prisma.shipment.create({ data: { orderId, businessId: orderId, amountMinor: 0, currency: 'EUR' }, select: { id: true } });
  doc = JSON.parse((await send('GET', '/openapi.json', {})).text) as OpenApiDocument;
  // The customer's own routes (x-access "customer": the cart, /customers/me) take a customer's token, and a cart to check out.
  const customer = await new SignJWT()
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('hostile-customer')
    .setIssuer(customerTokens.issuer)
    .setAudience(customerTokens.audience)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(CUSTOMER_SECRET));
  const customerOps = operationsOf(doc).filter((o) => (o.operation as { 'x-access'?: { kind: string } })['x-access']?.kind === 'customer');
  const cart = JSON.parse(
    (await send('PUT', '/cart/lines/SKU-KETTLE', { authorization: `Bearer ${customer}`, 'content-type': 'application/json' }, Buffer.from('{"quantity":1}')))
      .text,
  ) as { etag: string };
  fixtures = {
    credential: DEV_API_KEY,
    credentialFor: Object.fromEntries(customerOps.map((o) => [o.name, customer])),
    headers: { 'POST /cart/checkout': () => ({ 'if-match': cart.etag, 'idempotency-key': 'hostile-checkout' }) },
    pathValues: {
      id: orderId,
      key: app.definitionKeys[0]!,
      sku: 'SKU-KETTLE',
      warehouseId: 'WH-BER',
      provider: 'sandbox',
      businessId: orderId,
      shipmentId: shipment.id,
    },
    bodies: {
      // A signed event that matches the order's payment gets as far as the inbox.
      'POST /webhooks/payments/{provider}': () => ({
        id: 'evt_hostile',
        type: 'payment.failed',
        created: 1_795_342_502,
        data: { paymentId: payment.id, providerPaymentId: 'sbx_pay_hostile', orderId, amountMinor: 0, currency: 'EUR', reason: 'card_declined' },
      }),
    },
    signature: { header: SANDBOX_SIGNATURE_HEADER, sign: (body) => app.sign(body) },
  };
  process.stdout.write(`\n[hostile input, ${databaseKind}] seed ${SEED} (HOSTILE_SEED=${SEED} replays), ${RUNS} requests per operation\n`);
}, 60_000);

afterAll(async () => {
  const counts = [...statuses.entries()].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
  process.stdout.write(
    `\n[hostile input, ${databaseKind}] ${sent} requests in ${((Date.now() - started) / 1000).toFixed(1)} s; statuses ${counts.join(' ')}\n`,
  );
  agent.destroy();
  await app?.close();
});

let errorLinesChecked = 0;
afterEach(() => {
  const logged = app.errorLines.slice(errorLinesChecked);
  errorLinesChecked = app.errorLines.length;
  expect({ 'error-level log lines (a 500 logs one)': logged }).toEqual({ 'error-level log lines (a 500 logs one)': [] });
});

describe(`hostile requests to every operation of /openapi.json answer below 500 (${databaseKind})`, () => {
  test('the document lists every route: the saga, the ops API, the businesses and /metrics', () => {
    const names = operationsOf(doc).map((o) => o.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /orders',
        'POST /webhooks/payments/{provider}',
        'POST /ops/api/incidents/{key}/retry',
        'GET /ops/api/definitions/{key}/stats',
        'GET /metrics',
        'POST /businesses',
        'PATCH /businesses/{id}',
        'PUT /products/{sku}/business',
        'POST /businesses/{businessId}/shipments/{shipmentId}/events',
        'GET /businesses/{businessId}/shipments/{shipmentId}/answer',
        'POST /businesses/{businessId}/shipments/{shipmentId}/answer',
        'GET /ops/api/shipments',
        'POST /ops/api/shipments/{id}/approve',
        'POST /ops/api/shipments/{id}/reassign',
        'POST /ops/api/shipments/{id}/cancel',
        'POST /admin/listings',
        'PATCH /admin/listings/{id}',
        'GET /listings',
        'PUT /cart/lines/{sku}',
        'POST /cart/checkout',
      ]),
    );
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  test(`every operation, ${RUNS} hostile requests each: below 500, every 4xx a problem+json`, async () => {
    const operations = operationsOf(doc).filter((o) => ONLY === undefined || o.name === ONLY);
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      await fc.assert(
        fc.asyncProperty(hostileRequest(doc, operation, fixtures), async (request) => {
          const found = breach(await sendHostile(request));
          if (found !== undefined) throw new Error(`${request.method} ${request.target}: ${found}`);
        }),
        { seed: SEED, numRuns: RUNS },
      );
    }
  }, 300_000); // every operation in turn: about 80 s on a quiet 2-core machine, more beside the other suites

  test('the service is healthy afterwards', async () => {
    expect((await send('GET', '/health', {})).status).toBe(200);
    const ready = await send('GET', '/ready', {});
    expect({ status: ready.status, body: JSON.parse(ready.text) }).toEqual({ status: 200, body: { status: 'ready', database: databaseKind, engine: 'up' } });
  });
});
