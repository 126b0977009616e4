// Who gets in, and what the ops page is in each engine mode, without running a
// saga: the app with the ops page on the embedded engine's (empty) tables, the
// page on Camunda 8 (no cluster needed: it only links to Operate), and /metrics
// with and without METRICS_TOKEN, and how long a reading of its gauges stands
// (METRICS_CACHE_MS). Plus the workers role's own /metrics, which
// needs a shared PostgreSQL and Redis (the PostgreSQL run only).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import type { Queue } from 'bullmq';
import { pino } from 'pino';
import { createApp, type AppDeps } from '../../api/app.js';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { SagaMetrics } from '../../infra/metrics.js';
import { EngineOperations } from '../../orchestrator/embedded/operations.js';
import { startSystem, type RunningSystem } from '../../app/start.js';
import { systemMetrics } from '../../app/system-metrics.js';
import { onPostgres, openTestDatabase, type TestDatabase } from '../support/database.js';
import { sagaEnvironment } from '../saga/support.js';
import { addOrder } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { parseExposition, scrape, value, type Exposition } from './prometheus.js';

const ADMIN_TOKEN = 'ops-access-admin-token';
const METRICS_TOKEN = 'ops-access-metrics-token';
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });

let db: TestDatabase;
const servers: Server[] = [];
const errorLines: string[] = [];

async function serve(deps: Partial<AppDeps>): Promise<string> {
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) });
  const app = createApp({
    db,
    config: { adminToken: ADMIN_TOKEN, auth: { devApiKey: DEV_API_KEY, customerTokens: undefined }, http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' } },
    logger,
    ...deps,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let embedded: string;
beforeAll(async () => {
  db = await openTestDatabase();
  embedded = await serve({ ops: { engine: 'embedded', prisma: db.prisma, operations: new EngineOperations(db.sql) }, metrics: { source: new SagaMetrics() } });
}, 60_000);
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await db?.close();
});
// Each test answers for its own log, whichever ran before it: a 500 (or any error-level line,
// from an app or from the systems of the workers-role test) fails the test it came during,
// or the next one when it came between tests.
let errorLinesChecked = 0;
afterEach(() => {
  const logged = errorLines.slice(errorLinesChecked);
  errorLinesChecked = errorLines.length;
  expect({ 'error-level log lines (a 500 logs one)': logged }).toEqual({ 'error-level log lines (a 500 logs one)': [] });
});

describe('the ops page asks for the admin token', () => {
  test.each(['/ops', '/ops/api/definitions', '/ops/assets/ops.js', '/ops/assets/bpmn-js/bpmn-navigated-viewer.production.min.js'])(
    '%s without credentials → 401 with a Basic challenge (a browser prompts)',
    async (p) => {
      const res = await fetch(embedded + p);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="order-saga ops"/);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual(['Authorization']);
    },
  );

  test('a wrong password is refused; the token as password (any user) or as bearer gets the page and its assets', async () => {
    expect((await fetch(`${embedded}/ops`, { headers: basic('not-the-token') })).status).toBe(401);
    const page = await fetch(`${embedded}/ops`, { headers: basic(DEV_API_KEY) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    // No foreign scripts and no framing by another site (the page has a Retry button).
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    const html = await page.text();
    expect(html).toContain('id="canvas"');
    expect(html).toContain('/ops/assets/bpmn-js/bpmn-navigated-viewer.production.min.js');
    for (const asset of [
      '/ops/assets/ops.js',
      '/ops/assets/ops.css',
      '/ops/assets/bpmn-js/bpmn-navigated-viewer.production.min.js',
      '/ops/assets/bpmn-js/assets/bpmn-js.css',
    ]) {
      const res = await fetch(embedded + asset, { headers: { authorization: `Bearer ${DEV_API_KEY}` } });
      expect([asset, res.status]).toEqual([asset, 200]);
      expect(res.headers.get('content-type')).toMatch(asset.endsWith('.js') ? /javascript/ : /^text\/css/);
    }
    expect((await fetch(`${embedded}/ops/assets/nope.js`, { headers: basic(DEV_API_KEY) })).status).toBe(404);
  });

  test('with nothing deployed the API answers empty lists, not errors', async () => {
    const res = await fetch(`${embedded}/ops/api/definitions`, { headers: basic(DEV_API_KEY) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ definitions: [], nextCursor: null });
  });
});

describe('on Camunda 8 the page points at Operate', () => {
  // Decisions come from Camunda 8's search API (ZeebeDecisions): here no cluster knows any instance.
  const decisions = { decisionsOf: async () => undefined };

  test('with CAMUNDA_OPERATE_BASE_URL: a link to it (escaped), no embedded-engine API', async () => {
    const url = await serve({ ops: { engine: 'zeebe', decisions, operateUrl: 'https://operate.example.com/"><script>alert(1)</script>' } });
    const res = await fetch(`${url}/ops`, { headers: basic(DEV_API_KEY) });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Camunda 8');
    expect(html).toContain('href="https://operate.example.com/&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;"');
    expect(html).not.toContain('<script>');
    expect((await fetch(`${url}/ops/api/definitions`, { headers: basic(DEV_API_KEY) })).status).toBe(404);
    expect((await fetch(`${url}/ops`)).status).toBe(401);
  });

  test('without it: says how to link Operate', async () => {
    const url = await serve({ ops: { engine: 'zeebe', decisions } });
    const html = await (await fetch(`${url}/ops`, { headers: basic(DEV_API_KEY) })).text();
    expect(html).toContain('CAMUNDA_OPERATE_BASE_URL');
    expect(html).not.toContain('data-testid="operate-link"');
  });

  test("the OpenAPI document lists the page and an instance's decisions, but no embedded-engine API, on Camunda 8", async () => {
    const url = await serve({ ops: { engine: 'zeebe', decisions } });
    const paths = Object.keys(((await (await fetch(`${url}/openapi.json`)).json()) as { paths: object }).paths);
    expect(paths).toContain('/ops');
    expect(paths).toContain('/ops/api/instances/{key}/decisions');
    expect(paths).not.toContain('/ops/api/definitions');
    expect(paths).not.toContain('/ops/api/instances/{key}');
    const unknown = await fetch(`${url}/ops/api/instances/2251799813685250/decisions`, { headers: basic(DEV_API_KEY) });
    expect([unknown.status, ((await unknown.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)]).toEqual([404, ['key']]);
    const embeddedPaths = Object.keys(((await (await fetch(`${embedded}/openapi.json`)).json()) as { paths: object }).paths);
    expect(embeddedPaths).toEqual(
      expect.arrayContaining([
        '/ops',
        '/ops/api/definitions',
        '/ops/api/definitions/{key}',
        '/ops/api/definitions/{key}/stats',
        '/ops/api/orders/{id}/path',
        '/ops/api/instances/{key}',
        '/ops/api/instances/{key}/decisions',
        '/metrics',
      ]),
    );
  });
});

describe('/metrics', () => {
  test('open by default: Prometheus text with the process metrics', async () => {
    const m = await scrape(embedded);
    expect(m.types.get('order_saga_process_cpu_seconds_total')).toBe('counter');
    expect(m.types.get('order_saga_nodejs_heap_size_used_bytes')).toBe('gauge');
  });

  test('with METRICS_TOKEN: refused without it or with the admin token, answered with it as bearer or Basic password', async () => {
    const url = await serve({ metrics: { source: new SagaMetrics(), token: METRICS_TOKEN } });
    const anonymous = await fetch(`${url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { detail: string }).detail).toBe('this operation needs the metrics token');
    expect((await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).status).toBe(401);
    expect((await scrape(url, { authorization: `Bearer ${METRICS_TOKEN}` })).types.get('order_saga_job_failures_total')).toBe('counter');
    expect((await scrape(url, basic(METRICS_TOKEN))).types.get('order_saga_saga_duration_seconds')).toBe('histogram');
  });

  test('METRICS_TOKEN shorter than 12 characters stops the service naming the variable', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN must be at least 12 characters/);
    expect(loadConfig({ METRICS_TOKEN: METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    expect(loadConfig({}).metricsToken).toBeUndefined();
  });

  // Each reading of the shared gauges costs a groupBy over all orders, an incident count and a query per queue.
  function countedMetrics(cacheMs: number) {
    const reads = { incidents: 0, queues: 0 };
    const world = { openIncidents: 0 };
    const queue = {
      name: 'notifications',
      getJobCounts: async () => {
        reads.queues++;
        return { waiting: 2 };
      },
    } as unknown as Queue;
    const incidents = {
      incidents: async () => [],
      openCount: async () => {
        reads.incidents++;
        return world.openIncidents;
      },
    };
    const source = systemMetrics({
      role: 'api',
      engine: 'embedded',
      logger: pino({ level: 'silent' }),
      taskTypes: [],
      cacheMs,
      shared: { prisma: db.prisma, incidents, queues: [queue], webhookProviders: [] },
    });
    return { source, reads, world };
  }

  test('METRICS_CACHE_MS: scrapes within the window reuse one reading of the gauges; the first scrape after it reads them again', async () => {
    const { source, reads, world } = countedMetrics(1000);
    const url = await serve({ metrics: { source } });
    const orders = (m: Exposition) => value(m, 'order_saga_orders', { status: 'NEW' });
    const started = Date.now();
    const first = await scrape(url);
    expect(reads).toEqual({ incidents: 1, queues: 1 });

    // Within the window a new order and a new incident are not read yet, and nothing is asked again.
    await addOrder(db.prisma, []);
    world.openIncidents = 1;
    const second = await scrape(url);
    expect([orders(second), value(second, 'order_saga_incidents_open'), value(second, 'order_saga_queue_depth', { queue: 'notifications' })]).toEqual([
      orders(first),
      0,
      2,
    ]);
    expect(reads).toEqual({ incidents: 1, queues: 1 });

    const fresh = await waitFor('a scrape that reads the sources again', async () => {
      const m = await scrape(url);
      return value(m, 'order_saga_incidents_open') === 1 ? m : undefined;
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(orders(fresh)).toBe(orders(first) + 1);
    expect(reads).toEqual({ incidents: 2, queues: 2 });
  });

  test('METRICS_CACHE_MS=0: every scrape reads the gauges; scrapes at the same moment share one reading', async () => {
    const { source, reads, world } = countedMetrics(0);
    const url = await serve({ metrics: { source } });
    expect(value(await scrape(url), 'order_saga_incidents_open')).toBe(0);
    world.openIncidents = 3;
    expect(value(await scrape(url), 'order_saga_incidents_open')).toBe(3);
    expect(reads).toEqual({ incidents: 2, queues: 2 });
    await Promise.all([source.exposition(), source.exposition(), source.exposition()]);
    expect(reads).toEqual({ incidents: 3, queues: 3 });
  });

  test('a source that stops answering keeps the scrape up, keeps its last values and says so', async () => {
    let down = false;
    const told: string[] = [];
    const metrics = new SagaMetrics((source) => told.push(source)).gaugeFromSource({
      name: 'orders',
      help: 'orders',
      labelNames: ['status'],
      source: 'database',
      read: async () => {
        if (down) throw new Error('database down');
        return [{ labels: { status: 'PAID' }, value: 3 }];
      },
    });
    const up = parseExposition((await metrics.exposition()).body);
    expect([value(up, 'order_saga_orders', { status: 'PAID' }), value(up, 'order_saga_metrics_source_up', { source: 'database' })]).toEqual([3, 1]);
    down = true;
    const stale = parseExposition((await metrics.exposition()).body);
    expect([value(stale, 'order_saga_orders', { status: 'PAID' }), value(stale, 'order_saga_metrics_source_up', { source: 'database' })]).toEqual([3, 0]);
    expect(told).toEqual(['database']);
  });
});

// The workers role runs no API: its /metrics carries the job counters, which live in that process.
(onPostgres ? describe : describe.skip)('the workers role (PostgreSQL only: two processes share the database and Redis)', () => {
  test('api and workers each expose their own /metrics; job counters and saga durations live with the workers', async () => {
    const { env, cleanup } = await sagaEnvironment({ ROLE: 'api' });
    const logger = pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) });
    const systems: RunningSystem[] = [];
    try {
      const api = await startSystem(loadConfig(env), logger);
      systems.push(api);
      const workers = await startSystem(loadConfig({ ...env, ROLE: 'workers' }), logger);
      systems.push(workers);
      const placed = await fetch(`${api.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_API_KEY}` },
        body: JSON.stringify({ customerId: 'ops-roles', items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' }),
      });
      const { id } = (await placed.json()) as { id: string };
      // Paid, then on to FULFILLING (its shipment sent), where it stays: nobody answers for the business.
      await waitFor(
        'the order to be paid and its shipment sent',
        async () =>
          ((await (await fetch(`${api.url}/orders/${id}`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).json()) as { status: string }).status ===
          'FULFILLING',
      );

      const fromWorkers = await waitFor('the workers to count the order', async () => {
        const m = await scrape(workers.url);
        return value(m, 'order_saga_saga_duration_seconds_count', { status: 'PAID' }) === 1 ? m : undefined;
      });
      expect(value(fromWorkers, 'order_saga_job_duration_seconds_count', { task_type: 'reserve-stock', outcome: 'complete' })).toBe(1);
      expect(value(fromWorkers, 'order_saga_build_info', { role: 'workers' })).toBe(1);
      // Shared state is reported once, by the api role; the workers role would only repeat it.
      expect(fromWorkers.types.has('order_saga_orders')).toBe(false);
      const fromApi = await scrape(api.url);
      expect(value(fromApi, 'order_saga_orders', { status: 'FULFILLING' })).toBe(1);
      expect(fromApi.types.has('order_saga_queue_depth')).toBe(true);
      expect(fromApi.samples.filter((x) => x.name === 'order_saga_job_duration_seconds_count')).toEqual([]);
    } finally {
      for (const s of systems.reverse()) await s.stop();
      await cleanup();
    }
  }, 60_000);
});
