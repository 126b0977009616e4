import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { stockPage } from '../../domain/inventory/availability.js';
import { commit } from '../../domain/inventory/commit.js';
import { release } from '../../domain/inventory/release.js';
import { allocate, reserve } from '../../domain/inventory/reserve.js';
import { reserveOrder } from '../../domain/inventory/reserve-order.js';
import { claimOrder } from '../../domain/orders/claim-order.js';
import { NotFoundError } from '../../domain/errors.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addOrder, addProduct, stockBy, stockTotals } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db.close();
});

describe('warehouse allocation', () => {
  test('prefers one warehouse that holds the whole quantity, the first by id', () => {
    expect(
      allocate(5, [
        { warehouseId: 'C', available: 9 },
        { warehouseId: 'B', available: 5 },
        { warehouseId: 'A', available: 4 },
      ]),
    ).toEqual([{ warehouseId: 'B', quantity: 5 }]);
  });
  test('splits across the fullest warehouses first when none holds it all, ties by id', () => {
    expect(
      allocate(10, [
        { warehouseId: 'A', available: 3 },
        { warehouseId: 'B', available: 6 },
        { warehouseId: 'C', available: 3 },
      ]),
    ).toEqual([
      { warehouseId: 'B', quantity: 6 },
      { warehouseId: 'A', quantity: 3 },
      { warehouseId: 'C', quantity: 1 },
    ]);
  });
  test('returns nothing when all warehouses together are short', () => {
    expect(
      allocate(13, [
        { warehouseId: 'A', available: 6 },
        { warehouseId: 'B', available: 6 },
      ]),
    ).toBeUndefined();
  });
});

describe(`reserve, release and commit (${databaseKind})`, () => {
  test('reserves all lines of an order, splitting a line only when no warehouse holds it whole', async () => {
    await addProduct(db.prisma, 'R1', { 'WH-1': 4, 'WH-2': 6 });
    await addProduct(db.prisma, 'R2', { 'WH-1': 3, 'WH-2': 3 });
    const order = await addOrder(db.prisma, [
      { sku: 'R1', quantity: 5 },
      { sku: 'R2', quantity: 5 },
    ]);
    const result = await reserve(db.prisma, order, [
      { sku: 'R1', quantity: 5 },
      { sku: 'R2', quantity: 5 },
    ]);
    expect(result).toEqual({
      ok: true,
      alreadyReserved: false,
      reservations: [
        { sku: 'R1', warehouseId: 'WH-2', quantity: 5, state: 'RESERVED' },
        { sku: 'R2', warehouseId: 'WH-1', quantity: 3, state: 'RESERVED' },
        { sku: 'R2', warehouseId: 'WH-2', quantity: 2, state: 'RESERVED' },
      ],
    });
    expect((await stockPage(db.prisma, 'R2')).stocks).toEqual([
      { warehouseId: 'WH-1', onHand: 3, reserved: 3, available: 0 },
      { warehouseId: 'WH-2', onHand: 3, reserved: 2, available: 1 },
    ]);
  });

  test('out of stock on one line reserves nothing at all and names the SKU short', async () => {
    await addProduct(db.prisma, 'OK1', { 'WH-1': 10 });
    await addProduct(db.prisma, 'SHORT1', { 'WH-1': 1, 'WH-2': 1 });
    const order = await addOrder(db.prisma, [
      { sku: 'OK1', quantity: 2 },
      { sku: 'SHORT1', quantity: 3 },
    ]);
    const result = await reserve(db.prisma, order, [
      { sku: 'OK1', quantity: 2 },
      { sku: 'SHORT1', quantity: 3 },
    ]);
    expect(result).toEqual({ ok: false, reason: 'OUT_OF_STOCK', shortages: [{ sku: 'SHORT1', requested: 3, available: 2 }] });
    expect(await stockBy(db.prisma, 'OK1')).toEqual({ 'WH-1': { onHand: 10, reserved: 0 } });
    expect(await db.prisma.reservation.count({ where: { orderId: order } })).toBe(0);
  });

  test('a second reserve for the same order changes nothing and returns the same reservation, even with other items', async () => {
    await addProduct(db.prisma, 'IDEM', { 'WH-1': 10 });
    const order = await addOrder(db.prisma, [{ sku: 'IDEM', quantity: 4 }]);
    const first = await reserve(db.prisma, order, [{ sku: 'IDEM', quantity: 4 }]);
    const again = await Promise.all([reserve(db.prisma, order, [{ sku: 'IDEM', quantity: 4 }]), reserve(db.prisma, order, [{ sku: 'IDEM', quantity: 9 }])]);
    for (const r of again) expect(r).toEqual({ ...first, alreadyReserved: true });
    expect(await stockBy(db.prisma, 'IDEM')).toEqual({ 'WH-1': { onHand: 10, reserved: 4 } });
  });

  test('concurrent duplicate reserves of one order reserve once', async () => {
    await addProduct(db.prisma, 'DUP', { 'WH-1': 10 });
    const order = await addOrder(db.prisma, [{ sku: 'DUP', quantity: 3 }]);
    const results = await Promise.all(Array.from({ length: 8 }, () => reserve(db.prisma, order, [{ sku: 'DUP', quantity: 3 }])));
    expect(results.filter((r) => r.ok && !r.alreadyReserved)).toHaveLength(1);
    expect(await stockBy(db.prisma, 'DUP')).toEqual({ 'WH-1': { onHand: 10, reserved: 3 } });
  });

  test('of six process instances racing to claim one order, one runs it: the others are ORDER_ALREADY_RUNNING; its reservation holds stock once', async () => {
    await addProduct(db.prisma, 'CLAIM', { 'WH-1': 10 });
    const order = await addOrder(db.prisma, [{ sku: 'CLAIM', quantity: 2 }]);
    const keys = ['101', '102', '103', '104', '105', '106'];
    const results = await Promise.allSettled(keys.map((key) => claimOrder(db.prisma, order, key)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ORDER_ALREADY_RUNNING' });
    const winner = (await db.prisma.order.findUniqueOrThrow({ where: { id: order } })).processInstanceKey as string;
    expect(keys).toContain(winner);
    // The winner's retry claims again without complaint; its reservations, repeated, hold once.
    await claimOrder(db.prisma, order, winner);
    const reserved = await Promise.all([reserveOrder(db.prisma, order), reserveOrder(db.prisma, order)]);
    expect(reserved.filter((r) => r.ok && !r.alreadyReserved)).toHaveLength(1);
    expect(await stockBy(db.prisma, 'CLAIM')).toEqual({ 'WH-1': { onHand: 10, reserved: 2 } });
  });

  test('reserving or claiming an order that does not exist is NotFound', async () => {
    await expect(reserveOrder(db.prisma, '00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(NotFoundError);
    await expect(claimOrder(db.prisma, '00000000-0000-4000-8000-000000000000', '1')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('release twice gives the units back once', async () => {
    await addProduct(db.prisma, 'REL', { 'WH-1': 5 });
    const order = await addOrder(db.prisma, [{ sku: 'REL', quantity: 5 }]);
    await reserve(db.prisma, order, [{ sku: 'REL', quantity: 5 }]);
    expect((await release(db.prisma, order)).released).toBe(5);
    expect((await release(db.prisma, order)).released).toBe(0);
    expect(await stockBy(db.prisma, 'REL')).toEqual({ 'WH-1': { onHand: 5, reserved: 0 } });
    // The released order does not reserve again: its reservation is settled.
    const again = await reserve(db.prisma, order, [{ sku: 'REL', quantity: 5 }]);
    expect(again).toMatchObject({ ok: true, alreadyReserved: true, reservations: [{ state: 'RELEASED' }] });
    expect(await stockBy(db.prisma, 'REL')).toEqual({ 'WH-1': { onHand: 5, reserved: 0 } });
  });

  test('commit twice sells once: on hand and reserved drop together', async () => {
    await addProduct(db.prisma, 'COM', { 'WH-1': 5, 'WH-2': 5 });
    const order = await addOrder(db.prisma, [{ sku: 'COM', quantity: 7 }]);
    await reserve(db.prisma, order, [{ sku: 'COM', quantity: 7 }]);
    expect((await commit(db.prisma, order)).committed).toBe(7);
    expect((await commit(db.prisma, order)).committed).toBe(0);
    expect(await stockBy(db.prisma, 'COM')).toEqual({ 'WH-1': { onHand: 0, reserved: 0 }, 'WH-2': { onHand: 3, reserved: 0 } });
    expect(await stockTotals(db.prisma, 'COM')).toEqual({ onHand: 3, reserved: 0, available: 3, sold: 7 });
  });

  test('release after commit cannot un-sell, commit after release cannot sell', async () => {
    await addProduct(db.prisma, 'ORD', { 'WH-1': 10 });
    const paid = await addOrder(db.prisma, [{ sku: 'ORD', quantity: 2 }]);
    const cancelled = await addOrder(db.prisma, [{ sku: 'ORD', quantity: 3 }]);
    await reserve(db.prisma, paid, [{ sku: 'ORD', quantity: 2 }]);
    await reserve(db.prisma, cancelled, [{ sku: 'ORD', quantity: 3 }]);
    await commit(db.prisma, paid);
    expect((await release(db.prisma, paid)).released).toBe(0);
    await release(db.prisma, cancelled);
    expect((await commit(db.prisma, cancelled)).committed).toBe(0);
    expect(await stockTotals(db.prisma, 'ORD')).toEqual({ onHand: 8, reserved: 0, available: 8, sold: 2 });
  });

  test('reserve, release and commit interleaved concurrently on one order settle exactly once', async () => {
    await addProduct(db.prisma, 'INTER', { 'WH-1': 50 });
    const orders = await Promise.all(Array.from({ length: 10 }, () => addOrder(db.prisma, [{ sku: 'INTER', quantity: 2 }])));
    await Promise.all(orders.map((o) => reserve(db.prisma, o, [{ sku: 'INTER', quantity: 2 }])));
    await Promise.all(
      orders.flatMap((o) => [release(db.prisma, o), commit(db.prisma, o), reserve(db.prisma, o, [{ sku: 'INTER', quantity: 2 }]), release(db.prisma, o)]),
    );
    const states = await db.prisma.reservation.findMany({ where: { orderId: { in: orders } } });
    expect(states).toHaveLength(10);
    for (const s of states) expect(['RELEASED', 'COMMITTED']).toContain(s.state);
    const sold = states.filter((s) => s.state === 'COMMITTED').length * 2;
    expect(await stockTotals(db.prisma, 'INTER')).toEqual({ onHand: 50 - sold, reserved: 0, available: 50 - sold, sold });
  });

  test('stock operations on an order that does not exist fail as not found', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    await expect(reserve(db.prisma, missing, [{ sku: 'R1', quantity: 1 }])).rejects.toBeInstanceOf(NotFoundError);
    await expect(release(db.prisma, missing)).rejects.toBeInstanceOf(NotFoundError);
    await expect(commit(db.prisma, 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);
  });

  test('the database itself refuses reserved above on hand or below zero', async () => {
    await addProduct(db.prisma, 'CHK', { 'WH-1': 2 });
    await expect(db.prisma.$executeRaw`UPDATE stock SET reserved = 3 WHERE sku = 'CHK'`).rejects.toThrow(/stock_reserved_within_on_hand_check/);
    await expect(db.prisma.$executeRaw`UPDATE stock SET reserved = -1 WHERE sku = 'CHK'`).rejects.toThrow(/stock_reserved_within_on_hand_check/);
    expect(await stockBy(db.prisma, 'CHK')).toEqual({ 'WH-1': { onHand: 2, reserved: 0 } });
  });
});
