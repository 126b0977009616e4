// Events out, end to end: the whole system (startSaga) delivering its outbox to local
// HTTP subscribers over real HTTP, with test-short retry and disabling durations.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by the tests' expectations, not by types */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { EVENT_TYPES } from '../../domain/events/event-types.js';
import { EVENT_SCHEMAS } from '../../api/event-schemas.js';
import { databaseKind } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { adminAuth, startSaga, type Saga, sendJson } from '../saga/support.js';
import { orderingViolations, Subscriber } from './subscriber.js';

const DISABLE_AFTER_MS = 4000;
const FAST_RETRIES = {
  EVENT_DELIVERY_POLL_INTERVAL: 'PT0.05S',
  EVENT_DELIVERY_FIRST_RETRY: 'PT0.1S',
  EVENT_DELIVERY_MAX_RETRY_INTERVAL: 'PT0.4S',
  EVENT_DELIVERY_TIMEOUT: 'PT10S',
};
let saga: Saga;

beforeAll(async () => {
  // A subscriber down for a while must not be disabled meanwhile, however slow the machine:
  // the short disable window has a system of its own (below).
  saga = await startSaga({ ...FAST_RETRIES, EVENT_SUBSCRIPTION_DISABLE_AFTER: 'PT5M' });
}, 60_000);
afterAll(async () => {
  await saga?.stop();
});

/** A request with exactly `headers` (default: a key holding every scope); `{}` is an anonymous one. */
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = adminAuth) => sendJson(saga.url, method, path, body, headers);

async function subscribe(url: string, eventTypes: readonly string[] = EVENT_TYPES): Promise<{ id: string; secret: string }> {
  const res = await call('POST', '/admin/event-subscriptions', { url, eventTypes, description: 'test subscriber' });
  expect(res.status).toBe(201);
  return res.body;
}

/** Each order's events as the database holds them, oldest first: what a subscriber must see, in this order. */
async function expectedEvents(orderIds: string[]): Promise<Map<string, string[]>> {
  const rows = await saga.system.db.prisma.event.findMany({ where: { orderId: { in: orderIds } }, orderBy: { seq: 'asc' } });
  const out = new Map<string, string[]>(orderIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.orderId)?.push(r.id);
  return out;
}

async function placeMixed(n: { approve: number; decline: number; reject: number; cancel: number }): Promise<string[]> {
  const ids: string[] = [];
  const placing: Promise<string>[] = [];
  for (let i = 0; i < n.approve; i++) placing.push(saga.placeOrder({ sku: 'SKU-MUG-SET', paymentMethod: 'pm_approve', customerId: `ev-a${i}` }));
  for (let i = 0; i < n.decline; i++) placing.push(saga.placeOrder({ sku: 'SKU-SCALE', paymentMethod: 'pm_decline', customerId: `ev-d${i}` }));
  // SKU-LAMP: 3 units in all, 5 asked: out of stock.
  for (let i = 0; i < n.reject; i++) placing.push(saga.placeOrder({ sku: 'SKU-LAMP', quantity: 5, paymentMethod: 'pm_approve', customerId: `ev-r${i}` }));
  ids.push(...(await Promise.all(placing)));
  for (let i = 0; i < n.cancel; i++) {
    const id = await saga.placeOrder({ sku: 'SKU-BOARD', paymentMethod: 'pm_no_answer', customerId: `ev-c${i}` });
    await saga.waitForOrder(id, (o) => o.status === 'AWAITING_PAYMENT', 'to await payment');
    expect((await saga.post(`/orders/${id}/cancel`)).status).toBe(202);
    ids.push(id);
  }
  await Promise.all(ids.map((id) => saga.waitForFinal(id)));
  return ids;
}

/** Waits until `subscriber` accepted every expected event, then checks order, signatures, schemas and duplicates. */
async function expectAllDelivered(subscriber: Subscriber, secret: string, expected: Map<string, string[]>): Promise<void> {
  const want = [...expected.values()].flat();
  await waitFor(`${want.length} events accepted`, () => want.every((id) => subscriber.accepted().some((d) => d.id === id)), 30_000);
  expect(orderingViolations(subscriber.received, expected)).toEqual([]);
  expect(subscriber.signaturesValid(secret)).toBe(true);
  const mine = subscriber.accepted().filter((d) => expected.has(d.orderId));
  // Once per attempt: an event is accepted exactly once; a redelivery carries the same id.
  expect(mine.map((d) => d.id).sort()).toEqual([...want].sort());
  for (const d of mine) expect(EVENT_SCHEMAS[d.type as keyof typeof EVENT_SCHEMAS].safeParse(JSON.parse(d.raw)).error).toBeUndefined();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

describe(`events out: webhook subscriptions (${databaseKind})`, () => {
  test('the admin API: token required, fields validated and named, the secret shown once, change and delete', async () => {
    const body = { url: 'http://127.0.0.1:1/hook', eventTypes: ['order.paid'] };
    expect((await call('POST', '/admin/event-subscriptions', body, {})).status).toBe(401);
    expect((await call('GET', '/admin/event-subscriptions', undefined, {})).status).toBe(401);
    expect((await call('GET', '/events', undefined, { authorization: 'Bearer wrong-token-123' })).status).toBe(401);

    const fields = async (b: unknown) => {
      const res = await call('POST', '/admin/event-subscriptions', b);
      expect(res.status).toBe(400);
      return res.body.errors.map((e: { field: string }) => e.field);
    };
    expect(await fields({ ...body, url: 'ftp://example.com/hook' })).toEqual(['url']);
    expect(await fields({ ...body, url: 'https://user:secret@example.com/hook' })).toEqual(['url']);
    expect(await fields({ ...body, url: 'not a url' })).toEqual(['url']);
    expect(await fields({ ...body, eventTypes: ['order.paid', 'order.returned'] })).toEqual(['eventTypes[1]']);
    expect(await fields({ ...body, eventTypes: [] })).toEqual(['eventTypes']);
    expect(await fields({ ...body, colour: 'red' })).toEqual(['colour']);
    expect(await fields({ ...body, description: 'a\u0000b' })).toEqual(['description']);

    const created = await call('POST', '/admin/event-subscriptions', { ...body, description: 'admin api test' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ url: body.url, eventTypes: ['order.paid'], enabled: true, secret: expect.stringMatching(/^whsec_/) });
    const id = created.body.id as string;
    const one = await call('GET', `/admin/event-subscriptions/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.secret).toBeUndefined();
    expect(one.body.deliveries).toEqual({ pending: 0, delivered: 0, failed: 0, lastDeliveredAt: null });
    const list = await call('GET', '/admin/event-subscriptions?limit=100');
    expect(list.body.subscriptions.find((s: { id: string }) => s.id === id)).toBeDefined();
    expect(JSON.stringify(list.body)).not.toContain(created.body.secret);
    expect((await call('GET', '/admin/event-subscriptions?page=2')).body.errors).toEqual([{ field: 'page', message: 'unknown query parameter' }]);

    const patched = await call('PATCH', `/admin/event-subscriptions/${id}`, { enabled: false, eventTypes: ['order.paid', 'order.cancelled'] });
    expect(patched.body).toMatchObject({ enabled: false, eventTypes: ['order.paid', 'order.cancelled'], disabledReason: 'disabled by an administrator' });
    expect((await call('PATCH', `/admin/event-subscriptions/${id}`, { url: 'https://a:b@x.example/' })).body.errors[0].field).toBe('url');
    expect((await call('PATCH', `/admin/event-subscriptions/${id}`, {})).status).toBe(400);
    expect((await call('DELETE', `/admin/event-subscriptions/${id}`)).status).toBe(204);
    expect((await call('GET', `/admin/event-subscriptions/${id}`)).status).toBe(404);
    expect((await call('GET', '/admin/event-subscriptions/not-a-uuid/deliveries')).status).toBe(404);
  });

  test('a mixed run: every event arrives, signed, in order per order, once per attempt; a redelivery keeps its id', async () => {
    const subscriber = new Subscriber();
    await subscriber.up();
    // The first attempt of every order.created fails: without the ordering rule the order's later events would overtake it.
    const failedOnce = new Set<string>();
    subscriber.answer = (d) => (d.type === 'order.created' && !failedOnce.has(d.id) ? (failedOnce.add(d.id), 503) : 200);
    const { id: subId, secret } = await subscribe(subscriber.url);
    try {
      const ids = await placeMixed({ approve: 6, decline: 4, reject: 3, cancel: 2 });
      const expected = await expectedEvents(ids);
      const finals = await Promise.all(ids.map((id) => saga.order(id)));
      // Paid orders went on to FULFILLING (their shipments wait for the businesses): order.fulfilling follows order.paid.
      expect(new Set(finals.map((o) => o.status))).toEqual(new Set(['FULFILLING', 'PAYMENT_FAILED', 'REJECTED', 'CANCELLED']));
      // Every change has its event: the history and the events agree, order by order.
      for (const o of finals) expect(expected.get(o.id)).toHaveLength(o.history.length);
      await expectAllDelivered(subscriber, secret, expected);
      // The redelivered order.created carried the id of the failed attempt.
      for (const id of failedOnce) expect(subscriber.received.filter((d) => d.id === id).map((d) => d.status)).toEqual([503, 200]);

      // The subscriber has every event; the dispatcher records the last answer a moment after the subscriber sent it.
      const total = [...expected.values()].flat().length;
      const stats = await waitFor('the last attempt to be recorded', async () => {
        const answer = await call('GET', `/admin/event-subscriptions/${subId}`);
        return answer.body.deliveries.pending === 0 && answer;
      });
      expect(stats.body.deliveries).toMatchObject({ pending: 0, failed: 0, delivered: total });
      const log = await call('GET', `/admin/event-subscriptions/${subId}/deliveries?limit=100`);
      const created = log.body.deliveries.find((d: any) => d.eventType === 'order.created');
      expect(created).toMatchObject({ status: 'DELIVERED', attempts: 2, lastStatusCode: 200, nextAttemptAt: null });
      expect(created.attemptLog.map((a: any) => a.statusCode)).toEqual([503, 200]);
      expect(created.attemptLog[0].error).toBe('answered HTTP 503');

      // Figures for the report: delivery latency from commit to arrival, first attempts only.
      const committed = new Map((await saga.system.db.prisma.event.findMany({ where: { orderId: { in: ids } } })).map((e) => [e.id, e.createdAt.getTime()]));
      const latencies = subscriber.received.filter((d) => d.type !== 'order.created').map((d) => d.receivedAt - (committed.get(d.id) as number));
      // From when it was free to go: committed, and the order's previous event accepted.
      const acceptedAt = new Map(subscriber.accepted().map((d) => [d.id, d.receivedAt]));
      const ready = subscriber.accepted().map((d) => {
        const previous = expected.get(d.orderId)![expected.get(d.orderId)!.indexOf(d.id) - 1];
        return d.receivedAt - Math.max(committed.get(d.id) as number, previous ? (acceptedAt.get(previous) as number) : 0);
      });
      process.stderr.write(
        `events mixed run (${databaseKind}): ${ids.length} orders, ${total} events, ${subscriber.received.length} deliveries (${failedOnce.size} retried); ` +
          `latency commit→arrival p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms; ` +
          `from ready (committed and the order's previous event accepted) p50 ${percentile(ready, 50)} ms, p95 ${percentile(ready, 95)} ms\n`,
      );

      // Manual replay: the same event again, same id.
      const replay = await call('POST', `/admin/event-subscriptions/${subId}/deliveries/${created.id}/replay`);
      expect(replay.status).toBe(202);
      await waitFor('the replayed delivery', () => subscriber.received.filter((d) => d.id === created.eventId).length === 3);
      expect((await call('POST', `/admin/event-subscriptions/${subId}/deliveries/${subId}/replay`)).status).toBe(404);
    } finally {
      await call('DELETE', `/admin/event-subscriptions/${subId}`);
      await subscriber.down();
    }
  }, 90_000);

  test('a subscriber down for a while (connections refused, then 503) receives the backlog once back, in order per order', async () => {
    const subscriber = new Subscriber();
    await subscriber.up();
    const { id: subId, secret } = await subscribe(subscriber.url);
    try {
      await subscriber.down();
      const ids = await placeMixed({ approve: 3, decline: 2, reject: 1, cancel: 0 });
      await waitFor('a delivery refused', async () => {
        const log = await call('GET', `/admin/event-subscriptions/${subId}/deliveries?limit=100`);
        return log.body.deliveries.some((d: any) => d.status === 'PENDING' && /ECONNREFUSED/.test(d.lastError ?? ''));
      });
      // Back, but answering 503 for a moment.
      subscriber.answer = () => 503;
      await subscriber.up();
      await waitFor('a 503 answered', () => subscriber.received.length > 0);
      subscriber.answer = () => 200;
      await expectAllDelivered(subscriber, secret, await expectedEvents(ids));
      expect((await call('GET', `/admin/event-subscriptions/${subId}`)).body).toMatchObject({ enabled: true, failingSince: null });
    } finally {
      await call('DELETE', `/admin/event-subscriptions/${subId}`);
      await subscriber.down();
    }
  }, 90_000);

  test('a subscription that keeps failing is disabled after EVENT_SUBSCRIPTION_DISABLE_AFTER, with an error log line and a metric', async () => {
    const lines: string[] = [];
    const short = await startSaga(
      { ...FAST_RETRIES, EVENT_SUBSCRIPTION_DISABLE_AFTER: `PT${DISABLE_AFTER_MS / 1000}S` },
      { onLine: (line) => lines.push(line) },
    );
    const call = (method: string, path: string, body?: unknown) => sendJson(short.url, method, path, body, adminAuth);
    const subscriber = new Subscriber();
    subscriber.answer = () => 500;
    await subscriber.up();
    const created = await call('POST', '/admin/event-subscriptions', { url: subscriber.url, eventTypes: ['order.created'], description: 'test subscriber' });
    expect(created.status).toBe(201);
    const subId = created.body.id as string;
    try {
      const started = Date.now();
      await short.placeOrder({ sku: 'SKU-MUG-SET', paymentMethod: 'pm_approve', customerId: 'ev-disable' });
      const disabled = await waitFor(
        'the subscription to be disabled',
        async () => {
          const s = await call('GET', `/admin/event-subscriptions/${subId}`);
          return s.body.enabled === false ? s.body : undefined;
        },
        DISABLE_AFTER_MS + 15_000,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(DISABLE_AFTER_MS);
      expect(disabled.disabledReason).toMatch(/^failing since .*; last error: answered HTTP 500$/);
      const line = lines.map((l) => JSON.parse(l)).find((l) => l.subscriptionId === subId && l.level === 50);
      expect(line).toMatchObject({ msg: expect.stringContaining('event subscription disabled'), url: expect.stringMatching(/\/hook$/) });
      const metrics = await (await fetch(`${short.url}/metrics`)).text();
      expect(metrics).toMatch(/^order_saga_event_subscriptions_disabled_total [1-9]/m);
      expect(metrics).toMatch(/^order_saga_event_subscriptions\{state="disabled"\} [1-9]/m);
      // Disabled: no more attempts.
      const attempts = subscriber.received.length;
      await new Promise((r) => setTimeout(r, 600));
      expect(subscriber.received.length).toBe(attempts);
      // Enabled again: the undelivered event goes out at once.
      subscriber.answer = () => 200;
      expect((await call('PATCH', `/admin/event-subscriptions/${subId}`, { enabled: true })).body).toMatchObject({ enabled: true, disabledReason: null });
      await waitFor('the delivery after re-enabling', () => subscriber.accepted().length === 1);
    } finally {
      await call('DELETE', `/admin/event-subscriptions/${subId}`);
      await subscriber.down();
      await short.stop();
    }
  }, 90_000);

  test('GET /events pages the same stream, oldest first; bad cursors and parameters are 400s naming them', async () => {
    const all = await saga.system.db.prisma.event.findMany();
    const seen: any[] = [];
    let after: string | null = null;
    // Every event committed before the first read is in the stream at once: a reader at its end numbers what is waiting.
    for (;;) {
      const page = await call('GET', `/events?limit=7${after ? `&after=${after}` : ''}`);
      expect(page.status).toBe(200);
      if (page.body.events.length === 0) {
        expect(page.body.nextCursor).toBe(after);
        break;
      }
      seen.push(...page.body.events);
      after = page.body.nextCursor;
    }
    expect(seen.map((e) => e.id).sort()).toEqual(all.map((e) => e.id).sort());
    // Per order, the stream keeps the order's sequence.
    const bySeq = new Map(all.map((e) => [e.id, e.seq]));
    const lastSeq = new Map<string, bigint>();
    for (const e of seen) {
      expect(bySeq.get(e.id)! > (lastSeq.get(e.data.orderId) ?? -1n)).toBe(true);
      lastSeq.set(e.data.orderId, bySeq.get(e.id)!);
    }
    expect((await call('GET', '/events?after=bogus')).body.errors).toEqual([{ field: 'after', message: 'is not a cursor this API handed out' }]);
    expect((await call('GET', '/events?limit=0')).body.errors[0].field).toBe('limit');
    expect((await call('GET', '/events?cursor=x')).body.errors).toEqual([{ field: 'cursor', message: 'unknown query parameter' }]);
  });

  test('the AsyncAPI document at /asyncapi.json describes every event; the OpenAPI document lists the new routes', async () => {
    const doc = (await call('GET', '/asyncapi.json', undefined, {})).body;
    expect(doc.asyncapi).toBe('3.0.0');
    const resolve = (ref: string) =>
      ref
        .slice(2)
        .split('/')
        .reduce((node: any, key) => node?.[key], doc);
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.filter((r) => resolve(r) === undefined)).toEqual([]);
    expect(Object.values(doc.components.messages).map((m: any) => m.name)).toEqual([...EVENT_TYPES]);
    for (const op of Object.values(doc.operations) as any[]) expect(resolve(op.channel.$ref)).toBeDefined();
    const openapi = (await call('GET', '/openapi.json', undefined, {})).body;
    for (const path of ['/admin/event-subscriptions', '/admin/event-subscriptions/{id}', '/admin/event-subscriptions/{id}/deliveries', '/events']) {
      expect(openapi.paths[path]).toBeDefined();
    }
  });
});
