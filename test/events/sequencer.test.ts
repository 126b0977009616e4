// The stream's positions (domain/events/sequencer.ts): no transaction elsewhere on the server
// holds events back, and concurrent writers never break an order's order in the stream.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { EventDispatcher } from '../../app/event-dispatcher.js';
import { createSubscription } from '../../domain/events/subscriptions.js';
import { SEQUENCER_LOCK_ID } from '../../domain/events/sequencer.js';
import { eventPage } from '../../domain/events/stream.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { transitionOrder } from '../../domain/orders/transition.js';
import { createLogger } from '../../infra/logger.js';
import { databaseKind, onPostgres, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { Subscriber } from './subscriber.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'SQ', { 'WH-1': 10_000 }, 500);
});
afterAll(async () => {
  await db.close();
});

const newOrder = async (customerId = 'c-seq') => (await createOrder(db.prisma, { customerId, paymentMethod: 'pm', items: [{ sku: 'SQ', quantity: 1 }] })).id;
const orderOf = (e: { data: unknown }) => (e.data as { orderId: string }).orderId;

/** Reads the stream from `after` to its end; returns the events and the cursor to continue from. */
async function readToEnd(after: string | undefined): Promise<{ events: { id: string; data: unknown }[]; cursor: string | undefined }> {
  const events: { id: string; data: unknown }[] = [];
  let cursor = after;
  for (;;) {
    const page = await eventPage(db.prisma, { after: cursor, limit: 100 });
    if (page.events.length === 0) return { events, cursor };
    events.push(...page.events);
    cursor = page.nextCursor ?? undefined;
  }
}

async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
  await res.arrayBuffer();
  return res.status;
}

describe(`the event stream's positions (${databaseKind})`, () => {
  test('a transaction left open on another connection (holding an xid) delays neither GET /events nor webhook deliveries', async () => {
    if (!onPostgres) return; // PGlite has one connection: nothing else can hold a transaction open
    const subscriber = new Subscriber();
    await subscriber.up();
    const idle = new pg.Client({ connectionString: db.url });
    await idle.connect();
    await idle.query('BEGIN');
    await idle.query('SELECT txid_current()');
    const dispatcher = new EventDispatcher({
      prisma: db.prisma,
      logger: createLogger('silent'),
      metrics: { eventDeliveryAttempted: () => undefined, eventSubscriptionDisabled: () => undefined },
      post,
      settings: {
        deliveryTimeoutMs: 2000,
        firstRetryMs: 100,
        maxRetryIntervalMs: 200,
        retryForMs: 60_000,
        pollIntervalMs: 50,
        disableAfterMs: 60_000,
        retentionMs: 86_400_000,
        pruneIntervalMs: 3_600_000,
      },
    });
    try {
      const { cursor } = await readToEnd(undefined);
      await createSubscription(db.prisma, { url: subscriber.url, eventTypes: ['order.created'] });
      dispatcher.start();
      const id = await newOrder();
      // Listed on the first poll, while the other transaction is still open.
      const page = await eventPage(db.prisma, { after: cursor });
      expect(page.events.map(orderOf)).toEqual([id]);
      // Delivered within a few poll intervals, the other transaction still open.
      await waitFor('the event delivered', () => subscriber.accepted().some((d) => d.orderId === id), 3000);
      expect((await idle.query<{ state: string }>('SELECT pg_current_xact_id_if_assigned() IS NOT NULL AS state')).rows[0]?.state).toBe(true);
    } finally {
      await dispatcher.close();
      await idle.query('ROLLBACK');
      await idle.end();
      await subscriber.down();
    }
  });

  test('per-order order holds in the stream under concurrent writers (more than the pool has connections), every event once', async () => {
    const { cursor: start } = await readToEnd(undefined);
    const writers = 40; // the test database's pool has 12 connections
    let writing = true;
    const seen: { id: string; data: unknown }[] = [];
    // A reader polls all along, so positions are given while writers commit.
    const reader = (async () => {
      let cursor = start;
      while (writing) {
        const read = await readToEnd(cursor);
        seen.push(...read.events);
        cursor = read.cursor;
      }
      seen.push(...(await readToEnd(cursor)).events);
    })();
    const orders = await Promise.all(
      Array.from({ length: writers }, async (_, i) => {
        const id = await newOrder(`c-seq-${i}`);
        await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'payment requested');
        await transitionOrder(db.prisma, id, i % 2 === 0 ? 'PAID' : 'CANCELLED', 'done');
        return id;
      }),
    );
    writing = false;
    await reader;
    const mine = seen.filter((e) => orders.includes(orderOf(e)));
    const recorded = await db.prisma.event.findMany({ where: { orderId: { in: orders } }, orderBy: { seq: 'asc' } });
    expect(mine).toHaveLength(writers * 3);
    expect(new Set(mine.map((e) => e.id)).size).toBe(mine.length);
    for (const id of orders) {
      expect(mine.filter((e) => orderOf(e) === id).map((e) => e.id)).toEqual(recorded.filter((e) => e.orderId === id).map((e) => e.id));
    }
  }, 60_000);

  test('a poller at the end of the stream while a pass of the sequencer is under way elsewhere waits for it, then sees the event', async () => {
    if (!onPostgres) return; // PGlite has one connection: no pass can be under way elsewhere
    const { cursor } = await readToEnd(undefined);
    // Another process's pass: it holds the sequencer's lock and has not committed yet.
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock($1::bigint)', [SEQUENCER_LOCK_ID]);
      const id = await newOrder('c-seq-pass');
      let answered = false;
      const page = eventPage(db.prisma, { after: cursor }).finally(() => (answered = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(answered).toBe(false); // it waits for the pass rather than answering "nothing new"
      await other.query('COMMIT');
      expect((await page).events.map(orderOf)).toEqual([id]);
    } finally {
      await other.end();
    }
  });
});
