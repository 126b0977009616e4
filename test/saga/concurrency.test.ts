// 40 customers race for 15 units: no interleaving of concurrent orders may oversell.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { PAID_PATH, paid, startSaga, type Saga } from './support.js';

let saga: Saga;
beforeAll(async () => {
  saga = await startSaga();
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

describe(`concurrent orders (${databaseKind})`, () => {
  test('40 concurrent orders for 15 units of one SKU: exactly 15 sold (paid, then FULFILLING), 25 REJECTED, nothing oversold, all final', async () => {
    await saga.setStock('SKU-SCALE', { 'WH-BER': 5, 'WH-HAM': 5, 'WH-MUC': 5 });
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, i) => saga.placeOrder({ sku: 'SKU-SCALE', quantity: 1, paymentMethod: 'pm_approve', customerId: `racer-${i}` })),
    );
    expect(new Set(ids).size).toBe(40);
    const orders = await Promise.all(ids.map((id) => saga.waitForFinal(id, 60_000)));
    const by = (s: string) => orders.filter((o) => o.status === s).length;
    expect({ paid: orders.filter(paid).length, REJECTED: by('REJECTED') }).toEqual({ paid: 15, REJECTED: 25 });
    for (const o of orders) {
      if (paid(o)) {
        expect(o.history.map((h) => h.to)).toEqual(PAID_PATH);
        expect(o.reservations.map((r) => [r.quantity, r.state])).toEqual([[1, 'COMMITTED']]);
      } else expect(o.reservations).toEqual([]);
    }
    const stock = await saga.stock('SKU-SCALE');
    expect(stock.map((s) => [s.warehouseId, s.onHand, s.reserved, s.sold])).toEqual([
      ['WH-BER', 0, 0, 5],
      ['WH-HAM', 0, 0, 5],
      ['WH-MUC', 0, 0, 5],
    ]);
    expect(saga.errorLines).toEqual([]);
  }, 120_000);
});
