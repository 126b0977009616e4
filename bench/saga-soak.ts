/**
 * `npm run bench:saga:soak`: the soak run of issue 16, item 4.
 *
 *   node --expose-gc --import tsx bench/saga-soak.ts
 *
 * The service as `bench:saga` runs it (bench/saga-stack.ts: a child process with the probe,
 * SANDBOX_DELAY_MS=0, the bench's own redis-server unless REDIS_URL), on one database: a fresh
 * PostgreSQL database when BENCH_DATABASE_URL is set, else PGlite. First the maximum rate (a
 * closed-loop run of BENCH_SOAK_PROBE_ORDERS orders from BENCH_CONCURRENCY clients), then the
 * soak: orders placed open loop on a fixed schedule at half that rate (or BENCH_SOAK_RATE) for
 * BENCH_SOAK_MINUTES, the service sampled every second. Prints a line per minute (orders,
 * place→PAID p50 / p99 / max, heap, RSS, CPU, Redis memory, database size), then whether heap,
 * RSS and p99 stayed flat; writes test-artifacts/bench-saga-soak.json. See bench/README.md
 * ("Soak run (issue 16, item 4)").
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL       postgresql:// URL of a server (a role allowed to CREATE DATABASE): soak on PostgreSQL instead of PGlite
 *   REDIS_URL                a Redis to use (shared); unset: a redis-server of the bench's own
 *   BENCH_SOAK_MINUTES       length of the soak, minutes (default 20; fractions allowed, e.g. 0.5)
 *   BENCH_SOAK_RATE          orders/s of the soak (default: half the measured maximum)
 *   BENCH_SOAK_PROBE_ORDERS  orders of the maximum-rate run (default 300 on PGlite, 600 on PostgreSQL)
 *   BENCH_CONCURRENCY        clients of the warm-up and the maximum-rate run (default 50)
 *   BENCH_POLL_MS            GET /events poll interval while pages are not full (default 20)
 *
 * Exit code 0 when the report was produced, MISSes included; 1 on errors (an order not PAID
 * within 60 s, a service that does not start, …).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { isRunning } from '../test/support/processes.js';
import { benchRun, envIntReader } from './bench-run.js';
import { percentile } from './embedded-engine-bench.js';
import { FinalStatusWatcher, runOrders, stockUp, type OrderRun } from './saga-orders.js';
import type { ServiceProcess } from './saga-service.js';
import {
  banner,
  machine,
  notificationsDone,
  ORDER_TIMEOUT_MS,
  SERVICE_COMMAND,
  SERVICE_ENV,
  settle,
  SKU,
  startStack,
  WARM_UP_ORDERS,
  warmUp,
  type Kind,
} from './saga-stack.js';
import { fmt, fmtMs, table } from './report-format.js';

// ---- settings -------------------------------------------------------------

const NAME = 'bench:saga:soak';
const envInt = envIntReader(NAME);
/** A positive number (fractions allowed), or undefined when the variable is unset; a bad value ends the run naming it. */
const envPositive = (name: string): number | undefined => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : undefined;
  if (n !== undefined && !(Number.isFinite(n) && n > 0)) {
    console.error(`${NAME}: ${name} must be a number > 0, got "${raw}"`);
    process.exit(1);
  }
  return n;
};

const DATABASE_URL = process.env.BENCH_DATABASE_URL || undefined;
const REDIS_URL = process.env.REDIS_URL || undefined;
const KIND: Kind = DATABASE_URL ? 'postgres' : 'pglite';
const LABEL = KIND === 'pglite' ? 'PGlite' : 'PostgreSQL';
const MINUTES = envPositive('BENCH_SOAK_MINUTES') ?? 20;
const RATE_OVERRIDE = envPositive('BENCH_SOAK_RATE');
const PROBE_ORDERS = envInt('BENCH_SOAK_PROBE_ORDERS', KIND === 'pglite' ? 300 : 600);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 50);
const POLL_MS = envInt('BENCH_POLL_MS', 20);
const PROBE_BUDGET_MS = 120_000;
const MINUTE_MS = 60_000;
const SAMPLE_MS = 1_000;
/** An order placed later than this after its scheduled moment counts as late. */
const LATE_MS = 1_000;
/** Growth of the last quarter of minutes over the first (minute 1 skipped) that still counts as flat, %. */
const LIMITS = { heapMin: 10, rss: 10, p99: 25 };
/** The soak, plus start, warm-up, the maximum-rate run, the last orders and the stop. */
const WATCHDOG_MS = (MINUTES + 15) * MINUTE_MS;
const OUTPUT = path.resolve('test-artifacts', 'bench-saga-soak.json');

const { cleanup, elapsed, seconds, finish } = benchRun(NAME, WATCHDOG_MS);
const log = (line: string) => console.log(line);
const MiB = 1024 * 1024;

// ---- what is read ------------------------------------------------------------------

/** One probe snapshot of the service: bytes of process.memoryUsage(), CPU µs since it started. */
type Sample = { atMs: number; heapUsed: number; heapTotal: number; rss: number; external: number; arrayBuffers: number; cpuMicros: number };

/** Read once a minute: Redis INFO memory `used_memory` and, on PostgreSQL, pg_database_size (undefined where not available). */
type Gauges = { redisUsedMemory?: number; databaseSize?: number };

class GaugeReader {
  private readonly redis: Redis;
  private readonly pg: pg.Client | undefined;

  private constructor(
    redisUrl: string,
    adminUrl: string | undefined,
    private readonly database: string | undefined,
  ) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined);
    this.pg = adminUrl ? new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 }) : undefined;
    this.pg?.on('error', () => undefined);
  }

  static async open(redisUrl: string, adminUrl: string | undefined, database: string | undefined): Promise<GaugeReader> {
    const reader = new GaugeReader(redisUrl, database ? adminUrl : undefined, database);
    await reader.pg?.connect();
    return reader;
  }

  async read(): Promise<Gauges> {
    const [info, size] = await Promise.all([
      this.redis.info('memory').catch(() => ''),
      this.pg?.query<{ bytes: string }>('SELECT pg_database_size($1)::text AS bytes', [this.database]).catch(() => undefined),
    ]);
    const used = /^used_memory:(\d+)/m.exec(info)?.[1];
    const bytes = size?.rows[0]?.bytes;
    return { ...(used ? { redisUsedMemory: Number(used) } : {}), ...(bytes ? { databaseSize: Number(bytes) } : {}) };
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.pg?.end().catch(() => undefined);
  }
}

// ---- the soak -----------------------------------------------------------------------

/** One order of the soak; times in ms since the soak started. */
type SoakOrder = { seq: number; dueMs: number; placedMs: number; paidMs?: number; latencyMs?: number; error?: string; done: Promise<void> };

type Minute = {
  minute: number;
  fromSeconds: number;
  toSeconds: number;
  /** Orders placed in the minute. */
  placed: number;
  /** Of them, placed later than LATE_MS after their scheduled moment. */
  late: number;
  /** `order.paid` read in the minute (the last minute: until the last order was PAID). */
  paid: number;
  /** place→PAID of the orders placed in the minute. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
  heapUsedMin: number;
  heapUsedMax: number;
  heapTotalMax: number;
  rssMax: number;
  externalMax: number;
  arrayBuffersMax: number;
  /** Service CPU over the minute, % of one core. */
  serviceCpuPercent: number;
} & Gauges;

type SoakRun = { startedAt: string; orders: SoakOrder[]; minutes: Minute[]; samples: Sample[]; drainSeconds: number; failure?: Error };

const COLUMNS: [string, number][] = [
  ['minute', 6],
  ['placed', 6],
  ['PAID', 6],
  ['p50 ms', 7],
  ['p99 ms', 7],
  ['max ms', 7],
  ['heap used MiB min–max', 21],
  ['RSS MiB max', 11],
  ['CPU %', 5],
  ['Redis MiB', 9],
  ['db MiB', 7],
];
const columnLine = (cells: string[]) =>
  cells
    .map((c, i) => c.padStart(COLUMNS[i]?.[1] ?? 0))
    .join(' | ')
    .trimEnd();
const minuteLine = (m: Minute) =>
  columnLine([
    String(m.minute),
    String(m.placed),
    String(m.paid),
    fmtMs(m.p50Ms),
    fmtMs(m.p99Ms),
    fmtMs(m.maxMs),
    `${fmt(m.heapUsedMin / MiB)}–${fmt(m.heapUsedMax / MiB)}`,
    fmt(m.rssMax / MiB),
    fmt(m.serviceCpuPercent, 0),
    m.redisUsedMemory === undefined ? 'n/a' : fmt(m.redisUsedMemory / MiB),
    m.databaseSize === undefined ? '–' : fmt(m.databaseSize / MiB),
  ]);

const max = (xs: number[]) => (xs.length > 0 ? Math.max(...xs) : Number.NaN);
const min = (xs: number[]) => (xs.length > 0 ? Math.min(...xs) : Number.NaN);

/**
 * Places `total` orders, order `seq` at start + seq / rate, each a one-order run of `runOrders`
 * (POST /orders, then its `order.paid` through the watcher), without waiting for earlier ones;
 * samples the service every second; prints a line per minute. Stops placing at the first order
 * that fails (not PAID within ORDER_TIMEOUT_MS, an error answer), when the service is gone, or
 * on `interrupt`, and returns why as `failure`.
 */
async function soak(
  service: ServiceProcess,
  watcher: FinalStatusWatcher,
  rate: number,
  total: number,
  gauges: GaugeReader,
  interrupt: AbortSignal,
): Promise<SoakRun> {
  const durationMs = MINUTES * MINUTE_MS;
  const minuteCount = Math.ceil(MINUTES);
  const orders: SoakOrder[] = [];
  const samples: Sample[] = [];
  const minutes: Minute[] = [];
  let failure: Error | undefined;
  const stopped = new AbortController();
  const fail = (err: unknown) => {
    failure ??= err instanceof Error ? err : new Error(String(err));
    stopped.abort();
  };
  const interrupted = () => fail(new Error('interrupted'));
  interrupt.addEventListener('abort', interrupted);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  /** Until `ms` after the start; at once when the soak fails. */
  const until = (ms: number) => delay(Math.max(0, ms - now()), undefined, { signal: stopped.signal }).catch(() => undefined);
  const minuteOf = (ms: number) => Math.min(minuteCount - 1, Math.floor(ms / MINUTE_MS));

  const sampling = (async () => {
    for (let k = 0; k * SAMPLE_MS < durationMs; k++) {
      await until(k * SAMPLE_MS);
      if (failure) return;
      // Asking a service that has exited would end the bench without its cleanup (an 'error' event on the child).
      if (!isRunning(service.pid)) throw new Error(`the service (pid ${service.pid}) is no longer running; its log ends:\n${await service.logTail()}`);
      const { memory, cpuMicros } = await service.snapshot();
      const { heapUsed, heapTotal, rss, external, arrayBuffers } = memory;
      samples.push({ atMs: now(), heapUsed, heapTotal, rss, external, arrayBuffers, cpuMicros });
    }
  })().catch(fail);

  const place = (seq: number, dueMs: number): SoakOrder => {
    const order: SoakOrder = { seq, dueMs, placedMs: now(), done: Promise.resolve() };
    order.done = runOrders({ base: service.url, watcher, total: 1, concurrency: 1, budgetMs: ORDER_TIMEOUT_MS, sku: SKU, orderTimeoutMs: ORDER_TIMEOUT_MS })
      .then((run: OrderRun) => {
        if (run.paid !== 1) throw new Error(`order ${seq} did not reach PAID: ${JSON.stringify(run.notPaid)}`);
        order.latencyMs = run.p50Ms;
        order.paidMs = order.placedMs + run.p50Ms;
      })
      .catch((err: unknown) => {
        order.error = err instanceof Error ? err.message : String(err);
        fail(err);
      });
    return order;
  };
  const placing = (async () => {
    for (let seq = 0; seq < total; seq++) {
      const dueMs = (seq * 1000) / rate;
      await until(dueMs);
      if (failure) return;
      orders.push(place(seq, dueMs));
    }
  })();

  log(columnLine(COLUMNS.map(([name]) => name)));
  for (let m = 0; m < minuteCount && !failure; m++) {
    const fromMs = m * MINUTE_MS;
    const toMs = Math.min(fromMs + MINUTE_MS, durationMs);
    const last = m === minuteCount - 1;
    await until(toMs);
    if (failure) break;
    const gauge = await gauges.read();
    if (last) await placing;
    const mine = orders.filter((o) => minuteOf(o.placedMs) === m);
    await Promise.all(mine.map((o) => o.done));
    if (failure) break;
    const latencies = mine.map((o) => o.latencyMs as number).sort((a, b) => a - b);
    const inMinute = samples.filter((s) => s.atMs >= fromMs && s.atMs < toMs);
    const cpuFrom = samples.filter((s) => s.atMs < fromMs).at(-1) ?? samples[0];
    const cpuTo = inMinute.at(-1);
    const row: Minute = {
      minute: m + 1,
      fromSeconds: fromMs / 1000,
      toSeconds: toMs / 1000,
      placed: mine.length,
      late: mine.filter((o) => o.placedMs - o.dueMs > LATE_MS).length,
      paid: orders.filter((o) => o.paidMs !== undefined && o.paidMs >= fromMs && (last || o.paidMs < toMs)).length,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? Number.NaN,
      samples: inMinute.length,
      heapUsedMin: min(inMinute.map((s) => s.heapUsed)),
      heapUsedMax: max(inMinute.map((s) => s.heapUsed)),
      heapTotalMax: max(inMinute.map((s) => s.heapTotal)),
      rssMax: max(inMinute.map((s) => s.rss)),
      externalMax: max(inMinute.map((s) => s.external)),
      arrayBuffersMax: max(inMinute.map((s) => s.arrayBuffers)),
      serviceCpuPercent:
        cpuFrom && cpuTo && cpuTo.atMs > cpuFrom.atMs ? (100 * (cpuTo.cpuMicros - cpuFrom.cpuMicros)) / 1000 / (cpuTo.atMs - cpuFrom.atMs) : Number.NaN,
      ...gauge,
    };
    minutes.push(row);
    log(minuteLine(row));
  }
  await placing;
  await sampling;
  await Promise.all(orders.map((o) => o.done));
  interrupt.removeEventListener('abort', interrupted);
  return { startedAt, orders, minutes, samples, drainSeconds: Math.max(0, now() - durationMs) / 1000, ...(failure ? { failure } : {}) };
}

// ---- the verdict --------------------------------------------------------------------

type Verdict = {
  figure: string;
  unit: string;
  limitPercent: number;
  /** Minutes compared (minute 1 skipped): the first and the last quarter. */
  firstMinutes: number[];
  lastMinutes: number[];
  firstMean: number;
  lastMean: number;
  growthPercent: number;
  /** Least-squares slope over every minute but the first, unit per minute. */
  slopePerMinute: number;
  result: 'flat' | 'MISS' | 'not judged';
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function verdict(figure: string, unit: string, limitPercent: number, points: { minute: number; value: number }[]): Verdict {
  const used = points.filter((p) => p.minute >= 2 && Number.isFinite(p.value));
  const quarter = Math.max(1, Math.floor(used.length / 4));
  const first = used.slice(0, quarter);
  const lastQ = used.slice(-quarter);
  const judged = used.length >= 2;
  const firstMean = judged ? mean(first.map((p) => p.value)) : Number.NaN;
  const lastMean = judged ? mean(lastQ.map((p) => p.value)) : Number.NaN;
  const growthPercent = (100 * (lastMean - firstMean)) / firstMean;
  const xBar = mean(used.map((p) => p.minute));
  const yBar = mean(used.map((p) => p.value));
  const sxx = used.reduce((a, p) => a + (p.minute - xBar) ** 2, 0);
  const sxy = used.reduce((a, p) => a + (p.minute - xBar) * (p.value - yBar), 0);
  return {
    figure,
    unit,
    limitPercent,
    firstMinutes: judged ? first.map((p) => p.minute) : [],
    lastMinutes: judged ? lastQ.map((p) => p.minute) : [],
    firstMean,
    lastMean,
    growthPercent,
    slopePerMinute: judged ? sxy / sxx : Number.NaN,
    result: !judged ? 'not judged' : growthPercent <= limitPercent ? 'flat' : 'MISS',
  };
}

function verdictTable(verdicts: Verdict[]): string {
  const range = (ms: number[]) => (ms.length === 0 ? '–' : ms.length === 1 ? `${ms[0]}` : `${ms[0]}–${ms.at(-1)}`);
  return table(
    ['figure', 'first quarter (minutes)', 'last quarter (minutes)', 'growth', 'limit', 'slope', 'result'],
    verdicts.map((v) => [
      v.figure,
      v.result === 'not judged' ? '–' : `${fmt(v.firstMean)} ${v.unit} (${range(v.firstMinutes)})`,
      v.result === 'not judged' ? '–' : `${fmt(v.lastMean)} ${v.unit} (${range(v.lastMinutes)})`,
      Number.isFinite(v.growthPercent) ? `${v.growthPercent >= 0 ? '+' : ''}${fmt(v.growthPercent)} %` : 'n/a',
      `≤ ${v.limitPercent} %`,
      Number.isFinite(v.slopePerMinute) ? `${v.slopePerMinute >= 0 ? '+' : ''}${fmt(v.slopePerMinute, 2)} ${v.unit}/min` : 'n/a',
      v.result === 'flat' ? 'flat (PASS)' : v.result,
    ]),
  );
}

// ---- run ------------------------------------------------------------------

async function main(): Promise<void> {
  log(banner(NAME));
  log(`\n[${elapsed()}] ${LABEL}`);
  const stack = await startStack({ kind: KIND, name: 'bench-saga-soak', databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, cleanup, log });
  const { service, fresh } = stack;

  await stockUp(service.url, SKU, WARM_UP_ORDERS + PROBE_ORDERS + 100);
  const watcher = new FinalStatusWatcher(service.url, POLL_MS);
  watcher.start();
  const stopWatcher = cleanup(() => watcher.stop());
  await warmUp(service, watcher, CONCURRENCY, log);

  log(`  maximum rate: ${PROBE_ORDERS} orders, ${CONCURRENCY} clients, each placing the next once its order is PAID`);
  const notificationsBefore = await notificationsDone(service);
  const maximum = await runOrders({
    base: service.url,
    watcher,
    total: PROBE_ORDERS,
    concurrency: CONCURRENCY,
    budgetMs: PROBE_BUDGET_MS,
    sku: SKU,
    orderTimeoutMs: ORDER_TIMEOUT_MS,
  });
  if (maximum.paid < maximum.placed)
    throw new Error(`${maximum.placed - maximum.paid} of ${maximum.placed} orders did not reach PAID: ${JSON.stringify(maximum.notPaid)}`);
  const maximumSettled = await settle(service, notificationsBefore, maximum.placed);
  const rate = RATE_OVERRIDE ?? maximum.paidPerSecond / 2;
  if (!(rate > 0)) throw new Error(`no soak rate: the maximum-rate run measured ${maximum.paidPerSecond} PAID/s`);
  const total = Math.ceil((rate * MINUTES * MINUTE_MS) / 1000);
  await stockUp(service.url, SKU, total + 100);
  log(
    `  maximum: ${fmt(maximum.paidPerSecond)} PAID orders/s (n=${maximum.paid}${maximum.truncated ? ', time budget hit' : ''}; place→PAID p50 ${fmtMs(maximum.p50Ms)} / p99 ${fmtMs(maximum.p99Ms)} ms)`,
  );
  log(
    `\n[${elapsed()}] soak: ${fmt(rate, 2)} orders/s (${RATE_OVERRIDE ? 'BENCH_SOAK_RATE' : 'half the maximum'}) for ${MINUTES} min: ${total} orders, open loop\n`,
  );

  const gauges = await GaugeReader.open(stack.redis.url, DATABASE_URL, fresh?.name);
  const closeGauges = cleanup(() => gauges.close());
  const gaugesAtStart = await gauges.read();
  // Ctrl-C and the watchdog stop the soak first (no more snapshots of a service being stopped), then the rest.
  const interrupt = new AbortController();
  const stopSoak = cleanup(async () => interrupt.abort());
  const run = await soak(service, watcher, rate, total, gauges, interrupt.signal);
  // Interrupted: benchRun's cleanup is stopping everything and ends the process; going on here would race it.
  if (interrupt.signal.aborted) await new Promise<never>(() => undefined);
  await stopSoak();
  await closeGauges();
  await stopWatcher();
  await stack.stopService();
  await stack.clearPrefix();
  await stack.dropDatabase();
  await stack.removeDataDir();
  await stack.stopRedis();

  const placed = run.orders;
  const latencies = placed.flatMap((o) => (o.latencyMs === undefined ? [] : [o.latencyMs])).sort((a, b) => a - b);
  const lateness = placed.map((o) => o.placedMs - o.dueMs);
  const errors = placed.flatMap((o) => (o.error ? [`order ${o.seq}: ${o.error}`] : []));
  const summary = {
    rate,
    rateSource: RATE_OVERRIDE ? 'BENCH_SOAK_RATE' : 'half the maximum',
    minutes: MINUTES,
    scheduled: total,
    placed: placed.length,
    paid: latencies.length,
    lateOver1s: lateness.filter((ms) => ms > LATE_MS).length,
    maxLateMs: max(lateness),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    drainSeconds: run.drainSeconds,
  };
  const points = (value: (m: Minute) => number) => run.minutes.map((m) => ({ minute: m.minute, value: value(m) }));
  const verdicts = [
    verdict(
      'heap used, min',
      'MiB',
      LIMITS.heapMin,
      points((m) => m.heapUsedMin / MiB),
    ),
    verdict(
      'RSS, max',
      'MiB',
      LIMITS.rss,
      points((m) => m.rssMax / MiB),
    ),
    verdict(
      'place→PAID p99',
      'ms',
      LIMITS.p99,
      points((m) => m.p99Ms),
    ),
  ];

  log(
    `\n[${elapsed()}] ${summary.placed} of ${total} orders placed, ${summary.paid} PAID; placed late by > 1 s: ${summary.lateOver1s} (latest ${fmtMs(summary.maxLateMs)} ms after its moment); place→PAID p50 / p99 / max ${fmtMs(summary.p50Ms)} / ${fmtMs(summary.p99Ms)} / ${fmtMs(summary.maxMs)} ms`,
  );
  log(`\n=== flat? last quarter of minutes against the first (minute 1 skipped) ===\n`);
  log(verdictTable(verdicts));
  if (verdicts.some((v) => v.result === 'not judged')) log(`not judged: needs at least 2 minutes after minute 1 (BENCH_SOAK_MINUTES > 2; ${MINUTES} given)`);

  const output = {
    date: run.startedAt,
    machine: machine(),
    service: { command: SERVICE_COMMAND, env: SERVICE_ENV },
    database: { kind: LABEL, ...(fresh ? { serverVersion: fresh.serverVersion } : {}) },
    redis: stack.redisLabel,
    settings: {
      minutes: MINUTES,
      rateOverride: RATE_OVERRIDE ?? null,
      probeOrders: PROBE_ORDERS,
      concurrency: CONCURRENCY,
      pollMs: POLL_MS,
      warmUpOrders: WARM_UP_ORDERS,
    },
    maximum: { ...maximum, settled: maximumSettled },
    soak: summary,
    limitsPercent: LIMITS,
    verdicts,
    minutes: run.minutes,
    gaugesAtStart,
    samples: run.samples,
    ...(run.failure ? { failure: run.failure.message } : {}),
    errors: errors.slice(0, 50),
    errorCount: errors.length,
    seconds: seconds(),
  };
  await mkdir(path.dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, `${JSON.stringify(output, null, 2)}\n`);
  log(`\nwritten: ${path.relative(process.cwd(), OUTPUT)} (run took ${elapsed()})`);
  if (run.failure) throw new Error(`the soak stopped at its first failure: ${run.failure.message} (${errors.length} orders failed)`);
}

await finish(main);
