// A crash in the middle of a webhook delivery (infra/kill-points.ts, DELIVERY_KILL_POINTS): the
// service (the README's command, as a child process) SIGKILLs itself after it claimed a delivery
// and before the POST, or after the POST was answered 2xx and before the attempt was recorded.
// Started again on the same data, it delivers the event (again, with the same id, in the second
// case: at least once), and the delivery log says DELIVERED with the crashed attempt counted.
import { describe, expect, test } from '@jest/globals';
import { createSubscription } from '../../domain/events/subscriptions.js';
import { newEventId } from '../../domain/events/record-event.js';
import { loadConfig } from '../../infra/config.js';
import { openDatabase } from '../../infra/database.js';
import { DELIVERY_KILL_POINTS } from '../../infra/kill-points.js';
import { applyMigrations } from '../../infra/migrations.js';
import { databaseKind } from '../support/database.js';
import { listeningUrl, startService } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { sagaEnvironment } from '../saga/support.js';
import { Subscriber } from './subscriber.js';

describe(`a SIGKILL inside a webhook delivery (${databaseKind})`, () => {
  test.each(DELIVERY_KILL_POINTS.map((point) => [point]))(
    'killed at %s, restarted: the event is delivered, nothing lost, and the delivery log is consistent',
    async (point) => {
      const { env, cleanup } = await sagaEnvironment({
        EVENT_DELIVERY_POLL_INTERVAL: 'PT0.05S',
        // The claim's lease (twice the timeout and a second) is what brings a crashed attempt back.
        EVENT_DELIVERY_TIMEOUT: 'PT1S',
        EVENT_DELIVERY_FIRST_RETRY: 'PT0.1S',
        EVENT_DELIVERY_MAX_RETRY_INTERVAL: 'PT0.2S',
      });
      const subscriber = new Subscriber();
      try {
        await subscriber.up();
        // One event in the outbox and a subscription to it, written before the service starts.
        const eventId = newEventId();
        const orderId = '00000000-0000-4000-8000-000000000001';
        const db = await openDatabase(loadConfig(env).database);
        try {
          await applyMigrations(db.sql);
          await createSubscription(db.prisma, { url: subscriber.url, eventTypes: ['order.paid'] });
          await db.prisma.event.create({ data: { id: eventId, type: 'order.paid', orderId, payload: { orderId } } });
        } finally {
          await db.close();
        }

        const first = startService({ ...env, LOG_LEVEL: 'info', FAULT_KILL_AT: point });
        await listeningUrl(first);
        expect(await first.exited).toBeNull(); // killed by a signal, not exited
        expect(first.output()).toContain(`FAULT_KILL_AT: dying at ${point}`);
        expect(subscriber.received.map((d) => d.id)).toEqual(point === 'event-delivery:after-post' ? [eventId] : []);

        const second = startService({ ...env, LOG_LEVEL: 'info' });
        await listeningUrl(second);
        const want = point === 'event-delivery:after-post' ? 2 : 1;
        await waitFor(`the event delivered ${want} time(s) in all`, () => subscriber.accepted().length >= want, 20_000);
        second.child.kill('SIGTERM');
        await second.exited;

        expect(subscriber.accepted().map((d) => d.id)).toEqual(Array(want).fill(eventId));
        const after = await openDatabase(loadConfig(env).database);
        try {
          const deliveries = await after.prisma.eventDelivery.findMany({ include: { attemptLog: true, event: true } });
          expect(deliveries).toHaveLength(1);
          const [d] = deliveries;
          // The crashed attempt is counted, without an attempt row: it never got to record one.
          expect(d).toMatchObject({ status: 'DELIVERED', attempts: 2, lastStatusCode: 200, lastError: null });
          expect(d?.event.id).toBe(eventId);
          expect(d?.attemptLog.map((a) => ({ attempt: a.attempt, statusCode: a.statusCode }))).toEqual([{ attempt: 2, statusCode: 200 }]);
        } finally {
          await after.close();
        }
      } finally {
        await subscriber.down();
        await cleanup();
      }
    },
    // Two service start-ups (migrations, the models' deployment, the seed) and a lease to expire, on a loaded 2-core machine.
    90_000,
  );
});
