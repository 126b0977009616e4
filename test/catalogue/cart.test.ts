// The cart over real HTTP (docs/catalogue.md, "The cart"): one per customer, kept across a
// restart of the service; live prices; checkout charges exactly the cart the client read (its
// ETag), answers 409 with the new totals when it changed, makes one order per Idempotency-Key
// even when sent twice at once, and empties the cart.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { customerAuth as customerAuthOf } from '../support/customer-token.js';
import { databaseKind } from '../support/database.js';
import { listeningUrl, startService } from '../support/service-process.js';
import { paid, sagaEnvironment, sendJson, shopAuth, startSaga, type Saga } from '../saga/support.js';

const JWT_SECRET = 'cart-test-customer-secret-0123456789abcdefgh';
let saga: Saga;

beforeAll(async () => {
  saga = await startSaga({ CUSTOMER_JWT_SECRET: JWT_SECRET });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

const customerAuth = (customerId: string) => customerAuthOf(customerId, JWT_SECRET);

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = shopAuth, url = saga.url) =>
  sendJson(url, method, path, body, headers);

let skuCount = 0;
async function listedProduct(o: { units?: number; priceMinor?: number; freight?: Record<string, number> } = {}): Promise<{ sku: string; listingId: string }> {
  const sku = `SKU-CART-${++skuCount}-${Date.now() % 100000}`;
  expect((await call('POST', '/admin/products', { sku, name: `Cart ${sku}`, priceMinor: o.priceMinor ?? 1000, currency: 'EUR' })).status).toBe(201);
  await saga.setStock(sku, { 'WH-BER': o.units ?? 20 });
  const listing = await call('POST', '/admin/listings', { sku, prices: { regular: o.priceMinor ?? 1000 }, ...(o.freight ? { freight: o.freight } : {}) });
  expect(listing.status).toBe(201);
  return { sku, listingId: listing.body.id };
}

const checkout = (auth: Record<string, string>, etag: string | undefined, key: string | undefined, body: unknown = { paymentMethod: 'pm_approve' }) =>
  call('POST', '/cart/checkout', body, { ...auth, ...(etag ? { 'if-match': etag } : {}), ...(key ? { 'idempotency-key': key } : {}) });

async function orderCount(customerId: string): Promise<number> {
  return saga.system.db.prisma.order.count({ where: { customerId } });
}

describe(`the cart (${databaseKind})`, () => {
  test('a cart shows live prices, freight and totals; a price change before checkout is a 409 with the new totals, and nothing is charged', async () => {
    const a = await listedProduct({ priceMinor: 1200, freight: { baseMinor: 300 } });
    const b = await listedProduct({ priceMinor: 500 });
    const me = await customerAuth('cart-ada');
    expect((await call('PUT', `/cart/lines/${a.sku}`, { quantity: 2 }, me)).status).toBe(200);
    const put = await call('PUT', `/cart/lines/${b.sku}`, { quantity: 1 }, me);
    expect(put.body).toMatchObject({
      customerId: 'cart-ada',
      lines: [
        { sku: a.sku, quantity: 2, unitPrice: { amountMinor: 1200, currency: 'EUR' }, lineTotalMinor: 2400, freightMinor: 300, available: 20, problem: null },
        { sku: b.sku, quantity: 1, unitPrice: { amountMinor: 500, currency: 'EUR' }, lineTotalMinor: 500, freightMinor: 0, problem: null },
      ],
      subtotalMinor: 2900,
      shippingMinor: 300,
      totalMinor: 3200,
      currency: 'EUR',
    });
    const shown = await call('GET', '/cart', undefined, me);
    expect(shown.headers.get('etag')).toBe(shown.body.etag);
    expect(shown.body.etag).toBe(put.body.etag);

    // The operator changes the price while the customer looks at the cart.
    expect((await call('PATCH', `/admin/listings/${a.listingId}`, { prices: { regular: 1300 } })).status).toBe(200);
    const stale = await checkout(me, shown.body.etag, 'cart-ada-1');
    expect([stale.status, stale.body.type]).toEqual([409, '/problems/cart-changed']);
    expect(stale.body.cart).toMatchObject({ subtotalMinor: 3100, shippingMinor: 300, totalMinor: 3400 });
    expect(stale.headers.get('etag')).toBe(stale.body.cart.etag);
    expect(await orderCount('cart-ada')).toBe(0);

    // Checked out with the cart it now shows: charged exactly that, and the cart is empty.
    const done = await checkout(me, stale.body.cart.etag, 'cart-ada-2');
    expect([done.status, done.body.total]).toEqual([202, { amountMinor: 3400, currency: 'EUR' }]);
    expect(done.headers.get('location')).toBe(`/orders/${done.body.id}`);
    expect((await call('GET', '/cart', undefined, me)).body).toMatchObject({ lines: [], totalMinor: 0 });
    const order = await saga.waitForFinal(done.body.id);
    expect(paid(order)).toBe(true);
    const full = (await call('GET', `/orders/${done.body.id}`, undefined, me)).body;
    expect(full.breakdown).toEqual({ subtotalMinor: 3100, shippingMinor: 300, discountMinor: 0, totalMinor: 3400, currency: 'EUR' });
    expect(full.payment.amountMinor).toBe(3400);
  }, 60_000);

  test('checkout twice with the same key makes one order, sent one after the other or both at once', async () => {
    const { sku } = await listedProduct();
    const me = await customerAuth('cart-twice');
    const etag = (await call('PUT', `/cart/lines/${sku}`, { quantity: 1 }, me)).body.etag;
    const [x, y] = await Promise.all([checkout(me, etag, 'twice-1'), checkout(me, etag, 'twice-1')]);
    expect([x.status, y.status]).toEqual([202, 202]);
    expect(x.body.id).toBe(y.body.id);
    const again = await checkout(me, etag, 'twice-1');
    expect([again.status, again.body.id, again.headers.get('idempotent-replayed')]).toEqual([202, x.body.id, 'true']);
    expect(await orderCount('cart-twice')).toBe(1);
    // The same key for another checkout is refused; a new key on the (now empty) cart is a 409.
    expect((await checkout(me, etag, 'twice-1', { paymentMethod: 'pm_decline' })).status).toBe(422);
    const empty = await call('GET', '/cart', undefined, me);
    expect((await checkout(me, empty.body.etag, 'twice-2')).body.type).toBe('/problems/cart-empty');
  }, 60_000);

  test('two devices check out one cart at once with different keys: one order, the other is told the cart is empty', async () => {
    const { sku } = await listedProduct();
    const me = await customerAuth('cart-devices');
    const etag = (await call('PUT', `/cart/lines/${sku}`, { quantity: 3 }, me)).body.etag;
    const answers = await Promise.all([checkout(me, etag, 'phone-1'), checkout(me, etag, 'laptop-1')]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    expect(answers.find((a) => a.status === 409)?.body.type).toBe('/problems/cart-empty');
    expect(await orderCount('cart-devices')).toBe(1);
  }, 60_000);

  test('a line that can no longer be bought is flagged, not dropped, and checkout names it', async () => {
    const kept = await listedProduct();
    const gone = await listedProduct();
    const me = await customerAuth('cart-flagged');
    await call('PUT', `/cart/lines/${kept.sku}`, { quantity: 1 }, me);
    await call('PUT', `/cart/lines/${gone.sku}`, { quantity: 1 }, me);
    await call('POST', `/admin/listings/${gone.listingId}/take-off`, {});
    const cart = (await call('GET', '/cart', undefined, me)).body;
    expect(cart.lines.map((l: { sku: string; problem: string | null }) => [l.sku, l.problem])).toEqual([
      [kept.sku, null],
      [gone.sku, `SKU ${gone.sku} is not on sale now`],
    ]);
    expect(cart.totalMinor).toBe(1000);
    const refused = await checkout(me, cart.etag, 'flagged-1');
    expect([refused.status, refused.body.type, refused.body.errors]).toEqual([
      409,
      '/problems/cart-not-buyable',
      [{ field: 'lines[1]', message: `SKU ${gone.sku} is not on sale now` }],
    ]);
    // Removed, the rest checks out.
    const after = (await call('DELETE', `/cart/lines/${gone.sku}`, undefined, me)).body;
    expect((await checkout(me, after.etag, 'flagged-2')).status).toBe(202);
  }, 60_000);

  test('bad input: a clear 4xx naming the field or header; each customer has a cart of their own', async () => {
    const { sku } = await listedProduct({ units: 2 });
    const me = await customerAuth('cart-bad');
    const other = await customerAuth('cart-other');
    expect((await call('PUT', `/cart/lines/${sku}`, { quantity: 0 }, me)).body.errors).toEqual([
      { field: 'quantity', message: 'must be at least 1 (DELETE the line to remove it)' },
    ]);
    expect((await call('PUT', `/cart/lines/${sku}`, { quantity: 3 }, me)).body.errors).toEqual([{ field: 'quantity', message: 'only 2 available' }]);
    expect((await call('PUT', '/cart/lines/SKU-NOPE', { quantity: 1 }, me)).status).toBe(404);
    const ok = await call('PUT', `/cart/lines/${sku}`, { quantity: 2 }, me);
    expect((await call('GET', '/cart', undefined, other)).body.lines).toEqual([]);
    const noMatch = await checkout(me, undefined, 'bad-1');
    expect([noMatch.status, noMatch.body.errors[0].field]).toEqual([428, 'If-Match']);
    const noKey = await checkout(me, ok.body.etag, undefined);
    expect([noKey.status, noKey.body.errors[0].field]).toEqual([428, 'Idempotency-Key']);
    expect((await checkout(me, 'W/"weak"', 'bad-2')).body.errors[0].field).toBe('If-Match');
    expect((await checkout(me, ok.body.etag, 'bad-3', { paymentMethod: 'pm_nonsense' })).body.errors[0].field).toBe('paymentMethod');
    // A key holds no cart: the cart is a customer's.
    expect((await call('GET', '/cart')).status).toBe(403);
    expect(await orderCount('cart-bad')).toBe(0);
  }, 60_000);
});

describe(`the cart across a restart (${databaseKind})`, () => {
  test('a cart survives a restart of the service: the same lines, the same version', async () => {
    const { env, cleanup } = await sagaEnvironment({ CUSTOMER_JWT_SECRET: JWT_SECRET, REDIS_URL: '', LOG_LEVEL: 'info' });
    try {
      const me = await customerAuth('cart-restart');
      const first = startService(env);
      const url1 = await listeningUrl(first);
      const put = await call('PUT', '/cart/lines/SKU-KETTLE', { quantity: 2 }, me, url1);
      expect(put.status).toBe(200);
      first.child.kill('SIGTERM');
      await first.exited;
      const second = startService(env);
      const url2 = await listeningUrl(second);
      const after = await call('GET', '/cart', undefined, me, url2);
      expect(after.body.lines.map((l: { sku: string; quantity: number }) => [l.sku, l.quantity])).toEqual([['SKU-KETTLE', 2]]);
      expect(after.body.etag).toBe(put.body.etag);
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await cleanup();
    }
  }, 120_000);
});
