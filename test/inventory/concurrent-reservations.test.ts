import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { commit } from '../../domain/inventory/commit.js';
import { release } from '../../domain/inventory/release.js';
import { reserve } from '../../domain/inventory/reserve.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addOrder, addProduct, stockBy, stockTotals } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db.close();
});

describe(`concurrent reservations never oversell (${databaseKind})`, () => {
  test('50 orders racing for 20 units over 3 warehouses: exactly 20 units are reserved, the rest are refused', async () => {
    await addProduct(db.prisma, 'RACE', { 'WH-A': 7, 'WH-B': 8, 'WH-C': 5 });
    const orders = await Promise.all(Array.from({ length: 50 }, () => addOrder(db.prisma, [{ sku: 'RACE', quantity: 1 }])));

    const results = await Promise.all(orders.map((id) => reserve(db.prisma, id, [{ sku: 'RACE', quantity: 1 }])));

    const won = results.filter((r) => r.ok).length;
    expect(won).toBe(20);
    for (const r of results.filter((x) => !x.ok)) {
      expect(r).toEqual({ ok: false, reason: 'OUT_OF_STOCK', shortages: [{ sku: 'RACE', requested: 1, available: 0 }] });
    }
    expect(await stockBy(db.prisma, 'RACE')).toEqual({
      'WH-A': { onHand: 7, reserved: 7 },
      'WH-B': { onHand: 8, reserved: 8 },
      'WH-C': { onHand: 5, reserved: 5 },
    });
    // Losers hold nothing.
    const losers = orders.filter((_, i) => !results[i]?.ok);
    expect(await db.prisma.reservation.count({ where: { orderId: { in: losers } } })).toBe(0);
  });

  test('mixed quantities racing, then paid and cancelled in any order: on hand = available + reserved + sold', async () => {
    await addProduct(db.prisma, 'MIX', { 'WH-A': 10, 'WH-B': 6, 'WH-C': 4 });
    const quantities = Array.from({ length: 30 }, (_, i) => (i % 4) + 1);
    const orders = await Promise.all(quantities.map((q) => addOrder(db.prisma, [{ sku: 'MIX', quantity: q }])));
    const results = await Promise.all(orders.map((id, i) => reserve(db.prisma, id, [{ sku: 'MIX', quantity: quantities[i] as number }])));

    const reservedUnits = results.reduce((n, r, i) => n + (r.ok ? (quantities[i] as number) : 0), 0);
    expect(reservedUnits).toBeLessThanOrEqual(20);
    // Every loser was short: it asked for more than remained when it was refused.
    for (const r of results) if (!r.ok) expect(r.shortages[0]?.available).toBeLessThan(r.shortages[0]?.requested as number);

    // Half are paid, the rest cancelled; then every order sees the opposite call and repeats, concurrently.
    const winners = orders.map((id, i) => ({ id, q: quantities[i] as number })).filter((_, i) => results[i]?.ok);
    const paid = winners.filter((_, i) => i % 2 === 0);
    const cancelled = winners.filter((_, i) => i % 2 === 1);
    await Promise.all([...paid.map((o) => commit(db.prisma, o.id)), ...cancelled.map((o) => release(db.prisma, o.id))]);
    await Promise.all(winners.flatMap((o) => [commit(db.prisma, o.id), release(db.prisma, o.id), commit(db.prisma, o.id)]));

    const totals = await stockTotals(db.prisma, 'MIX');
    expect(totals.reserved).toBe(0);
    expect(totals.available + totals.reserved + totals.sold).toBe(20);
    expect(totals.onHand).toBe(20 - totals.sold);
    expect(totals.sold).toBe(paid.reduce((n, o) => n + o.q, 0));
    expect(cancelled.length).toBeGreaterThan(0);
  });
});
