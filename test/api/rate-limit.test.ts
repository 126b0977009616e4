// Rate limits over real HTTP on a real Redis and a real database: the app with the order
// saga's routes (embedded engine, real process models; nothing works the jobs). The app
// trusts a proxy on loopback, so X-Forwarded-For names the client's IP here.
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Redis, type RedisOptions } from 'ioredis';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { openEngine, type EngineParts } from '../../app/engines.js';
import { sandboxWebhookProvider } from '../../app/webhook-providers.js';
import { notificationPage } from '../../domain/notifications/list-notifications.js';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { SagaMetrics } from '../../infra/metrics.js';
import { OrderProcess } from '../../orchestrator/order-process.js';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { startSaga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';
import { redisKind, testQueueContext, uniquePrefix, type TestQueueContext } from '../support/redis.js';

const ADMIN_TOKEN = 'rate-limit-admin-token';
const OTHER_TOKEN = 'not-a-token-of-ours-0123';

let db: TestDatabase;
let parts: EngineParts;
let redisContext: TestQueueContext;
const opened: { server: Server; redis: Redis; gate: RedisGate }[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  parts = await openEngine({ kind: 'embedded' }, db, pino({ level: 'silent' }), { runTimers: false });
  await seedDemoCatalog(db.prisma);
  await parts.engine.deploy(await loadProcessModels());
  redisContext = await testQueueContext();
});

afterEach(async () => {
  for (const { server, redis, gate } of opened.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    redis.disconnect();
    await gate.close();
  }
});

afterAll(async () => {
  await redisContext.close();
  await parts.engine.close();
  await db.close();
});

/** A TCP gate in front of the test Redis: shut, it drops every connection, as an unreachable Redis does. */
type RedisGate = { port: number; open: boolean; shut(): void; close(): Promise<void> };

async function redisGate(open: boolean): Promise<RedisGate> {
  const target = redisContext.context.connection as RedisOptions;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (!gate.open) return void client.destroy();
    const upstream = target.path ? connect(target.path) : connect(target.port ?? 6379, target.host ?? '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const gate: RedisGate = {
    port: (server.address() as AddressInfo).port,
    open,
    shut() {
      gate.open = false;
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => (gate.shut(), server.close(() => resolve()))),
  };
  return gate;
}

type Instance = { url: string; redis: Redis; gate: RedisGate; warnings: string[] };

/** The limiter's client as app/start.ts opens it (commands fail at once while Redis is away), through a gate. */
async function serve(perMinute: number, prefix: string, o: { redisUp?: boolean } = {}): Promise<Instance> {
  const gate = await redisGate(o.redisUp !== false);
  const { path: _path, ...options } = redisContext.context.connection as RedisOptions;
  const redis = new Redis({ ...options, host: '127.0.0.1', port: gate.port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  if (gate.open) await redis.connect();
  else void redis.connect().catch(() => undefined);
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
  const app = createApp({
    db,
    config: {
      adminToken: ADMIN_TOKEN,
      auth: { devApiKey: DEV_API_KEY, customerTokens: undefined },
      http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' },
      rateLimit: { perMinute },
    },
    logger,
    saga: {
      orderProcess: new OrderProcess(parts.engine, { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 }),
      gateway: { checkPaymentMethod: () => undefined },
      inspector: parts.inspector,
      listNotifications: (orderId, page) => notificationPage(db.prisma, orderId, page),
      webhookProviders: [sandboxWebhookProvider('whsec_rate_limit_0123456789', 300)],
      relay: { relayNow: async () => undefined },
      incidents: parts.incidents,
      engine: parts.engine,
      queues: [],
    },
    metrics: { source: new SagaMetrics() },
    rateLimitStore: { redis, prefix: `${redisContext.context.prefix}:${prefix}:` },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  opened.push({ server, redis, gate });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, redis, gate, warnings };
}

/** Opens the gate and waits until the limiter's client has reconnected by itself. */
async function redisBack(instance: Instance): Promise<void> {
  instance.gate.open = true;
  await waitFor('the rate limit client to reconnect', () => instance.redis.status === 'ready');
}

const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** An order by the shop's backend (`key`, default the development key) from `ip`. */
const placeOrder = (base: string, ip: string, key = DEV_API_KEY) =>
  fetch(`${base}/orders`, {
    method: 'POST',
    headers: from(ip, { 'content-type': 'application/json', ...bearer(key) }),
    body: JSON.stringify({ customerId: `rate-limit-${ip}`, items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' }),
  });

const statuses = async (requests: (() => Promise<Response>)[]) => {
  const out: number[] = [];
  for (const r of requests) out.push((await r()).status);
  return out;
};
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

describe(`rate limits (${databaseKind}, ${redisKind})`, () => {
  test('over the limit: 429 problem+json with Retry-After and the RateLimit headers, and the order is not created', async () => {
    const { url } = await serve(3, uniquePrefix());
    const ip = '203.0.113.10';
    expect(await statuses(times(3, () => () => placeOrder(url, ip)))).toEqual([202, 202, 202]);

    const res = await placeOrder(url, ip);
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ type: '/problems/rate-limited', status: 429, instance: '/orders' });
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get('ratelimit-policy')).toMatch(/q=3; w=60/);
    expect(res.headers.get('ratelimit')).toMatch(/r=0; t=\d+/);
    expect(await db.prisma.order.count({ where: { customerId: `rate-limit-${ip}` } })).toBe(3);
  });

  test('another IP and a credential of ours have budgets of their own; an unknown token does not', async () => {
    const { url } = await serve(2, uniquePrefix());
    const products = (headers: Record<string, string>) => () => fetch(`${url}/products`, { headers });
    expect(await statuses(times(3, () => products(from('198.51.100.1'))))).toEqual([200, 200, 429]);
    // A made-up token would otherwise buy a fresh budget on every request.
    expect(await statuses([products(from('198.51.100.1', bearer(OTHER_TOKEN)))])).toEqual([429]);
    expect(await statuses(times(2, () => products(from('198.51.100.2'))))).toEqual([200, 200]);
    // The admin token is one client wherever it comes from, the exhausted IP included.
    expect(await statuses([products(from('198.51.100.1', bearer(ADMIN_TOKEN))), products(from('198.51.100.3', bearer(ADMIN_TOKEN)))])).toEqual([200, 200]);
    expect(await statuses([products(from('198.51.100.4', bearer(ADMIN_TOKEN)))])).toEqual([429]);
  });

  test('Redis holds a hash of who the caller is, never the credential itself', async () => {
    const prefix = uniquePrefix();
    const { url, redis } = await serve(5, prefix);
    expect((await fetch(`${url}/products`, { headers: from('198.51.100.9', bearer(ADMIN_TOKEN)) })).status).toBe(200);
    const keys = await redis.keys(`${redisContext.context.prefix}:${prefix}:*`);
    expect(keys).toEqual([`${redisContext.context.prefix}:${prefix}:caller:${createHash('sha256').update('admin').digest('hex')}`]);
  });

  test('a key over its limit gets 429; another key, from the same address, is unaffected', async () => {
    const { url } = await serve(2, uniquePrefix());
    const created = await fetch(`${url}/admin/api-keys`, {
      method: 'POST',
      headers: { ...bearer(ADMIN_TOKEN), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'second shop', scopes: ['orders:write'] }),
    });
    expect(created.status).toBe(201);
    const other = ((await created.json()) as { token: string }).token;
    const ip = '203.0.113.77';
    expect(await statuses(times(3, () => () => placeOrder(url, ip)))).toEqual([202, 202, 429]);
    expect(await statuses(times(2, () => () => placeOrder(url, ip, other)))).toEqual([202, 202]);
    expect(await statuses([() => placeOrder(url, ip, other)])).toEqual([429]);
  });

  test('health, readiness, metrics and the payment webhook are never limited, and do not count', async () => {
    const { url } = await serve(2, uniquePrefix());
    const ip = from('192.0.2.7');
    const webhook = () => fetch(`${url}/webhooks/payments/sandbox`, { method: 'POST', headers: { ...ip, 'content-type': 'application/json' }, body: '{}' });
    const exempt = [
      ...times(4, () => () => fetch(`${url}/health`, { headers: ip })),
      ...times(4, () => () => fetch(`${url}/ready`, { headers: ip })),
      ...times(4, () => () => fetch(`${url}/metrics`, { headers: ip })),
      ...times(4, () => webhook),
    ];
    const answered = await statuses(exempt);
    expect(answered.filter((s) => s === 429)).toEqual([]);
    // Unsigned: refused for its signature, never for the rate.
    expect((await webhook()).status).toBe(401);
    expect(await statuses(times(3, () => () => fetch(`${url}/products`, { headers: ip })))).toEqual([200, 200, 429]);
  });

  test('two instances on the same Redis share one budget per client', async () => {
    const prefix = uniquePrefix();
    const [a, b] = [await serve(4, prefix), await serve(4, prefix)];
    const ip = from('192.0.2.20');
    const at = (base: string) => () => fetch(`${base}/products`, { headers: ip });
    expect(await statuses([at(a!.url), at(b!.url), at(a!.url), at(b!.url), at(a!.url), at(b!.url)])).toEqual([200, 200, 200, 200, 429, 429]);
  });

  test('Redis away: requests are served unlimited and a warning is logged; once it is back, the limit applies again', async () => {
    const instance = await serve(2, uniquePrefix());
    const ip = from('192.0.2.30');
    const products = () => fetch(`${instance.url}/products`, { headers: ip });
    expect(await statuses([products])).toEqual([200]);
    instance.gate.shut();
    const started = Date.now();
    expect(await statuses(times(5, () => products))).toEqual([200, 200, 200, 200, 200]);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(instance.warnings.some((l) => l.includes('"level":40') && l.includes('rate limit not applied'))).toBe(true);
    await redisBack(instance);
    expect(await statuses([products, products])).toEqual([200, 429]);
  });

  test('Redis unreachable from the start: requests are served; limits begin once it answers', async () => {
    const instance = await serve(1, uniquePrefix(), { redisUp: false });
    const ip = from('192.0.2.40');
    const products = () => fetch(`${instance.url}/products`, { headers: ip });
    expect(await statuses(times(3, () => products))).toEqual([200, 200, 200]);
    await redisBack(instance);
    expect(await statuses([products, products])).toEqual([200, 429]);
  });
});

describe(`the started service (${databaseKind}, ${redisKind})`, () => {
  test('app/start.ts wires the limit on the service Redis: RATE_LIMIT_PER_MINUTE=2', async () => {
    const saga = await startSaga({ RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const products = () => fetch(`${saga.url}/products`);
      expect(await statuses([products, products, products])).toEqual([200, 200, 429]);
      expect((await fetch(`${saga.url}/health`)).status).toBe(200);
    } finally {
      await saga.stop();
    }
  }, 60_000);
});

describe('rate limit settings', () => {
  const env = (e: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...e });
  test('6000 a minute by default (a shop backend places orders without a credential today: it is one IP); 0 or RATE_LIMIT_ENABLED=false turns the limit off', () => {
    expect(env({}).rateLimit).toEqual({ perMinute: 6000 });
    expect(env({ RATE_LIMIT_PER_MINUTE: '30' }).rateLimit).toEqual({ perMinute: 30 });
    expect(env({ RATE_LIMIT_PER_MINUTE: '0' }).rateLimit).toEqual({ perMinute: undefined });
    expect(env({ RATE_LIMIT_ENABLED: 'false' }).rateLimit).toEqual({ perMinute: undefined });
    expect(() => env({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
  });
});
