import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { InvalidInputError } from '../../domain/errors.js';
import { createOrder, IdempotencyKeyReusedError, type NewOrder } from '../../domain/orders/create-order.js';
import { getOrder } from '../../domain/orders/get-order.js';
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
  items: [{ sku: 'CO-A', quantity: 2 }, { sku: 'CO-B', quantity: 3 }],
  ...over,
});

async function orderCount(): Promise<number> {
  return db.prisma.order.count();
}

describe(`order creation (${databaseKind})`, () => {
  test('records a NEW order priced from the catalog, with its items and a first history entry', async () => {
    const created = await createOrder(db.prisma, order());
    expect(created).toMatchObject({ status: 'NEW', totalMinor: 2 * 1250 + 3 * 399, currency: 'EUR', created: true });
    const view = await getOrder(db.prisma, created.id);
    expect(view.items).toEqual([
      { sku: 'CO-A', quantity: 2, unitPriceMinor: 1250 },
      { sku: 'CO-B', quantity: 3, unitPriceMinor: 399 },
    ]);
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
    await expect(createOrder(db.prisma, order({ idempotencyKey: 'key-diff', items: [{ sku: 'CO-A', quantity: 1 }] }))).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  test('ten concurrent requests with one idempotency key create exactly one order', async () => {
    const before = await orderCount();
    const results = await Promise.all(Array.from({ length: 10 }, () => createOrder(db.prisma, order({ idempotencyKey: 'key-race' }))));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await orderCount()).toBe(before + 1);
  });

  test.each([
    ['an unknown SKU', { items: [{ sku: 'CO-A', quantity: 1 }, { sku: 'NOPE', quantity: 1 }] }, 'items[1].sku'],
    ['no items', { items: [] }, 'items'],
    ['a zero quantity', { items: [{ sku: 'CO-A', quantity: 0 }] }, 'items[0].quantity'],
    ['a fractional quantity', { items: [{ sku: 'CO-A', quantity: 1.5 }] }, 'items[0].quantity'],
    ['a SKU twice', { items: [{ sku: 'CO-A', quantity: 1 }, { sku: 'CO-A', quantity: 2 }] }, 'items[1].sku'],
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
