// Who may do what, route by route: every operation of /openapi.json, called by every kind of
// caller, answers as the operation's published `x-access` says (docs/security.md). The expected
// status is derived from that rule and from the status the right caller gets, which each route
// states below; a route missing here fails the test. Customers' tokens come from an identity
// provider we cannot reach: the test is one (an HS256 secret, and an RSA key served as a real
// JWKS over HTTP).
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from 'jose';
import type { Access } from '../../api/openapi-access.js';
import { createApiKey } from '../../domain/access/api-keys.js';
import { ALL_SCOPES, type Scope } from '../../domain/access/scopes.js';
import { databaseKind } from '../support/database.js';
import { ADMIN_TOKEN, startEveryRouteApp, type EveryRouteApp } from '../support/every-route-app.js';
import { addOrder } from '../support/fixtures.js';

const ISSUER = 'https://id.shop.example/';
const AUDIENCE = 'order-saga';
const SECRET = 'matrix-test-customer-token-secret-0123456789';
const OWNER = 'cust-owner';
const OTHER = 'cust-other';

type Caller = 'none' | 'customer' | 'another customer' | 'key without the scope' | 'key with the scope' | "another business's key" | 'admin token';
const CALLERS: Caller[] = ['none', 'customer', 'another customer', 'key without the scope', 'key with the scope', "another business's key", 'admin token'];

type Operation = { 'x-access': Access };
type Doc = { paths: Record<string, Record<string, Operation>> };

let app: EveryRouteApp;
let jwks: Server;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let doc: Doc;
let orderId: string;
let subscriptionId: string;
let apiKeyId: string;
let listingId: string;
const keysByScopes = new Map<string, string>();

async function customerToken(
  sub: string,
  o: { rsa?: boolean; claims?: Record<string, unknown>; expiresIn?: string | number; issuer?: string; audience?: string } = {},
) {
  const jwt = new SignJWT({ ...o.claims })
    .setProtectedHeader(o.rsa ? { alg: 'RS256', kid: 'matrix-key' } : { alg: 'HS256' })
    .setSubject(sub)
    .setIssuer(o.issuer ?? ISSUER)
    .setAudience(o.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(o.expiresIn ?? '5m');
  return o.rsa ? jwt.sign(rsa.privateKey) : jwt.sign(new TextEncoder().encode(SECRET));
}

/** A key holding exactly `scopes` (made once per set). */
async function keyWith(scopes: Scope[], businessId?: string): Promise<string> {
  const id = `${businessId ?? ''}|${[...scopes].sort().join(',')}`;
  let token = keysByScopes.get(id);
  if (!token) {
    token = (await createApiKey(app.db.prisma, { name: `matrix ${id}`, scopes, businessId })).token;
    keysByScopes.set(id, token);
  }
  return token;
}

const requiredScope = (access: Access): Scope | undefined =>
  access.kind === 'scope' || access.kind === 'orders' || access.kind === 'business' || access.kind === 'business-signed'
    ? access.scope
    : access.kind === 'keys'
      ? 'keys:admin'
      : undefined;

async function credentialOf(caller: Caller, access: Access): Promise<string | undefined> {
  const needed = requiredScope(access);
  switch (caller) {
    case 'none':
      return undefined;
    case 'customer':
      return customerToken(OWNER);
    case 'another customer':
      return customerToken(OTHER, { rsa: true });
    case 'key without the scope':
      return keyWith(ALL_SCOPES.filter((s) => s !== needed && !(needed?.startsWith('orders:') && s.startsWith('orders:'))));
    case 'key with the scope':
      return keyWith([needed ?? 'ops']);
    case "another business's key":
      return keyWith(['shipments:read', 'shipments:write'], 'northwind-traders');
    case 'admin token':
      return ADMIN_TOKEN;
  }
}

/** What `caller` must get from an operation with `access`, given what the right caller gets (`ok`). */
function expected(access: Access, caller: Caller, ok: number, route: Route): number {
  switch (access.kind) {
    case 'public':
    case 'own-credential':
      return ok;
    case 'scope':
      return caller === 'none' ? 401 : caller === 'key with the scope' ? ok : 403;
    case 'keys':
      return caller === 'none' ? 401 : caller === 'key with the scope' || caller === 'admin token' ? ok : 403;
    case 'business':
      // Another business's key (it holds shipments:read) is told the business does not exist.
      return caller === 'none' ? 401 : caller === 'key with the scope' ? ok : caller === "another business's key" ? 404 : 403;
    case 'business-signed':
      // Unsigned: a key must be ops, or the business's own (another business's key holds shipments:write, for its own shipments only).
      return caller === 'none' ? 401 : caller === 'key with the scope' ? ok : 403;
    case 'customer':
      return caller === 'none' ? 401 : caller === 'customer' || caller === 'another customer' ? ok : 403;
    case 'orders':
      if (caller === 'none') return 401;
      if (caller === 'key with the scope' || caller === 'customer') return ok;
      if (caller === 'another customer') return route.otherCustomer ?? ok;
      return 403;
  }
}

const FORGED_LINK = `action=accept&expires=${Math.floor(Date.now() / 1000) + 3600}&sig=${'0'.repeat(64)}`;

type Route = {
  /** The path with its parameters filled in, and a body when the operation takes one. */
  path: () => string;
  body?: () => unknown;
  /** What the right caller gets. */
  ok: number;
  /** What another customer gets, where it differs from `ok` (an order that is not theirs: 404). */
  otherCustomer?: number;
};

const ROUTES: Record<string, Route> = {
  'GET /products': { path: () => '/products', ok: 200 },
  'GET /products/{sku}': { path: () => '/products/SKU-KETTLE', ok: 200 },
  'GET /stocks/{sku}': { path: () => '/stocks/SKU-KETTLE', ok: 200 },
  'PUT /stocks/{sku}/{warehouseId}': { path: () => '/stocks/SKU-BOARD/WH-BER', body: () => ({ onHand: 40 }), ok: 200 },
  'POST /admin/products': {
    path: () => '/admin/products',
    body: () => ({ sku: `MATRIX-${randomUUID().slice(0, 8)}`, name: 'Matrix', priceMinor: 100, currency: 'EUR' }),
    ok: 201,
  },
  'GET /admin/products/{sku}': { path: () => '/admin/products/SKU-KETTLE', ok: 200 },
  'PATCH /admin/products/{sku}': { path: () => '/admin/products/SKU-BOARD', body: () => ({ name: 'Oak cutting board' }), ok: 200 },
  // An unknown product: an allowed caller is told so, the others are refused before it is looked up.
  'POST /admin/products/{sku}/archive': { path: () => '/admin/products/SKU-NONE/archive', body: () => ({}), ok: 404 },
  // SKU-KETTLE is on the shelf with no window: another listing of it would overlap.
  'POST /admin/listings': { path: () => '/admin/listings', body: () => ({ sku: 'SKU-KETTLE', prices: { regular: 100 } }), ok: 409 },
  'GET /admin/listings': { path: () => '/admin/listings', ok: 200 },
  'GET /admin/listings/{id}': { path: () => `/admin/listings/${listingId}`, ok: 200 },
  'PATCH /admin/listings/{id}': { path: () => `/admin/listings/${listingId}`, body: () => ({ location: 'normal' }), ok: 200 },
  'POST /admin/listings/{id}/take-off': { path: () => `/admin/listings/${randomUUID()}/take-off`, body: () => ({}), ok: 404 },
  'GET /listings': { path: () => '/listings', ok: 200 },
  'GET /listings/{id}': { path: () => `/listings/${listingId}`, ok: 200 },
  'GET /customers/me': { path: () => '/customers/me', ok: 200 },
  'GET /customers/me/points': { path: () => '/customers/me/points', ok: 200 },
  'GET /admin/customers/{id}/points': { path: () => `/admin/customers/${OWNER}/points`, ok: 200 },
  'GET /cart': { path: () => '/cart', ok: 200 },
  'DELETE /cart': { path: () => '/cart', ok: 200 },
  'PUT /cart/lines/{sku}': { path: () => '/cart/lines/SKU-KETTLE', body: () => ({ quantity: 1 }), ok: 200 },
  'DELETE /cart/lines/{sku}': { path: () => '/cart/lines/SKU-KETTLE', ok: 200 },
  // Without If-Match: an allowed caller is told what checkout needs, the others are refused first.
  'POST /cart/checkout': { path: () => '/cart/checkout', body: () => ({ paymentMethod: 'pm_approve' }), ok: 428 },
  'GET /admin/customers/{id}': { path: () => `/admin/customers/${OWNER}`, ok: 200 },
  'PUT /admin/customers/{id}': { path: () => `/admin/customers/${OTHER}`, body: () => ({ level: 'regular' }), ok: 200 },
  'GET /health': { path: () => '/health', ok: 200 },
  'GET /ready': { path: () => '/ready', ok: 200 },
  'POST /orders': {
    path: () => '/orders',
    body: () => ({ customerId: OWNER, items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' }),
    ok: 202,
    otherCustomer: 403,
  },
  'GET /orders': { path: () => '/orders', ok: 200 },
  'GET /problems/invalid-order-body': { path: () => '/problems/invalid-order-body', ok: 200 },
  'GET /orders/{id}': { path: () => `/orders/${orderId}`, ok: 200, otherCustomer: 404 },
  'POST /orders/{id}/cancel': { path: () => `/orders/${orderId}/cancel`, ok: 202, otherCustomer: 404 },
  'GET /orders/{id}/notifications': { path: () => `/orders/${orderId}/notifications`, ok: 200, otherCustomer: 404 },
  // The order has no shipments (it is not paid): an allowed caller is told the shipment does not exist.
  'POST /orders/{id}/shipments/{shipmentId}/confirm-delivery': {
    path: () => `/orders/${orderId}/shipments/${randomUUID()}/confirm-delivery`,
    ok: 404,
    otherCustomer: 404,
  },
  // Its credential is the signature: without one, everyone is refused alike.
  'POST /webhooks/payments/{provider}': { path: () => '/webhooks/payments/sandbox', body: () => ({}), ok: 401 },
  'GET /ops/api/incidents': { path: () => '/ops/api/incidents', ok: 200 },
  'POST /ops/api/incidents/{key}/retry': { path: () => '/ops/api/incidents/1/retry', body: () => ({}), ok: 404 },
  'POST /admin/event-subscriptions': {
    path: () => '/admin/event-subscriptions',
    body: () => ({ url: 'http://127.0.0.1:9/matrix', eventTypes: ['order.paid'] }),
    ok: 201,
  },
  'GET /admin/event-subscriptions': { path: () => '/admin/event-subscriptions', ok: 200 },
  'GET /admin/event-subscriptions/{id}': { path: () => `/admin/event-subscriptions/${subscriptionId}`, ok: 200 },
  'PATCH /admin/event-subscriptions/{id}': { path: () => `/admin/event-subscriptions/${subscriptionId}`, body: () => ({ description: 'matrix' }), ok: 200 },
  'DELETE /admin/event-subscriptions/{id}': { path: () => `/admin/event-subscriptions/${randomUUID()}`, ok: 404 },
  'POST /admin/event-subscriptions/{id}/rotate-secret': { path: () => `/admin/event-subscriptions/${subscriptionId}/rotate-secret`, ok: 200 },
  'GET /admin/event-subscriptions/{id}/deliveries': { path: () => `/admin/event-subscriptions/${subscriptionId}/deliveries`, ok: 200 },
  'POST /admin/event-subscriptions/{id}/deliveries/{deliveryId}/replay': {
    path: () => `/admin/event-subscriptions/${subscriptionId}/deliveries/${randomUUID()}/replay`,
    ok: 404,
  },
  'GET /events': { path: () => '/events', ok: 200 },
  'POST /admin/api-keys': { path: () => '/admin/api-keys', body: () => ({ name: 'made by the matrix', scopes: ['orders:read'] }), ok: 201 },
  'GET /admin/api-keys': { path: () => '/admin/api-keys', ok: 200 },
  'GET /admin/api-keys/{id}': { path: () => `/admin/api-keys/${apiKeyId}`, ok: 200 },
  'DELETE /admin/api-keys/{id}': { path: () => `/admin/api-keys/${apiKeyId}`, ok: 200 },
  'GET /ops': { path: () => '/ops', ok: 200 },
  'GET /ops/api/definitions': { path: () => '/ops/api/definitions', ok: 200 },
  'GET /ops/api/definitions/{key}': { path: () => `/ops/api/definitions/${app.definitionKeys[0]}`, ok: 200 },
  'GET /ops/api/definitions/{key}/stats': { path: () => `/ops/api/definitions/${app.definitionKeys[0]}/stats`, ok: 200 },
  'GET /ops/api/orders/{id}/path': { path: () => `/ops/api/orders/${orderId}/path`, ok: 200 },
  'GET /ops/api/instances/{key}': { path: () => '/ops/api/instances/1', ok: 404 },
  'GET /ops/api/instances/{key}/decisions': { path: () => '/ops/api/instances/1/decisions', ok: 404 },
  'GET /ops/api/shipments': { path: () => '/ops/api/shipments', ok: 200 },
  // No such shipment: an allowed caller is told so, the others are refused before it is looked up.
  'POST /ops/api/shipments/{id}/approve': { path: () => `/ops/api/shipments/${randomUUID()}/approve`, body: () => ({}), ok: 404 },
  'POST /ops/api/shipments/{id}/reassign': {
    path: () => `/ops/api/shipments/${randomUUID()}/reassign`,
    body: () => ({ businessId: 'acme-supplies' }),
    ok: 404,
  },
  'POST /ops/api/shipments/{id}/cancel': { path: () => `/ops/api/shipments/${randomUUID()}/cancel`, body: () => ({ reason: 'matrix' }), ok: 404 },
  'GET /metrics': { path: () => '/metrics', ok: 200 },
  'POST /businesses': {
    path: () => '/businesses',
    body: () => ({ id: `matrix-${randomUUID()}`, name: 'Matrix', contactEmail: 'matrix@example.com', dispatcher: { plugin: 'manual' } }),
    ok: 201,
  },
  'GET /businesses': { path: () => '/businesses', ok: 200 },
  'GET /businesses/{id}': { path: () => '/businesses/acme-supplies', ok: 200 },
  'PATCH /businesses/{id}': { path: () => '/businesses/acme-supplies', body: () => ({ name: 'ACME Supplies' }), ok: 200 },
  'POST /businesses/{id}/secret': { path: () => '/businesses/northwind-traders/secret', ok: 200 },
  'PUT /products/{sku}/business': { path: () => '/products/SKU-BOARD/business', body: () => ({ businessId: 'acme-supplies' }), ok: 200 },
  // An ops key may answer for any business's shipment (the manual dispatcher); this one does not exist.
  'POST /businesses/{businessId}/shipments/{shipmentId}/events': {
    path: () => `/businesses/acme-supplies/shipments/${randomUUID()}/events`,
    body: () => ({ id: `matrix-${randomUUID()}`, type: 'accepted' }),
    ok: 404,
  },
  // Their credential is the link's signature: a link we did not send is refused for everyone alike.
  'GET /businesses/{businessId}/shipments/{shipmentId}/answer': {
    path: () => `/businesses/acme-supplies/shipments/${randomUUID()}/answer?${FORGED_LINK}`,
    ok: 401,
  },
  'POST /businesses/{businessId}/shipments/{shipmentId}/answer': {
    path: () => `/businesses/acme-supplies/shipments/${randomUUID()}/answer?${FORGED_LINK}`,
    ok: 401,
  },
};

async function call(method: string, path: string, credential: string | undefined, body?: unknown): Promise<Response> {
  return fetch(app.baseUrl + path, {
    method,
    headers: {
      ...(credential === undefined ? {} : { authorization: `Bearer ${credential}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(rsa.publicKey)), kid: 'matrix-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  app = await startEveryRouteApp({ auth: { devApiKey: undefined, customerTokens: { secret: SECRET, jwksUrl, issuer: ISSUER, audience: AUDIENCE } } });
  doc = (await (await fetch(`${app.baseUrl}/openapi.json`)).json()) as Doc;
  orderId = await addOrder(app.db.prisma, [{ sku: 'SKU-KETTLE', quantity: 1 }], OWNER);
  subscriptionId = (
    await app.db.prisma.eventSubscription.create({ data: { url: 'http://127.0.0.1:9/fixture', eventTypes: ['order.paid'], secret: 'whsec_fixture' } })
  ).id;
  apiKeyId = (await createApiKey(app.db.prisma, { name: 'to revoke', scopes: ['ops'] })).id;
  listingId = (await app.db.prisma.listing.findFirstOrThrow({ where: { sku: 'SKU-KETTLE', takenOffAt: null } })).id;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => jwks?.close(resolve));
});

describe(`authorisation matrix: every route × every kind of caller (${databaseKind})`, () => {
  test('every operation of /openapi.json says who may call it, and this matrix covers each', () => {
    const published = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(published.sort()).toEqual(Object.keys(ROUTES).sort());
    for (const ops of Object.values(doc.paths)) for (const op of Object.values(ops)) expect(op['x-access']).toBeDefined();
  });

  test('each caller gets what the route’s published access rule says', async () => {
    const mismatches: string[] = [];
    for (const [id, route] of Object.entries(ROUTES)) {
      const [method, template] = id.split(' ') as [string, string];
      const access = doc.paths[template]?.[method.toLowerCase()]?.['x-access'] as Access;
      for (const caller of CALLERS) {
        const res = await call(method, route.path(), await credentialOf(caller, access), route.body?.());
        const want = expected(access, caller, route.ok, route);
        if (res.status !== want) mismatches.push(`${id} as ${caller}: ${res.status}, expected ${want} (${(await res.text()).slice(0, 160)})`);
        if (res.status === 401 && access.kind !== 'own-credential') {
          expect(res.headers.get('www-authenticate')).toMatch(/^(Bearer|Basic) realm=/);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(app.errorLines).toEqual([]);
  });

  test("a customer's list holds their own orders only, and asking for another customer's is refused", async () => {
    await addOrder(app.db.prisma, [{ sku: 'SKU-KETTLE', quantity: 1 }], OTHER);
    const mine = (await (await call('GET', '/orders?limit=100', await customerToken(OWNER))).json()) as { orders: { customerId: string }[] };
    expect(mine.orders.length).toBeGreaterThan(0);
    expect(new Set(mine.orders.map((o) => o.customerId))).toEqual(new Set([OWNER]));
    const theirs = await call('GET', `/orders?customerId=${OTHER}`, await customerToken(OWNER));
    expect(theirs.status).toBe(403);
  });

  test('a customer places an order for themselves without naming themselves; a key must name the customer', async () => {
    const order = { items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' };
    const placed = await call('POST', '/orders', await customerToken(OWNER), order);
    expect(placed.status).toBe(202);
    const { id } = (await placed.json()) as { id: string };
    expect((await app.db.prisma.order.findUniqueOrThrow({ where: { id } })).customerId).toBe(OWNER);
    const byKey = await call('POST', '/orders', await keyWith(['orders:write']), order);
    expect(byKey.status).toBe(400);
    expect(((await byKey.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['customerId']);
  });
});

describe(`customer tokens that must not pass (${databaseKind})`, () => {
  const pathOfOwnOrder = () => `/orders/${orderId}`;
  async function refusedWith(token: string, detail: RegExp) {
    const res = await call('GET', pathOfOwnOrder(), token);
    expect(res.status).toBe(401);
    const problem = (await res.json()) as { type: string; detail: string; errors: { field: string }[] };
    expect(problem.type).toBe('/problems/unauthorized');
    expect(problem.detail).toMatch(detail);
    expect(problem.errors[0]?.field).toBe('Authorization');
  }
  const encode = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = () => Math.floor(Date.now() / 1000);

  test('the same token, valid, passes (the cases below differ from it in one thing)', async () => {
    expect((await call('GET', pathOfOwnOrder(), await customerToken(OWNER))).status).toBe(200);
    expect((await call('GET', pathOfOwnOrder(), await customerToken(OWNER, { rsa: true }))).status).toBe(200);
  });

  test('expired (beyond the 30 s clock tolerance) → 401', async () => {
    await refusedWith(await customerToken(OWNER, { expiresIn: now() - 60 }), /expired/);
    // Within the tolerance it still passes: clocks drift.
    expect((await call('GET', pathOfOwnOrder(), await customerToken(OWNER, { expiresIn: now() - 5 }))).status).toBe(200);
  });

  test('for another audience → 401', async () => {
    await refusedWith(await customerToken(OWNER, { audience: 'another-service' }), /"aud" claim/);
  });

  test('from another issuer → 401', async () => {
    await refusedWith(await customerToken(OWNER, { issuer: 'https://evil.example/' }), /"iss" claim/);
  });

  test('alg "none" (unsigned) → 401', async () => {
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: OWNER, iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })}.`;
    await refusedWith(unsigned, /algorithm|could not be verified/);
  });

  test('HS256 signed with the identity provider’s public key (HS/RS confusion) → 401', async () => {
    const publicPem = await exportSPKI(rsa.publicKey);
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'matrix-key' })
      .setSubject(OWNER)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(publicPem));
    await refusedWith(forged, /signature/);
  });

  test('RS256 by a key the JWKS does not hold → 401', async () => {
    const stranger = await generateKeyPair('RS256');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'stranger' })
      .setSubject(OWNER)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(stranger.privateKey);
    await refusedWith(token, /no key of the identity provider/);
  });

  test('without exp, without sub, or with a tampered payload → 401', async () => {
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(OWNER)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(new TextEncoder().encode(SECRET));
    await refusedWith(noExp, /"exp" claim/);
    const noSub = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    await refusedWith(noSub, /"sub" claim/);
    const [header, , signature] = (await customerToken(OWNER)).split('.');
    await refusedWith(`${header}.${encode({ sub: OTHER, iss: ISSUER, aud: AUDIENCE, exp: now() + 300 })}.${signature}`, /signature/);
  });
});

describe(`API keys that must not pass (${databaseKind})`, () => {
  test('revoked (at once), expired, unknown, or malformed → 401 naming why; the admin token only manages keys', async () => {
    const created = await call('POST', '/admin/api-keys', ADMIN_TOKEN, { name: 'short-lived', scopes: ['orders:read'] });
    expect(created.status).toBe(201);
    const { id, token } = (await created.json()) as { id: string; token: string };
    expect((await call('GET', '/orders', token)).status).toBe(200);
    expect((await call('DELETE', `/admin/api-keys/${id}`, ADMIN_TOKEN)).status).toBe(200);
    const revoked = await call('GET', '/orders', token);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { detail: string }).detail).toMatch(/revoked/);

    const expiring = await createApiKey(app.db.prisma, { name: 'expiring', scopes: ['orders:read'], expiresAt: new Date(Date.now() + 60_000) });
    await app.db.prisma.apiKey.update({ where: { id: expiring.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(((await (await call('GET', '/orders', expiring.token)).json()) as { detail: string }).detail).toMatch(/expired/);

    const [prefix, keyId] = token.split('_') as [string, string];
    const unknown = `${prefix}_${keyId}_${'A'.repeat(43)}`;
    expect(((await (await call('GET', '/orders', unknown)).json()) as { detail: string }).detail).toMatch(/unknown/);
    expect(((await (await call('GET', '/orders', 'osk_short')).json()) as { detail: string }).detail).toMatch(/malformed/);

    // The list shows keys, never a secret.
    const list = await (await call('GET', '/admin/api-keys?limit=100', ADMIN_TOKEN)).text();
    expect(list).toContain(id);
    expect(list).not.toContain(token.slice(-43));
  });

  test("a business's key may hold business scopes only", async () => {
    const res = await call('POST', '/admin/api-keys', ADMIN_TOKEN, {
      name: 'supplier',
      businessId: 'acme-supplies',
      scopes: ['shipments:read', 'orders:write'],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['scopes[1]']);
  });

  test('a key for a business that does not exist is refused, naming businessId', async () => {
    const res = await call('POST', '/admin/api-keys', ADMIN_TOKEN, { name: 'supplier', businessId: 'no-such-business', scopes: ['shipments:read'] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { field: string; message: string }[] }).errors).toEqual([
      { field: 'businessId', message: 'is not a business (see GET /businesses)' },
    ]);
  });
});
