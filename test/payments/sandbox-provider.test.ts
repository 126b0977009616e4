// The sandbox provider against a real HTTP endpoint (this test plays our webhook)
// and real Redis: what a provider does, seen from the receiving end.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { TransientProviderError, type PaymentRequest } from '../../domain/payments/gateway.js';
import { verifySignature, type SignatureCheck } from '../../domain/payments/signature.js';
import { InvalidInputError } from '../../domain/errors.js';
import { redeliveryDelay, SandboxProvider } from '../../integrations/payments/sandbox/provider.js';
import { parseSandboxToken, SANDBOX_TOKENS_MESSAGE } from '../../integrations/payments/sandbox/tokens.js';
import { parseSandboxEvent, SANDBOX_SIGNATURE_HEADER, type SandboxEvent } from '../../integrations/payments/sandbox/webhook-event.js';
import type { QueueContext } from '../../queues/context.js';
import { testQueueContext, type TestQueueContext } from '../support/redis.js';
import { sleep, waitFor } from '../support/wait.js';
import { listen, type TestServer } from './support.js';

const SECRET = 'whsec_sandbox_test_secret_value';
const DELAY_MS = 50;

type Delivery = { event: SandboxEvent; raw: string; signature: SignatureCheck; status: number };

/** Our webhook, as far as the provider can tell: verifies, records, answers what the test scripts. */
class FakeWebhookEndpoint {
  deliveries: Delivery[] = [];
  /** Status codes to answer, in order; 200 once they run out. */
  script: number[] = [];
  /** While set, a delivery is recorded as it arrives but answered only once this settles. */
  hold: Promise<void> | undefined;
  readonly handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const header = req.headers[SANDBOX_SIGNATURE_HEADER.toLowerCase()];
      const signature = verifySignature({ header: typeof header === 'string' ? header : undefined, rawBody: raw, secret: SECRET, toleranceSeconds: 300 });
      const status = this.script.shift() ?? 200;
      this.deliveries.push({ event: JSON.parse(raw) as SandboxEvent, raw, signature, status });
      void (this.hold ?? Promise.resolve()).then(() =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ received: status < 300 })),
      );
    });
  };
  acknowledged(paymentId: string): Delivery[] {
    return this.deliveries.filter((d) => d.event.data.paymentId === paymentId && d.status < 300);
  }
  of(paymentId: string): Delivery[] {
    return this.deliveries.filter((d) => d.event.data.paymentId === paymentId);
  }
}

let redis: TestQueueContext;
let ctx: QueueContext;
let endpoint: FakeWebhookEndpoint;
let http: TestServer;
let provider: SandboxProvider;

beforeAll(async () => {
  redis = await testQueueContext();
  ctx = redis.context;
  endpoint = new FakeWebhookEndpoint();
  http = await listen(endpoint.handle);
  provider = new SandboxProvider(ctx, {
    webhookSecret: SECRET,
    delayMs: DELAY_MS,
    callbackUrl: () => `${http.url}/webhooks/payments/sandbox`,
    redeliveryBackoffMs: 50,
  });
  await provider.start();
});

afterAll(async () => {
  await provider.close();
  await http.close();
  await redis.close();
});

beforeEach(() => {
  endpoint.script = [];
  endpoint.hold = undefined;
});

afterEach(() => {
  endpoint.deliveries = [];
});

/** A logger whose lines the test can read. */
function capturingLogger() {
  const lines: { level: number; msg: string; err?: string; paymentId?: string }[] = [];
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

// Some of the ports fetch refuses ("bad port", as browsers do); all above 1024, so no privileges needed.
const FETCH_BAD_PORTS = [4190, 6666, 6667, 6668, 6669, 6665, 6000, 6697, 6679, 6566, 5060, 5061, 10080];

/** An HTTP server on the first of `ports` that is free on 127.0.0.1. */
async function listenOnOneOf(ports: number[], handler: RequestListener): Promise<TestServer> {
  for (const port of ports) {
    try {
      return await listen(handler, port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    }
  }
  throw new Error(`none of the ports ${ports.join(', ')} is free on 127.0.0.1`);
}

const request = (paymentMethod: string): PaymentRequest => ({
  paymentId: randomUUID(),
  orderId: randomUUID(),
  amountMinor: 4599,
  currency: 'EUR',
  paymentMethod,
});

describe('sandbox payment-method tokens', () => {
  test.each([
    ['pm_approve', { kind: 'approve' }],
    ['pm_approve_lost_webhook', { kind: 'approve_lost_webhook' }],
    ['pm_decline', { kind: 'decline', reason: 'card_declined' }],
    ['pm_no_answer', { kind: 'no_answer' }],
    ['pm_fail_1', { kind: 'fail_then_approve', failures: 1 }],
    ['pm_fail_50', { kind: 'fail_then_approve', failures: 50 }],
    ['pm_fail_5_no_answer', { kind: 'fail_then_no_answer', failures: 5 }],
  ])('%s', (token, outcome) => {
    expect(parseSandboxToken(token)).toEqual(outcome);
  });

  test.each([
    'pm_fail_0',
    'pm_fail_51',
    'pm_fail_07',
    'pm_fail_',
    'pm_fail_x',
    'pm_fail_0_no_answer',
    'pm_fail_51_no_answer',
    'pm_fail_2_no_answer_',
    'PM_APPROVE',
    'pm_approve ',
    '',
    'tok_visa',
  ])('%j is not a token', (token) => {
    expect(parseSandboxToken(token)).toBeUndefined();
  });

  test('checkPaymentMethod explains the valid tokens', () => {
    expect(provider.checkPaymentMethod('pm_fail_3')).toBeUndefined();
    expect(provider.checkPaymentMethod('tok_visa')).toContain(SANDBOX_TOKENS_MESSAGE);
    expect(provider.checkPaymentMethod('tok_visa')).toContain('"tok_visa"');
  });
});

/** The request API fails transiently `n` times, each failure naming its attempt. */
async function expectTransientFailures(req: PaymentRequest, n: number): Promise<void> {
  for (let attempt = 1; attempt <= n; attempt++) {
    const error = await provider.requestPayment(req).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(TransientProviderError);
    expect((error as Error).message).toContain(`attempt ${attempt} of ${n}`);
  }
}

describe('sandbox provider', () => {
  test('pm_approve: one signed payment.succeeded callback after the delay', async () => {
    const req = request('pm_approve');
    const started = Date.now();
    const { providerPaymentId } = await provider.requestPayment(req);
    expect(providerPaymentId).toMatch(/^sbx_[0-9a-f]{24}$/);

    const [delivery] = await waitFor('the callback', () => endpoint.acknowledged(req.paymentId).length > 0 && endpoint.acknowledged(req.paymentId));
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS);
    expect(delivery?.signature.ok).toBe(true);
    expect(delivery?.event).toEqual({
      id: expect.stringMatching(/^evt_[0-9a-f]{24}$/),
      type: 'payment.succeeded',
      created: expect.any(Number),
      data: { paymentId: req.paymentId, providerPaymentId, orderId: req.orderId, amountMinor: 4599, currency: 'EUR' },
    });
    expect(Math.abs((delivery?.event.created ?? 0) - Date.now() / 1000)).toBeLessThan(60);
    // What the provider sends is what our webhook parses.
    expect(parseSandboxEvent(delivery?.event)).toEqual({
      providerEventId: delivery?.event.id,
      type: 'payment.succeeded',
      orderId: req.orderId,
      paymentId: req.paymentId,
      providerPaymentId,
      amountMinor: 4599,
      currency: 'EUR',
      reason: undefined,
    });
    await sleep(200);
    expect(endpoint.of(req.paymentId)).toHaveLength(1);
  });

  test('pm_decline: payment.failed with the reason', async () => {
    const req = request('pm_decline');
    const { providerPaymentId } = await provider.requestPayment(req);
    const [delivery] = await waitFor('the callback', () => endpoint.acknowledged(req.paymentId).length > 0 && endpoint.acknowledged(req.paymentId));
    expect(delivery?.signature.ok).toBe(true);
    expect(delivery?.event.type).toBe('payment.failed');
    expect(delivery?.event.data).toEqual({
      paymentId: req.paymentId,
      providerPaymentId,
      orderId: req.orderId,
      amountMinor: 4599,
      currency: 'EUR',
      reason: 'card_declined',
    });
    expect(parseSandboxEvent(delivery?.event).reason).toBe('card_declined');
  });

  test('pm_no_answer: accepted, and then silence', async () => {
    const req = request('pm_no_answer');
    const { providerPaymentId } = await provider.requestPayment(req);
    expect(providerPaymentId).toMatch(/^sbx_/);
    await sleep(DELAY_MS * 8);
    expect(endpoint.of(req.paymentId)).toHaveLength(0);
    expect(await provider.queue.getJobCounts('delayed', 'waiting', 'active')).toEqual({ delayed: 0, waiting: 0, active: 0 });
  });

  test('pm_fail_2: two transient errors naming the attempt, then accepted, and one callback', async () => {
    const req = request('pm_fail_2');
    await expectTransientFailures(req, 2);
    const { providerPaymentId } = await provider.requestPayment(req);
    await waitFor('the callback', () => endpoint.acknowledged(req.paymentId).length > 0);
    await sleep(200);
    expect(endpoint.of(req.paymentId).map((d) => [d.event.type, d.event.data.providerPaymentId])).toEqual([['payment.succeeded', providerPaymentId]]);
  });

  test('pm_fail_2_no_answer: two transient errors, then accepted, and then silence', async () => {
    const req = request('pm_fail_2_no_answer');
    await expectTransientFailures(req, 2);
    expect((await provider.requestPayment(req)).providerPaymentId).toMatch(/^sbx_/);
    await sleep(DELAY_MS * 8);
    expect(endpoint.of(req.paymentId)).toHaveLength(0);
    expect(await provider.queue.getJobCounts('delayed', 'waiting', 'active')).toEqual({ delayed: 0, waiting: 0, active: 0 });
  });

  test('requesting the same payment twice (also concurrently) gives the same id and one callback', async () => {
    const req = request('pm_approve');
    const first = await provider.requestPayment(req);
    const again = await Promise.all([provider.requestPayment(req), provider.requestPayment(req), provider.requestPayment(req)]);
    expect(again.map((r) => r.providerPaymentId)).toEqual([first.providerPaymentId, first.providerPaymentId, first.providerPaymentId]);
    await waitFor('the callback', () => endpoint.acknowledged(req.paymentId).length > 0);
    // A request after the callback went out changes nothing either.
    expect((await provider.requestPayment(req)).providerPaymentId).toBe(first.providerPaymentId);
    await sleep(300);
    expect(endpoint.of(req.paymentId)).toHaveLength(1);
  });

  test('an endpoint answering 500 gets the same event again, freshly signed', async () => {
    endpoint.script = [500, 503];
    const req = request('pm_approve');
    await provider.requestPayment(req);
    await waitFor('the redelivery', () => endpoint.acknowledged(req.paymentId).length > 0, 15_000);
    const deliveries = endpoint.of(req.paymentId);
    expect(deliveries.map((d) => d.status)).toEqual([500, 503, 200]);
    expect(new Set(deliveries.map((d) => d.raw)).size).toBe(1);
    expect(deliveries.every((d) => d.signature.ok)).toBe(true);
    await sleep(200);
    expect(endpoint.of(req.paymentId)).toHaveLength(3);
  });

  test('a network failure (connection reset) is retried like a 500, and the log names the cause', async () => {
    // Hangs up on every request: a network error, on a port nobody else can take meanwhile.
    const broken = await listen((req) => req.socket.destroy());
    let url = `${broken.url}/webhooks/payments/sandbox`;
    // A queue of its own, so that only this instance's worker delivers.
    const own = await testQueueContext();
    const log = capturingLogger();
    const p = new SandboxProvider(
      { ...own.context, logger: log.logger },
      { webhookSecret: SECRET, delayMs: DELAY_MS, callbackUrl: () => url, redeliveryBackoffMs: 100 },
    );
    try {
      await p.start();
      const req = request('pm_decline');
      await p.requestPayment(req);
      const jobId = `callback-${req.paymentId}`;
      await waitFor('a failed attempt', async () => ((await p.queue.getJob(jobId))?.attemptsMade ?? 0) >= 1);
      url = `${http.url}/webhooks/payments/sandbox`;
      const job = await waitFor(
        'the redelivery to complete',
        // State first, then the job: a job read before its state could predate the completion (and its count).
        async () => (await p.queue.getJobState(jobId)) === 'completed' && p.queue.getJob(jobId),
        30_000,
      );
      const cause = `POST ${broken.url}/webhooks/payments/sandbox failed: socket hang up (ECONNRESET)`;
      // One object, so that a failure shows the whole story.
      expect({
        attemptsMade: job.attemptsMade,
        errors: (job.stacktrace ?? []).map((line) => line.split('\n')[0]),
        deliveries: endpoint.of(req.paymentId).map((d) => d.status),
      }).toEqual({
        attemptsMade: expect.any(Number),
        errors: expect.arrayContaining([`Error: ${cause}`]),
        deliveries: [200],
      });
      expect(job.attemptsMade).toBeGreaterThanOrEqual(2);
      // The operator sees why at warn level, not "fetch failed" with the reason at debug.
      expect(log.lines.filter((l) => l.paymentId === req.paymentId && l.level >= 40)).toContainEqual(
        expect.objectContaining({ level: 40, msg: 'sandbox callback not acknowledged; will redeliver', err: cause }),
      );
    } finally {
      await p.close();
      await own.close();
      await broken.close();
    }
  });

  test('a webhook on a port fetch refuses (PORT=4190 and the like) gets its signed callback', async () => {
    // Our webhook, on a port browsers (and so fetch) block. The service calls itself on whatever PORT it has.
    const badPort = await listenOnOneOf(FETCH_BAD_PORTS, (req, res) => (req.method === 'POST' ? endpoint.handle(req, res) : res.writeHead(405).end()));
    const own = await testQueueContext();
    const p = new SandboxProvider(own.context, {
      webhookSecret: SECRET,
      delayMs: DELAY_MS,
      callbackUrl: () => `${badPort.url}/webhooks/payments/sandbox`,
      redeliveryBackoffMs: 50,
    });
    try {
      // The premise: fetch would not even try.
      const refusal = await fetch(badPort.url).then(
        (res) => `answered ${res.status}`,
        (err: Error) => String((err.cause as Error | undefined)?.message),
      );
      expect(refusal).toBe('bad port');

      await p.start();
      const req = request('pm_approve');
      const { providerPaymentId } = await p.requestPayment(req);
      const [delivery] = await waitFor(
        'the callback on the refused port',
        () => endpoint.acknowledged(req.paymentId).length > 0 && endpoint.acknowledged(req.paymentId),
      );
      expect(delivery?.signature.ok).toBe(true);
      expect(delivery?.event).toMatchObject({ type: 'payment.succeeded', data: { paymentId: req.paymentId, providerPaymentId, orderId: req.orderId } });
      expect(endpoint.of(req.paymentId).map((d) => d.status)).toEqual([200]);
    } finally {
      await p.close();
      await own.close();
      await badPort.close();
    }
  });

  test('a redirect is a failed delivery and is not followed; the same event comes again', async () => {
    let followed = 0;
    const elsewhere = await listen((_req, res) => {
      followed++;
      res.writeHead(200).end();
    });
    // Our endpoint, answering what it is scripted to, with a Location a client following redirects would take.
    const redirecting = await listen((req, res) => {
      res.setHeader('location', `${elsewhere.url}/webhooks/payments/sandbox`);
      endpoint.handle(req, res);
    });
    endpoint.script = [307];
    const own = await testQueueContext();
    const p = new SandboxProvider(own.context, {
      webhookSecret: SECRET,
      delayMs: DELAY_MS,
      callbackUrl: () => `${redirecting.url}/webhooks/payments/sandbox`,
      redeliveryBackoffMs: 50,
    });
    try {
      await p.start();
      const req = request('pm_approve');
      await p.requestPayment(req);
      const jobId = `callback-${req.paymentId}`;
      const job = await waitFor('the redelivery to complete', async () => (await p.queue.getJobState(jobId)) === 'completed' && p.queue.getJob(jobId));
      const deliveries = endpoint.of(req.paymentId);
      expect({ statuses: deliveries.map((d) => d.status), followed, errors: (job.stacktrace ?? []).map((line) => line.split('\n')[0]) }).toEqual({
        statuses: [307, 200],
        followed: 0,
        errors: [expect.stringContaining('webhook answered 307 to evt_')],
      });
      expect(job.stacktrace?.[0]).toContain('(redirects are not followed)');
      expect(new Set(deliveries.map((d) => d.raw)).size).toBe(1);
    } finally {
      await p.close();
      await own.close();
      await redirecting.close();
      await elsewhere.close();
    }
  });

  test('a webhook that does not answer in time is a failed delivery', async () => {
    const seen: number[] = [];
    const silent = await listen((req) => {
      seen.push(Date.now());
      req.resume(); // reads the request, never answers
    });
    let url = `${silent.url}/webhooks/payments/sandbox`;
    const own = await testQueueContext();
    const p = new SandboxProvider(own.context, {
      webhookSecret: SECRET,
      delayMs: DELAY_MS,
      callbackUrl: () => url,
      redeliveryBackoffMs: 50,
      deliveryTimeoutMs: 300,
    });
    try {
      await p.start();
      const req = request('pm_approve');
      await p.requestPayment(req);
      const jobId = `callback-${req.paymentId}`;
      const started = Date.now();
      await waitFor('a timed-out attempt', async () => ((await p.queue.getJob(jobId))?.attemptsMade ?? 0) >= 1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      url = `${http.url}/webhooks/payments/sandbox`;
      const job = await waitFor('the redelivery to complete', async () => (await p.queue.getJobState(jobId)) === 'completed' && p.queue.getJob(jobId));
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect((job.stacktrace ?? []).map((line) => line.split('\n')[0])).toContain(
        `Error: POST ${silent.url}/webhooks/payments/sandbox failed: no complete answer within 300 ms`,
      );
      expect(endpoint.acknowledged(req.paymentId)).toHaveLength(1);
    } finally {
      await p.close();
      await own.close();
      await silent.close();
    }
  });

  test('voiding before the delay: no callback; voiding again is fine', async () => {
    const own = await testQueueContext();
    const slow = new SandboxProvider(own.context, { webhookSecret: SECRET, delayMs: 400, callbackUrl: () => `${http.url}/webhooks/payments/sandbox` });
    try {
      await slow.start();
      const req = request('pm_approve');
      const { providerPaymentId } = await slow.requestPayment(req);
      await slow.voidPayment({ paymentId: req.paymentId, providerPaymentId });
      await slow.voidPayment({ paymentId: req.paymentId, providerPaymentId });
      await sleep(800);
      expect(endpoint.of(req.paymentId)).toHaveLength(0);
      // A request after the void does not bring the callback back.
      expect((await slow.requestPayment(req)).providerPaymentId).toBe(providerPaymentId);
      await sleep(600);
      expect(endpoint.of(req.paymentId)).toHaveLength(0);
      expect(await slow.queue.getJob(`callback-${req.paymentId}`)).toBeUndefined();
    } finally {
      await slow.close();
      await own.close();
    }
  });

  test('voiding a payment the provider never saw is a no-op', async () => {
    await expect(provider.voidPayment({ paymentId: randomUUID(), providerPaymentId: 'sbx_nothing' })).resolves.toBeUndefined();
  });

  test('an unknown token is refused at request time, not retried', async () => {
    const error = await provider.requestPayment(request('tok_visa')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TransientProviderError);
    expect((error as Error).message).toContain(SANDBOX_TOKENS_MESSAGE);
  });

  test('its store unreachable: the request fails transiently', async () => {
    const closed = new SandboxProvider(ctx, { webhookSecret: SECRET, delayMs: DELAY_MS, callbackUrl: () => http.url });
    await closed.close();
    const error = await closed.requestPayment(request('pm_approve')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransientProviderError);
  });

  test('state lives in Redis: a new provider instance (our restart) remembers the payment', async () => {
    const req = request('pm_fail_1');
    await expect(provider.requestPayment(req)).rejects.toBeInstanceOf(TransientProviderError);
    const restarted = new SandboxProvider(ctx, { webhookSecret: SECRET, delayMs: DELAY_MS, callbackUrl: () => `${http.url}/webhooks/payments/sandbox` });
    try {
      // The second attempt overall: accepted, even though this instance never saw the first.
      const { providerPaymentId } = await restarted.requestPayment(req);
      expect((await provider.requestPayment(req)).providerPaymentId).toBe(providerPaymentId);
      await waitFor('the callback', () => endpoint.acknowledged(req.paymentId).length > 0);
    } finally {
      await restarted.close();
    }
  });
});

describe('sandbox status API (getPayment)', () => {
  // Slow enough that "before the bank decided" is certain, short enough to wait for.
  // Long enough that a request slowed down by a loaded machine still returns well before the bank decides.
  const BANK_DELAY_MS = 1000;
  let own: TestQueueContext;
  let slow: SandboxProvider;

  beforeAll(async () => {
    own = await testQueueContext();
    slow = new SandboxProvider(own.context, {
      webhookSecret: SECRET,
      delayMs: BANK_DELAY_MS,
      callbackUrl: () => `${http.url}/webhooks/payments/sandbox`,
      redeliveryBackoffMs: 50,
    });
    await slow.start();
  });
  afterAll(async () => {
    await slow.close();
    await own.close();
  });

  /** Requests a payment; resolves with what getPayment needs and when it was asked for (the bank's delay counts from then at the latest). */
  async function accepted(token: string, p: SandboxProvider = slow) {
    const req = request(token);
    const at = Date.now();
    const { providerPaymentId } = await p.requestPayment(req);
    return { req, ref: { paymentId: req.paymentId, providerPaymentId }, at };
  }
  const decided = (p: SandboxProvider, ref: { paymentId: string; providerPaymentId: string }) =>
    waitFor('the bank to decide', async () => {
      const answer = await p.getPayment(ref);
      return answer.status !== 'pending' && answer;
    });

  test("pm_approve: 'pending' until the bank decided (the delay), then 'approved', the same verdict as the webhook", async () => {
    const { req, ref, at } = await accepted('pm_approve');
    expect(await slow.getPayment(ref)).toEqual({ status: 'pending' });
    expect(await decided(slow, ref)).toEqual({ status: 'approved' });
    expect(Date.now() - at).toBeGreaterThanOrEqual(BANK_DELAY_MS);
    const [delivery] = await waitFor('the callback', () => endpoint.acknowledged(req.paymentId).length > 0 && endpoint.acknowledged(req.paymentId));
    expect(delivery?.event.type).toBe('payment.succeeded');
    // Asking again (and after the callback went out) answers the same: the status API only reads.
    expect(await slow.getPayment(ref)).toEqual({ status: 'approved' });
  });

  test("pm_decline: 'pending' until the bank decided, then 'declined' with the reason the webhook carries", async () => {
    const { ref, at } = await accepted('pm_decline');
    expect(await slow.getPayment(ref)).toEqual({ status: 'pending' });
    expect(await decided(slow, ref)).toEqual({ status: 'declined', reason: 'card_declined' });
    expect(Date.now() - at).toBeGreaterThanOrEqual(BANK_DELAY_MS);
  });

  test("a voided payment answers 'voided', whether voided before or after the bank decided", async () => {
    const early = await accepted('pm_approve');
    await slow.voidPayment(early.ref);
    expect(await slow.getPayment(early.ref)).toEqual({ status: 'voided' });
    const late = await accepted('pm_approve');
    expect(await decided(slow, late.ref)).toEqual({ status: 'approved' });
    await slow.voidPayment(late.ref);
    expect(await slow.getPayment(late.ref)).toEqual({ status: 'voided' });
    await sleep(BANK_DELAY_MS);
    expect(await slow.getPayment(early.ref)).toEqual({ status: 'voided' });
  });

  test("a void that lands while the callback is in flight stays 'voided' after the webhook acknowledges", async () => {
    let release!: () => void;
    endpoint.hold = new Promise<void>((resolve) => (release = resolve));
    const { req, ref } = await accepted('pm_approve', provider);
    await waitFor('the callback to arrive', () => endpoint.of(req.paymentId).length > 0);
    await provider.voidPayment(ref);
    release();
    // The job completes only after the delivery recorded its outcome.
    await waitFor('the delivery to complete', async () => ['completed', 'unknown'].includes(await provider.queue.getJobState(`callback-${req.paymentId}`)));
    expect(await provider.getPayment(ref)).toEqual({ status: 'voided' });
  });

  test("pm_approve_lost_webhook: the status API answers 'approved' after the delay, but no callback is ever delivered or even scheduled", async () => {
    const { req, ref } = await accepted('pm_approve_lost_webhook');
    expect(await slow.getPayment(ref)).toEqual({ status: 'pending' });
    expect(await slow.queue.getJob(`callback-${req.paymentId}`)).toBeUndefined();
    expect(await decided(slow, ref)).toEqual({ status: 'approved' });
    await sleep(200);
    expect(endpoint.of(req.paymentId)).toHaveLength(0);
    expect(await slow.queue.getJob(`callback-${req.paymentId}`)).toBeUndefined();
    // Requesting it again does not bring a callback either.
    await slow.requestPayment(req);
    expect(await slow.queue.getJob(`callback-${req.paymentId}`)).toBeUndefined();
  });

  test.each([
    ['pm_no_answer', 0],
    ['pm_fail_1_no_answer', 1],
  ])("%s: a payment the bank never decides stays 'pending' long after the delay", async (token, failures) => {
    const req = request(token);
    await expectTransientFailures(req, failures);
    const { providerPaymentId } = await provider.requestPayment(req);
    await sleep(DELAY_MS * 6);
    expect(await provider.getPayment({ paymentId: req.paymentId, providerPaymentId })).toEqual({ status: 'pending' });
  });

  test('a payment the provider never accepted, or asked for under another provider id, is a 404: a plain error naming it, not a transient one', async () => {
    const unknown = { paymentId: randomUUID(), providerPaymentId: 'sbx_nothing' };
    const never = await provider.getPayment(unknown).catch((err: unknown) => err);
    expect(never).toBeInstanceOf(Error);
    expect(never).not.toBeInstanceOf(TransientProviderError);
    expect((never as Error).message).toBe(`sandbox: no payment sbx_nothing for ${unknown.paymentId} (404)`);

    const { ref } = await accepted('pm_approve', provider);
    const wrongId = await provider.getPayment({ ...ref, providerPaymentId: 'sbx_someone_else' }).catch((err: unknown) => err);
    expect(wrongId).not.toBeInstanceOf(TransientProviderError);
    expect((wrongId as Error).message).toContain('sbx_someone_else');

    // Refused twice (pm_fail_2), so never accepted: the provider does not know it either.
    const refused = request('pm_fail_2');
    await expect(provider.requestPayment(refused)).rejects.toBeInstanceOf(TransientProviderError);
    await expect(provider.getPayment({ paymentId: refused.paymentId, providerPaymentId: 'sbx_x' })).rejects.not.toBeInstanceOf(TransientProviderError);
  });

  test('its store unreachable: the status check fails transiently', async () => {
    const closed = new SandboxProvider(ctx, { webhookSecret: SECRET, delayMs: DELAY_MS, callbackUrl: () => http.url });
    await closed.close();
    const error = await closed.getPayment({ paymentId: randomUUID(), providerPaymentId: 'sbx_x' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransientProviderError);
  });
});

describe('sandbox redelivery schedule', () => {
  test('like a real provider it keeps trying for days: 2 s doubling up to an hour between deliveries, 100 deliveries by default', () => {
    const waits = Array.from({ length: 99 }, (_, i) => redeliveryDelay(i + 1, {}));
    expect(waits.slice(0, 4)).toEqual([2000, 4000, 8000, 16_000]);
    expect(Math.max(...waits)).toBe(3_600_000);
    const days = waits.reduce((a, b) => a + b, 0) / 86_400_000;
    expect(days).toBeGreaterThan(3);
    expect(days).toBeLessThan(5);
  });

  test('the first delay and the cap are configurable', () => {
    expect([1, 2, 3, 4].map((n) => redeliveryDelay(n, { redeliveryBackoffMs: 100, maxRedeliveryBackoffMs: 300 }))).toEqual([100, 200, 300, 300]);
  });
});

describe('parseSandboxEvent', () => {
  const valid = (): SandboxEvent => ({
    id: 'evt_123',
    type: 'payment.succeeded',
    created: 1_800_000_000,
    data: { paymentId: randomUUID(), providerPaymentId: 'sbx_1', orderId: randomUUID(), amountMinor: 100, currency: 'EUR' },
  });

  const fieldsOf = (body: unknown): string[] => {
    try {
      parseSandboxEvent(body);
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      return (err as InvalidInputError).errors.map((e) => e.field);
    }
    throw new Error('expected an InvalidInputError');
  };

  test('names each bad field', () => {
    const event = valid() as unknown as { data: Record<string, unknown> } & Record<string, unknown>;
    delete event.data.orderId;
    event.data.amountMinor = -1;
    event.type = 'payment.refunded';
    expect(fieldsOf(event).sort()).toEqual(['data.amountMinor', 'data.orderId', 'type']);
  });

  test('an order id that is not a UUID, a missing data object, a non-object body', () => {
    expect(fieldsOf({ ...valid(), data: { ...valid().data, orderId: 'order-1' } })).toEqual(['data.orderId']);
    expect(fieldsOf({ id: 'evt_1', type: 'payment.failed', created: 1 })).toEqual(['data']);
    expect(fieldsOf(null)).toEqual(['body']);
    expect(fieldsOf([1, 2])).toEqual(['body']);
  });

  test('unknown fields are ignored, as a provider adds fields over time', () => {
    const event = { ...valid(), livemode: false, data: { ...valid().data, metadata: { a: 1 } } };
    expect(parseSandboxEvent(event).providerEventId).toBe('evt_123');
  });
});
