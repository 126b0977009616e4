// Listings over real HTTP, with the whole system (docs/catalogue.md): a time window opens and
// closes sales, the customer's level picks the price, freight is added and the breakdown adds
// up to what is charged, displayed stock follows min(shelf, warehouses), the shelf count is
// never oversold and comes back when an order is undone, and every change is in the history.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { customerAuth as customerAuthOf } from '../support/customer-token.js';
import { databaseKind } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { paid, sendJson, shopAuth, startSaga, type Saga } from '../saga/support.js';

const JWT_SECRET = 'listings-test-customer-secret-0123456789abcdef';
let saga: Saga;

beforeAll(async () => {
  saga = await startSaga({ CUSTOMER_JWT_SECRET: JWT_SECRET, CUSTOMER_LEVELS: 'regular,silver,gold' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

const customerAuth = (customerId: string) => customerAuthOf(customerId, JWT_SECRET);

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = shopAuth) => sendJson(saga.url, method, path, body, headers);

let skuCount = 0;
/** A new product in every warehouse (`perWarehouse` units each), not yet on any shelf. */
async function newProduct(perWarehouse: Record<string, number>, priceMinor = 2000): Promise<string> {
  const sku = `SKU-LIST-${++skuCount}-${Date.now() % 100000}`;
  expect((await call('POST', '/admin/products', { sku, name: `Listed ${sku}`, priceMinor, currency: 'EUR' })).status).toBe(201);
  await saga.setStock(sku, perWarehouse);
  return sku;
}

async function putOnShelf(body: Record<string, unknown>): Promise<{ id: string; [k: string]: unknown }> {
  const res = await call('POST', '/admin/listings', body);
  expect([res.status, res.body]).toEqual([201, expect.objectContaining({ sku: body.sku })]);
  return res.body;
}

const order = (customerId: string, items: { sku: string; quantity: number }[], paymentMethod = 'pm_approve', headers: Record<string, string> = shopAuth) =>
  call('POST', '/orders', { customerId, items, paymentMethod }, headers);

async function shelfTaken(listingId: string): Promise<number> {
  return (await saga.system.db.prisma.listing.findUniqueOrThrow({ where: { id: listingId } })).shelfTaken;
}

const sleepUntil = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));

describe(`listings (${databaseKind})`, () => {
  test('a listing with a future start cannot be bought until it starts, and stops being sold at its end (a 2-second window)', async () => {
    const sku = await newProduct({ 'WH-BER': 10 });
    const startsAt = Date.now() + 1500;
    const endsAt = startsAt + 2500;
    const listing = await putOnShelf({ sku, prices: { regular: 1500 }, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString() });

    const before = await order('window-1', [{ sku, quantity: 1 }]);
    expect(before.status).toBe(400);
    expect(before.body.errors).toEqual([
      { field: 'items[0].sku', message: `SKU ${sku} is not on sale now: its listing starts at ${new Date(startsAt).toISOString()}` },
    ]);
    expect((await call('GET', `/listings/${listing.id}`, undefined, {})).status).toBe(404);
    expect((await call('GET', '/listings?limit=100', undefined, {})).body.listings.map((l: { sku: string }) => l.sku)).not.toContain(sku);

    await sleepUntil(startsAt + 200);
    const during = await order('window-1', [{ sku, quantity: 1 }]);
    expect(during.status).toBe(202);
    expect(during.body.total).toEqual({ amountMinor: 1500, currency: 'EUR' });
    expect((await call('GET', `/listings/${listing.id}`, undefined, {})).body).toMatchObject({ sku, price: { amountMinor: 1500 } });
    // Once the order holds its unit, the storefront shows one fewer.
    await waitFor('the unit held', async () => ((await call('GET', `/listings/${listing.id}`, undefined, {})).body.available === 9 ? true : undefined));

    await sleepUntil(endsAt + 200);
    const after = await order('window-1', [{ sku, quantity: 1 }]);
    expect([after.status, after.body.errors]).toEqual([400, [{ field: 'items[0].sku', message: `SKU ${sku} is not on sale now` }]]);
    expect((await call('GET', `/listings/${listing.id}`, undefined, {})).status).toBe(404);
    // The order placed inside the window runs on: its price was agreed when it was placed.
    expect(paid(await saga.waitForFinal(during.body.id))).toBe(true);
  }, 60_000);

  test("level prices differ by the customer's level, freight is added, and the breakdown adds up to what is charged", async () => {
    const sku = await newProduct({ 'WH-BER': 10 });
    const listing = await putOnShelf({
      sku,
      location: 'campaign',
      prices: { regular: 2000, gold: 1600 },
      originalPriceMinor: 2500,
      freight: { baseMinor: 490, perUnitMinor: 100, freeFromMinor: 10000 },
    });
    expect((await call('PUT', '/admin/customers/gold-1', { level: 'gold' })).body).toMatchObject({ id: 'gold-1', level: 'gold' });
    const gold = await customerAuth('gold-1');
    const regular = await customerAuth('regular-1');

    // The storefront: each caller sees their own level's price; silver pays the default level's (none set).
    const seen = async (headers: Record<string, string>) => (await call('GET', '/listings?location=campaign&limit=100', undefined, headers)).body.listings;
    expect((await seen(gold)).find((l: { id: string }) => l.id === listing.id)).toMatchObject({
      price: { amountMinor: 1600, currency: 'EUR' },
      level: 'gold',
      originalPrice: { amountMinor: 2500, currency: 'EUR' },
      freight: { baseMinor: 490, perUnitMinor: 100, freeFromMinor: 10000 },
      available: 10,
    });
    expect((await seen(regular)).find((l: { id: string }) => l.id === listing.id)).toMatchObject({ price: { amountMinor: 2000 }, level: 'regular' });
    expect((await seen({})).find((l: { id: string }) => l.id === listing.id)).toMatchObject({ price: { amountMinor: 2000 }, level: 'regular' });
    expect((await call('GET', '/customers/me', undefined, gold)).body).toMatchObject({ id: 'gold-1', level: 'gold' });

    // Gold buys 2: 2 × 1600 + freight 490 + 2 × 100.
    const placed = await order('gold-1', [{ sku, quantity: 2 }], 'pm_approve', gold);
    expect([placed.status, placed.body.total]).toEqual([202, { amountMinor: 3890, currency: 'EUR' }]);
    const o = await saga.waitForFinal(placed.body.id);
    expect(paid(o)).toBe(true);
    const full = (await saga.get(`/orders/${o.id}`)).body;
    expect(full.customerLevel).toBe('gold');
    expect(full.items).toEqual([{ sku, quantity: 2, unitPriceMinor: 1600, lineTotalMinor: 3200, freightMinor: 690, listingId: listing.id }]);
    expect(full.breakdown).toEqual({ subtotalMinor: 3200, shippingMinor: 690, discountMinor: 0, totalMinor: 3890, currency: 'EUR' });
    expect(full.payment.amountMinor).toBe(3890);
    // The shipment carries the freight of its lines: an order's shipments add up to its total.
    expect(full.shipments.map((s: { amountMinor: number }) => s.amountMinor)).toEqual([3890]);

    // Regular buys 7 (14000 ≥ 10000): the freight is free.
    const big = await order('regular-1', [{ sku, quantity: 7 }], 'pm_approve', regular);
    expect(big.body.total).toEqual({ amountMinor: 14000, currency: 'EUR' });
  }, 60_000);

  test('displayed stock is min(shelf units left, warehouse units free) as both change', async () => {
    const sku = await newProduct({ 'WH-BER': 8 });
    const listing = await putOnShelf({ sku, prices: { regular: 900 }, shelfUnits: 5 });
    const available = async () => (await call('GET', `/listings/${listing.id}`, undefined, {})).body.available;
    expect(await available()).toBe(5); // shelf 5, warehouse 8
    await saga.setStock(sku, { 'WH-BER': 3 });
    expect(await available()).toBe(3); // shelf 5, warehouse 3
    const o = await saga.waitForFinal((await order('stock-1', [{ sku, quantity: 2 }])).body.id);
    expect(paid(o)).toBe(true);
    expect(await available()).toBe(1); // shelf 3, warehouse 1
    await saga.setStock(sku, { 'WH-BER': 40 });
    expect(await available()).toBe(3); // shelf 3, warehouse 38
    expect((await call('PATCH', `/admin/listings/${listing.id}`, { shelfUnits: 10 })).status).toBe(200);
    expect(await available()).toBe(8); // shelf 8, warehouse 38
    // Below what orders took: refused, naming the field.
    const low = await call('PATCH', `/admin/listings/${listing.id}`, { shelfUnits: 1 });
    expect([low.status, low.body.errors]).toEqual([
      400,
      [{ field: 'shelfUnits', message: 'must be at least 2: orders already took that many units of this listing' }],
    ]);
    // Sold out: asked for more than the shelf has left, refused at once.
    const tooMany = await order('stock-1', [{ sku, quantity: 9 }]);
    expect([tooMany.status, tooMany.body.errors]).toEqual([400, [{ field: 'items[0].quantity', message: `only 8 left of SKU ${sku}` }]]);
  }, 60_000);

  test('60 concurrent orders for a listing with 25 shelf units and 40 warehouse units sell exactly 25; the rest are refused or REJECTED', async () => {
    const sku = await newProduct({ 'WH-BER': 20, 'WH-HAM': 20 });
    const listing = await putOnShelf({ sku, prices: { regular: 500 }, shelfUnits: 25 });
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => order(`shelf-racer-${i}`, [{ sku, quantity: 1 }])));
    // Once the shelf is taken, a new order is refused at placement (sold out); those placed before that are REJECTED by the saga.
    for (const a of answers.filter((x) => x.status !== 202)) {
      expect([a.status, a.body.errors]).toEqual([400, [{ field: 'items[0].quantity', message: expect.stringMatching(/sold out|only \d+ left/) }]]);
    }
    const orders = await Promise.all(answers.filter((a) => a.status === 202).map((a) => saga.waitForFinal(a.body.id, 90_000)));
    expect(orders.filter(paid).length).toBe(25);
    expect(orders.filter((o) => !paid(o)).every((o) => o.status === 'REJECTED')).toBe(true);
    expect(await shelfTaken(listing.id)).toBe(25);
    const stock = await saga.stock(sku);
    expect(stock.reduce((n, s) => n + s.sold, 0)).toBe(25);
    expect(stock.reduce((n, s) => n + s.onHand, 0)).toBe(15);
    expect(stock.reduce((n, s) => n + s.reserved, 0)).toBe(0);
    expect((await call('GET', `/listings/${listing.id}`, undefined, {})).body.available).toBe(0);
    expect(saga.errorLines).toEqual([]);
  }, 150_000);

  test('shelf units come back when an order is declined, and when a paid order is cancelled (restocked)', async () => {
    const sku = await newProduct({ 'WH-BER': 10 });
    const listing = await putOnShelf({ sku, prices: { regular: 700 }, shelfUnits: 4 });
    const declined = await saga.waitForFinal((await order('shelf-back-1', [{ sku, quantity: 3 }], 'pm_decline')).body.id);
    expect(declined.status).toBe('PAYMENT_FAILED');
    expect(await shelfTaken(listing.id)).toBe(0);

    const bought = await saga.waitForFinal((await order('shelf-back-2', [{ sku, quantity: 4 }])).body.id);
    expect(paid(bought)).toBe(true);
    expect(await shelfTaken(listing.id)).toBe(4);
    expect((await call('POST', `/orders/${bought.id}/cancel`, {})).status).toBe(202);
    await saga.waitForOrder(bought.id, (o) => o.status === 'CANCELLED' && o.process?.state === 'COMPLETED', 'cancelled after payment, refunded');
    await waitFor('the shelf units back', async () => ((await shelfTaken(listing.id)) === 0 ? true : undefined));
    expect((await call('GET', `/listings/${listing.id}`, undefined, {})).body.available).toBe(4);
  }, 60_000);

  test('changes and taking off are recorded in the listing history; a taken-off listing cannot be bought or changed', async () => {
    const sku = await newProduct({ 'WH-BER': 5 });
    const listing = await putOnShelf({ sku, prices: { regular: 1200, silver: 1100 } });
    const changed = await call('PATCH', `/admin/listings/${listing.id}`, { prices: { regular: 1000 }, location: 'hot' });
    expect(changed.body).toMatchObject({ prices: { regular: 1000, silver: 1000, gold: 1000 }, location: 'hot', version: 2 });
    // The same change again changes nothing and records nothing.
    expect((await call('PATCH', `/admin/listings/${listing.id}`, { location: 'hot' })).body.version).toBe(2);
    expect((await call('POST', `/admin/listings/${listing.id}/take-off`, {})).body.takenOffAt).toEqual(expect.any(String));
    expect((await call('POST', `/admin/listings/${listing.id}/take-off`)).status).toBe(200);

    const history = (await call('GET', `/admin/listings/${listing.id}`)).body.history;
    expect(history.map((h: { action: string }) => h.action)).toEqual(['created', 'changed', 'taken-off']);
    expect(history[0]).toMatchObject({ actor: expect.stringMatching(/^key:/), changes: { prices: { regular: 1200, silver: 1100, gold: 1200 } } });
    expect(history[1].changes).toEqual({
      location: { from: 'normal', to: 'hot' },
      prices: { from: { regular: 1200, silver: 1100, gold: 1200 }, to: { regular: 1000, silver: 1000, gold: 1000 } },
    });
    expect(history[2].changes).toEqual({ reason: 'taken off by an operator' });

    const refused = await order('off-1', [{ sku, quantity: 1 }]);
    expect([refused.status, refused.body.errors[0].field]).toEqual([400, 'items[0].sku']);
    const late = await call('PATCH', `/admin/listings/${listing.id}`, { shelfUnits: 3 });
    expect([late.status, late.body.type]).toEqual([409, '/problems/listing-taken-off']);
    // Off the shelf, it may be listed again.
    expect((await putOnShelf({ sku, prices: { regular: 1300 } })).prices).toMatchObject({ regular: 1300 });
  }, 60_000);

  test('two live listings of one SKU may not overlap in time; archiving a product takes its listings off', async () => {
    const sku = await newProduct({ 'WH-BER': 5 });
    const now = Date.now();
    const first = await putOnShelf({ sku, prices: { regular: 100 }, endsAt: new Date(now + 60_000).toISOString() });
    const clash = await call('POST', '/admin/listings', { sku, prices: { regular: 90 }, startsAt: new Date(now + 30_000).toISOString() });
    expect([clash.status, clash.body.type, clash.body.errors]).toEqual([
      409,
      '/problems/listing-overlaps',
      [{ field: 'startsAt', message: expect.stringContaining(first.id) }],
    ]);
    const next = await putOnShelf({ sku, prices: { regular: 90 }, startsAt: new Date(now + 60_000).toISOString(), location: 'campaign' });

    const archived = await call('POST', `/admin/products/${sku}/archive`, {});
    expect(archived.body.archivedAt).toEqual(expect.any(String));
    // Archiving again changes nothing: the first time stays.
    expect((await call('POST', `/admin/products/${sku}/archive`)).body.archivedAt).toBe(archived.body.archivedAt);
    for (const id of [first.id, next.id]) {
      const l = (await call('GET', `/admin/listings/${id}`)).body;
      expect([l.takenOffAt !== null, l.history.at(-1)]).toEqual([
        true,
        expect.objectContaining({ action: 'taken-off', changes: { reason: 'its product was archived' } }),
      ]);
    }
    const again = await call('POST', '/admin/listings', { sku, prices: { regular: 100 } });
    expect([again.status, again.body.type]).toEqual([409, '/problems/product-archived']);
    const bought = await order('archived-1', [{ sku, quantity: 1 }]);
    expect(bought.body.errors).toEqual([{ field: 'items[0].sku', message: `SKU ${sku} is no longer sold (archived)` }]);
  }, 60_000);

  test('bad listing input is a 400 naming each field; a refused customer token on the storefront is a 401, not the default prices', async () => {
    const sku = await newProduct({ 'WH-BER': 1 });
    const bad = await call('POST', '/admin/listings', {
      sku,
      prices: { platinum: 100, silver: -1 },
      startsAt: '2030-01-02T00:00:00Z',
      endsAt: '2030-01-01T00:00:00Z',
      freight: { baseMinor: 1.5 },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['freight.baseMinor', 'prices.silver']);
    const domainBad = await call('POST', '/admin/listings', {
      sku,
      prices: { platinum: 100 },
      startsAt: '2030-01-02T00:00:00Z',
      endsAt: '2030-01-01T00:00:00Z',
    });
    expect(domainBad.body.errors).toEqual([
      { field: 'prices.platinum', message: 'is not a customer level (regular, silver, gold)' },
      { field: 'prices.regular', message: 'is required: the default level’s price' },
      { field: 'endsAt', message: 'must be after startsAt' },
    ]);
    expect((await call('POST', '/admin/listings', { sku, prices: { regular: 1 }, endsAt: '2020-01-01T00:00:00Z' })).body.errors).toEqual([
      { field: 'endsAt', message: 'must be in the future' },
    ]);
    expect((await call('PUT', '/admin/customers/x', { level: 'platinum' })).body.errors).toEqual([
      { field: 'level', message: 'must be one of regular, silver, gold' },
    ]);
    const refused = await call('GET', '/listings', undefined, { authorization: 'Bearer not.a.token' });
    expect([refused.status, refused.body.type]).toEqual([401, '/problems/unauthorized']);
    const keyOnMe = await call('GET', '/customers/me');
    expect(keyOnMe.status).toBe(403);
  }, 60_000);
});
