// Rolling a subscription's signing secret (docs/events.md, "Rotating the secret"): the whole system
// (startSaga) delivering over real HTTP to a local subscriber that checks each signature with the
// one secret it knows, as a subscriber's endpoint does before and after its operator deploys the new secret.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by the tests' expectations, not by types */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { verifySignature } from '../../domain/payments/signature.js';
import { databaseKind } from '../support/database.js';
import { sleep, waitFor } from '../support/wait.js';
import { adminAuth, startSaga, type Saga, sendJson } from '../saga/support.js';
import { Subscriber, type Delivery } from './subscriber.js';

const HOUR_MS = 3_600_000;
let saga: Saga;

beforeAll(async () => {
  saga = await startSaga({ EVENT_DELIVERY_POLL_INTERVAL: 'PT0.05S', EVENT_DELIVERY_FIRST_RETRY: 'PT0.1S', EVENT_DELIVERY_MAX_RETRY_INTERVAL: 'PT0.2S' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

/** A request with exactly `headers` (default: a key holding every scope); `{}` is an anonymous one. */
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = adminAuth) => sendJson(saga.url, method, path, body, headers);

const rotate = (id: string, body?: unknown) => call('POST', `/admin/event-subscriptions/${id}/rotate-secret`, body);

/** Whether a subscriber that knows only `secret` accepts `d` (the project's verifier, as a subscriber's library would check). */
const accepts = (d: Pick<Delivery, 'signature' | 'raw'>, secret: string) =>
  verifySignature({ header: d.signature, rawBody: d.raw, secret, toleranceSeconds: 300 }).ok;
const v1Count = (d: Delivery) => (d.signature ?? '').split(',').filter((p) => p.startsWith('v1=')).length;

/** A subscriber listening for order.created, and its subscription; `test` runs with both, then both go. */
async function withSubscription(test: (s: { subscriber: Subscriber; id: string; secret: string }) => Promise<void>): Promise<void> {
  const subscriber = new Subscriber();
  await subscriber.up();
  const created = await call('POST', '/admin/event-subscriptions', { url: subscriber.url, eventTypes: ['order.created'], description: 'rotation test' });
  expect(created.status).toBe(201);
  try {
    await test({ subscriber, id: created.body.id, secret: created.body.secret });
  } finally {
    await call('DELETE', `/admin/event-subscriptions/${created.body.id}`);
    await subscriber.down();
  }
}

/** Places an order and returns the first delivery of its order.created. */
async function nextDelivery(subscriber: Subscriber): Promise<Delivery> {
  const orderId = await saga.placeOrder({ sku: 'SKU-KETTLE', paymentMethod: 'pm_approve', customerId: 'rotation' });
  return waitFor(`the order.created of ${orderId}`, () => subscriber.received.find((d) => d.orderId === orderId));
}

describe(`events out: rolling a subscription's signing secret (${databaseKind})`, () => {
  test('during the overlap every delivery is signed with both secrets: a subscriber that knows only the old one and one that knows only the new one both accept it', async () => {
    await withSubscription(async ({ subscriber, id, secret: old }) => {
      const rotated = await rotate(id, { previousSecretValidFor: 'PT1H' });
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.secret as string;
      expect(fresh).toMatch(/^whsec_/);
      expect(fresh).not.toBe(old);
      expect(Math.abs(Date.parse(rotated.body.previousSecretExpiresAt) - (Date.now() + HOUR_MS))).toBeLessThan(10_000);

      // The operator has not deployed the new secret yet…
      subscriber.answer = (d) => (accepts(d, old) ? 200 : 400);
      const beforeDeploy = await nextDelivery(subscriber);
      // …and now has.
      subscriber.answer = (d) => (accepts(d, fresh) ? 200 : 400);
      const afterDeploy = await nextDelivery(subscriber);

      for (const d of [beforeDeploy, afterDeploy]) {
        expect(d.status).toBe(200);
        expect(d.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
        expect([accepts(d, old), accepts(d, fresh), accepts(d, 'whsec_someone_else')]).toEqual([true, true, false]);
      }
      // Not one delivery refused: nothing waits for a retry because of the rotation.
      expect(subscriber.received.filter((d) => d.status !== 200)).toEqual([]);
    });
  }, 60_000);

  test('after the overlap (previousSecretValidFor PT1S) only the new secret signs, and the old one is deleted from the database', async () => {
    await withSubscription(async ({ subscriber, id, secret: old }) => {
      const rotated = await rotate(id, { previousSecretValidFor: 'PT1S' });
      expect(rotated.status).toBe(200);
      const fresh = rotated.body.secret as string;
      const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
      expect(Math.abs(expiresAt - (Date.now() + 1000))).toBeLessThan(5_000);
      await sleep(Math.max(0, expiresAt - Date.now()) + 100);

      subscriber.answer = (d) => (accepts(d, fresh) ? 200 : 400);
      const d = await nextDelivery(subscriber);
      expect(d.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect([accepts(d, fresh), accepts(d, old)]).toEqual([true, false]);
      expect(d.status).toBe(200);

      const row = () => saga.system.db.prisma.eventSubscription.findUniqueOrThrow({ where: { id } });
      await waitFor('the expired secret to be deleted', async () => (await row()).previousSecret === null, 5_000);
      expect((await row()).previousSecretExpiresAt).toBeNull();
      expect((await call('GET', `/admin/event-subscriptions/${id}`)).body.previousSecretExpiresAt).toBeNull();
    });
  }, 60_000);

  test('rolling again during the overlap keeps one previous secret, the then-current one: the first secret no longer verifies', async () => {
    await withSubscription(async ({ subscriber, id, secret: first }) => {
      const second = (await rotate(id, { previousSecretValidFor: 'PT1H' })).body.secret as string;
      const third = await rotate(id, { previousSecretValidFor: 'PT2H' });
      expect(third.status).toBe(200);
      expect(Math.abs(Date.parse(third.body.previousSecretExpiresAt) - (Date.now() + 2 * HOUR_MS))).toBeLessThan(10_000);

      const d = await nextDelivery(subscriber);
      expect(v1Count(d)).toBe(2);
      expect([accepts(d, third.body.secret), accepts(d, second), accepts(d, first)]).toEqual([true, true, false]);
    });
  }, 60_000);

  test('PT0S stops the old secret at once; without a body the old one signs for PT24H', async () => {
    await withSubscription(async ({ subscriber, id, secret: old }) => {
      const rotated = await rotate(id, { previousSecretValidFor: 'PT0S' });
      expect(rotated.status).toBe(200);
      expect(rotated.body.previousSecretExpiresAt).toBeNull();
      const d = await nextDelivery(subscriber);
      expect(v1Count(d)).toBe(1);
      expect([accepts(d, rotated.body.secret), accepts(d, old)]).toEqual([true, false]);
      expect((await saga.system.db.prisma.eventSubscription.findUniqueOrThrow({ where: { id } })).previousSecret).toBeNull();

      const byDefault = await rotate(id);
      expect(byDefault.status).toBe(200);
      expect(Math.abs(Date.parse(byDefault.body.previousSecretExpiresAt) - (Date.now() + 24 * HOUR_MS))).toBeLessThan(10_000);
    });
  }, 60_000);

  test('the new secret is in the rotate answer only: GET and the list show previousSecretExpiresAt, never a secret', async () => {
    await withSubscription(async ({ id, secret: old }) => {
      const rotated = await rotate(id, { previousSecretValidFor: 'PT10M' });
      expect(rotated.body).toMatchObject({ id, enabled: true, secret: expect.stringMatching(/^whsec_/), previousSecretExpiresAt: expect.any(String) });
      const one = await call('GET', `/admin/event-subscriptions/${id}`);
      expect(one.body.previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
      const list = await call('GET', '/admin/event-subscriptions?limit=100');
      expect(list.body.subscriptions.find((s: any) => s.id === id).previousSecretExpiresAt).toBe(rotated.body.previousSecretExpiresAt);
      for (const body of [JSON.stringify(one.body), JSON.stringify(list.body)]) {
        expect(body).not.toContain(rotated.body.secret);
        expect(body).not.toContain(old);
        expect(body).not.toContain('"secret"');
      }
    });
  });

  test('an unknown subscription is a 404; a bad previousSecretValidFor is a 400 naming it, and changes nothing', async () => {
    expect((await rotate('6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f')).status).toBe(404);
    expect((await rotate('not-a-uuid')).status).toBe(404);
    await withSubscription(async ({ subscriber, id, secret }) => {
      for (const bad of ['P8D', 'PT169H', '-PT1H', 'P1M', 'tomorrow', '', 86400, null]) {
        const res = await rotate(id, { previousSecretValidFor: bad });
        expect([bad, res.status, res.body.errors?.map((e: any) => e.field)]).toEqual([bad, 400, ['previousSecretValidFor']]);
      }
      expect((await rotate(id, { previousSecretValidFor: 'PT1H', colour: 'red' })).body.errors).toEqual([{ field: 'colour', message: 'unknown field' }]);
      expect((await rotate(id, { previousSecretValidFor: 'P7D' })).status).toBe(200);
      expect((await call('POST', `/admin/event-subscriptions/${id}/rotate-secret`, undefined, {})).status).toBe(401);

      // The refused requests did not roll anything: the one accepted rotation kept the creation's secret as the previous one.
      const d = await nextDelivery(subscriber);
      expect(v1Count(d)).toBe(2);
      expect(accepts(d, secret)).toBe(true);
    });
  }, 60_000);

  test('/openapi.json publishes the operation for events:admin callers', async () => {
    const doc = (await call('GET', '/openapi.json', undefined, {})).body;
    const op = doc.paths['/admin/event-subscriptions/{id}/rotate-secret']?.post;
    expect(op?.['x-access']).toEqual({ kind: 'scope', scope: 'events:admin' });
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404']));
  });

  test('the verification snippet of docs/events.md accepts a header with several v1 when any one matches, and refuses one where none does', async () => {
    const markdown = await readFile(new URL('../../docs/events.md', import.meta.url), 'utf8');
    const section = markdown.slice(markdown.indexOf('## Verifying a delivery'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const verify = runInNewContext(`${snippet.replace(/^import .*$/m, '')}\nverify`, { createHmac, timingSafeEqual, Buffer }) as (
      rawBody: string,
      header: string,
      secret: string,
    ) => boolean;
    await withSubscription(async ({ subscriber, id, secret: old }) => {
      const fresh = (await rotate(id, { previousSecretValidFor: 'PT1H' })).body.secret as string;
      const d = await nextDelivery(subscriber);
      expect(v1Count(d)).toBe(2);
      const header = d.signature ?? '';
      expect([verify(d.raw, header, fresh), verify(d.raw, header, old), verify(d.raw, header, 'whsec_someone_else')]).toEqual([true, true, false]);
      expect(verify(`${d.raw} `, header, fresh)).toBe(false);
    });
  }, 60_000);
});
