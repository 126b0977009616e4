// The outbox's transactional rules, against the database itself: an event exists exactly
// when its change was committed, and the stream never skips a row that commits late.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { createOrder } from '../../domain/orders/create-order.js';
import { transitionIn, transitionOrder } from '../../domain/orders/transition.js';
import { eventPage } from '../../domain/events/stream.js';
import { fanOut, claimDue, recordAttempt } from '../../domain/events/delivery.js';
import { sequenceEvents } from '../../domain/events/sequencer.js';
import { cursorOf } from '../../domain/paging.js';
import { createSubscription } from '../../domain/events/subscriptions.js';
import { EVENT_SCHEMAS } from '../../api/event-schemas.js';
import { databaseKind, onPostgres, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';

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
    // Committed events are listed at once: no transaction elsewhere on the server holds them back.
    const { seen, after } = await readAll();
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(all.map((e) => e.id).sort());
    // A new event appears after the cursor of the end, on the next poll.
    const id = await newOrder();
    const next = await eventPage(db.prisma, { after });
    expect(next.events.map((e) => (e.data as { orderId: string }).orderId)).toEqual([id]);
    await expect(eventPage(db.prisma, { after: 'not-a-cursor' })).rejects.toMatchObject({
      errors: [{ field: 'after', message: 'is not a cursor this API handed out' }],
    });
  });

  test('a cursor of the stream before positions ((tx_id, seq)) continues after its event; one naming no event answers 400 naming `after`', async () => {
    await sequenceEvents(db.prisma);
    const events = await db.prisma.event.findMany({ orderBy: { position: 'asc' } });
    const middle = events[Math.floor(events.length / 2)]!;
    const legacy = cursorOf(['987654', middle.seq.toString()]);
    const page = await eventPage(db.prisma, { after: legacy, limit: 100 });
    expect(page.events.map((e) => e.id)).toEqual(events.filter((e) => e.position! > middle.position!).map((e) => e.id));
    await expect(eventPage(db.prisma, { after: cursorOf(['987654', '999999999']) })).rejects.toMatchObject({
      errors: [{ field: 'after', message: 'is not a cursor this API handed out' }],
    });
  });

  test('a row committed late, after later events were sequenced and read, is still read afterwards, never skipped', async () => {
    if (!onPostgres) return; // PGlite runs one transaction at a time: nothing commits late there
    const slow = new pg.Client({ connectionString: db.url });
    await slow.connect();
    try {
      const id = await newOrder();
      let cursor: string | undefined;
      for (let page = await eventPage(db.prisma, { limit: 100 }); page.events.length > 0; page = await eventPage(db.prisma, { after: cursor, limit: 100 })) {
        cursor = page.nextCursor ?? undefined;
      }
      // A transaction takes its seq first, then commits after a later one.
      await slow.query('BEGIN');
      const late = `evt_${'a'.repeat(24)}`;
      await slow.query(`INSERT INTO events (id, type, order_id, payload) VALUES ($1, 'order.awaiting_payment', $2, '{}')`, [late, id]);
      const other = await newOrder();
      // The later one is listed at once, and the reader moves past it.
      const read = await eventPage(db.prisma, { after: cursor, limit: 100 });
      expect(read.events.map((e) => (e.data as { orderId: string }).orderId)).toEqual([other]);
      await slow.query('COMMIT');
      // The late row comes after the cursor the reader holds now.
      const after = await eventPage(db.prisma, { after: read.nextCursor ?? undefined, limit: 100 });
      expect(after.events.map((e) => e.id)).toEqual([late]);
    } finally {
      await slow.end();
    }
  });

  test('fan-out and claims: an order’s later event waits while an earlier one is undelivered', async () => {
    const sub = await createSubscription(db.prisma, { url: 'http://127.0.0.1:9/hook', eventTypes: ['order.created', 'order.awaiting_payment'] });
    const id = await newOrder();
    await transitionOrder(db.prisma, id, 'AWAITING_PAYMENT', 'payment requested');
    const policy = { firstRetryMs: 60_000, maxRetryIntervalMs: 3_600_000, retryForMs: 60_000, disableAfterMs: 3_600_000 };
    await sequenceEvents(db.prisma);
    await fanOut(db.prisma, 60_000);
    const first = (await claimDue(db.prisma, 50, 10_000)).filter((c) => c.subscriptionId === sub.id);
    expect(first.map((c) => c.event.type)).toEqual(['order.created']);
    await recordAttempt(db.prisma, first[0]!, { ok: false, statusCode: 503, latencyMs: 3, error: 'answered HTTP 503' }, policy);
    // The created event waits for its retry, and the order's next event waits for it.
    expect((await claimDue(db.prisma, 50, 10_000)).filter((c) => c.subscriptionId === sub.id)).toEqual([]);
  });
});
