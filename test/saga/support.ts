// The whole system, in-process, as `npm start` wires it: the embedded engine, the
// workers, real Redis (REDIS_URL, or the service's own redis-server child), the
// sandbox provider calling our webhook over real HTTP, on PGlite (on disk, like
// `npm start`) or a fresh PostgreSQL database. Tests talk to it over HTTP only and
// look at the database to check stock invariants.
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked by the tests' expectations, not by types */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { DEV_API_KEY, loadConfig } from '../../infra/config.js';
import { signPayload } from '../../domain/payments/signature.js';
import { startSystem, type RunningSystem } from '../../app/start.js';
import { createMigratedPostgresDatabase, onPostgres } from '../support/database.js';
import { seedPgliteDataDir } from '../support/pglite-template.js';
import { waitFor } from '../support/wait.js';

export const ADMIN_TOKEN = 'saga-test-admin-token';
/** What the tests call with unless they name another credential: the development key (every scope), as a shop's backend would hold. */
export const SHOP_KEY = DEV_API_KEY;
/** Headers of a request by the shop's backend. */
export const shopAuth = { authorization: `Bearer ${SHOP_KEY}` };
const withAuth = (headers: Record<string, string>) =>
  Object.keys(headers).some((h) => h.toLowerCase() === 'authorization') ? headers : { ...shopAuth, ...headers };
export const SANDBOX_SECRET = 'whsec_saga_test_secret_0123456789';
/** How the payment saga ends: paid (then the shipments go out: FULFILLING), or one of the failures, its process ended. */
export const FINAL = ['FULFILLING', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'] as const;
/** The statuses of a paid order whose shipments went out, as a test that ends at payment sees it. */
export const PAID_PATH = ['NEW', 'AWAITING_PAYMENT', 'PAID', 'FULFILLING'] as const;

/** Paid, as the payment saga leaves an order: it reached PAID, then its shipments went out (FULFILLING). */
export function paid(o: { status: string; history: { to: string }[] }): boolean {
  return o.status === 'FULFILLING' && o.history.some((h) => h.to === 'PAID');
}

/**
 * A paid order's process after its payment saga: still active, waiting in FulfilShipments (one
 * step per shipment: the demo businesses answer through the manual dispatcher, so here never).
 */
export function waitsForShipments(o: { process: { state: string; currentSteps: { elementId: string }[] } | null }): boolean {
  const steps = o.process?.currentSteps ?? [];
  return o.process?.state === 'ACTIVE' && steps.length > 0 && steps.every((s) => s.elementId === 'FulfilShipments');
}

export type OrderView = {
  id: string;
  status: string;
  failureReason: string | null;
  total: { amountMinor: number; currency: string };
  items: { sku: string; quantity: number; unitPriceMinor: number }[];
  reservations: { sku: string; warehouseId: string; quantity: number; state: string }[];
  payment: {
    id: string;
    status: string;
    provider: string;
    providerPaymentId: string | null;
    amountMinor: number;
    currency: string;
    failureReason: string | null;
  } | null;
  history: { from: string | null; to: string; reason: string; at: string }[];
  process: { processInstanceKey: string; state: string; currentSteps: { elementId: string; name: string | null }[] } | null;
};

export type StockRow = { warehouseId: string; onHand: number; reserved: number; available: number; sold: number };

export type Saga = {
  system: RunningSystem;
  url: string;
  errorLines: string[];
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  placeOrder(o: {
    sku?: string;
    quantity?: number;
    items?: { sku: string; quantity: number }[];
    paymentMethod: string;
    customerId?: string;
    customerEmail?: string;
  }): Promise<string>;
  order(id: string): Promise<OrderView>;
  waitForOrder(id: string, until: (o: OrderView) => boolean, what: string, timeoutMs?: number): Promise<OrderView>;
  /** Waits for the payment saga's end: FULFILLING (paid, shipments sent), or a failure with its process ended (notifications sent). */
  waitForFinal(id: string, timeoutMs?: number): Promise<OrderView>;
  stock(sku: string): Promise<StockRow[]>;
  setStock(sku: string, perWarehouse: Record<string, number>): Promise<void>;
  notifications(id: string): Promise<{ kind: string; shipmentId: string | null; status: string; subject: string; body: string }[]>;
  sendWebhook(event: unknown, o?: { secret?: string; timestamp?: number; signature?: string }): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
};

/** Environment for a fresh system: its own database, its own queue prefix, test-short durations. */
export async function sagaEnvironment(overrides: Record<string, string> = {}): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  const cleanups: (() => Promise<void>)[] = [];
  const dataDir = await mkdtemp(path.join(tmpdir(), 'order-saga-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  if (!onPostgres) await seedPgliteDataDir(dataDir);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    ADMIN_TOKEN,
    SANDBOX_WEBHOOK_SECRET: SANDBOX_SECRET,
    SANDBOX_DELAY_MS: '30',
    PAYMENT_TIMEOUT: 'PT30S',
    PAYMENT_RETRY_BACKOFF_MS: '20',
    RECOVERY_INTERVAL_MS: '1000',
    // Tests read the gauges right after changing what they count: no reuse of an earlier reading.
    METRICS_CACHE_MS: '0',
    // Tests poll the API many times a second from one address: limits on (the wiring runs), never reached.
    RATE_LIMIT_PER_MINUTE: '1000000',
    QUEUE_PREFIX: `saga-${randomBytes(4).toString('hex')}`,
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  };
  if (process.env.ENGINE_UNDER_TEST === 'zeebe') {
    // `npm run test:zeebe`: the same system on the Camunda 8 cluster the environment names.
    env.ENGINE = 'zeebe';
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined && /^(ZEEBE|CAMUNDA)_/.test(name)) env[name] = value;
  }
  if (onPostgres) {
    const empty = await createMigratedPostgresDatabase();
    cleanups.push(empty.drop);
    Object.assign(env, { DATABASE_URL: empty.url, DB_MIGRATE_ON_START: 'true', SEED_DEMO_DATA: 'true' });
  }
  Object.assign(env, overrides);
  return {
    env,
    async cleanup() {
      for (const c of cleanups.reverse()) await c();
    },
  };
}

/** `method` `path` on the service at `url` with exactly `headers` (a JSON body adds its content type); the answer's body parsed, undefined when empty. */
export async function sendJson(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any, headers: res.headers };
}

/** `log`: every JSON log line at `level` or above (default warn), for tests that read the log itself. */
export async function startSaga(overrides: Record<string, string> = {}, log: { level?: string; onLine?: (line: string) => void } = {}): Promise<Saga> {
  const { env, cleanup } = await sagaEnvironment(overrides);
  const errorLines: string[] = [];
  const logger = pino(
    { level: log.level ?? 'warn' },
    {
      write: (line: string) => {
        log.onLine?.(line);
        const entry = JSON.parse(line);
        if (entry.level >= 50) errorLines.push(line);
        // A stop that hangs names its step here: afterAll's timeout alone would not say which.
        if (/^(still closing|could not close)/.test(entry.msg)) process.stderr.write(`[saga stop] ${line}`);
      },
    },
  );
  let system: RunningSystem;
  try {
    system = await startSystem(loadConfig(env), logger);
  } catch (err) {
    await cleanup();
    throw err;
  }
  const url = system.url;
  const admin = { authorization: `Bearer ${DEV_API_KEY}` };

  async function post(p: string, body?: unknown, headers: Record<string, string> = {}) {
    return sendJson(url, 'POST', p, body, withAuth(headers));
  }
  async function get(p: string, headers: Record<string, string> = {}) {
    const res = await fetch(url + p, { headers: withAuth(headers) });
    return { status: res.status, body: (await res.json()) as any };
  }
  async function order(id: string): Promise<OrderView> {
    const res = await get(`/orders/${id}`);
    if (res.status !== 200) throw new Error(`GET /orders/${id} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body as OrderView;
  }
  async function waitForOrder(id: string, until: (o: OrderView) => boolean, what: string, timeoutMs = 20_000) {
    let last: OrderView | undefined;
    try {
      return await waitFor(
        `order ${id} ${what}`,
        async () => {
          last = await order(id);
          return until(last) ? last : undefined;
        },
        timeoutMs,
      );
    } catch (err) {
      const errors = errorLines.length ? `; the service's last errors: ${errorLines.slice(-5).join('')}` : '';
      // Where the engine stands on its timers: a process that waits at a timer forever shows why here.
      const key = last?.process?.processInstanceKey;
      const timers = key
        ? await system.db.sql
            .query(`SELECT element_id, due_at, now() AS db_now FROM engine_timers WHERE process_instance_key = $1::bigint`, [key])
            .then((rows) => `; its timers: ${JSON.stringify(rows)} (JS now ${new Date().toISOString()})`)
            .catch((e: Error) => `; its timers could not be read: ${e.message}`)
        : '';
      throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}${errors}${timers}`, { cause: err });
    }
  }

  return {
    system,
    url,
    errorLines,
    post,
    get,
    async placeOrder(o) {
      const items = o.items ?? [{ sku: o.sku ?? 'SKU-KETTLE', quantity: o.quantity ?? 1 }];
      const res = await post('/orders', {
        customerId: o.customerId ?? 'cust-1',
        items,
        paymentMethod: o.paymentMethod,
        ...(o.customerEmail ? { customerEmail: o.customerEmail } : {}),
      });
      if (res.status !== 202) throw new Error(`POST /orders answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    },
    order,
    waitForOrder,
    waitForFinal: (id, timeoutMs) =>
      waitForOrder(
        id,
        // A paid order's process goes on (its shipments wait for their businesses): FULFILLING is its end here.
        (o) => (FINAL as readonly string[]).includes(o.status) && (o.status === 'FULFILLING' || o.process?.state === 'COMPLETED'),
        'to end its payment saga (FULFILLING, or a failure with its process ended)',
        timeoutMs,
      ),
    async stock(sku) {
      const rows = await system.db.prisma.stock.findMany({ where: { sku }, orderBy: { warehouseId: 'asc' } });
      const sold = await system.db.prisma.reservation.groupBy({ by: ['warehouseId'], where: { sku, state: 'COMMITTED' }, _sum: { quantity: true } });
      const soldBy = new Map(sold.map((s) => [s.warehouseId, s._sum.quantity ?? 0]));
      return rows.map((r) => ({
        warehouseId: r.warehouseId,
        onHand: r.onHand,
        reserved: r.reserved,
        available: r.onHand - r.reserved,
        sold: soldBy.get(r.warehouseId) ?? 0,
      }));
    },
    async setStock(sku, perWarehouse) {
      for (const [wh, onHand] of Object.entries(perWarehouse)) {
        const res = await fetch(`${url}/stocks/${sku}/${wh}`, {
          method: 'PUT',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ onHand }),
        });
        if (res.status !== 200) throw new Error(`PUT stock answered ${res.status}: ${await res.text()}`);
      }
    },
    async notifications(id) {
      const res = await get(`/orders/${id}/notifications`);
      return res.body.notifications;
    },
    async sendWebhook(event, o = {}) {
      const raw = JSON.stringify(event);
      const signature = o.signature ?? signPayload(o.secret ?? SANDBOX_SECRET, raw, o.timestamp ?? Math.floor(Date.now() / 1000));
      const res = await fetch(`${url}/webhooks/payments/sandbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sandbox-signature': signature },
        body: raw,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      await system.stop();
      await cleanup();
    },
  };
}

/** A signed sandbox approval of `payment`, as the provider sends it (pass to sendWebhook). */
export function approvalEvent(
  orderId: string,
  payment: { id: string; providerPaymentId: string | null; amountMinor: number; currency: string },
  eventId: string,
) {
  return {
    id: eventId,
    type: 'payment.succeeded',
    created: Math.floor(Date.now() / 1000),
    data: {
      orderId,
      paymentId: payment.id,
      providerPaymentId: payment.providerPaymentId ?? 'sbx_unknown',
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    },
  };
}

export const adminAuth = { authorization: `Bearer ${DEV_API_KEY}` };

/** Sum of units per state across an order's reservations. */
export function unitsByState(o: OrderView): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of o.reservations) out[r.state] = (out[r.state] ?? 0) + r.quantity;
  return out;
}
