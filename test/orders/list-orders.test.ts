import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { InvalidInputError } from '../../domain/errors.js';
import { listOrders, type ListOrdersQuery, type OrderSummary } from '../../domain/orders/list-orders.js';
import { decodeTimeIdCursor as decodeCursor, encodeTimeIdCursor as encodeCursor } from '../../domain/paging.js';
import type { OrderStatus } from '../../domain/orders/lifecycle.js';
import { databaseKind, onPostgres, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';

let db: TestDatabase;
// 30 orders over only 4 distinct creation times: page boundaries fall inside runs
// of equal created_at, where only the id breaks the tie.
const TIMES = ['2026-03-01T10:00:00.000Z', '2026-03-01T10:00:00.001Z', '2026-03-02T08:30:00.500Z', '2026-03-03T23:59:59.999Z'];
type Row = { id: string; customerId: string; status: OrderStatus; createdAt: Date };
const rows: Row[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'LO', { 'WH-1': 10 });
  for (let i = 0; i < 30; i++) {
    const data = {
      customerId: i % 3 === 0 ? 'cust-a' : 'cust-b',
      status: (i % 5 === 0 ? 'PAID' : 'NEW') as OrderStatus,
      createdAt: new Date(TIMES[i % TIMES.length] as string),
      paymentMethod: 'pm',
      totalMinor: 100 * i,
      currency: 'EUR',
      requestHash: `h${i}`,
    };
    const order = await db.prisma.order.create({ data });
    rows.push({ id: order.id, customerId: data.customerId, status: data.status, createdAt: data.createdAt });
  }
});
afterAll(async () => {
  await db.close();
});

/** The order the API promises: created_at descending, then id descending (uuid order = hex string order). */
const expected = (filter: (r: Row) => boolean) =>
  rows
    .filter(filter)
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .map((r) => r.id);

async function all(query: Omit<ListOrdersQuery, 'cursor'>): Promise<{ pages: OrderSummary[][]; cursors: (string | null)[] }> {
  const pages: OrderSummary[][] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 50; guard++) {
    const page = await listOrders(db.prisma, { ...query, cursor });
    pages.push(page.orders);
    cursors.push(page.nextCursor);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { pages, cursors };
}

describe(`keyset pagination of orders (${databaseKind})`, () => {
  test('every order exactly once, newest first, ties on created_at broken by id', async () => {
    const { pages, cursors } = await all({ limit: 7 });
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    expect(cursors.at(-1)).toBeNull();
    expect(pages.flat().map((o) => o.id)).toEqual(expected(() => true));
  });

  test('a page size that divides the total ends with nextCursor null, not an empty page', async () => {
    const { pages } = await all({ limit: 10 });
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10]);
  });

  test('filters by customer, by status, and by both', async () => {
    expect((await all({ customerId: 'cust-a', limit: 4 })).pages.flat().map((o) => o.id)).toEqual(expected((r) => r.customerId === 'cust-a'));
    expect((await all({ status: 'PAID', limit: 4 })).pages.flat().map((o) => o.id)).toEqual(expected((r) => r.status === 'PAID'));
    expect((await all({ customerId: 'cust-b', status: 'NEW', limit: 3 })).pages.flat().map((o) => o.id)).toEqual(
      expected((r) => r.customerId === 'cust-b' && r.status === 'NEW'),
    );
    expect(await listOrders(db.prisma, { customerId: 'nobody' })).toEqual({ orders: [], nextCursor: null });
  });

  test('default page size is 20; a summary carries id, customer, status, total and times', async () => {
    const page = await listOrders(db.prisma);
    expect(page.orders).toHaveLength(20);
    const newest = rows.find((r) => r.id === expected(() => true)[0]) as Row;
    expect(page.orders[0]).toEqual({
      id: newest.id,
      customerId: newest.customerId,
      status: newest.status,
      total: { amountMinor: expect.any(Number), currency: 'EUR' },
      createdAt: newest.createdAt.toISOString(),
      updatedAt: expect.any(String),
    });
  });

  test('an order created after the first page was read does not shift the following pages', async () => {
    const first = await listOrders(db.prisma, { limit: 5 });
    // Newer than every other order: with offset paging it would push the first page's last row onto page 2.
    const late = await db.prisma.order.create({
      data: {
        customerId: 'cust-late',
        paymentMethod: 'pm',
        totalMinor: 1,
        currency: 'EUR',
        requestHash: 'late',
        createdAt: new Date('2026-03-04T00:00:00.000Z'),
      },
    });
    try {
      const second = await listOrders(db.prisma, { limit: 5, cursor: first.nextCursor as string });
      expect(second.orders.map((o) => o.id)).toEqual(expected(() => true).slice(5, 10));
    } finally {
      await db.prisma.order.delete({ where: { id: late.id } });
    }
  });

  test('the cursor is opaque base64url of created_at and id, and round-trips', () => {
    const position = { createdAt: new Date('2026-03-02T08:30:00.500Z'), id: '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10' };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor)).toEqual(position);
  });

  test.each([
    ['garbage', 'not a cursor!'],
    ['base64 of something else', Buffer.from('hello').toString('base64url')],
    ['a bad id', Buffer.from('2026-03-02T08:30:00.500Z|x').toString('base64url')],
    ['a bad date', Buffer.from('2026-13-45T08:30:00.500Z|0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10').toString('base64url')],
    ['empty', ''],
  ])('an invalid cursor (%s) is InvalidInputError naming cursor', async (_name, cursor) => {
    const attempt = listOrders(db.prisma, { cursor });
    await expect(attempt).rejects.toBeInstanceOf(InvalidInputError);
    await expect(attempt).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'cursor' })] });
  });

  test.each([0, 101, 2.5, -1])('limit %p is InvalidInputError naming limit', async (limit) => {
    await expect(listOrders(db.prisma, { limit })).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'limit' })] });
  });

  test('an unknown status is InvalidInputError naming status', async () => {
    await expect(listOrders(db.prisma, { status: 'LOST' as OrderStatus })).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'status' })] });
  });

  (onPostgres ? test : test.skip)('PostgreSQL answers each filter from an orders index', async () => {
    await db.sql.exec('ANALYZE orders');
    // Seq scans off: on a table this small the planner would rightly prefer one; the question is which index serves the query.
    const plan = (where: string) =>
      db.sql.transaction(async (tx) => {
        await tx.exec('SET LOCAL enable_seqscan = off');
        const lines = await tx.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT id FROM orders WHERE ${where} AND created_at <= '2026-03-02T08:30:00.500Z'
             AND (created_at < '2026-03-02T08:30:00.500Z' OR id < '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10') ORDER BY created_at DESC, id DESC LIMIT 21`,
        );
        return lines.map((l) => l['QUERY PLAN']).join('\n');
      });
    expect(await plan(`customer_id = 'cust-a'`)).toContain('orders_customer_id_created_at_id_idx');
    expect(await plan(`status = 'PAID'`)).toContain('orders_status_created_at_id_idx');
    expect(await plan('true')).toContain('orders_created_at_id_idx');
  });
});
