import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { InvalidInputError } from '../../domain/errors.js';
import { createOrder, DEFAULT_IDEMPOTENCY_KEY_TTL_MS, IdempotencyKeyReusedError, type NewOrder } from '../../domain/orders/create-order.js';
import { getOrder } from '../../domain/orders/get-order.js';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'CO-A', { 'WH-1': 10 }, 1250);
  await addProduct(db.prisma, 'CO-B', { 'WH-1': 10 }, 399);
});
afterAll(async () => {
  await db.close();
});

const order = (over: Partial<NewOrder> = {}): NewOrder => ({
  customerId: 'cust-42',
  paymentMethod: 'pm_approve',
  items: [
    { sku: 'CO-A', quantity: 2 },
    { sku: 'CO-B', quantity: 3 },
  ],
  ...over,
});

async function orderCount(): Promise<number> {
  return db.prisma.order.count();
}

describe(`order creation (${databaseKind})`, () => {
  test('records a NEW order priced from the listings on sale, with its items and a first history entry', async () => {
    const created = await createOrder(db.prisma, order());
    expect(created).toMatchObject({ status: 'NEW', totalMinor: 2 * 1250 + 3 * 399, currency: 'EUR', created: true });
    const view = await getOrder(db.prisma, created.id);
    const listingOf = async (sku: string) => (await db.prisma.listing.findFirstOrThrow({ where: { sku } })).id;
    expect(view.items).toEqual([
      { sku: 'CO-A', quantity: 2, unitPriceMinor: 1250, lineTotalMinor: 2500, freightMinor: 0, listingId: await listingOf('CO-A') },
      { sku: 'CO-B', quantity: 3, unitPriceMinor: 399, lineTotalMinor: 1197, freightMinor: 0, listingId: await listingOf('CO-B') },
    ]);
    expect(view.breakdown).toEqual({ subtotalMinor: 3697, shippingMinor: 0, discountMinor: 0, totalMinor: 3697, currency: 'EUR' });
    expect(view.customerLevel).toBe('regular');
    expect(view.history).toEqual([{ from: null, to: 'NEW', reason: 'order placed', at: expect.any(String) }]);
  });

  test('the same idempotency key and request returns the same order and creates nothing new', async () => {
    const first = await createOrder(db.prisma, order({ idempotencyKey: 'key-same' }));
    const before = await orderCount();
    const second = await createOrder(db.prisma, order({ idempotencyKey: 'key-same' }));
    expect(second).toEqual({ ...first, created: false });
    expect(await orderCount()).toBe(before);
  });

  test('the same idempotency key with a different request is refused', async () => {
    await createOrder(db.prisma, order({ idempotencyKey: 'key-diff' }));
    await expect(createOrder(db.prisma, order({ idempotencyKey: 'key-diff', items: [{ sku: 'CO-A', quantity: 1 }] }))).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  test('ten concurrent requests with one idempotency key create exactly one order', async () => {
    const before = await orderCount();
    const results = await Promise.all(Array.from({ length: 10 }, () => createOrder(db.prisma, order({ idempotencyKey: 'key-race' }))));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await orderCount()).toBe(before + 1);
  });

  test.each([
    [
      'an unknown SKU',
      {
        items: [
          { sku: 'CO-A', quantity: 1 },
          { sku: 'NOPE', quantity: 1 },
        ],
      },
      'items[1].sku',
    ],
    ['no items', { items: [] }, 'items'],
    ['a zero quantity', { items: [{ sku: 'CO-A', quantity: 0 }] }, 'items[0].quantity'],
    ['a fractional quantity', { items: [{ sku: 'CO-A', quantity: 1.5 }] }, 'items[0].quantity'],
    [
      'a SKU twice',
      {
        items: [
          { sku: 'CO-A', quantity: 1 },
          { sku: 'CO-A', quantity: 2 },
        ],
      },
      'items[1].sku',
    ],
  ])('%s is refused naming the field, and nothing is written', async (label, over, field) => {
    const before = await orderCount();
    // A customer of its own, so that what was written for the refused order can be found.
    const customerId = `refused: ${label}`;
    const attempt = createOrder(db.prisma, order({ ...(over as Partial<NewOrder>), customerId }));
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ errors: expect.arrayContaining([expect.objectContaining({ field })]) });
    // Neither the order, nor any of its items or history, not even half of it.
    expect(await db.prisma.order.findMany({ where: { customerId }, include: { items: true, history: true } })).toEqual([]);
    expect(await db.prisma.orderItem.count({ where: { order: { customerId } } })).toBe(0);
    expect(await orderCount()).toBe(before);
  });
});

/** Moves an order's creation back by `ms` on the database clock: as if it had been placed that long ago. */
async function age(orderId: string, ms: number): Promise<void> {
  await db.sql.query(`UPDATE orders SET created_at = now() - $2::float8 * interval '1 millisecond' WHERE id = $1::uuid`, [orderId, ms]);
}

const keyOf = async (id: string) => (await db.prisma.order.findUniqueOrThrow({ where: { id } })).idempotencyKey;

describe(`idempotency keys expire (${databaseKind})`, () => {
  const HOUR = 3_600_000;

  test('by default a key is kept 24 hours: a replay at 23 h 59 min, a new order after 24 h', async () => {
    expect(DEFAULT_IDEMPOTENCY_KEY_TTL_MS).toBe(24 * HOUR);
    const first = await createOrder(db.prisma, order({ idempotencyKey: 'ttl-default' }));
    await age(first.id, 24 * HOUR - 60_000);
    // The replay answers the same order, placed (as aged here) 23 h 59 min ago.
    const replay = await createOrder(db.prisma, order({ idempotencyKey: 'ttl-default' }));
    expect(replay).toEqual({ ...first, createdAt: expect.any(Date), created: false });
    expect(first.createdAt.getTime() - replay.createdAt.getTime()).toBeGreaterThanOrEqual(24 * HOUR - 60_000 - 1000);

    await age(first.id, 24 * HOUR + 1000);
    const before = await orderCount();
    const fresh = await createOrder(db.prisma, order({ idempotencyKey: 'ttl-default' }));
    expect(fresh).toMatchObject({ status: 'NEW', totalMinor: first.totalMinor, created: true });
    expect(fresh.id).not.toBe(first.id);
    expect(await orderCount()).toBe(before + 1);
    // The key moved to the new order; the old order keeps everything else.
    expect(await keyOf(fresh.id)).toBe('ttl-default');
    expect(await keyOf(first.id)).toBeNull();
    expect((await getOrder(db.prisma, first.id)).items).toHaveLength(2);
    expect(await createOrder(db.prisma, order({ idempotencyKey: 'ttl-default' }))).toEqual({ ...fresh, created: false });
  });

  test('the window is configurable (here 1 second): an expired key may also be used for a different request', async () => {
    const options = { idempotencyKeyTtlMs: 1000 };
    const first = await createOrder(db.prisma, order({ idempotencyKey: 'ttl-short' }), options);
    const different = order({ idempotencyKey: 'ttl-short', items: [{ sku: 'CO-B', quantity: 1 }] });
    await age(first.id, 900);
    await expect(createOrder(db.prisma, different, options)).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
    await age(first.id, 1001);
    const second = await createOrder(db.prisma, different, options);
    expect(second).toMatchObject({ created: true, totalMinor: 399 });
    expect(second.id).not.toBe(first.id);
  });

  test('a refused request with an expired key changes nothing: the old order keeps its key', async () => {
    const first = await createOrder(db.prisma, order({ idempotencyKey: 'ttl-refused' }));
    await age(first.id, 25 * HOUR);
    const before = await orderCount();
    await expect(createOrder(db.prisma, order({ idempotencyKey: 'ttl-refused', items: [{ sku: 'NOPE', quantity: 1 }] }))).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    expect(await orderCount()).toBe(before);
    expect(await keyOf(first.id)).toBe('ttl-refused');
  });

  test('ten concurrent requests with one expired key create exactly one new order', async () => {
    const first = await createOrder(db.prisma, order({ idempotencyKey: 'ttl-race' }));
    await age(first.id, 25 * HOUR);
    const before = await orderCount();
    // Ten connections open before the race (PostgreSQL), so the requests overlap instead of queueing for connections.
    await Promise.all(Array.from({ length: 10 }, () => db.prisma.$queryRaw`SELECT 1`));
    const results = await Promise.all(Array.from({ length: 10 }, () => createOrder(db.prisma, order({ idempotencyKey: 'ttl-race' }))));
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.id)).toBe(false);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await orderCount()).toBe(before + 1);
  });

  test('IDEMPOTENCY_KEY_TTL is an ISO 8601 duration, default PT24H', () => {
    expect(loadConfig({}).orders.idempotencyKeyTtlMs).toBe(24 * HOUR);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: 'P7D' }).orders.idempotencyKeyTtlMs).toBe(7 * 24 * HOUR);
    expect(loadConfig({ IDEMPOTENCY_KEY_TTL: 'PT0.5S' }).orders.idempotencyKeyTtlMs).toBe(500);
    for (const bad of ['24h', 'PT0S', '-PT1H']) {
      expect(() => loadConfig({ IDEMPOTENCY_KEY_TTL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ IDEMPOTENCY_KEY_TTL: bad })).toThrow(/IDEMPOTENCY_KEY_TTL must be a positive ISO 8601 duration/);
    }
  });
});
