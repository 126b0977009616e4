/**
 * What `npm run bench:saga` and `npm run bench:saga:soak` share: one database's stack (Redis,
 * a temporary DATA_DIR, a fresh PostgreSQL database, the service with the probe), each part
 * stopped by its own handle and kept for Ctrl-C and the watchdog; the warm-up; waiting for the
 * last work of a run's orders; the machine and table formatting of the report.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freshPostgresDatabase, type FreshDatabase } from '../test/support/database.js';
import { sleep } from '../test/support/wait.js';
import type { BenchRun } from './bench-run.js';
import { runOrders, type FinalStatusWatcher } from './saga-orders.js';
import { benchRedis, deleteRedisKeys, freePort, startService, type BenchRedis, type ServiceProcess } from './saga-service.js';

export type Kind = 'pglite' | 'postgres';

export const SKU = 'SKU-KETTLE';
export const WARM_UP_ORDERS = 20;
export const ORDER_TIMEOUT_MS = 60_000;
const WARM_UP_BUDGET_MS = 120_000;
/** After the last order's notification job, for the process instance's last transaction. */
const SETTLE_TAIL_MS = 300;
const SETTLE_TIMEOUT_MS = 30_000;

export const SERVICE_COMMAND = 'node --import tsx --import ./bench/saga-probe.ts app/main.ts';
/** The service's settings besides its database and Redis: defaults, but for these. */
export const SERVICE_ENV = {
  SANDBOX_DELAY_MS: '0',
  // The limiter stays on (its Redis work is part of every request) with a budget the bench's one key cannot exhaust.
  RATE_LIMIT_PER_MINUTE: '1000000',
  LOG_LEVEL: 'info',
};

export type SagaStack = {
  redis: BenchRedis;
  /** How the report names the Redis: the bench's own, or REDIS_URL (shared). */
  redisLabel: string;
  dataDir: string;
  /** PostgreSQL only: the fresh database. */
  fresh?: FreshDatabase;
  service: ServiceProcess;
  // Each runs once: on the normal path when called, else on errors, Ctrl-C and the watchdog.
  stopService(): Promise<void>;
  clearPrefix(): Promise<void>;
  dropDatabase(): Promise<void>;
  removeDataDir(): Promise<void>;
  stopRedis(): Promise<void>;
};

export type StackOptions = {
  kind: Kind;
  /** Names the run's files and keys: `<name>-` temporary directory, `<name>_<random>` database, `<name>-<random>` queue prefix, `test-artifacts/<name>-<kind>.log`. */
  name: string;
  /** BENCH_DATABASE_URL: the PostgreSQL server (PostgreSQL only). */
  databaseUrl: string | undefined;
  /** REDIS_URL: a Redis to share; unset, a redis-server of the bench's own. */
  redisUrl: string | undefined;
  cleanup: BenchRun['cleanup'];
  log(line: string): void;
};

/** Redis, DATA_DIR, the database (a fresh one on PostgreSQL; PGlite file-backed in DATA_DIR), the service, ready. */
export async function startStack(o: StackOptions): Promise<SagaStack> {
  const { cleanup } = o;
  const redis = await benchRedis(o.redisUrl);
  const stopRedis = cleanup(() => redis.stop());
  const dataDir = await mkdtemp(path.join(tmpdir(), `${o.name}-`));
  const removeDataDir = cleanup(() => rm(dataDir, { recursive: true, force: true }));
  const fresh =
    o.kind === 'postgres' ? await freshPostgresDatabase(o.databaseUrl as string, o.name.replaceAll('-', '_'), { connectTimeoutMs: 5_000 }) : undefined;
  const dropDatabase = cleanup(async () => fresh?.drop());
  const prefix = `${o.name}-${randomBytes(4).toString('hex')}`;
  const clearPrefix = cleanup(async () => (redis.own ? undefined : deleteRedisKeys(redis.url, prefix)));
  const redisLabel = redis.own ? `own redis-server (${redis.url})` : `REDIS_URL ${new URL(redis.url).host} (shared: INFO figures include its other clients)`;
  o.log(`  database: ${fresh ? `${fresh.name} on PostgreSQL ${fresh.serverVersion}` : `PGlite in ${dataDir}`}; Redis: ${redisLabel}`);

  const env: Record<string, string> = {
    ...SERVICE_ENV,
    DATA_DIR: dataDir,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: prefix,
    ...(fresh ? { DATABASE_URL: fresh.url, DB_MIGRATE_ON_START: 'true', SEED_DEMO_DATA: 'true' } : {}),
  };
  const logFile = path.resolve('test-artifacts', `${o.name}-${o.kind}.log`);
  await mkdir(path.dirname(logFile), { recursive: true });
  const service = await startService(env, await freePort(), logFile);
  const stopService = cleanup(() => service.stop());
  o.log(`  service pid ${service.pid} at ${service.url} (log: ${path.relative(process.cwd(), logFile)})`);
  return { redis, redisLabel, dataDir, ...(fresh ? { fresh } : {}), service, stopService, clearPrefix, dropDatabase, removeDataDir, stopRedis };
}

/** Notification jobs the service has handled: one per order, its payment saga's last step (a paid order's shipments follow). */
export const notificationsDone = async (service: ServiceProcess) => (await service.snapshot()).jobs.notifications?.completed ?? 0;

/** Waits until `count` more notification jobs than `notificationsBefore` were handled (an order's last work up to PAID), then a little longer. */
export async function settle(service: ServiceProcess, notificationsBefore: number, count: number): Promise<boolean> {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const done = await notificationsDone(service);
    if (done >= notificationsBefore + count) break;
    if (performance.now() > deadline) return false;
    await sleep(50);
  }
  await sleep(SETTLE_TAIL_MS);
  return true;
}

/** WARM_UP_ORDERS orders at `concurrency`, not counted, then their last work awaited. */
export async function warmUp(service: ServiceProcess, watcher: FinalStatusWatcher, concurrency: number, log: (line: string) => void): Promise<void> {
  log(`  warm-up: ${WARM_UP_ORDERS} orders`);
  const before = await notificationsDone(service);
  const warm = await runOrders({
    base: service.url,
    watcher,
    total: WARM_UP_ORDERS,
    concurrency,
    budgetMs: WARM_UP_BUDGET_MS,
    sku: SKU,
    orderTimeoutMs: ORDER_TIMEOUT_MS,
  });
  if (warm.paid < WARM_UP_ORDERS) throw new Error(`warm-up: ${WARM_UP_ORDERS - warm.paid} orders did not reach PAID: ${JSON.stringify(warm.notPaid)}`);
  await settle(service, before, WARM_UP_ORDERS);
}

// ---- the report ---------------------------------------------------------------------

/** The first line of a report: the command, the date, the machine. */
export function banner(name: string): string {
  const cpus = os.cpus();
  return `${name} — ${new Date().toISOString()} — ${cpus.length} cores (${cpus[0]?.model ?? '?'}), node ${process.version}`;
}

/** The machine, for the JSON. */
export function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? '?',
    totalMemoryBytes: os.totalmem(),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}
