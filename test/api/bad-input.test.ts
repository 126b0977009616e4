// The bad input of issue 13's sweep, and what the hostile-input test found since, one
// case each, over real HTTP on the app with every route mounted: each once answered 500.
// Text the database cannot store (a NUL, an unpaired UTF-16 surrogate), a signed webhook
// nested deep enough to crash PGlite, engine keys beyond 64 bits, and bodies that cannot
// be decoded (an encoding we do not take, gzip that is not gzip, bytes that are not UTF-8)
// are now a 4xx problem+json naming what to fix, and nothing is logged at error level.
import { DEV_API_KEY } from '../../infra/config.js';
import { gzipSync, deflateSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { startEveryRouteApp, type EveryRouteApp } from '../support/every-route-app.js';
import { addOrder } from '../support/fixtures.js';

let app: EveryRouteApp;
/** An order with a payment requested from the sandbox: a signed event matching it reaches the inbox. */
const paid = { orderId: '', paymentId: '' };

beforeAll(async () => {
  app = await startEveryRouteApp();
  paid.orderId = await addOrder(app.db.prisma, [{ sku: 'SKU-KETTLE', quantity: 1 }]);
  const payment = await app.db.prisma.payment.create({ data: { orderId: paid.orderId, provider: 'sandbox', amountMinor: 0, currency: 'EUR' } });
  paid.paymentId = payment.id;
}, 60_000);
afterAll(async () => {
  await app?.close();
});
let errorLinesChecked = 0;
afterEach(() => {
  const logged = app.errorLines.slice(errorLinesChecked);
  errorLinesChecked = app.errorLines.length;
  expect({ 'error-level log lines (a 500 logs one)': logged }).toEqual({ 'error-level log lines (a 500 logs one)': [] });
});

type Answer = { status: number; contentType: string | null; type?: string; fields: string[]; messages: string[] };

async function send(method: string, path: string, o: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  // As the shop's backend (every scope) unless the test names another credential: these are tests of input, not of access.
  const res = await fetch(app.baseUrl + path, { method, headers: { ...admin, ...o.headers }, ...(o.body === undefined ? {} : { body: o.body }) });
  const text = await res.text();
  const problem = (res.headers.get('content-type')?.startsWith('application/problem+json') ? JSON.parse(text) : {}) as {
    type?: string;
    errors?: { field: string; message: string }[];
  };
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    ...(problem.type ? { type: problem.type } : {}),
    fields: (problem.errors ?? []).map((e) => e.field),
    messages: (problem.errors ?? []).map((e) => e.message),
  };
}

const admin = { authorization: `Bearer ${DEV_API_KEY}` };
const json = { 'content-type': 'application/json' };
const TEXT_MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';
const NUL = 'a\u0000b';
const LONE_SURROGATE = 'a\ud800b';
const order = (over: Record<string, unknown>) =>
  JSON.stringify({ customerId: 'cust-1', items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve', ...over });

function expectRefused(a: Answer, status: number, field: string, message?: string): void {
  expect({ status: a.status, contentType: a.contentType, fields: a.fields }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
    fields: expect.arrayContaining([field]),
  });
  if (message !== undefined) expect(a.messages).toContain(message);
}

/** A sandbox event for the order with a payment, signed with the app's secret. */
function signedEvent(over: { id?: string; data?: Record<string, unknown>; [k: string]: unknown } = {}): { headers: Record<string, string>; body: string } {
  const { data, ...top } = over;
  return signed(
    JSON.stringify({
      id: `evt_${randomUUID()}`,
      type: 'payment.succeeded',
      created: 1_795_342_502,
      ...top,
      data: { paymentId: paid.paymentId, providerPaymentId: 'sbx_pay_1', orderId: paid.orderId, amountMinor: 0, currency: 'EUR', ...data },
    }),
  );
}

const signed = (body: string) => ({ headers: { ...json, 'sandbox-signature': app.sign(body) }, body });

describe(`text (and JSON) the database cannot store is a 400 naming the field (${databaseKind})`, () => {
  test.each([
    ['a NUL', NUL],
    ['an unpaired surrogate', LONE_SURROGATE],
    ['a lone low surrogate', 'a\udc00'],
  ])('customerId with %s in POST /orders', async (_what, customerId) => {
    expectRefused(await send('POST', '/orders', { headers: json, body: order({ customerId }) }), 400, 'customerId', TEXT_MESSAGE);
  });

  test.each(['paymentMethod', 'customerEmail'])('%s with a NUL in POST /orders', async (field) => {
    expectRefused(await send('POST', '/orders', { headers: json, body: order({ [field]: `ada${NUL}@example.com` }) }), 400, field, TEXT_MESSAGE);
  });

  test('a NUL in a SKU of POST /orders', async () => {
    expectRefused(
      await send('POST', '/orders', { headers: json, body: order({ items: [{ sku: 'SKU-\u0000', quantity: 1 }] }) }),
      400,
      'items[0].sku',
      TEXT_MESSAGE,
    );
  });

  test('GET /orders?customerId=a%00b', async () => {
    expectRefused(await send('GET', '/orders?customerId=a%00b'), 400, 'customerId', TEXT_MESSAGE);
  });

  test('GET /orders?cursor=a%00b', async () => {
    expectRefused(await send('GET', '/orders?cursor=a%00b'), 400, 'cursor', TEXT_MESSAGE);
  });

  test.each([
    ['GET', '/orders/a%00b'],
    ['GET', '/orders/a%00b/notifications'],
    ['POST', '/orders/a%00b/cancel'],
    ['GET', '/products/a%00b'],
    ['GET', '/stocks/a%00b'],
  ])('%s %s: a NUL in the path', async (method, path) => {
    const field = path.startsWith('/orders') ? 'id' : 'sku';
    expectRefused(await send(method, path), 400, field, TEXT_MESSAGE);
  });

  test('a NUL in the payment provider of the webhook path', async () => {
    expectRefused(
      await send('POST', '/webhooks/payments/a%00b', { headers: { ...json, 'sandbox-signature': 't=1,v1=00' }, body: '{}' }),
      400,
      'provider',
      TEXT_MESSAGE,
    );
  });

  test.each([
    ['id', { id: NUL }],
    ['id', { id: LONE_SURROGATE }],
    ['data.paymentId', { data: { paymentId: NUL } }],
    ['data.providerPaymentId', { data: { providerPaymentId: LONE_SURROGATE } }],
    ['data.reason', { data: { reason: NUL } }],
  ])('a signed webhook with unstorable text in %s', async (field, over) => {
    expectRefused(await send('POST', '/webhooks/payments/sandbox', signedEvent(over)), 400, field, TEXT_MESSAGE);
  });

  test.each([
    ['note', { note: NUL }],
    ['data.extra[1]', { data: { extra: ['ok', LONE_SURROGATE] } }],
    ['data.a\\u0000b', { data: { [NUL]: 1 } }],
  ])('a signed webhook whose other fields (kept with the event) hold unstorable text: %s', async (field, over) => {
    expectRefused(await send('POST', '/webhooks/payments/sandbox', signedEvent(over)), 400, field, TEXT_MESSAGE);
  });

  test('a signed webhook whose body nests deeper than any event (it would crash PGlite, fail PostgreSQL and JSON.stringify)', async () => {
    for (const depth of [33, 1000, 20_000]) {
      const body = signedEvent({ note: 'DEEP' }).body.replace('"DEEP"', '['.repeat(depth) + ']'.repeat(depth));
      const res = await send('POST', '/webhooks/payments/sandbox', signed(body));
      expectRefused(res, 400, `note${'[0]'.repeat(31)}`, 'nests deeper than 32 levels');
    }
    expect((await send('GET', '/ready')).status).toBe(200);
  });

  test('the same webhook with storable text is recorded', async () => {
    const res = await send('POST', '/webhooks/payments/sandbox', signedEvent({ note: 'fine: é, 😀' }));
    expect(res.status).toBe(200);
  });
});

describe(`engine keys are digits within 64 bits (${databaseKind})`, () => {
  test.each([
    ['/ops/api/definitions/9223372036854775808'],
    ['/ops/api/definitions/9999999999999999999/stats'],
    ['/ops/api/definitions/99999999999999999999'],
    ['/ops/api/definitions/0'],
    ['/ops/api/definitions/007'],
  ])('GET %s → 400 naming key', async (path) => {
    expectRefused(await send('GET', path, { headers: admin }), 400, 'key');
  });

  test('POST /ops/api/incidents/9223372036854775808/retry → 400 naming key', async () => {
    expectRefused(await send('POST', '/ops/api/incidents/9223372036854775808/retry', { headers: { ...admin, ...json }, body: '{}' }), 400, 'key');
  });

  test.each([['/ops/api/definitions/9223372036854775807'], ['/ops/api/definitions/9223372036854775807/stats']])(
    'the largest key, deployed or not, is well formed: GET %s → 404 as before',
    async (path) => {
      expectRefused(await send('GET', path, { headers: admin }), 404, 'key');
    },
  );

  test('POST /ops/api/incidents/9223372036854775807/retry → 404 as before', async () => {
    expectRefused(await send('POST', '/ops/api/incidents/9223372036854775807/retry', { headers: { ...admin, ...json }, body: '{}' }), 404, 'key');
  });

  test('a deployed definition still answers', async () => {
    for (const key of app.definitionKeys) {
      expect((await send('GET', `/ops/api/definitions/${key}`, { headers: admin })).status).toBe(200);
      expect((await send('GET', `/ops/api/definitions/${key}/stats`, { headers: admin })).status).toBe(200);
    }
  });
});

describe(`bodies that cannot be decoded: 415 for an encoding we do not take, 400 for one that fails (${databaseKind})`, () => {
  const routes = (): [string, string, Record<string, string>][] => [
    ['POST', '/orders', json],
    ['POST', `/orders/${randomUUID()}/cancel`, json],
    ['PUT', '/stocks/SKU-KETTLE/WH-BER', { ...admin, ...json }],
    ['POST', '/ops/api/incidents/1/retry', { ...admin, ...json }],
    ['POST', '/webhooks/payments/sandbox', { ...json, 'sandbox-signature': 't=1,v1=00' }],
  ];
  /** Every route with a body answers `status` with a problem of `type` naming Content-Encoding. */
  async function expectEveryRoute(encoding: Record<string, string>, body: string, status: number, type: string): Promise<void> {
    const answers = [];
    for (const [method, path, headers] of routes()) {
      const res = await send(method, path, { headers: { ...headers, ...encoding }, body });
      answers.push({ route: `${method} ${path}`, status: res.status, type: res.type, fields: res.fields });
    }
    expect(answers).toEqual(answers.map(({ route }) => ({ route, status, type, fields: ['Content-Encoding'] })));
  }

  test.each(['gzip', 'deflate', 'GZIP'])('Content-Encoding: %s on a body that is not one: 400 on every route with a body', async (encoding) => {
    await expectEveryRoute({ 'content-encoding': encoding }, '{"onHand": 1}', 400, '/problems/invalid-content-encoding');
  });

  test.each(['br', 'zstd', 'compress', 'gzip, gzip', 'x-unknown'])('Content-Encoding: %s → 415 on every route with a body', async (encoding) => {
    await expectEveryRoute({ 'content-encoding': encoding }, '{}', 415, '/problems/unsupported-encoding');
  });

  test('truncated gzip: 400', async () => {
    const body = gzipSync(order({})).subarray(0, 20);
    expectRefused(await send('POST', '/orders', { headers: { ...json, 'content-encoding': 'gzip' }, body }), 400, 'Content-Encoding');
  });

  test('gzip and deflate bodies that are what they say are taken', async () => {
    expect((await send('POST', '/orders', { headers: { ...json, 'content-encoding': 'gzip' }, body: gzipSync(order({})) })).status).toBe(202);
    expect((await send('POST', '/orders', { headers: { ...json, 'content-encoding': 'deflate' }, body: deflateSync(order({})) })).status).toBe(202);
    expect((await send('POST', '/orders', { headers: { ...json, 'content-encoding': 'identity' }, body: order({}) })).status).toBe(202);
  });

  test.each([
    ['an invalid byte', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])],
    ['an encoded surrogate (CESU-8)', Buffer.concat([Buffer.from('{"customerId":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ['a truncated sequence', Buffer.concat([Buffer.from('{"customerId":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')])],
  ])('a JSON body with %s, not UTF-8: 400 naming body', async (_what, body) => {
    expectRefused(await send('POST', '/orders', { headers: json, body }), 400, 'body', 'is not valid UTF-8');
    expectRefused(await send('PUT', '/stocks/SKU-KETTLE/WH-BER', { headers: { ...admin, ...json }, body }), 400, 'body', 'is not valid UTF-8');
  });

  test('a signed webhook body that is not UTF-8: 400 naming body', async () => {
    const body = Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    expectRefused(
      await send('POST', '/webhooks/payments/sandbox', { headers: { ...json, 'sandbox-signature': app.sign(body) }, body }),
      400,
      'body',
      'is not valid UTF-8',
    );
  });

  test('a charset the JSON parser does not know: 415 naming Content-Type', async () => {
    expectRefused(await send('POST', '/orders', { headers: { 'content-type': 'application/json; charset=latin-9' }, body: order({}) }), 415, 'Content-Type');
  });
});
