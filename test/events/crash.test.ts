// A crash between commit and delivery loses nothing: the service (the README's command,
// as a child process) is SIGKILLed with events committed and not yet delivered; once it is
// started again, the subscriber receives every one of them, in order per order.
import { describe, expect, test } from '@jest/globals';
import { EVENT_TYPES } from '../../domain/events/event-types.js';
import { openDatabase } from '../../infra/database.js';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { databaseKind } from '../support/database.js';
import { listeningUrl, startService } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { FINAL, sagaEnvironment } from '../saga/support.js';
import { orderingViolations, Subscriber } from './subscriber.js';

const admin = { authorization: `Bearer ${DEV_API_KEY}`, 'content-type': 'application/json' };

async function placeOrder(url: string, i: number): Promise<string> {
  const res = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_API_KEY}` },
    body: JSON.stringify({
      customerId: `crash-ev-${i}`,
      items: [{ sku: 'SKU-MUG-SET', quantity: 1 }],
      paymentMethod: i % 3 === 2 ? 'pm_decline' : 'pm_approve',
    }),
  });
  if (res.status !== 202) throw new Error(`POST /orders ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

describe(`events out across a crash (${databaseKind})`, () => {
  test('SIGKILL after the events were committed and before they were delivered; after a restart all are delivered, in order', async () => {
    const { env, cleanup } = await sagaEnvironment({
      EVENT_DELIVERY_POLL_INTERVAL: 'PT0.05S',
      EVENT_DELIVERY_FIRST_RETRY: 'PT0.1S',
      EVENT_DELIVERY_MAX_RETRY_INTERVAL: 'PT0.2S',
    });
    const subscriber = new Subscriber();
    try {
      // The subscriber's port, not listening yet: every delivery before the crash is refused.
      await subscriber.up();
      const hook = subscriber.url;
      await subscriber.down();

      const first = startService({ ...env, LOG_LEVEL: 'info' });
      const url1 = await listeningUrl(first);
      const sub = await fetch(`${url1}/admin/event-subscriptions`, {
        method: 'POST',
        headers: admin,
        body: JSON.stringify({ url: hook, eventTypes: EVENT_TYPES }),
      });
      expect(sub.status).toBe(201);
      const { secret } = (await sub.json()) as { secret: string };
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await placeOrder(url1, i));
      for (const id of ids) {
        await waitFor(`order ${id} to finish`, async () => {
          const o = (await (await fetch(`${url1}/orders/${id}`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).json()) as { status: string };
          return (FINAL as readonly string[]).includes(o.status);
        });
      }
      first.child.kill('SIGKILL');
      await first.exited;

      // Committed, none delivered.
      const db = await openDatabase(loadConfig(env).database);
      let expected: Map<string, string[]>;
      try {
        const events = await db.prisma.event.findMany({ where: { orderId: { in: ids } }, orderBy: { seq: 'asc' } });
        expected = new Map(ids.map((id) => [id, events.filter((e) => e.orderId === id).map((e) => e.id)]));
        expect(events.length).toBeGreaterThanOrEqual(ids.length * 3);
        expect(await db.prisma.eventDelivery.count({ where: { status: 'DELIVERED' } })).toBe(0);
      } finally {
        await db.close();
      }

      await subscriber.up();
      const second = startService({ ...env, LOG_LEVEL: 'info' });
      await listeningUrl(second);
      const want = [...expected.values()].flat();
      await waitFor(`${want.length} events delivered after the restart`, () => want.every((id) => subscriber.accepted().some((d) => d.id === id)), 30_000);
      expect(orderingViolations(subscriber.received, expected)).toEqual([]);
      expect(subscriber.signaturesValid(secret)).toBe(true);
      expect(
        subscriber
          .accepted()
          .map((d) => d.id)
          .sort(),
      ).toEqual([...want].sort());
      second.child.kill('SIGTERM');
      await second.exited;
    } finally {
      await subscriber.down();
      await cleanup();
    }
  }, 120_000);
});
