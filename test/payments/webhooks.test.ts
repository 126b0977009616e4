// The payment webhook over real HTTP, with the real inbox (PGlite or PostgreSQL)
// and the real relay queue on Redis (its worker not started: what was enqueued stays visible).
// Each event describes an order waiting for its payment, as the provider would send it.
import { randomUUID } from 'node:crypto';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import { notFoundHandler, problemErrorHandler } from '../../api/problem.js';
import { sandboxWebhookProvider } from '../../app/webhook-providers.js';
import { webhookRoutes, type WebhookRefusal } from '../../api/routes/webhooks.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { markEventProcessed } from '../../domain/payments/payment-events.js';
import { signPayload, type SignatureFailure } from '../../domain/payments/signature.js';
import { PaymentEventRelay } from '../../queues/payment-events.js';
import type { SandboxEvent } from '../../integrations/payments/sandbox/webhook-event.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { testQueueContext, type TestQueueContext } from '../support/redis.js';
import { orderAwaitingPayment, type RequestedPaymentRow } from './support.js';

const SECRET = 'whsec_webhook_test_secret_value';
const HEADER = 'Sandbox-Signature';
const SKU = 'WEBHOOK-KETTLE';

let db: TestDatabase;
let redis: TestQueueContext;
let relay: PaymentEventRelay;
let server: Server;
let baseUrl: string;
const enqueued: string[] = [];
const refused: [string, WebhookRefusal][] = [];
const logLines: { level: number; msg: string; reason?: string; err?: unknown; orderId?: string; fields?: string[] }[] = [];
/** Where the route's relay goes; a test may swap in a relay that is down. */
let relayTarget: Pick<PaymentEventRelay, 'relayNow'>;
/** Whether the engine takes the relay's messages; down by default, so events go to the queue, where they stay visible. */
const engine = { up: false, published: [] as { orderId: string; providerEventId: string; status: string }[] };

beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, SKU, { 'WH-A': 1000 }, 3499);
  redis = await testQueueContext();
  relay = new PaymentEventRelay(
    redis.context,
    db.prisma,
    {
      reportPayment: async (orderId, result) => {
        if (!engine.up) throw new Error('engine down (test)');
        engine.published.push({ orderId, providerEventId: result.providerEventId, status: result.status });
      },
    },
    { voidPayment: () => Promise.reject(new Error('no late approvals in this test')) },
  );
  relayTarget = relay;
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  const app = express();
  app.use(
    webhookRoutes({
      providers: [sandboxWebhookProvider(SECRET, 300)],
      prisma: db.prisma,
      relay: {
        async relayNow(id, stored) {
          enqueued.push(id);
          return relayTarget.relayNow(id, stored);
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

/** The provider's event about `payment`, with `overrides` changing what it says. */
function eventAbout(
  payment: RequestedPaymentRow,
  overrides: Partial<SandboxEvent['data']> = {},
  type: SandboxEvent['type'] = 'payment.succeeded',
): SandboxEvent {
  return {
    id: `evt_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    type,
    created: now(),
    data: {
      paymentId: payment.id,
      providerPaymentId: payment.providerPaymentId as string,
      orderId: payment.orderId,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      ...overrides,
    },
  };
}

/** A genuine event: about a new order waiting for its payment. */
async function sandboxEvent(overrides: Partial<SandboxEvent['data']> = {}, type: SandboxEvent['type'] = 'payment.succeeded'): Promise<SandboxEvent> {
  return eventAbout(await orderAwaitingPayment(db.prisma, SKU), overrides, type);
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
  test('with the engine up, a valid signed event is published before the 200: processed, nothing queued, published once however often it comes', async () => {
    engine.up = true;
    try {
      const event = await sandboxEvent();
      const res = await deliver(JSON.stringify(event));
      expect(res).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
      const [row] = await rowsFor(event.id);
      expect(row?.processedAt).toBeInstanceOf(Date);
      expect(await relay.queue.getJob(row?.id as string)).toBeUndefined();
      expect(engine.published.filter((p) => p.providerEventId === event.id)).toEqual([
        { orderId: event.data.orderId, providerEventId: event.id, status: 'approved' },
      ]);
      const again = await Promise.all([deliver(JSON.stringify(event)), deliver(JSON.stringify(event))]);
      expect(again.map((r) => r.body)).toEqual([
        { received: true, duplicate: true },
        { received: true, duplicate: true },
      ]);
      expect(engine.published.filter((p) => p.providerEventId === event.id)).toHaveLength(1);
    } finally {
      engine.up = false;
    }
  });

  test('with the engine down, a valid signed event: 200, recorded once, queued once for the relay to retry', async () => {
    const event = await sandboxEvent();
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
        amountMinor: event.data.amountMinor,
        currency: event.data.currency,
      },
      body: event,
    });
    expect(enqueued).toEqual([rows[0]?.id]);
    expect(await relay.queue.getJobState(rows[0]?.id as string)).toBe('waiting');
    expect(logLines.find((l) => l.msg === 'payment webhook recorded')).toMatchObject({ orderId: event.data.orderId, providerEventId: event.id });
  });

  test('the same event 5 times in a row and 5 times at once: one row, one job; a replay after processing changes nothing', async () => {
    const event = await sandboxEvent({ reason: 'card_declined' }, 'payment.failed');
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
    const events = await Promise.all(Array.from({ length: 8 }, () => sandboxEvent()));
    const results = await Promise.all(events.map((e) => deliver(JSON.stringify(e))));
    expect(results.map((r) => r.body.duplicate)).toEqual(Array(8).fill(false));
    expect(await db.prisma.paymentEvent.count({ where: { providerEventId: { in: events.map((e) => e.id) } } })).toBe(8);
  });

  test('the signature is over the bytes, whatever the content type says', async () => {
    const event = await sandboxEvent();
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
      const event = await sandboxEvent();
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
      const event = await sandboxEvent();
      const signature = signPayload(SECRET, JSON.stringify(event), now());
      const res = await deliver(JSON.stringify({ ...event, type: 'payment.failed' }), { signature });
      expect(res.status).toBe(401);
      expect(await rowsFor(event.id)).toHaveLength(0);
    });

    test('a signature is checked before the body is even parsed', async () => {
      const res = await deliver('{not json', { signature: signPayload('whsec_an_attacker_guess_0000', '{not json', now()) });
      expect(res.status).toBe(401);
    });

    test('a request without a signature is answered before its body arrives', async () => {
      // The headers announce a megabyte, a few bytes follow, and the sender waits.
      const req = request(`${baseUrl}/webhooks/payments/sandbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(1024 * 1024) },
      });
      try {
        const answer = await new Promise<{ status: number | undefined; body: Record<string, unknown> }>((resolve, reject) => {
          req.on('error', reject);
          req.setTimeout(5_000, () => req.destroy(new Error('no answer within 5 s: the route waited for the body')));
          req.on('response', (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> }));
          });
          req.write('{"id":"evt_');
        });
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({ type: '/problems/invalid-signature', errors: [{ field: HEADER, message: 'is missing' }] });
        expect(refused).toEqual([['sandbox', 'missing']]);
      } finally {
        req.destroy();
      }
    });

    test('an unsigned body over the limit is refused for its signature: the body was never read', async () => {
      const res = await deliver(JSON.stringify({ padding: 'x'.repeat(20 * 1024) }), { signature: null });
      expect(res.status).toBe(401);
      expect(res.body.errors).toEqual([{ field: HEADER, message: 'is missing' }]);
    });
  });

  describe('a signed event must describe the payment of its order: 422 payment-mismatch naming each field, nothing recorded', () => {
    const paymentEventsOf = (orderId: string) => db.prisma.paymentEvent.count({ where: { orderId } });

    async function expectRefused(event: SandboxEvent, fields: string[]) {
      const count = await rowCount();
      const res = await deliver(JSON.stringify(event));
      expect(res.status).toBe(422);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 422, type: '/problems/payment-mismatch' });
      expect((res.body.errors as { field: string }[]).map((e) => e.field).sort()).toEqual(fields);
      expect(await rowsFor(event.id)).toHaveLength(0);
      expect(await rowCount()).toBe(count);
      expect(enqueued).toEqual([]);
      expect(refused).toEqual([['sandbox', 'payment-mismatch']]);
      const warning = logLines.find((l) => l.level === 40 && l.msg.includes('does not match the payment'));
      expect(warning?.orderId).toBe(event.data.orderId);
      expect([...(warning?.fields ?? [])].sort()).toEqual(fields);
      return res;
    }

    test('the forged payment of the review: signed with the secret, amountMinor 1 and a made-up provider id, for an order awaiting payment', async () => {
      const payment = await orderAwaitingPayment(db.prisma, SKU, 'pm_no_answer');
      expect(payment.amountMinor).toBe(3499);
      const res = await expectRefused(eventAbout(payment, { amountMinor: 1, providerPaymentId: 'sbx_forged' }), ['amountMinor', 'providerPaymentId']);
      expect(res.body.detail).toContain(payment.orderId);
      expect(await paymentEventsOf(payment.orderId)).toBe(0);
      expect((await db.prisma.order.findUniqueOrThrow({ where: { id: payment.orderId } })).status).toBe('AWAITING_PAYMENT');
      expect(await db.prisma.payment.findUniqueOrThrow({ where: { id: payment.id } })).toMatchObject({ status: 'REQUESTED', amountMinor: 3499 });
    });

    const cases: [string, (p: RequestedPaymentRow) => Partial<SandboxEvent['data']>, SandboxEvent['type'], string[]][] = [
      ['another currency', () => ({ currency: 'USD' }), 'payment.succeeded', ['currency']],
      ['another payment id', () => ({ paymentId: randomUUID() }), 'payment.succeeded', ['paymentId']],
      ['a failure of another amount', (p) => ({ amountMinor: p.amountMinor + 1, reason: 'card_declined' }), 'payment.failed', ['amountMinor']],
      ['an order that does not exist', () => ({ orderId: randomUUID() }), 'payment.succeeded', ['orderId']],
    ];
    test.each(cases)('%s', async (_what, change, type, fields) => {
      const payment = await orderAwaitingPayment(db.prisma, SKU);
      await expectRefused(eventAbout(payment, change(payment), type), fields);
      expect(await paymentEventsOf(payment.orderId)).toBe(0);
    });

    test('an order whose payment was never requested', async () => {
      const { id } = await createOrder(db.prisma, { customerId: 'cust-payments', paymentMethod: 'pm_approve', items: [{ sku: SKU, quantity: 1 }] });
      const event = eventAbout({ id: randomUUID(), orderId: id, providerPaymentId: 'sbx_never_requested', amountMinor: 3499, currency: 'EUR' });
      await expectRefused(event, ['orderId']);
    });

    test("before we saved the provider's id (its callback overtook the answer) the other fields decide: a genuine event is recorded", async () => {
      const { id } = await createOrder(db.prisma, { customerId: 'cust-payments', paymentMethod: 'pm_approve', items: [{ sku: SKU, quantity: 1 }] });
      const row = await db.prisma.payment.create({ data: { orderId: id, provider: 'sandbox', amountMinor: 3499, currency: 'EUR' } });
      const genuine = eventAbout({ ...row, providerPaymentId: 'sbx_not_saved_yet' });
      expect(await deliver(JSON.stringify(genuine))).toMatchObject({ status: 200, body: { received: true, duplicate: false } });
      expect(await rowsFor(genuine.id)).toHaveLength(1);
      enqueued.length = 0;
      logLines.length = 0;
      await expectRefused(eventAbout({ ...row, providerPaymentId: 'sbx_not_saved_yet' }, { amountMinor: 1 }), ['amountMinor']);
    });
  });

  test('a signed body that is not JSON: 400 naming body', async () => {
    const res = await deliver('{"id": "evt_1", ');
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
  });

  test('JSON of the wrong shape: 400 naming each field, nothing recorded', async () => {
    const event = (await sandboxEvent()) as unknown as { id: string; data: Record<string, unknown> };
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
    const event = { ...(await sandboxEvent()), padding: 'x'.repeat(20 * 1024) };
    const res = await deliver(JSON.stringify(event));
    expect(res.status).toBe(413);
    expect(await rowsFor(event.id)).toHaveLength(0);
  });

  test('an unknown provider: 404 naming provider', async () => {
    const res = await deliver(JSON.stringify(await sandboxEvent()), { provider: 'stripe' });
    expect(res.status).toBe(404);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'provider', message: 'must be one of sandbox' }]);
  });

  test('when the engine and the queue are down the event is still acknowledged and kept; the redelivery enqueues it', async () => {
    // A relay whose queue is closed: every enqueue fails, as with Redis gone; the engine is down too.
    const down = new PaymentEventRelay(
      redis.context,
      db.prisma,
      { reportPayment: () => Promise.reject(new Error('engine down (test)')) },
      { voidPayment: () => Promise.resolve() },
    );
    await down.close();
    relayTarget = down;
    const event = await sandboxEvent();
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
    expect(logLines.find((l) => l.level === 50 && l.msg.includes('neither relayed nor queued'))).toBeDefined();

    // The provider did get a 200, but a duplicate delivery (or recovery) still finds it unprocessed.
    const again = await deliver(body);
    expect(again.body.duplicate).toBe(true);
    expect(await relay.queue.getJobState(row?.id as string)).toBe('waiting');
  });
});
