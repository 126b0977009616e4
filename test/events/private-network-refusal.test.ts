// SSRF, through the whole system with EVENT_SUBSCRIPTION_ALLOW_PRIVATE=false (production's
// default): the admin API refuses subscription URLs pointing into our own network, and the
// dispatcher refuses to deliver to one that got into the database anyway.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by the tests' expectations, not by types */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createSubscription } from '../../domain/events/subscriptions.js';
import { databaseKind } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { adminAuth, startSaga, type Saga } from '../saga/support.js';
import { Subscriber } from './subscriber.js';

let saga: Saga;

beforeAll(async () => {
  saga = await startSaga({ EVENT_SUBSCRIPTION_ALLOW_PRIVATE: 'false', EVENT_DELIVERY_POLL_INTERVAL: 'PT0.05S', EVENT_DELIVERY_FIRST_RETRY: 'PT0.1S' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; body: any }> {
  const res = await fetch(saga.url + path, {
    method,
    headers: { ...adminAuth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

const BASE = '/admin/event-subscriptions';

describe(`subscriptions may not point into our own network (${databaseKind})`, () => {
  test.each([
    ['http://127.0.0.1:6379/', /^points to 127\.0\.0\.1, which is not allowed: loopback/],
    ['http://2130706433/', /^points to 127\.0\.0\.1, which is not allowed: loopback/],
    ['http://169.254.169.254/latest/meta-data/', /^points to 169\.254\.169\.254, which is not allowed: link-local/],
    ['http://[::ffff:10.0.0.5]/hook', /^points to ::ffff:a00:5, which is not allowed: private \(10\.0\.0\.0\/8\)/],
    ['http://localhost:5432/', /^resolves to (127\.0\.0\.1|::1), which is not allowed: loopback/],
  ])('creating one for %s is a 400 problem naming url', async (url, message) => {
    const res = await call('POST', BASE, { url, eventTypes: ['order.paid'] });
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(message) }]);
  });

  test('changing the url (PATCH) to a refused address is a 400 naming url, and the subscription keeps its url', async () => {
    const created = await call('POST', BASE, { url: 'https://93.184.215.14/hook', eventTypes: ['order.paid'] });
    expect(created.status).toBe(201);
    const patched = await call('PATCH', `${BASE}/${created.body.id}`, { url: 'http://[::1]:6390/' });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toEqual([{ field: 'url', message: expect.stringMatching(/^points to ::1, which is not allowed: loopback/) }]);
    expect((await call('GET', `${BASE}/${created.body.id}`)).body.url).toBe('https://93.184.215.14/hook');
    expect((await call('DELETE', `${BASE}/${created.body.id}`)).status).toBe(204);
  });

  test('a subscription to a private address that is in the database anyway is never delivered to: each attempt fails, the log says why', async () => {
    const subscriber = new Subscriber();
    await subscriber.up();
    try {
      // As if created before the setting was turned off: straight into the database.
      const sub = await createSubscription(saga.system.db.prisma, { url: subscriber.url, eventTypes: ['order.created'] });
      const orderId = await saga.placeOrder({ paymentMethod: 'pm_approve', customerId: 'ssrf-1' });
      const delivery = await waitFor('two failed attempts in the delivery log', async () => {
        const log = await call('GET', `${BASE}/${sub.id}/deliveries`);
        const d = log.body.deliveries.find((x: any) => x.orderId === orderId);
        // A delivery that got through ends the wait at once (and fails below).
        return d?.attemptLog.length >= 2 || subscriber.received.length > 0 ? d : undefined;
      });
      expect(delivery.status).toBe('PENDING');
      for (const a of delivery.attemptLog) {
        expect(a.statusCode).toBeNull();
        expect(a.error).toMatch(/failed: address 127\.0\.0\.1 is not allowed: loopback \(127\.0\.0\.0\/8\)$/);
      }
      expect(subscriber.received).toEqual([]);
    } finally {
      await subscriber.down();
    }
  });
});
