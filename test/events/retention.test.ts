// Pruning (domain/events/retention.ts): events older than EVENT_RETENTION whose deliveries are
// all finished go, with their delivery log; anything a subscriber may still need stays.
// Events are made old by moving created_at back in SQL, not by waiting.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { EventDispatcher } from '../../app/event-dispatcher.js';
import { fanOut } from '../../domain/events/delivery.js';
import { pruneEvents } from '../../domain/events/retention.js';
import { sequenceEvents } from '../../domain/events/sequencer.js';
import { encodeStreamCursor, eventPage } from '../../domain/events/stream.js';
import { createSubscription } from '../../domain/events/subscriptions.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { transitionOrder } from '../../domain/orders/transition.js';
import { createLogger } from '../../infra/logger.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'RT', { 'WH-1': 1000 }, 700);
});
afterAll(async () => {
  await db.close();
});

// Events are aged by an hour to fall out of it; a fresh one stays in even on a slow machine.
const RETENTION_MS = 600_000;
const newOrder = async () => (await createOrder(db.prisma, { customerId: 'c-retention', paymentMethod: 'pm', items: [{ sku: 'RT', quantity: 1 }] })).id;
const ageEvents = (orderIds: string[]) =>
  db.prisma.$executeRaw`UPDATE events SET created_at = now() - interval '1 hour' WHERE order_id = ANY (${orderIds}::uuid[])`;
const setStatus = (orderId: string, status: 'DELIVERED' | 'FAILED') =>
  db.prisma.$executeRaw`UPDATE event_deliveries SET status = ${status}::event_delivery_status WHERE order_id = ${orderId}::uuid`;
const eventsOf = (orderId: string) => db.prisma.event.count({ where: { orderId } });

function dispatcher(): EventDispatcher {
  return new EventDispatcher({
    prisma: db.prisma,
    logger: createLogger('silent'),
    metrics: { eventDeliveryAttempted: () => undefined, eventSubscriptionDisabled: () => undefined },
    post: () => Promise.reject(new Error('no subscriber in this test')),
    settings: {
      deliveryTimeoutMs: 1000,
      firstRetryMs: 60_000,
      maxRetryIntervalMs: 60_000,
      retryForMs: 86_400_000,
      pollIntervalMs: 60_000,
      disableAfterMs: 86_400_000,
      retentionMs: RETENTION_MS,
      pruneIntervalMs: 3_600_000,
    },
  });
}

describe(`pruning events older than EVENT_RETENTION (${databaseKind})`, () => {
  test('finished events (delivered or given up) are deleted with their deliveries and attempts; pending, recent and not yet fanned-out ones stay', async () => {
    const sub = await createSubscription(db.prisma, { url: 'http://127.0.0.1:9/hook', eventTypes: ['order.created', 'order.awaiting_payment'] });
    const [delivered, failed, pending, recent] = [await newOrder(), await newOrder(), await newOrder(), await newOrder()];
    await sequenceEvents(db.prisma);
    await fanOut(db.prisma, 86_400_000);
    await setStatus(delivered, 'DELIVERED');
    await setStatus(failed, 'FAILED');
    const [deliveredRow] = await db.prisma.eventDelivery.findMany({ where: { orderId: delivered } });
    await db.prisma.eventDeliveryAttempt.create({ data: { deliveryId: deliveredRow!.id, attempt: 1, statusCode: 200, latencyMs: 5 } });
    // Sequenced but not fanned out yet: the subscription has still to see it.
    await transitionOrder(db.prisma, failed, 'AWAITING_PAYMENT', 'payment requested');
    await sequenceEvents(db.prisma);
    await ageEvents([delivered, failed, pending]);

    expect(await pruneEvents(db.prisma, RETENTION_MS)).toBe(2);
    expect(await eventsOf(delivered)).toBe(0);
    expect(await db.prisma.eventDelivery.count({ where: { orderId: delivered } })).toBe(0);
    expect(await db.prisma.eventDeliveryAttempt.count({ where: { deliveryId: deliveredRow!.id } })).toBe(0);
    expect(await eventsOf(failed)).toBe(1); // the given-up one went; the one not fanned out stays
    expect(await eventsOf(pending)).toBe(1);
    expect(await eventsOf(recent)).toBe(1);

    // Fanned out and given up, it goes too; the pending one still stays.
    await fanOut(db.prisma, 86_400_000);
    await setStatus(failed, 'FAILED');
    expect(await pruneEvents(db.prisma, RETENTION_MS)).toBe(1);
    expect(await eventsOf(failed)).toBe(0);
    expect(await eventsOf(pending)).toBe(1);
    // Deleting the subscription deletes its pending delivery: nothing keeps the event then.
    await db.prisma.eventSubscription.delete({ where: { id: sub.id } });
    expect(await pruneEvents(db.prisma, RETENTION_MS)).toBe(1);
    expect(await eventsOf(pending)).toBe(0);
    expect(await eventsOf(recent)).toBe(1);
  });

  test('the dispatcher prunes in batches at its first round, then not again before EVENT_PRUNE_INTERVAL; the stream goes on after the pruned events', async () => {
    const ids = [];
    for (let i = 0; i < 7; i++) ids.push(await newOrder());
    await sequenceEvents(db.prisma);
    const third = await db.prisma.event.findFirstOrThrow({ where: { orderId: ids[2]! } });
    await ageEvents(ids.slice(0, 6));
    // In batches of 2: three full ones, then an empty one.
    const batches = [];
    for (let n = 2; n === 2; batches.push(n)) n = await pruneEvents(db.prisma, RETENTION_MS, 2);
    expect(batches).toEqual([2, 2, 2, 0]);
    for (const id of ids.slice(0, 6)) expect(await eventsOf(id)).toBe(0);
    expect(await eventsOf(ids[6]!)).toBe(1);
    // A poller whose cursor names a pruned event goes on after it.
    const next = await eventPage(db.prisma, { after: encodeStreamCursor(third.position!) });
    expect(next.events.map((e) => (e.data as { orderId: string }).orderId)).toEqual([ids[6]]);

    const d = dispatcher();
    const later = await newOrder();
    await sequenceEvents(db.prisma);
    await ageEvents([ids[6]!]);
    await d.round();
    expect(await eventsOf(ids[6]!)).toBe(0);
    await ageEvents([later]);
    await d.round();
    expect(await eventsOf(later)).toBe(1); // the next pruning is an EVENT_PRUNE_INTERVAL away
    await d.close();
  });
});
