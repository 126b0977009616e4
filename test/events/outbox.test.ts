// The outbox's transactional rules, against the database itself: an event exists exactly
// when its change was committed, and the stream never skips a row that commits late.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createOrder } from '../../domain/orders/create-order.js';
import { transitionIn, transitionOrder } from '../../domain/orders/transition.js';
import { eventPage, readStream } from '../../domain/events/stream.js';
import { fanOut, claimDue, recordAttempt, retryDelayMs } from '../../domain/events/delivery.js';
import { createSubscription } from '../../domain/events/subscriptions.js';
import { EVENT_SCHEMAS } from '../../api/event-schemas.js';
import { databaseKind, onPostgres, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'OB', { 'WH-1': 100 }, 1250);
});
afterAll(async () => {
  await db.close();
});

const newOrder = async () => (await createOrder(db.prisma, { customerId: 'c-outbox', paymentMethod: 'pm', items: [{ sku: 'OB', quantity: 2 }] })).id;
const eventsOf = (orderId: string) => db.prisma.event.findMany({ where: { orderId }, orderBy: { seq: 'asc' } });

describe(`the outbox (${databaseKind})`, () => {
  test('every change writes its event: placing, and each status change, in order, with the order as the change left it', async () => {
    const id = await newOrder();
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'payment requested from sandbox');
    await transitionOrder(db.prisma, id, 'PAID', 'payment approved');
    await transitionOrder(db.prisma, id, 'PAID', 'a retried step changes nothing');
    const events = await eventsOf(id);
    expect(events.map((e) => e.type)).toEqual(['order.created', 'order.awaiting_payment', 'order.paid']);
    const history = await db.prisma.orderHistory.findMany({ where: { orderId: id } });
    expect(events).toHaveLength(history.length);
    expect(events[0]?.payload).toEqual({
      orderId: id,
      customerId: 'c-outbox',
      status: 'NEW',
      previousStatus: null,
      reason: 'order placed',
      total: { amountMinor: 2500, currency: 'EUR' },
      items: [{ sku: 'OB', quantity: 2, unitPriceMinor: 1250 }],
    });
    expect(events[2]?.payload).toMatchObject({ status: 'PAID', previousStatus: 'AWAITING_PAYMENT', reason: 'payment approved' });
    for (const e of events) {
      expect(e.id).toMatch(/^evt_[0-9a-f]{24}$/);
      // The documented JSON Schema (zod) accepts what is delivered.
      const envelope = { id: e.id, type: e.type, created: Math.floor(e.createdAt.getTime() / 1000), data: e.payload };
      expect(EVENT_SCHEMAS[e.type as keyof typeof EVENT_SCHEMAS].safeParse(envelope).error).toBeUndefined();
    }
  });

  test('no event for a transaction that rolled back, and the change rolled back with it', async () => {
    const id = await newOrder();
    const before = await eventsOf(id);
    await expect(
      db.prisma.$transaction(async (tx) => {
        await transitionIn(tx, id, 'AWAITING_PAYMENT', 'payment requested');
        throw new Error('fault injected after the event was written');
      }),
    ).rejects.toThrow('fault injected');
    expect(await eventsOf(id)).toEqual(before);
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id } })).status).toBe('NEW');
    // The same change committed writes its event.
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'payment requested');
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['order.created', 'order.awaiting_payment']);
  });

  test('no event when the transaction fails after the event was written (a trigger injects the fault), through transitionOrder', async () => {
    // transitionIn writes the event, then the history row: this trigger fails the transaction in between.
    await db.sql.exec(`
      CREATE FUNCTION fail_history() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'fault injected after the event insert'; END $$;
      CREATE TRIGGER fail_history AFTER INSERT ON order_history
        FOR EACH ROW WHEN (NEW.reason = 'fault injected') EXECUTE FUNCTION fail_history();`);
    try {
      const id = await newOrder();
      await expect(transitionOrder(db.prisma, id, 'CANCELLED', 'fault injected')).rejects.toThrow(/fault injected after the event insert/);
      expect((await eventsOf(id)).map((e) => e.type)).toEqual(['order.created']);
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id } })).status).toBe('NEW');
    } finally {
      await db.sql.exec('DROP TRIGGER fail_history ON order_history; DROP FUNCTION fail_history()');
    }
  });

  test('GET /events paging: every event once, oldest first, and a cursor that waits at the end', async () => {
    const readAll = async () => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await eventPage(db.prisma, { after, limit: 2 });
        seen.push(...page.events.map((e) => e.id));
        if (page.events.length === 0) {
          expect(page.nextCursor).toBe(after ?? null);
          break;
        }
        after = page.nextCursor ?? undefined;
      }
      return { seen, after };
    };
    const all = await db.prisma.event.findMany({ orderBy: { seq: 'asc' } });
    // On PostgreSQL a transaction open anywhere on the server (another test file) holds committed events back a moment.
    const { seen, after } = await waitFor('every committed event in the stream', async () => {
      const read = await readAll();
      return read.seen.length >= all.length ? read : undefined;
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(all.map((e) => e.id).sort());
    // A new event appears after the cursor of the end.
    const id = await newOrder();
    // On PostgreSQL a transaction open anywhere on the server (another test file) may hold it back a moment.
    const next = await waitFor('the new event in the stream', async () => {
      const page = await eventPage(db.prisma, { after });
      return page.events.length > 0 ? page : undefined;
    });
    expect(next.events.map((e) => (e.data as { orderId: string }).orderId)).toEqual([id]);
    await expect(eventPage(db.prisma, { after: 'not-a-cursor' })).rejects.toMatchObject({
      errors: [{ field: 'after', message: 'is not a cursor this API handed out' }],
    });
  });

  test('a row committed late behind a higher seq is not skipped by a reader that moved on', async () => {
    if (!onPostgres) return; // PGlite runs one transaction at a time: nothing commits late there
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      const start = await readStream(db.prisma, undefined, 10_000);
      const last = start.at(-1);
      const cursor = last ? { txId: BigInt(last.tx_id), seq: BigInt(last.seq) } : undefined;
      const id = await newOrder();
      // A transaction takes its seq first, then commits after a later one.
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO events (id, type, order_id, payload) VALUES ('evt_${'a'.repeat(24)}', 'order.awaiting_payment', $1, '{}')`, [id]);
      const other = await newOrder();
      // The later one is committed, but not listed yet: an older transaction is still running.
      expect((await readStream(db.prisma, cursor, 100)).map((e) => e.order_id)).not.toContain(other);
      await slow.query('COMMIT');
      const after = await waitFor('both rows in the stream', async () => {
        const rows = await readStream(db.prisma, cursor, 100);
        return rows.some((e) => e.order_id === other) ? rows : undefined;
      });
      expect(after.map((e) => e.id)).toContain(`evt_${'a'.repeat(24)}`);
      expect(after.map((e) => e.order_id)).toContain(other);
    } finally {
      await slow.end();
    }
  });

  test('fan-out and claims: an order’s later event waits while an earlier one is undelivered; back-off doubles up to its cap', async () => {
    const sub = await createSubscription(db.prisma, { url: 'http://127.0.0.1:9/hook', eventTypes: ['order.created', 'order.awaiting_payment'] });
    const id = await newOrder();
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'payment requested');
    const policy = { firstRetryMs: 60_000, maxRetryIntervalMs: 3_600_000, retryForMs: 60_000, disableAfterMs: 3_600_000 };
    // On PostgreSQL a transaction open anywhere on the server holds the order's events back from fan-out a moment.
    const first = await waitFor('the order’s events fanned out and claimable', async () => {
      await fanOut(db.prisma, 60_000);
      const claimed = (await claimDue(db.prisma, 50, 10_000)).filter((c) => c.subscriptionId === sub.id);
      return claimed.length > 0 ? claimed : undefined;
    });
    expect(first.map((c) => c.event.type)).toEqual(['order.created']);
    await recordAttempt(db.prisma, first[0]!, { ok: false, statusCode: 503, latencyMs: 3, error: 'answered HTTP 503' }, policy);
    // The created event waits for its retry, and the order's next event waits for it.
    expect((await claimDue(db.prisma, 50, 10_000)).filter((c) => c.subscriptionId === sub.id)).toEqual([]);
    expect([1, 2, 3, 8, 20].map((n) => retryDelayMs(n, { firstRetryMs: 1000, maxRetryIntervalMs: 30_000 }))).toEqual([1000, 2000, 4000, 30_000, 30_000]);
  });
});
