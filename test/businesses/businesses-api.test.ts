// The businesses' admin API over real HTTP (docs/api.md#businesses), with the real dispatcher
// plugins checking the settings: a business is created with its secret shown once, read and
// listed without it, changed (its settings checked again), given a new secret, and assigned
// products; every refusal is a problem+json naming the field. Who may do it: a key with
// businesses:admin, and a business's own key may read its own business only.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createApiKey } from '../../domain/access/api-keys.js';
import { ALL_SCOPES } from '../../domain/access/scopes.js';
import { createDispatcherRegistry } from '../../integrations/dispatchers/registry.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { ADMIN_TOKEN, startApiServer, type ApiServer } from '../support/api-server.js';
import { databaseKind } from '../support/database.js';

type Problem = { type: string; status: number; detail: string; errors?: { field: string; message: string }[] };
type Business = {
  id: string;
  name: string;
  contactEmail: string;
  dispatcher: { plugin: string; settings: Record<string, unknown> };
  createdAt: string;
  updatedAt: string;
  secret?: string;
};
type Answer<T = unknown> = { status: number; headers: Headers; text: string; body: T };

let api: ApiServer;
/** A key with businesses:admin only. */
let admin: string;
/** A key with every scope but businesses:admin. */
let withoutScope: string;
/** acme-supplies's own key (shipments:read), and one without shipments:read. */
let acmeKey: string;
let acmeWriteOnlyKey: string;

beforeAll(async () => {
  api = await startApiServer((db) => seedDemoCatalog(db.prisma), { dispatchers: createDispatcherRegistry({ from: 'order-saga <orders@localhost>' }) });
  const prisma = api.db.prisma;
  admin = (await createApiKey(prisma, { name: 'business admin', scopes: ['businesses:admin'] })).token;
  withoutScope = (await createApiKey(prisma, { name: 'everything else', scopes: ALL_SCOPES.filter((s) => s !== 'businesses:admin') })).token;
  acmeKey = (await createApiKey(prisma, { name: 'acme', scopes: ['shipments:read', 'shipments:write'], businessId: 'acme-supplies' })).token;
  acmeWriteOnlyKey = (await createApiKey(prisma, { name: 'acme writer', scopes: ['shipments:write'], businessId: 'acme-supplies' })).token;
});
afterAll(async () => {
  await api?.close();
});
// A 500 (or any error-level line) fails the test it came during.
let errorLinesChecked = 0;
afterEach(() => {
  const logged = api.errorLines.slice(errorLinesChecked);
  errorLinesChecked = api.errorLines.length;
  expect({ 'error-level log lines (a 500 logs one)': logged }).toEqual({ 'error-level log lines (a 500 logs one)': [] });
});

async function call<T = unknown>(method: string, path: string, o: { as?: string | null; body?: unknown } = {}): Promise<Answer<T>> {
  const credential = o.as === undefined ? admin : o.as;
  const res = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: {
      ...(credential === null ? {} : { authorization: `Bearer ${credential}` }),
      ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(o.body === undefined ? {} : { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A problem+json with `status`, naming `field` (and, when given, with a message matching `message`). */
function expectProblem(answer: Answer, status: number, field: string, message?: RegExp): void {
  expect({ status: answer.status, contentType: answer.headers.get('content-type') }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  const problem = answer.body as Problem;
  expect(problem.status).toBe(status);
  const named = (problem.errors ?? []).filter((e) => e.field === field);
  expect({ fields: (problem.errors ?? []).map((e) => e.field) }).toEqual({ fields: expect.arrayContaining([field]) });
  if (message) expect(named.map((e) => e.message).join('; ')).toMatch(message);
}

let serial = 0;
const newBusiness = (over: Record<string, unknown> = {}) => ({
  id: `test-business-${++serial}`,
  name: 'Test Business',
  contactEmail: 'orders@test-business.example',
  dispatcher: { plugin: 'manual', settings: {} },
  ...over,
});

async function created(over: Record<string, unknown> = {}): Promise<Business & { secret: string }> {
  const answer = await call<Business & { secret: string }>('POST', '/businesses', { body: newBusiness(over) });
  expect(answer.status).toBe(201);
  return answer.body;
}

const storedSecret = async (id: string) => (await api.db.prisma.business.findUniqueOrThrow({ where: { id } })).secret;

describe(`creating a business (${databaseKind})`, () => {
  test('POST /businesses answers 201 with the business and its secret (bsec_ and 64 hex digits), which is the one kept', async () => {
    const answer = await call<Business & { secret: string }>('POST', '/businesses', {
      body: {
        id: 'globex-parts',
        name: ' Globex Parts ',
        contactEmail: 'orders@globex.example',
        dispatcher: { plugin: 'email', settings: { to: 'dispatch@globex.example' } },
      },
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe('/businesses/globex-parts');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      id: 'globex-parts',
      name: 'Globex Parts',
      contactEmail: 'orders@globex.example',
      dispatcher: { plugin: 'email', settings: { to: 'dispatch@globex.example' } },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      secret: expect.stringMatching(/^bsec_[0-9a-f]{64}$/),
    });
    expect(await storedSecret('globex-parts')).toBe(answer.body.secret);
  });

  test('the secret is shown once: GET /businesses/{id} and GET /businesses never show it', async () => {
    const business = await created();
    const one = await call<Business>('GET', `/businesses/${business.id}`);
    expect(one.status).toBe(200);
    const { secret: _secret, ...withoutSecret } = business;
    expect(one.body).toEqual(withoutSecret);
    expect(one.text).not.toContain(business.secret);
    expect(one.text).not.toMatch(/secret|bsec_/);
    const list = await call<{ businesses: Business[] }>('GET', '/businesses?limit=100');
    expect(list.status).toBe(200);
    expect(list.body.businesses.map((b) => b.id)).toContain(business.id);
    expect(list.text).not.toMatch(/secret|bsec_/);
  });

  test('settings are optional ({} by default) and a webhook business keeps its URL and timeout', async () => {
    expect((await created({ dispatcher: { plugin: 'manual' } })).dispatcher).toEqual({ plugin: 'manual', settings: {} });
    const hook = await created({ dispatcher: { plugin: 'webhook', settings: { url: 'https://orders.supplier.example/hook', timeoutMs: 2000 } } });
    expect(hook.dispatcher).toEqual({ plugin: 'webhook', settings: { url: 'https://orders.supplier.example/hook', timeoutMs: 2000 } });
  });

  test('an id that is taken → 409 business-exists naming id, and the business is unchanged', async () => {
    const first = await created();
    const again = await call('POST', '/businesses', { body: newBusiness({ id: first.id, name: 'Someone else' }) });
    expectProblem(again, 409, 'id', /already exists/);
    expect((again.body as Problem).type).toBe('/problems/business-exists');
    expect(await storedSecret(first.id)).toBe(first.secret);
    expect((await call<Business>('GET', `/businesses/${first.id}`)).body.name).toBe('Test Business');
    // The migration's business counts too.
    expectProblem(await call('POST', '/businesses', { body: newBusiness({ id: 'default' }) }), 409, 'id');
  });

  test.each([
    ['an id with capitals', 'id', { id: 'Acme' }, /lower-case/],
    ['an id starting with a dash', 'id', { id: '-acme' }, /starting with a letter or digit/],
    ['an id with an underscore', 'id', { id: 'acme_supplies' }, /lower-case letters, digits or dashes/],
    ['an id of 64 characters', 'id', { id: 'a'.repeat(64) }, /1 to 63/],
    ['no id', 'id', { id: undefined }, /is required/],
    ['an empty name', 'name', { name: '   ' }, /must not be empty/],
    ['a contact address that is no e-mail address', 'contactEmail', { contactEmail: 'orders at acme' }, /e-mail address/],
    ['a contact address that is a number', 'contactEmail', { contactEmail: 42 }, /must be a string/],
    ['no dispatcher', 'dispatcher', { dispatcher: undefined }, /is required/],
    [
      'an unknown dispatcher plugin',
      'dispatcher.plugin',
      { dispatcher: { plugin: 'carrier-pigeon', settings: {} } },
      /unknown dispatcher plugin.*known: .*manual/,
    ],
    ['a dispatcher plugin named __proto__', 'dispatcher.plugin', { dispatcher: { plugin: '__proto__' } }, /unknown dispatcher plugin/],
    ['settings that are no object', 'dispatcher.settings', { dispatcher: { plugin: 'manual', settings: ['url'] } }, /object/],
    ['a webhook without its url', 'dispatcher.settings.url', { dispatcher: { plugin: 'webhook', settings: {} } }, /is required/],
    ['a webhook url that is not http(s)', 'dispatcher.settings.url', { dispatcher: { plugin: 'webhook', settings: { url: 'ftp://x.example/' } } }, /http/],
    [
      'a webhook timeout out of range',
      'dispatcher.settings.timeoutMs',
      { dispatcher: { plugin: 'webhook', settings: { url: 'https://x.example/', timeoutMs: 10 } } },
      /from 100/,
    ],
    ['an email `to` that is no address', 'dispatcher.settings.to', { dispatcher: { plugin: 'email', settings: { to: 'a@b@c' } } }, /e-mail address/],
    [
      'a setting the plugin does not know',
      'dispatcher.settings.url',
      { dispatcher: { plugin: 'manual', settings: { url: 'https://x.example/' } } },
      /unknown setting/,
    ],
    ['a setting with a NUL', 'dispatcher.settings.url', { dispatcher: { plugin: 'webhook', settings: { url: 'https://x.example/\u0000' } } }, /NUL/],
    ['a field the API does not know', 'secret', { secret: 'bsec_mine' }, /unknown field/],
  ])('%s → 400 problem+json naming %s, nothing created', async (_case, field, over, message) => {
    const body = newBusiness(over);
    const answer = await call('POST', '/businesses', { body });
    expectProblem(answer, 400, field, message);
    expect((answer.body as Problem).type).toBe('/problems/validation-error');
    if (typeof body.id === 'string') expect(await api.db.prisma.business.findUnique({ where: { id: body.id } })).toBeNull();
  });

  test('a body that is not JSON → 415; JSON that does not parse → 400 naming body', async () => {
    const res = await fetch(`${api.baseUrl}/businesses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).toBe(415);
    expectProblem(await call('POST', '/businesses', { body: '{"id":' }), 400, 'body');
  });
});

describe(`changing a business (${databaseKind})`, () => {
  test('PATCH /businesses/{id} changes the name, the contact address and the dispatcher, and only what it names', async () => {
    const business = await created();
    const renamed = await call<Business>('PATCH', `/businesses/${business.id}`, { body: { name: 'Renamed', contactEmail: 'new@test-business.example' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: business.id, name: 'Renamed', contactEmail: 'new@test-business.example', dispatcher: business.dispatcher });
    const rewired = await call<Business>('PATCH', `/businesses/${business.id}`, {
      body: { dispatcher: { plugin: 'webhook', settings: { url: 'https://orders.test-business.example/' } } },
    });
    expect(rewired.status).toBe(200);
    expect(rewired.body).toMatchObject({ name: 'Renamed', dispatcher: { plugin: 'webhook', settings: { url: 'https://orders.test-business.example/' } } });
    expect(rewired.text).not.toMatch(/secret|bsec_/);
    expect(await storedSecret(business.id)).toBe(business.secret);
  });

  test.each([
    ['settings the new plugin refuses', 'dispatcher.settings.url', { dispatcher: { plugin: 'webhook', settings: { url: 'not a url' } } }],
    ['settings of another plugin', 'dispatcher.settings.url', { dispatcher: { plugin: 'email', settings: { url: 'https://x.example/' } } }],
    ['an unknown plugin', 'dispatcher.plugin', { dispatcher: { plugin: 'fax' } }],
    ['a bad contact address', 'contactEmail', { contactEmail: 'nobody' }],
    ['an empty name', 'name', { name: '' }],
    ['the id', 'id', { id: 'another-id' }],
    ['no field at all', 'body', {}],
  ])('PATCH re-validates: %s → 400 naming %s, and nothing changes', async (_case, field, patch) => {
    const business = await created();
    const before = await api.db.prisma.business.findUniqueOrThrow({ where: { id: business.id } });
    expectProblem(await call('PATCH', `/businesses/${business.id}`, { body: patch }), 400, field);
    expect(await api.db.prisma.business.findUniqueOrThrow({ where: { id: business.id } })).toEqual(before);
  });

  test('POST /businesses/{id}/secret rotates the secret: a new one, shown once and kept, the old one gone', async () => {
    const business = await created();
    const rotated = await call<Business & { secret: string }>('POST', `/businesses/${business.id}/secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    expect(rotated.body.secret).toMatch(/^bsec_[0-9a-f]{64}$/);
    expect(rotated.body.secret).not.toBe(business.secret);
    expect(await storedSecret(business.id)).toBe(rotated.body.secret);
    expect((await call('GET', `/businesses/${business.id}`)).text).not.toContain(rotated.body.secret);
    // An empty JSON body is fine; fields are not.
    expect((await call('POST', `/businesses/${business.id}/secret`, { body: {} })).status).toBe(200);
    expectProblem(await call('POST', `/businesses/${business.id}/secret`, { body: { secret: 'bsec_mine' } }), 400, 'secret');
  });

  test('PUT /products/{sku}/business assigns the product to the business', async () => {
    const business = await created();
    const answer = await call('PUT', '/products/SKU-LAMP/business', { body: { businessId: business.id } });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ sku: 'SKU-LAMP', name: 'Desk lamp (limited edition)', businessId: business.id });
    expect((await api.db.prisma.product.findUniqueOrThrow({ where: { sku: 'SKU-LAMP' } })).businessId).toBe(business.id);
    // Back to our own warehouse.
    expect((await call('PUT', '/products/SKU-LAMP/business', { body: { businessId: 'default' } })).status).toBe(200);
    expect((await api.db.prisma.product.findUniqueOrThrow({ where: { sku: 'SKU-LAMP' } })).businessId).toBe('default');
  });

  test('assigning to an unknown business → 404 naming businessId; an unknown product → 404 naming sku; a bad businessId → 400', async () => {
    expectProblem(await call('PUT', '/products/SKU-LAMP/business', { body: { businessId: 'no-such-business' } }), 404, 'businessId', /does not exist/);
    expectProblem(await call('PUT', '/products/SKU-NOPE/business', { body: { businessId: 'acme-supplies' } }), 404, 'sku', /does not exist/);
    expectProblem(await call('PUT', '/products/SKU-LAMP/business', { body: { businessId: 'Not A Slug' } }), 400, 'businessId');
    expectProblem(await call('PUT', '/products/SKU-LAMP/business', { body: {} }), 400, 'businessId', /is required/);
    expect((await api.db.prisma.product.findUniqueOrThrow({ where: { sku: 'SKU-LAMP' } })).businessId).toBe('default');
  });

  test('an unknown business → 404 problem+json naming id, on GET, PATCH and the secret rotation', async () => {
    for (const id of ['no-such-business', 'NOT-A-SLUG', 'x'.repeat(80)]) {
      expectProblem(await call('GET', `/businesses/${id}`), 404, 'id', /does not exist/);
      expectProblem(await call('PATCH', `/businesses/${id}`, { body: { name: 'x' } }), 404, 'id');
      expectProblem(await call('POST', `/businesses/${id}/secret`), 404, 'id');
    }
  });
});

describe(`who may manage businesses (${databaseKind})`, () => {
  const everyRoute = (id: string): [string, string, unknown?][] => [
    ['POST', '/businesses', newBusiness()],
    ['GET', '/businesses'],
    ['GET', `/businesses/${id}`],
    ['PATCH', `/businesses/${id}`, { name: 'Taken over' }],
    ['POST', `/businesses/${id}/secret`],
    ['PUT', '/products/SKU-KETTLE/business', { businessId: id }],
  ];

  test('a key without businesses:admin → 403 on every business route, and so is the admin token; no credential → 401', async () => {
    const business = await created();
    for (const [method, path, body] of everyRoute(business.id)) {
      expectProblem(await call(method, path, { as: withoutScope, body }), 403, 'Authorization', /businesses:admin/);
      expectProblem(await call(method, path, { as: ADMIN_TOKEN, body }), 403, 'Authorization', /businesses:admin/);
      expectProblem(await call(method, path, { as: null, body }), 401, 'Authorization');
    }
    expect(await storedSecret(business.id)).toBe(business.secret);
    expect((await api.db.prisma.business.findUniqueOrThrow({ where: { id: business.id } })).name).toBe('Test Business');
  });

  test("a business's key reads its own business only: another business answers 404, as one that does not exist", async () => {
    const own = await call<Business>('GET', '/businesses/acme-supplies', { as: acmeKey });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ id: 'acme-supplies', name: 'ACME Supplies', dispatcher: { plugin: 'manual', settings: {} } });
    expect(own.text).not.toMatch(/secret|bsec_/);
    const another = await call('GET', '/businesses/northwind-traders', { as: acmeKey });
    const missing = await call('GET', '/businesses/no-such-business', { as: acmeKey });
    expectProblem(another, 404, 'id');
    expectProblem(missing, 404, 'id');
    expect((another.body as Problem).detail).toBe('business northwind-traders does not exist');
  });

  test("a business's key may not list, create or change businesses (its own neither), and without shipments:read not even read its own", async () => {
    for (const [method, path, body] of everyRoute('acme-supplies').filter(([m, p]) => !(m === 'GET' && p === '/businesses/acme-supplies'))) {
      expectProblem(await call(method, path, { as: acmeKey, body }), 403, 'Authorization');
    }
    expectProblem(await call('GET', '/businesses/acme-supplies', { as: acmeWriteOnlyKey }), 403, 'Authorization', /shipments:read/);
  });
});
