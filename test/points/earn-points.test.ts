// Points earned on a completed order (domain/points/points.ts): on what the customer kept,
// rounded down, once however often the completion runs (at-least-once), and the ledger adds up.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { pointsEarned, pointsOf } from '../../domain/points/points.js';
import { completeOrder } from '../../domain/shipments/complete-order.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addOrder, addProduct } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'PT-A', { 'WH-1': 10 }, 1000);
});
afterAll(async () => {
  await db.close();
});

/** An order at DELIVERED with shipments of these amounts and statuses (refunded: given back of a live one). */
async function deliveredOrder(
  customerId: string,
  shipments: { amountMinor: number; status: 'DELIVERED' | 'DECLINED'; refundedMinor?: number }[],
): Promise<string> {
  const id = await addOrder(db.prisma, [{ sku: 'PT-A', quantity: 1 }], customerId);
  await db.prisma.order.update({ where: { id }, data: { status: 'DELIVERED' } });
  for (const [i, s] of shipments.entries()) {
    await db.prisma.business.upsert({
      where: { id: `pt-biz-${i}` },
      create: { id: `pt-biz-${i}`, name: 'p', contactEmail: 'p@example.com', dispatcher: 'manual', secret: 'bsec_p' },
      update: {},
    });
    await db.prisma.shipment.create({
      data: { orderId: id, businessId: `pt-biz-${i}`, amountMinor: s.amountMinor, currency: 'EUR', status: s.status, refundedMinor: s.refundedMinor ?? 0 },
    });
  }
  return id;
}

describe(`points earned on completion (${databaseKind})`, () => {
  test('never more than what was spent pays for: floor(spent × rate / 100), and never negative', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (spent, rate) => {
        const points = pointsEarned(spent, rate);
        expect(Number.isInteger(points) && points >= 0).toBe(true);
        expect(points * 100).toBeLessThanOrEqual(spent * rate);
        expect((points + 1) * 100).toBeGreaterThan(spent * rate);
      }),
    );
  });

  test('a completed order earns on what the customer kept, once: the completion run three times writes one entry', async () => {
    const id = await deliveredOrder('pt-ada', [
      { amountMinor: 12_399, status: 'DELIVERED', refundedMinor: 1_000 },
      { amountMinor: 5_000, status: 'DECLINED' },
    ]);
    for (let i = 0; i < 3; i++) expect((await completeOrder(db.prisma, id, { pointsEarnedPer100Minor: 2 })).status).toBe('COMPLETED');
    const points = await pointsOf(db.prisma, 'pt-ada');
    // (12399 − 1000) × 2 / 100 = 227.98: 227 points.
    expect(points.entries).toEqual([
      { kind: 'EARNED', points: 227, orderId: id, reason: 'order completed: 11399 minor units delivered', at: expect.any(String) },
    ]);
    expect(points.balance).toBe(227);
  });

  test('the balance is the sum of the ledger, page after page', async () => {
    for (const amountMinor of [1_000, 2_550, 999]) await completeOrder(db.prisma, await deliveredOrder('pt-bob', [{ amountMinor, status: 'DELIVERED' }]));
    const first = await pointsOf(db.prisma, 'pt-bob', { limit: 2 });
    const second = await pointsOf(db.prisma, 'pt-bob', { limit: 2, cursor: first.nextCursor as string });
    expect([...first.entries, ...second.entries].map((e) => e.points)).toEqual([9, 25, 10]);
    expect(second.nextCursor).toBeNull();
    expect(first.balance).toBe(44);
  });

  test('a rate of 0 earns nothing, and writes nothing', async () => {
    const id = await deliveredOrder('pt-zero', [{ amountMinor: 50_000, status: 'DELIVERED' }]);
    await completeOrder(db.prisma, id, { pointsEarnedPer100Minor: 0 });
    expect(await pointsOf(db.prisma, 'pt-zero')).toMatchObject({ balance: 0, entries: [] });
  });
});
