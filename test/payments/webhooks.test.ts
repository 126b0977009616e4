// The payment webhook over real HTTP, with the real inbox (PGlite or PostgreSQL)
// and the real relay queue on Redis (its worker not started: what was enqueued stays visible).
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import { notFoundHandler, problemErrorHandler } from '../../api/problem.js';
import { sandboxWebhookProvider } from '../../app/webhook-providers.js';
import { webhookRoutes } from '../../api/routes/webhooks.js';
import { markEventProcessed } from '../../domain/payments/payment-events.js';
import { signPayload, type SignatureFailure } from '../../domain/payments/signature.js';
import { PaymentEventRelay } from '../../queues/payment-events.js';
import type { SandboxEvent } from '../../integrations/payments/sandbox/webhook-event.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { testQueueContext, type TestQueueContext } from '../support/redis.js';

const SECRET = 'whsec_webhook_test_secret_value';
const HEADER = 'Sandbox-Signature';

let db: TestDatabase;
let redis: TestQueueContext;
let relay: PaymentEventRelay;
let server: Server;
let baseUrl: string;
const enqueued: string[] = [];
const refused: [string, SignatureFailure][] = [];
const logLines: { level: number; msg: string; reason?: string; err?: unknown }[] = [];
/** Where the route's enqueue goes; a test may swap in a relay that is down. */
let relayTarget: { enqueue(id: string): Promise<void> };

beforeAll(async () => {
  db = await openTestDatabase();
  redis = await testQueueContext();
  relay = new PaymentEventRelay(
    redis.context,
    db.prisma,
    { reportPayment: () => Promise.reject(new Error('the relay worker does not run in this test')) },
    { voidPayment: () => Promise.reject(new Error('the relay worker does not run in this test')) },
  );
  relayTarget = relay;
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const app = express();
  app.use(
    webhookRoutes({
      providers: [sandboxWebhookProvider(SECRET, 300)],
      prisma: db.prisma,
      relay: {
        async enqueue(id) {
          enqueued.push(id);
          await relayTarget.enqueue(id);
        },
      },
      logger,
      bodyLimit: '10kb',
      onRefused: (provider, reason) => refused.push([provider, reason]),
    }),
  );
  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await relay.close();
  await redis.close();
  await db.close();
});

beforeEach(() => {
  enqueued.length = 0;
  refused.length = 0;
  logLines.length = 0;
});

const now = () => Math.floor(Date.now() / 1000);

function sandboxEvent(overrides: Partial<SandboxEvent['data']> = {}, type: SandboxEvent['type'] = 'payment.succeeded'): SandboxEvent {
  return {
    id: `evt_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    type,
    created: now(),
    data: {
      paymentId: randomUUID(),
      providerPaymentId: `sbx_${randomUUID().slice(0, 8)}`,
      orderId: randomUUID(),
      amountMinor: 2500,
      currency: 'EUR',
      ...overrides,
    },
  };
}

async function deliver(body: string, o: { signature?: string | null; provider?: string; contentType?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': o.contentType ?? 'application/json' };
  const signature = o.signature === undefined ? signPayload(SECRET, body, now()) : o.signature;
  if (signature !== null) headers[HEADER] = signature;
  const res = await fetch(`${baseUrl}/webhooks/payments/${o.provider ?? 'sandbox'}`, { method: 'POST', headers, body });
  return { status: res.status, contentType: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

const rowsFor = (providerEventId: string) => db.prisma.paymentEvent.findMany({ where: { providerEventId } });
const rowCount = () => db.prisma.paymentEvent.count();

describe('POST /webhooks/payments/:provider', () => {
  test('a valid signed event: 200, recorded once, enqueued once', async () => {
    const event = sandboxEvent();
    const res = await deliver(JSON.stringify(event));
    expect(res).toMatchObject({ status: 200, body: { received: true, duplicate: false } });

    const rows = await rowsFor(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      provider: 'sandbox',
      providerEventId: event.id,
      orderId: event.data.orderId,
      type: 'payment.succeeded',
      processedAt: null,
    });
    expect(rows[0]?.payload).toEqual({
      event: {
        providerEventId: event.id,
        type: 'payment.succeeded',
        orderId: event.data.orderId,
        paymentId: event.data.paymentId,
        providerPaymentId: event.data.providerPaymentId,
      },
      body: event,
    });
    expect(enqueued).toEqual([rows[0]?.id]);
    expect(await relay.queue.getJobState(rows[0]?.id as string)).toBe('waiting');
    expect(logLines.find((l) => l.msg === 'payment webhook recorded')).toMatchObject({ orderId: event.data.orderId, providerEventId: event.id });
  });

  test('the same event 5 times in a row and 5 times at once: one row, one job; a replay after processing changes nothing', async () => {
    const event = sandboxEvent({ reason: 'card_declined' }, 'payment.failed');
    const body = JSON.stringify(event);
    const before = await relay.depth();

    const sequential = [];
    for (let i = 0; i < 5; i++) sequential.push(await deliver(body));
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => deliver(body)));
    expect([...sequential, ...concurrent].map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(sequential.map((r) => r.body.duplicate)).toEqual([false, true, true, true, true]);
    expect(concurrent.every((r) => r.body.duplicate === true)).toBe(true);

    const rows = await rowsFor(event.id);
    expect(rows).toHaveLength(1);
    const id = rows[0]?.id as string;
    // Still unprocessed, so every delivery re-enqueues (it may follow a failed enqueue); the queue holds one job.
    expect(new Set(enqueued)).toEqual(new Set([id]));
    expect(await relay.depth()).toBe(before + 1);

    await markEventProcessed(db.prisma, id);
    enqueued.length = 0;
    const replay = await deliver(body);
    expect(replay).toMatchObject({ status: 200, body: { received: true, duplicate: true } });
    expect(enqueued).toEqual([]);
    expect(await rowsFor(event.id)).toHaveLength(1);
  });

  test('many different events at once are all recorded', async () => {
    const events = Array.from({ length: 8 }, () => sandboxEvent());
    const results = await Promise.all(events.map((e) => deliver(JSON.stringify(e))));
    expect(results.map((r) => r.body.duplicate)).toEqual(Array(8).fill(false));
    expect(await db.prisma.paymentEvent.count({ where: { providerEventId: { in: events.map((e) => e.id) } } })).toBe(8);
  });

  test('the signature is over the bytes, whatever the content type says', async () => {
    const event = sandboxEvent();
    const res = await deliver(JSON.stringify(event), { contentType: 'text/plain' });
    expect(res).toMatchObject({ status: 200, body: { duplicate: false } });
    expect(await rowsFor(event.id)).toHaveLength(1);
  });

  describe('refused signatures: 401 naming the header, nothing recorded', () => {
    const cases: [string, (body: string) => string | null, SignatureFailure][] = [
      ['forged (wrong secret)', (body) => signPayload('whsec_an_attacker_guess_0000', body, now()), 'mismatch'],
      ['for another body', () => signPayload(SECRET, '{"id":"evt_other"}', now()), 'mismatch'],
      ['stale (6 minutes old)', (body) => signPayload(SECRET, body, now() - 360), 'stale'],
      ['from the future (6 minutes ahead)', (body) => signPayload(SECRET, body, now() + 360), 'stale'],
      ['missing', () => null, 'missing'],
      ['malformed', () => 'sha256=deadbeef', 'malformed'],
    ];
    test.each(cases)('%s', async (_what, sign, reason) => {
      const event = sandboxEvent();
      const body = JSON.stringify(event);
      const count = await rowCount();
      const res = await deliver(body, { signature: sign(body) });
      expect(res.status).toBe(401);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 401, type: '/problems/invalid-signature', errors: [{ field: HEADER, message: expect.any(String) }] });
      expect(res.body.detail).toContain(reason);
      expect(await rowsFor(event.id)).toHaveLength(0);
      expect(await rowCount()).toBe(count);
      expect(enqueued).toEqual([]);
      expect(refused).toEqual([['sandbox', reason]]);
      expect(logLines.find((l) => l.level === 40 && l.reason === reason)).toBeDefined();
    });

    test('a signed body tampered in transit', async () => {
      const event = sandboxEvent();
      const signature = signPayload(SECRET, JSON.stringify(event), now());
      const res = await deliver(JSON.stringify({ ...event, type: 'payment.failed' }), { signature });
      expect(res.status).toBe(401);
      expect(await rowsFor(event.id)).toHaveLength(0);
    });

    test('a signature is checked before the body is even parsed', async () => {
      const res = await deliver('{not json', { signature: signPayload('whsec_an_attacker_guess_0000', '{not json', now()) });
      expect(res.status).toBe(401);
    });
  });

  test('a signed body that is not JSON: 400 naming body', async () => {
    const res = await deliver('{"id": "evt_1", ');
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
  });

  test('JSON of the wrong shape: 400 naming each field, nothing recorded', async () => {
    const event = sandboxEvent() as unknown as { id: string; data: Record<string, unknown> };
    delete event.data.orderId;
    event.data.currency = 'euro';
    const count = await rowCount();
    const res = await deliver(JSON.stringify(event));
    expect(res.status).toBe(400);
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field).sort();
    expect(fields).toEqual(['data.currency', 'data.orderId']);
    expect(await rowCount()).toBe(count);
  });

  test('an empty signed body: 400 naming body', async () => {
    const res = await deliver('');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
  });

  test('a body over the limit: 413', async () => {
    const event = { ...sandboxEvent(), padding: 'x'.repeat(20 * 1024) };
    const res = await deliver(JSON.stringify(event));
    expect(res.status).toBe(413);
    expect(await rowsFor(event.id)).toHaveLength(0);
  });

  test('an unknown provider: 404 naming provider', async () => {
    const res = await deliver(JSON.stringify(sandboxEvent()), { provider: 'stripe' });
    expect(res.status).toBe(404);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'provider', message: 'must be one of sandbox' }]);
  });

  test('when the queue is down the event is still acknowledged and kept; the redelivery enqueues it', async () => {
    // A relay whose queue is closed: every enqueue fails, as with Redis gone.
    const down = new PaymentEventRelay(redis.context, db.prisma, { reportPayment: () => Promise.resolve() }, { voidPayment: () => Promise.resolve() });
    await down.close();
    relayTarget = down;
    const event = sandboxEvent();
    const body = JSON.stringify(event);
    try {
      const res = await deliver(body);
      expect(res).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
    } finally {
      relayTarget = relay;
    }
    const [row] = await rowsFor(event.id);
    expect(row?.processedAt).toBeNull();
    expect(await relay.queue.getJob(row?.id as string)).toBeUndefined();
    expect(logLines.find((l) => l.level === 50 && l.msg.includes('not enqueued'))).toBeDefined();

    // The provider did get a 200, but a duplicate delivery (or recovery) still finds it unprocessed.
    const again = await deliver(body);
    expect(again.body.duplicate).toBe(true);
    expect(await relay.queue.getJobState(row?.id as string)).toBe('waiting');
  });
});
