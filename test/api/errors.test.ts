import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { DEV_API_KEY } from '../../infra/config.js';
import { reserve } from '../../domain/inventory/reserve.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { databaseKind } from '../support/database.js';
import { addOrder, stockBy } from '../support/fixtures.js';
import { ADMIN_TOKEN, BODY_LIMIT_BYTES, adminHeaders, startApiServer, type ApiServer } from '../support/api-server.js';

let api: ApiServer;
beforeAll(async () => {
  api = await startApiServer((db) => seedDemoCatalog(db.prisma));
});
afterAll(async () => {
  await api?.close();
});
// Each request answers for its own log, whichever ran before it: a 500 (or any error-level
// line) fails the test it came during, or the next one when it came between tests.
let errorLinesChecked = 0;
afterEach(() => {
  const logged = api.errorLines.slice(errorLinesChecked);
  errorLinesChecked = api.errorLines.length;
  expect({ 'error-level log lines (a 500 logs one)': logged }).toEqual({ 'error-level log lines (a 500 logs one)': [] });
});

type Problem = { type: string; title: string; status: number; detail: string; instance: string; errors?: { field: string; message: string }[] };
type Answer = { status: number; headers: Headers; problem: Problem };

async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const res = await fetch(`${api.baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, headers: res.headers, problem: (await res.json()) as Problem };
}

/** The RFC 9457 shape every error must have, with the HTTP status repeated in the body. */
function expectProblem({ status, headers, problem }: Answer, expected: { status: number; type: string; instance: string; field: string | null }): void {
  expect(status).toBe(expected.status);
  expect(headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/);
  expect(problem).toEqual({
    type: expected.type,
    title: expect.any(String),
    status: expected.status,
    detail: expect.any(String),
    instance: expected.instance,
    // arrayContaining, not any(Array): fetch parses JSON outside Jest's VM realm.
    ...(expected.field === null ? {} : { errors: expect.arrayContaining([]) }),
  });
  expect(problem.title.length).toBeGreaterThan(0);
  expect(problem.detail.length).toBeGreaterThan(0);
  if (expected.field !== null) {
    expect(problem.errors?.length).toBeGreaterThan(0);
    for (const e of problem.errors ?? []) expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
    expect(problem.errors?.map((e) => e.field)).toContain(expected.field);
  }
}

const KETTLE_BER = '/stocks/SKU-KETTLE/WH-BER';
const SKU_65 = `SKU-${'X'.repeat(61)}`;
const SKU_64 = `SKU-${'X'.repeat(60)}`;
const json = (v: unknown) => JSON.stringify(v);
const anonymous = { 'content-type': 'application/json' };
const oversized = json({ onHand: 5, padding: 'x'.repeat(BODY_LIMIT_BYTES) });

type Case = {
  name: string;
  method: 'GET' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  type: string;
  /** The field errors[] must name, or null for a problem that is about no field. */
  field: string | null;
};

const cases: Case[] = [
  // The PUT body, with the admin token.
  {
    name: 'body without onHand',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({}),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  { name: 'empty body', method: 'PUT', path: KETTLE_BER, headers: adminHeaders(), body: '', status: 400, type: '/problems/validation-error', field: 'onHand' },
  {
    name: 'onHand a string "5"',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: '5' }),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'onHand a boolean',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: true }),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'onHand null',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: null }),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'onHand negative',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: -1 }),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'onHand not an integer',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: 1.5 }),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'onHand above 1e9',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: 1_000_000_001 }),
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'onHand beyond a double (1e400)',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: '{"onHand":1e400}',
    status: 400,
    type: '/problems/validation-error',
    field: 'onHand',
  },
  {
    name: 'an unknown extra field',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json({ onHand: 5, warehouse: 'WH-HAM' }),
    status: 400,
    type: '/problems/validation-error',
    field: 'warehouse',
  },
  {
    name: 'malformed JSON',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: '{"onHand": 5',
    status: 400,
    type: '/problems/validation-error',
    field: 'body',
  },
  {
    name: 'a JSON array instead of an object',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: json([{ onHand: 5 }]),
    status: 400,
    type: '/problems/validation-error',
    field: 'body',
  },
  {
    name: 'a JSON null body',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: 'null',
    status: 400,
    type: '/problems/validation-error',
    field: 'body',
  },
  {
    name: 'a bare JSON number body',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: '5',
    status: 400,
    type: '/problems/validation-error',
    field: 'body',
  },
  {
    name: 'Content-Type text/plain',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders({ 'content-type': 'text/plain' }),
    body: json({ onHand: 5 }),
    status: 415,
    type: '/problems/unsupported-media-type',
    field: 'Content-Type',
  },
  {
    name: 'no Content-Type and no body',
    method: 'PUT',
    path: KETTLE_BER,
    headers: { authorization: `Bearer ${DEV_API_KEY}` },
    status: 415,
    type: '/problems/unsupported-media-type',
    field: 'Content-Type',
  },
  {
    name: 'a body over 100kb',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders(),
    body: oversized,
    status: 413,
    type: '/problems/body-too-large',
    field: 'body',
  },

  // Authentication comes first: whatever else is wrong, an anonymous caller learns only that.
  {
    name: 'no Authorization header',
    method: 'PUT',
    path: KETTLE_BER,
    headers: anonymous,
    body: json({ onHand: 0 }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'a wrong bearer token',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders({ authorization: 'Bearer not-the-admin-token' }),
    body: json({ onHand: 0 }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: '"Bearer" with no token',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders({ authorization: 'Bearer' }),
    body: json({ onHand: 0 }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'the token under another scheme',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders({ authorization: `Basic ${ADMIN_TOKEN}` }),
    body: json({ onHand: 0 }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'the token with a suffix',
    method: 'PUT',
    path: KETTLE_BER,
    headers: adminHeaders({ authorization: `Bearer ${ADMIN_TOKEN}x` }),
    body: json({ onHand: 0 }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'no token and an invalid body',
    method: 'PUT',
    path: KETTLE_BER,
    headers: anonymous,
    body: json({ onHand: -1, extra: true }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'no token and malformed JSON',
    method: 'PUT',
    path: KETTLE_BER,
    headers: anonymous,
    body: '{"onHand":',
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'no token and a body over 100kb',
    method: 'PUT',
    path: KETTLE_BER,
    headers: anonymous,
    body: oversized,
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'no token and text/plain',
    method: 'PUT',
    path: KETTLE_BER,
    headers: { 'content-type': 'text/plain' },
    body: 'five',
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },
  {
    name: 'no token and an unknown SKU',
    method: 'PUT',
    path: '/stocks/SKU-NOPE/WH-BER',
    headers: anonymous,
    body: json({ onHand: 1 }),
    status: 401,
    type: '/problems/unauthorized',
    field: 'Authorization',
  },

  // Things that do not exist.
  { name: 'GET /products of an unknown SKU', method: 'GET', path: '/products/SKU-NOPE', status: 404, type: '/problems/not-found', field: 'sku' },
  { name: 'GET /stocks of an unknown SKU', method: 'GET', path: '/stocks/SKU-NOPE', status: 404, type: '/problems/not-found', field: 'sku' },
  {
    name: 'GET /products of a 64-character SKU (well-formed, unknown)',
    method: 'GET',
    path: `/products/${SKU_64}`,
    status: 404,
    type: '/problems/not-found',
    field: 'sku',
  },
  {
    name: 'PUT of an unknown SKU',
    method: 'PUT',
    path: '/stocks/SKU-NOPE/WH-BER',
    headers: adminHeaders(),
    body: json({ onHand: 1 }),
    status: 404,
    type: '/problems/not-found',
    field: 'sku',
  },
  {
    name: 'PUT in an unknown warehouse',
    method: 'PUT',
    path: '/stocks/SKU-KETTLE/WH-NOPE',
    headers: adminHeaders(),
    body: json({ onHand: 1 }),
    status: 404,
    type: '/problems/not-found',
    field: 'warehouseId',
  },
  { name: 'an unknown route', method: 'GET', path: '/no/such/route', status: 404, type: '/problems/no-such-route', field: null },
  {
    name: 'a method the route does not have',
    method: 'DELETE',
    path: KETTLE_BER,
    headers: adminHeaders(),
    status: 404,
    type: '/problems/no-such-route',
    field: null,
  },

  // Malformed path parameters.
  { name: 'GET /products of a 65-character SKU', method: 'GET', path: `/products/${SKU_65}`, status: 400, type: '/problems/validation-error', field: 'sku' },
  { name: 'GET /products of a SKU with a space', method: 'GET', path: '/products/SKU%20KETTLE', status: 400, type: '/problems/validation-error', field: 'sku' },
  {
    name: 'GET /products of a SKU starting with a dash',
    method: 'GET',
    path: '/products/-KETTLE',
    status: 400,
    type: '/problems/validation-error',
    field: 'sku',
  },
  { name: 'GET /stocks of a 65-character SKU', method: 'GET', path: `/stocks/${SKU_65}`, status: 400, type: '/problems/validation-error', field: 'sku' },
  { name: 'GET /stocks of a SKU with a space', method: 'GET', path: '/stocks/SKU%20KETTLE', status: 400, type: '/problems/validation-error', field: 'sku' },
  {
    name: 'PUT of a 65-character SKU',
    method: 'PUT',
    path: `/stocks/${SKU_65}/WH-BER`,
    headers: adminHeaders(),
    body: json({ onHand: 1 }),
    status: 400,
    type: '/problems/validation-error',
    field: 'sku',
  },
  {
    name: 'PUT in a warehouse id with a space',
    method: 'PUT',
    path: '/stocks/SKU-KETTLE/WH%20BER',
    headers: adminHeaders(),
    body: json({ onHand: 1 }),
    status: 400,
    type: '/problems/validation-error',
    field: 'warehouseId',
  },
  {
    name: 'GET /products of a SKU that is not valid percent-encoding',
    method: 'GET',
    path: '/products/%ZZ',
    status: 400,
    type: '/problems/validation-error',
    field: 'path',
  },
  {
    name: 'GET /stocks of a SKU that is broken UTF-8',
    method: 'GET',
    path: '/stocks/%E0%A4%A',
    status: 400,
    type: '/problems/validation-error',
    field: 'path',
  },
];

describe(`API client errors are RFC 9457 problems naming the field, never a 500 (${databaseKind})`, () => {
  let kettleBefore: Awaited<ReturnType<typeof stockBy>>;
  beforeAll(async () => {
    kettleBefore = await stockBy(api.db.prisma, 'SKU-KETTLE');
    expect(kettleBefore['WH-BER']).toEqual({ onHand: 40, reserved: 0 });
  });

  test.each(cases)('$name → $status $type', async (c) => {
    const answer = await send(c.method, c.path, c.headers, c.body);
    expectProblem(answer, { status: c.status, type: c.type, instance: c.path, field: c.field });
    if (c.status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
    // A refused request changes nothing.
    expect(await stockBy(api.db.prisma, 'SKU-KETTLE')).toEqual(kettleBefore);
  });

  test('on hand below what is reserved → 409 naming onHand, and stock is unchanged', async () => {
    // SKU-GRINDER: 5 on hand in WH-BER, which holds the whole line, so all 4 are reserved there.
    const orderId = await addOrder(api.db.prisma, [{ sku: 'SKU-GRINDER', quantity: 4 }]);
    expect((await reserve(api.db.prisma, orderId, [{ sku: 'SKU-GRINDER', quantity: 4 }])).ok).toBe(true);
    const before = await stockBy(api.db.prisma, 'SKU-GRINDER');
    expect(before['WH-BER']).toEqual({ onHand: 5, reserved: 4 });

    const path = '/stocks/SKU-GRINDER/WH-BER';
    const answer = await send('PUT', path, adminHeaders(), json({ onHand: 3 }));
    expectProblem(answer, { status: 409, type: '/problems/on-hand-below-reserved', instance: path, field: 'onHand' });
    expect(answer.problem.detail).toContain('4');
    expect(await stockBy(api.db.prisma, 'SKU-GRINDER')).toEqual(before);

    // Exactly what is reserved is allowed: nothing left to sell, nothing promised lost.
    const res = await fetch(`${api.baseUrl}${path}`, { method: 'PUT', headers: adminHeaders(), body: json({ onHand: 4 }) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sku: 'SKU-GRINDER', warehouseId: 'WH-BER', onHand: 4, reserved: 4, available: 0 });
  });

  test('the right token, sent after those refusals, still works (the refusals changed nothing)', async () => {
    const res = await fetch(`${api.baseUrl}${KETTLE_BER}`, { method: 'PUT', headers: adminHeaders(), body: json({ onHand: 41 }) });
    expect(res.status).toBe(200);
    expect(await stockBy(api.db.prisma, 'SKU-KETTLE')).toEqual({ ...kettleBefore, 'WH-BER': { onHand: 41, reserved: 0 } });
  });
});
