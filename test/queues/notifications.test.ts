// The notifications outbox end to end: rows in a real database (PGlite or
// PostgreSQL), jobs on a real Redis (REDIS_URL or a private redis-server), the log
// sink and a real SMTP conversation. Nothing is mocked.
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { NotFoundError } from '../../domain/errors.js';
import { markSent } from '../../domain/notifications/delivery.js';
import { composeNotification, formatMoney, NOTIFICATION_KINDS, type NotificationKind } from '../../domain/notifications/compose.js';
import { notificationPage } from '../../domain/notifications/list-notifications.js';
import { recordNotification } from '../../domain/notifications/record-notification.js';
import { createOrder } from '../../domain/orders/create-order.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import type { QueueContext } from '../../queues/context.js';
import { PermanentDeliveryError, type NotificationSink } from '../../domain/notifications/sink.js';
import { LogSink } from '../../integrations/notifications/log-sink.js';
import { SmtpSink } from '../../integrations/notifications/smtp-sink.js';
import { NotificationQueue, type NotificationQueueOptions, type NotificationSinks } from '../../queues/notifications.js';
import { PrivateRedisServer } from '../../queues/redis-server.js';
import type { PrismaClient } from '../../infra/database.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { redisKind, testQueueContext, type TestQueueContext } from '../support/redis.js';
import { waitFor, sleep } from '../support/wait.js';

let db: TestDatabase;
let redis: TestQueueContext;
const queues: NotificationQueue[] = [];

/** Lines the log sink wrote, parsed. */
const logged: Record<string, unknown>[] = [];
const sinkLogger = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
/** Lines the queues themselves wrote (their warnings and errors), parsed. */
type QueueLine = { level: number; msg: string; notificationId?: string; err?: { message: string } };
const queueLogged: QueueLine[] = [];
const queueLogger = pino({ level: 'info' }, { write: (line: string) => void queueLogged.push(JSON.parse(line)) });

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemoCatalog(db.prisma);
  redis = await testQueueContext();
});

afterAll(async () => {
  await Promise.all(
    queues.map(async (q) => {
      await q.queue.obliterate({ force: true });
      await q.close();
    }),
  );
  await redis?.close();
  await db?.close();
});

let queueCount = 0;
/**
 * A NotificationQueue of its own (its own key prefix under the file's prefix), so
 * that each test's worker only sees that test's jobs and sinks.
 */
async function notificationQueue(
  sinks: Partial<NotificationSinks> = {},
  options: NotificationQueueOptions = {},
  start = true,
  prisma: PrismaClient = db.prisma,
): Promise<NotificationQueue> {
  const ctx: QueueContext = { ...redis.context, prefix: `${redis.context.prefix}-${++queueCount}`, logger: queueLogger };
  const queue = new NotificationQueue(ctx, prisma, { log: new LogSink(sinkLogger), ...sinks }, { backoffMs: 20, ...options });
  queues.push(queue);
  if (start) queue.start();
  return queue;
}

async function placeOrder(o: { email?: string; failureReason?: string } = {}): Promise<string> {
  const { id } = await createOrder(db.prisma, {
    customerId: 'cust-notify',
    paymentMethod: 'pm_approve',
    items: [
      { sku: 'SKU-KETTLE', quantity: 2 },
      { sku: 'SKU-SCALE', quantity: 1 },
    ],
  });
  // createOrder does not take an e-mail address yet; set it the way it will be stored.
  if (o.email || o.failureReason)
    await db.prisma.order.update({ where: { id }, data: { customerEmail: o.email ?? null, failureReason: o.failureReason ?? null } });
  return id;
}

const row = (id: string) => db.prisma.notification.findUniqueOrThrow({ where: { id } });
const waitForStatus = (id: string, status: 'SENT' | 'FAILED') =>
  waitFor(`notification ${id} ${status}`, async () => ((await row(id)).status === status ? row(id) : undefined));
const idle = (q: NotificationQueue) => waitFor('an idle queue', async () => (await q.depth()).total === 0);
const deliveriesOf = (notificationId: string) => logged.filter((l) => l.notificationId === notificationId && l.msg === 'customer notification');
/** The queue's warnings and errors about one notification, as [level, message]. */
const complaintsAbout = (notificationId: string) =>
  queueLogged.filter((l) => l.notificationId === notificationId && l.level >= 40).map((l) => [l.level, l.msg]);
const WARN = 40;
const ERROR = 50;
const MARKED_FAILED = 'notification delivery failed for good; the notification is marked FAILED';

/**
 * The test database behind a client whose notification.updateMany fails where
 * `fault` says: 'before' (nothing written) or 'after' (written, and then the answer lost).
 */
function faultyPrisma(fault: (data: { status?: string }) => 'before' | 'after' | undefined): PrismaClient {
  const real = db.prisma;
  const bound = <T extends object>(target: T, prop: string | symbol) => {
    const value = Reflect.get(target, prop) as unknown;
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
  };
  const notification = new Proxy(real.notification, {
    get: (target, prop) =>
      prop !== 'updateMany'
        ? bound(target, prop)
        : async (args: Parameters<PrismaClient['notification']['updateMany']>[0]) => {
            const when = fault(args.data as { status?: string });
            if (when === 'before') throw new Error('database unavailable');
            const result = await target.updateMany(args);
            if (when === 'after') throw new Error('connection lost after the commit');
            return result;
          },
  });
  return new Proxy(real, { get: (target, prop) => (prop === 'notification' ? notification : bound(target, prop)) });
}

describe(`notifications (${databaseKind}, ${redisKind})`, () => {
  test('a recorded, queued notification is delivered through the log and marked SENT', async () => {
    const orderId = await placeOrder();
    const queue = await notificationQueue();
    const { id, created } = await recordNotification(db.prisma, { orderId, kind: 'confirmed', smtpEnabled: false });
    expect(created).toBe(true);
    await queue.enqueue(id);

    const sent = await waitForStatus(id, 'SENT');
    expect(sent).toMatchObject({ channel: 'log', recipient: null, attempts: 1, lastError: null });
    expect(sent.sentAt).toBeInstanceOf(Date);
    expect(deliveriesOf(id)).toEqual([
      expect.objectContaining({ orderId, kind: 'confirmed', notificationId: id, subject: `Your order ${orderId.slice(0, 8)} is confirmed`, level: 30 }),
    ]);

    const [view] = (await notificationPage(db.prisma, orderId)).notifications;
    expect(view).toEqual({
      id,
      kind: 'confirmed',
      shipmentId: null,
      channel: 'log',
      recipient: null,
      subject: sent.subject,
      body: sent.body,
      status: 'SENT',
      attempts: 1,
      lastError: null,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      sentAt: sent.sentAt?.toISOString(),
    });
    expect(view?.body).toContain(`Order ${orderId}`);
    expect(view?.body).toContain('2 × Electric kettle 1.7 l (SKU-KETTLE) at €34.99 = €69.98');
    expect(view?.body).toContain('Total: €89.97');
  });

  test('recording twice (even concurrently) keeps one row; enqueueing twice delivers once', async () => {
    const orderId = await placeOrder();
    const queue = await notificationQueue();
    const results = await Promise.all(Array.from({ length: 5 }, () => recordNotification(db.prisma, { orderId, kind: 'cancelled', smtpEnabled: false })));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const again = await recordNotification(db.prisma, { orderId, kind: 'cancelled', smtpEnabled: false });
    expect(again).toEqual({ id: results[0]?.id, created: false });
    expect(await db.prisma.notification.count({ where: { orderId } })).toBe(1);

    const id = again.id;
    await Promise.all([queue.enqueue(id), queue.enqueue(id)]);
    await waitForStatus(id, 'SENT');
    await queue.enqueue(id); // after delivery too
    await idle(queue);
    expect(deliveriesOf(id)).toHaveLength(1);
    expect((await row(id)).attempts).toBe(1);
  });

  test('the SMTP sink mails the customer through a real SMTP server', async () => {
    // smtp-server stands in for the mail provider: the one boundary a test cannot
    // reach. Everything on our side (nodemailer, the SMTP conversation) is real.
    const received: { from: string; to: string[]; raw: string }[] = [];
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const envelope = session.envelope;
          received.push({
            from: envelope.mailFrom ? envelope.mailFrom.address : '',
            to: envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    smtp.listen(0, '127.0.0.1');
    await once(smtp.server, 'listening');
    const { port } = smtp.server.address() as AddressInfo;
    const sink = new SmtpSink(`smtp://127.0.0.1:${port}`, 'order-saga <orders@shop.test>', sinkLogger);
    try {
      const queue = await notificationQueue({ smtp: sink });
      const orderId = await placeOrder({ email: 'ada@example.com', failureReason: 'payment declined: insufficient funds' });
      const { id } = await recordNotification(db.prisma, { orderId, kind: 'payment-failed', smtpEnabled: true });
      expect(await row(id)).toMatchObject({ channel: 'smtp', recipient: 'ada@example.com' });
      await queue.enqueue(id);
      await waitForStatus(id, 'SENT');

      expect(received).toHaveLength(1);
      const [mail] = received;
      expect(mail?.from).toBe('orders@shop.test');
      expect(mail?.to).toEqual(['ada@example.com']);
      expect(mail?.raw).toMatch(/^To: ada@example\.com\r?$/m);
      expect(mail?.raw).toMatch(new RegExp(`^Subject: Payment for your order ${orderId.slice(0, 8)} did not go through\\r?$`, 'm'));
      expect(mail?.raw).toMatch(new RegExp(`^Message-ID: <${id}@shop\\.test>\\r?$`, 'mi'));
      expect(mail?.raw).toMatch(new RegExp(`^X-Order-Id: ${orderId}\\r?$`, 'mi'));
      expect(mail?.raw).toContain('insufficient funds');
      expect(deliveriesOf(id)).toHaveLength(0); // mailed, not logged as a log-channel delivery
    } finally {
      await sink.close();
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    }
  });

  test('a failing sink is retried with backoff until it succeeds, every attempt counted', async () => {
    const calls: number[] = [];
    const flaky: NotificationSink = {
      channel: 'log',
      async deliver() {
        calls.push(Date.now());
        if (calls.length <= 2) throw new Error(`provider unavailable (attempt ${calls.length})`);
      },
      async close() {},
    };
    const queue = await notificationQueue({ log: flaky }, { backoffMs: 100 });
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'rejected', smtpEnabled: false });
    await queue.enqueue(id);

    const sent = await waitForStatus(id, 'SENT');
    expect(calls).toHaveLength(3);
    expect(sent).toMatchObject({ attempts: 3, lastError: 'provider unavailable (attempt 2)' });
    // Exponential: about 100 ms, then about 200 ms.
    expect((calls[1] as number) - (calls[0] as number)).toBeGreaterThanOrEqual(90);
    expect((calls[2] as number) - (calls[1] as number)).toBeGreaterThanOrEqual(190);
  });

  test('a sink that keeps failing leaves the notification FAILED after the last attempt', async () => {
    let calls = 0;
    const broken: NotificationSink = {
      channel: 'log',
      async deliver() {
        calls++;
        throw new Error('mail provider down');
      },
      async close() {},
    };
    const queue = await notificationQueue({ log: broken }, { attempts: 3 });
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    await queue.enqueue(id);
    expect(await waitForStatus(id, 'FAILED')).toMatchObject({ attempts: 3, lastError: 'mail provider down', sentAt: null });
    await idle(queue);
    expect(calls).toBe(3);
    expect(await queue.recoverPending(0)).toBe(0); // FAILED is for an operator, not for recovery
    // The log says so once, as an error, after two warnings about retries.
    await waitFor('the final log line', async () => complaintsAbout(id).length === 3);
    expect(complaintsAbout(id)).toEqual([
      [WARN, 'notification delivery failed; will retry'],
      [WARN, 'notification delivery failed; will retry'],
      [ERROR, MARKED_FAILED],
    ]);
    expect((await row(id)).status).toBe('FAILED');
  });

  test('a failed attempt on a notification another delivery of it has SENT meanwhile ends quietly, saying so', async () => {
    // A duplicate of the job (a re-run after a crash) delivers and records SENT while this attempt is failing.
    const racing: NotificationSink = {
      channel: 'log',
      async deliver(n) {
        expect(await markSent(db.prisma, n.id)).toBe(true);
        throw new Error('mail provider down');
      },
      async close() {},
    };
    const queue = await notificationQueue({ log: racing }, { attempts: 1 });
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    await queue.enqueue(id);
    const job = await waitFor('the job to end', async () => {
      const state = await queue.queue.getJobState(NotificationQueue.jobId(id));
      return (state === 'completed' || state === 'failed') && state;
    });
    await waitFor('a log line', async () => complaintsAbout(id).length > 0);
    expect({ job, complaints: complaintsAbout(id) }).toEqual({
      job: 'completed', // nothing left to retry
      complaints: [[WARN, 'notification delivery attempt failed, but the notification was already SENT by another delivery of it; nothing to retry']],
    });
    expect(await row(id)).toMatchObject({ status: 'SENT', attempts: 1, lastError: null });
  });

  test('a job that fails for good after the delivery was recorded says SENT, not FAILED', async () => {
    // markSent commits, then the answer is lost (the connection drops): the job fails after the fact.
    const prisma = faultyPrisma((data) => (data.status === 'SENT' ? 'after' : undefined));
    const queue = await notificationQueue({}, { attempts: 1 }, true, prisma);
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    await queue.enqueue(id);
    await waitFor('the final log line', async () => complaintsAbout(id).length > 0);
    expect(await queue.queue.getJobState(NotificationQueue.jobId(id))).toBe('failed');
    expect(complaintsAbout(id)).toEqual([
      [
        WARN,
        'notification delivery job failed for good, but the notification was already SENT (its delivery was recorded before the job failed: a crash after delivery, or a duplicate job); nothing to do',
      ],
    ]);
    expect(queueLogged.find((l) => l.notificationId === id)?.err?.message).toBe('connection lost after the commit');
    expect(await row(id)).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(deliveriesOf(id)).toHaveLength(1);
  });

  test('a job that fails for good before anything was recorded says PENDING, and recovery does queue it again', async () => {
    // The sink fails once, and so does the database when that failure is to be recorded.
    let sinkCalls = 0;
    const flaky: NotificationSink = {
      channel: 'log',
      async deliver() {
        if (++sinkCalls === 1) throw new Error('mail provider down');
      },
      async close() {},
    };
    let dbFailures = 0;
    const prisma = faultyPrisma((data) => (data.status !== 'SENT' && ++dbFailures === 1 ? 'before' : undefined));
    const queue = await notificationQueue({ log: flaky }, { attempts: 1 }, true, prisma);
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    await queue.enqueue(id);
    try {
      await waitFor('the final log line', async () => complaintsAbout(id).length > 0);
      expect(complaintsAbout(id)).toEqual([
        [
          ERROR,
          'notification delivery job failed for good before its outcome was recorded; the notification stays PENDING and outbox recovery will queue it again',
        ],
      ]);
      expect(await row(id)).toMatchObject({ status: 'PENDING', attempts: 0 });
      // What the line promises.
      expect(await queue.recoverPending(0)).toBe(1);
      expect(await waitForStatus(id, 'SENT')).toMatchObject({ attempts: 1 });
      expect(sinkCalls).toBe(2);
    } finally {
      // Should this test fail half-way, its row must not stay PENDING for the other tests' recoverPending.
      await db.prisma.notification.updateMany({ where: { id, status: 'PENDING' }, data: { status: 'FAILED' } });
    }
  });

  test('a permanent failure is not retried', async () => {
    let calls = 0;
    const refusing: NotificationSink = {
      channel: 'log',
      async deliver() {
        calls++;
        throw new PermanentDeliveryError('550 mailbox unavailable');
      },
      async close() {},
    };
    const queue = await notificationQueue({ log: refusing }, { attempts: 5 });
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    await queue.enqueue(id);
    expect(await waitForStatus(id, 'FAILED')).toMatchObject({ attempts: 1, lastError: '550 mailbox unavailable' });
    await idle(queue);
    expect(calls).toBe(1);
    await waitFor('the final log line', async () => complaintsAbout(id).length > 0);
    expect(complaintsAbout(id)).toEqual([[ERROR, MARKED_FAILED]]);
  });

  test('an SMTP notification with no SMTP sink configured fails at once, saying why', async () => {
    const queue = await notificationQueue({}, { attempts: 5 });
    const orderId = await placeOrder({ email: 'bob@example.com' });
    const { id } = await recordNotification(db.prisma, { orderId, kind: 'confirmed', smtpEnabled: true });
    await queue.enqueue(id);
    const failed = await waitForStatus(id, 'FAILED');
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toMatch(/channel "smtp", which is not configured/);
  });

  test('recoverPending queues PENDING rows nobody queued, and only old enough ones', async () => {
    const queue = await notificationQueue({}, {}, false);
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    expect(await queue.recoverPending(60_000)).toBe(0); // too young: probably being queued right now
    expect(await queue.recoverPending(0)).toBe(1);
    expect(await queue.recoverPending(0)).toBe(0); // its job is waiting: nothing to add
    expect(await queue.depth()).toEqual({ waiting: 1, delayed: 0, active: 0, total: 1 });

    queue.start();
    await waitForStatus(id, 'SENT');
    expect(deliveriesOf(id)).toHaveLength(1);
    expect(await queue.recoverPending(0)).toBe(0);
  });

  test('recoverPending re-queues a row whose job finished but whose outcome never reached the database', async () => {
    const queue = await notificationQueue();
    const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'cancelled', smtpEnabled: false });
    await queue.enqueue(id);
    await waitForStatus(id, 'SENT');
    await idle(queue);
    // As if markSent had been lost: Redis says completed, Postgres says PENDING.
    await db.prisma.notification.update({ where: { id }, data: { status: 'PENDING', sentAt: null } });
    expect(await queue.recoverPending(0)).toBe(1);
    await waitForStatus(id, 'SENT');
    expect(deliveriesOf(id)).toHaveLength(2);
  });

  test('while Redis is away enqueue fails at once; once it is back, recovery delivers from the outbox', async () => {
    // A Redis of this test's own, so that it can be stopped.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'saga-notify-redis-'));
    const ctx = (server: PrivateRedisServer): QueueContext => ({
      connection: { ...server.connection, maxRetriesPerRequest: null },
      prefix: redis.context.prefix,
      logger: pino({ level: 'silent' }),
    });
    let server = await PrivateRedisServer.start({ serverPath: 'redis-server', dataDir, logger: pino({ level: 'silent' }) });
    // This producer reconnects only a minute after a drop. ioredis asks retryStrategy for the delay
    // when the connection drops (times = 1) and again after each failed attempt (times = 2, ...). An
    // enqueue that waited for Redis (an offline queue, a retry per request) could only fail after an
    // attempt; one refused at once fails with none made. Counting attempts replaces timing the call.
    let reconnectAttempts = 0;
    let noticedDrop!: () => void;
    const dropped = new Promise<void>((r) => (noticedDrop = r));
    const retryStrategy = (times: number) => {
      reconnectAttempts = Math.max(reconnectAttempts, times - 1);
      noticedDrop();
      return 60_000;
    };
    let before: NotificationQueue | undefined;
    try {
      const base = ctx(server);
      before = new NotificationQueue({ ...base, connection: { ...base.connection, retryStrategy } }, db.prisma, { log: new LogSink(sinkLogger) });
      await before.depth(); // connected
      const { id } = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
      await server.stop();
      await dropped; // the producer has seen Redis go

      const started = Date.now();
      let attemptsWhenRefused: number | undefined;
      await expect(before.enqueue(id).finally(() => (attemptsWhenRefused = reconnectAttempts))).rejects.toThrow();
      expect(attemptsWhenRefused).toBe(0); // refused at once: the saga step is not held up waiting for Redis
      const closing = before;
      before = undefined;
      await closing.close(); // and shutting down does not hang on the dead connection
      const closedAt = Date.now();
      expect(closedAt - started).toBeLessThan(7_000);

      server = await PrivateRedisServer.start({ serverPath: 'redis-server', dataDir, logger: pino({ level: 'silent' }) });
      const after = new NotificationQueue(ctx(server), db.prisma, { log: new LogSink(sinkLogger) });
      after.start();
      try {
        expect(await after.recoverPending(0)).toBeGreaterThanOrEqual(1);
        await waitForStatus(id, 'SENT');
        expect(deliveriesOf(id)).toHaveLength(1);
      } finally {
        await after.close();
      }
      // ioredis ends a dropped connection with a 2 s timer of its own; let it run
      // out here rather than hold Jest open after the last test.
      await sleep(Math.max(0, closedAt + 2_100 - Date.now()));
    } finally {
      await before?.close(); // only when the test failed before closing it
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  test('channel and recipient follow the SMTP setting and the customer address', async () => {
    const withEmail = await placeOrder({ email: 'cy@example.com' });
    const withoutEmail = await placeOrder();
    const a = await recordNotification(db.prisma, { orderId: withEmail, kind: 'confirmed', smtpEnabled: false });
    const b = await recordNotification(db.prisma, { orderId: withoutEmail, kind: 'confirmed', smtpEnabled: true });
    expect(await row(a.id)).toMatchObject({ channel: 'log', recipient: 'cy@example.com', status: 'PENDING', attempts: 0 });
    expect(await row(b.id)).toMatchObject({ channel: 'log', recipient: null });
  });

  test('notifications of an order are listed oldest first; an unknown order is not found', async () => {
    const orderId = await placeOrder({ failureReason: 'payment timeout' });
    await recordNotification(db.prisma, { orderId, kind: 'payment-failed', smtpEnabled: false });
    await recordNotification(db.prisma, { orderId, kind: 'cancelled', smtpEnabled: false });
    expect((await notificationPage(db.prisma, orderId)).notifications.map((n) => [n.kind, n.status, n.sentAt])).toEqual([
      ['payment-failed', 'PENDING', null],
      ['cancelled', 'PENDING', null],
    ]);
    for (const unknown of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const err = await notificationPage(db.prisma, unknown).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundError);
      expect(err).toMatchObject({ field: 'id' });
    }
    await expect(recordNotification(db.prisma, { orderId: '00000000-0000-4000-8000-000000000000', kind: 'confirmed', smtpEnabled: false })).rejects.toThrow(
      NotFoundError,
    );
  });

  test('depth counts jobs not yet finished', async () => {
    const queue = await notificationQueue({}, {}, false);
    const a = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    const b = await recordNotification(db.prisma, { orderId: await placeOrder(), kind: 'confirmed', smtpEnabled: false });
    await queue.enqueue(a.id);
    await queue.enqueue(b.id);
    expect(await queue.depth()).toEqual({ waiting: 2, delayed: 0, active: 0, total: 2 });
    queue.start();
    await idle(queue);
  });
});

describe('composing notifications', () => {
  const order = {
    id: '3f2c1a9e-0000-4000-8000-000000000001',
    currency: 'EUR',
    totalMinor: 8997,
    failureReason: 'payment declined: card expired',
    items: [
      { sku: 'SKU-KETTLE', name: 'Electric kettle 1.7 l', quantity: 2, unitPriceMinor: 3499 },
      { sku: 'SKU-SCALE', quantity: 1, unitPriceMinor: 1999 },
    ],
  };

  test.each(NOTIFICATION_KINDS.map((k) => [k]))(
    '%s: subject names the order; body lists items, total and (for failures) the reason',
    (kind: NotificationKind) => {
      const { subject, body } = composeNotification(kind, order);
      expect(subject).toContain('3f2c1a9e');
      expect(body).toContain(`Order ${order.id}`);
      expect(body).toContain('2 × Electric kettle 1.7 l (SKU-KETTLE) at €34.99 = €69.98');
      expect(body).toContain('1 × SKU-SCALE at €19.99 = €19.99');
      expect(body).toContain('Total: €89.97');
      if (kind === 'confirmed') expect(body).not.toContain('card expired');
      else expect(body).toContain('payment declined: card expired');
    },
  );

  test('amounts use the currency’s own decimals', () => {
    expect(formatMoney(3499, 'EUR')).toBe('€34.99');
    expect(formatMoney(1200, 'JPY')).toBe('¥1,200');
    expect(formatMoney(12345, 'BHD')).toMatch(/^BHD\s12\.345$/); // three decimals
  });
});
