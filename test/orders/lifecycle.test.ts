import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { NotFoundError } from '../../domain/errors.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { getOrder } from '../../domain/orders/get-order.js';
import { canTransition, ORDER_STATUSES, type OrderStatus } from '../../domain/orders/lifecycle.js';
import { IllegalTransitionError, transitionOrder } from '../../domain/orders/transition.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'LC', { 'WH-1': 100 });
});
afterAll(async () => {
  await db.close();
});

const newOrder = async () => (await createOrder(db.prisma, { customerId: 'c', paymentMethod: 'pm', items: [{ sku: 'LC', quantity: 1 }] })).id;

describe('order lifecycle rules', () => {
  const allowed: [OrderStatus, OrderStatus][] = [
    ['NEW', 'AWAITING_PAYMENT'],
    ['NEW', 'REJECTED'],
    ['NEW', 'CANCELLED'],
    ['AWAITING_PAYMENT', 'PAID'],
    ['AWAITING_PAYMENT', 'PAYMENT_FAILED'],
    ['AWAITING_PAYMENT', 'CANCELLED'],
    // After payment (docs/fulfilment.md): the order follows its shipments; cancelled before the first ships, refunded.
    ['PAID', 'FULFILLING'],
    ['PAID', 'CANCELLED'],
    ['FULFILLING', 'PARTIALLY_SHIPPED'],
    ['FULFILLING', 'SHIPPED'],
    ['FULFILLING', 'DELIVERED'],
    ['FULFILLING', 'CANCELLED'],
    ['PARTIALLY_SHIPPED', 'SHIPPED'],
    ['PARTIALLY_SHIPPED', 'DELIVERED'],
    ['SHIPPED', 'DELIVERED'],
    ['DELIVERED', 'COMPLETED'],
  ];
  test('exactly the transitions of the design are allowed', () => {
    const all = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as [OrderStatus, OrderStatus]));
    expect(all.filter(([f, t]) => canTransition(f, t))).toEqual(allowed);
  });
});

describe(`order status changes (${databaseKind})`, () => {
  test('each change is recorded in the history with its time and reason', async () => {
    const id = await newOrder();
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'stock reserved');
    await transitionOrder(db.prisma, id, 'PAYMENT_FAILED', 'card declined');
    const view = await getOrder(db.prisma, id);
    expect(view.status).toBe('PAYMENT_FAILED');
    expect(view.failureReason).toBe('card declined');
    expect(view.history.map((h) => [h.from, h.to, h.reason])).toEqual([
      [null, 'NEW', 'order placed'],
      ['NEW', 'AWAITING_PAYMENT', 'stock reserved'],
      ['AWAITING_PAYMENT', 'PAYMENT_FAILED', 'card declined'],
    ]);
    for (const h of view.history) expect(Date.parse(h.at)).not.toBeNaN();
  });

  test('asking again for the status the order has changes nothing (a retried step)', async () => {
    const id = await newOrder();
    expect(await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'first')).toEqual({ status: 'AWAITING_PAYMENT', changed: true });
    expect(await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'retry')).toEqual({ status: 'AWAITING_PAYMENT', changed: false });
    expect((await getOrder(db.prisma, id)).history).toHaveLength(2);
  });

  test('an illegal transition is an error and leaves the order as it was', async () => {
    const id = await newOrder();
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'reserved');
    await transitionOrder(db.prisma, id, 'PAID', 'approved');
    const attempt = transitionOrder(db.prisma, id, 'PAYMENT_FAILED', 'declined after all');
    await expect(attempt).rejects.toBeInstanceOf(IllegalTransitionError);
    await expect(attempt).rejects.toMatchObject({ from: 'PAID', to: 'PAYMENT_FAILED' });
    await expect(transitionOrder(db.prisma, await newOrder(), 'PAID', 'skipping payment')).rejects.toBeInstanceOf(IllegalTransitionError);
    const view = await getOrder(db.prisma, id);
    expect(view.status).toBe('PAID');
    expect(view.history).toHaveLength(3);
  });

  test('concurrent conflicting transitions: exactly one wins, the history stays a single path', async () => {
    const id = await newOrder();
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'reserved');
    const outcomes = await Promise.allSettled([
      // Not CANCELLED: a paid order may still be cancelled (refunded), so PAID then CANCELLED is a legal path.
      // And one of each: asking for the status an order already has is a no-op that succeeds.
      transitionOrder(db.prisma, id, 'PAID', 'approved'),
      transitionOrder(db.prisma, id, 'PAYMENT_FAILED', 'declined'),
    ]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const view = await getOrder(db.prisma, id);
    expect(view.history).toHaveLength(3);
    expect(view.history.at(-1)?.to).toBe(view.status);
  });

  test('an unknown order is not found', async () => {
    await expect(transitionOrder(db.prisma, '00000000-0000-4000-8000-000000000001', 'PAID', 'x')).rejects.toBeInstanceOf(NotFoundError);
    await expect(getOrder(db.prisma, 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });
});
