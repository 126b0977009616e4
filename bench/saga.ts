/**
 * `npm run bench:saga`: the whole order saga end to end (issue 16, item 1).
 *
 *   node --expose-gc --import tsx bench/saga.ts
 *
 * Starts the real service as a child process (`app/main.ts`, as `npm start` does, with
 * bench/saga-probe.ts preloaded to count), real Redis, the sandbox payment provider with
 * SANDBOX_DELAY_MS=0, and places orders over HTTP: N orders (one unit, `pm_approve`) from C
 * concurrent clients, then orders one at a time; on PGlite and, with BENCH_DATABASE_URL, on
 * a fresh PostgreSQL database. Then the embedded engine's three-task rate on the same kind of
 * database as the reference. Prints a table per database with PASS/MISS per target and writes
 * test-artifacts/bench-saga.json. See bench/README.md ("bench:saga") for how each figure is measured.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL      postgresql:// URL of a server (a role allowed to CREATE DATABASE) for the PostgreSQL leg
 *   REDIS_URL               a Redis to use (its INFO figures then include its other clients); unset: a redis-server of the bench's own
 *   BENCH_ORDERS            orders of the throughput run (default 1000 on PostgreSQL, 300 on PGlite)
 *   BENCH_CONCURRENCY       concurrent clients (default 50)
 *   BENCH_IDLE              orders placed one at a time (default 50)
 *   BENCH_POLL_MS           GET /events poll interval while pages are not full (default 20)
 *   BENCH_SERVICE_CPU_PROF  a directory: the service runs with --cpu-prof and writes its profile there
 *   BENCH_ENGINE_INSTANCES  three-task instances of the engine reference (default 2000 on PostgreSQL, 1000 on PGlite)
 *
 * Exit code 0 when the report was produced, MISSes included; 1 on errors (an order not PAID, a service that does not start, …).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../infra/database.js';
import { applyMigrations } from '../infra/migrations.js';
import { sleep } from '../test/support/wait.js';
import { runEmbeddedEngineLeg, type LegResult } from './embedded-engine-bench.js';
import { phaseCost, PostgresBackendCpu, readCounters, RedisServerStats, serverTransactions, type PhaseCost, type Sources } from './saga-counters.js';
import { FinalStatusWatcher, runOrders, stockUp, type OrderRun } from './saga-orders.js';
import { rowsLeft, type RowsLeft } from './saga-rows.js';
import { benchRun, envIntReader } from './bench-run.js';
import { freshPostgresDatabase, type FreshDatabase } from '../test/support/database.js';
import { banner, machine, ORDER_TIMEOUT_MS, SERVICE_COMMAND, SERVICE_ENV, settle, SKU, startStack, WARM_UP_ORDERS, warmUp, type Kind } from './saga-stack.js';
import { fmt, fmtMs, table } from './report-format.js';

// ---- settings -------------------------------------------------------------

const envInt = envIntReader('bench:saga');

const DATABASE_URL = process.env.BENCH_DATABASE_URL || undefined;
const REDIS_URL = process.env.REDIS_URL || undefined;
const ORDERS_OVERRIDE = process.env.BENCH_ORDERS ? envInt('BENCH_ORDERS', 1) : undefined;
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 50);
const IDLE_ORDERS = envInt('BENCH_IDLE', 50);
const POLL_MS = envInt('BENCH_POLL_MS', 20);
const ENGINE_OVERRIDE = process.env.BENCH_ENGINE_INSTANCES ? envInt('BENCH_ENGINE_INSTANCES', 1) : undefined;
/** The idle service with the poller running, to show what waiting costs by itself. */
const QUIET_MS = 2_000;
const BUDGETS = { loadMs: 120_000, idleMs: 60_000 };
const ENGINE_BUDGETS = { idleMs: 20_000, throughputMs: 45_000, parkMs: 100_000 };
const WATCHDOG_MS = 15 * 60_000;

const TARGETS = { postgresPaidPerSecond: 150, pglitePaidPerSecond: 80, idleP50Ms: 100, statementsPerOrder: 30 };

const OUTPUT = path.resolve('test-artifacts', 'bench-saga.json');
/** Rows of the statement and Redis tables printed (the JSON has up to 60). */
const PRINTED_ROWS = 15;

// ---- cleanup and time bound ----------------------------------------------

const { cleanup, elapsed, seconds, finish } = benchRun('bench:saga', WATCHDOG_MS);
const log = (line: string) => console.log(line);

// ---- one database ---------------------------------------------------------------

type SagaLeg = {
  database: string;
  serverVersion?: string;
  redis: string;
  settings: { orders: number; concurrency: number; idleOrders: number; pollMs: number; warmUpOrders: number };
  load: OrderRun & { cost: PhaseCost; polls: number; settled: boolean };
  idle: OrderRun & { cost: PhaseCost; polls: number; settled: boolean };
  /** The service idle, the poller running: per second. */
  quiet: { seconds: number; pollsPerSecond: number; statementsPerSecond: number; redisSentPerSecond: number; serviceCpuPercent: number };
  rows: RowsLeft;
  /** PostgreSQL: transactions the server counted in the database over the service's life, and the probe's count. */
  transactionCheck?: { server: number; probe: number };
  engine: LegResult;
  ratio: number;
};

async function withEngineDatabase<T>(kind: Kind, fn: (db: Database) => Promise<T>): Promise<T> {
  let fresh: FreshDatabase | undefined;
  let db: Database;
  if (kind === 'pglite') {
    db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  } else {
    fresh = await freshPostgresDatabase(DATABASE_URL as string, 'bench_saga_engine', { connectTimeoutMs: 5_000 });
    db = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 10 });
  }
  const drop = cleanup(async () => {
    await db.close();
    await fresh?.drop();
  });
  try {
    await applyMigrations(db.sql);
    return await fn(db);
  } finally {
    await drop();
  }
}

async function runLeg(kind: Kind): Promise<SagaLeg> {
  const label = kind === 'pglite' ? 'PGlite' : 'PostgreSQL';
  const orders = ORDERS_OVERRIDE ?? (kind === 'pglite' ? 300 : 1_000);
  const engineInstances = ENGINE_OVERRIDE ?? (kind === 'pglite' ? 1_000 : 2_000);
  const local = DATABASE_URL ? ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(DATABASE_URL).hostname) : false;

  const stack = await startStack({ kind, name: 'bench-saga', databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, cleanup, log });
  const { redis, redisLabel, dataDir, fresh, service, stopService, clearPrefix, dropDatabase, removeDataDir, stopRedis } = stack;

  const redisStats = new RedisServerStats(redis.url);
  const closeRedisStats = cleanup(async () => redisStats.close());
  const backends = fresh && local ? await PostgresBackendCpu.start(DATABASE_URL as string, fresh.name) : undefined;
  const stopBackends = cleanup(async () => backends?.stop());
  const sources: Sources = {
    probe: service.snapshot,
    redis: redisStats,
    ...(backends ? { postgres: backends } : {}),
    allPostgres: kind === 'postgres' && local,
  };
  const cores = os.availableParallelism();

  await stockUp(service.url, SKU, WARM_UP_ORDERS + orders + IDLE_ORDERS + 100);
  const watcher = new FinalStatusWatcher(service.url, POLL_MS);
  watcher.start();
  const stopWatcher = cleanup(() => watcher.stop());

  const phase = async (total: number, concurrency: number, budgetMs: number) => {
    const before = await readCounters(sources);
    const pollsBefore = watcher.polls;
    const run = await runOrders({ base: service.url, watcher, total, concurrency, budgetMs, sku: SKU, orderTimeoutMs: ORDER_TIMEOUT_MS });
    const settled = await settle(service, before.probe.jobs.notifications?.completed ?? 0, run.placed);
    const after = await readCounters(sources);
    if (run.paid < run.placed) throw new Error(`${run.placed - run.paid} of ${run.placed} orders did not reach PAID: ${JSON.stringify(run.notPaid)}`);
    return { ...run, cost: phaseCost(before, after, run.paid, cores), polls: watcher.polls - pollsBefore, settled };
  };

  await warmUp(service, watcher, CONCURRENCY, log);

  const quietBefore = await readCounters(sources);
  const quietPolls = watcher.polls;
  await sleep(QUIET_MS);
  const quietAfter = await readCounters(sources);
  const quietSeconds = (quietAfter.at - quietBefore.at) / 1000;
  const quietCost = phaseCost(quietBefore, quietAfter, 1, cores);
  const quiet = {
    seconds: quietSeconds,
    pollsPerSecond: (watcher.polls - quietPolls) / quietSeconds,
    statementsPerSecond: quietCost.totals.statements / quietSeconds,
    redisSentPerSecond: quietCost.totals.redisSent / quietSeconds,
    serviceCpuPercent: (100 * quietCost.cpuMsPerOrder.service) / (quietSeconds * 1000),
  };

  log(`  throughput: ${orders} orders, ${CONCURRENCY} clients`);
  const load = await phase(orders, CONCURRENCY, BUDGETS.loadMs);
  log(`  one at a time: ${IDLE_ORDERS} orders`);
  const idle = await phase(IDLE_ORDERS, 1, BUDGETS.idleMs);
  const lastProbe = await service.snapshot();

  await stopWatcher();
  await stopBackends();
  await closeRedisStats();
  await stopService();
  const transactionCheck = fresh
    ? {
        server: await serverTransactions(DATABASE_URL as string, fresh.name),
        probe: lastProbe.sql.explicitTransactions + lastProbe.sql.autocommitStatements,
      }
    : undefined;
  const db = fresh
    ? await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: 2 })
    : await openDatabase({ kind: 'pglite', dataDir: path.join(dataDir, 'pglite') });
  let rows: RowsLeft;
  try {
    rows = await rowsLeft(db);
  } finally {
    await db.close();
  }
  await clearPrefix();
  await dropDatabase();
  await removeDataDir();
  await stopRedis();

  log(`  engine reference: ${engineInstances} three-task instances, ${CONCURRENCY} in flight (fresh ${label} database, in this process)`);
  const engine = await withEngineDatabase(kind, (engineDb) =>
    runEmbeddedEngineLeg({
      database: label,
      db: engineDb,
      instances: engineInstances,
      concurrency: CONCURRENCY,
      idleInstances: IDLE_ORDERS,
      parked: 0,
      parkConcurrency: CONCURRENCY,
      budgets: ENGINE_BUDGETS,
      measurePostgresCpu: kind === 'postgres' && local,
    }),
  );

  return {
    database: label,
    ...(fresh ? { serverVersion: fresh.serverVersion } : {}),
    redis: redisLabel,
    settings: { orders, concurrency: CONCURRENCY, idleOrders: IDLE_ORDERS, pollMs: POLL_MS, warmUpOrders: WARM_UP_ORDERS },
    load,
    idle,
    quiet,
    rows,
    ...(transactionCheck ? { transactionCheck } : {}),
    engine,
    ratio: engine.throughput.instancesPerSecond > 0 ? load.paidPerSecond / engine.throughput.instancesPerSecond : Number.NaN,
  };
}

// ---- formatting ---------------------------------------------------------------

type Check = { database: string; target: string; measured: string; pass: boolean };

function cpuLine(c: PhaseCost): string {
  const parts = [`service ${fmt(c.cpuMsPerOrder.service, 2)}`];
  if (c.cpuMsPerOrder.postgres !== undefined) parts.push(`postgres ${fmt(c.cpuMsPerOrder.postgres, 2)}`);
  parts.push(`redis ${fmt(c.cpuMsPerOrder.redis, 2)} ms`);
  return parts.join(', ');
}

function cpuNotes(c: PhaseCost, database: string): string {
  const parts = [`bench client ${fmt(c.cpuMsPerOrder.benchClient, 2)} ms/order`];
  if (database === 'PGlite') parts.unshift('PGlite runs inside the service: its CPU is in the service figure');
  if (c.cpuMsPerOrder.postgresAllProcesses !== undefined)
    parts.push(`all postgres processes on the machine ${fmt(c.cpuMsPerOrder.postgresAllProcesses, 2)} ms/order`);
  if (c.machineBusy !== undefined) parts.push(`machine ${fmt(100 * c.machineBusy, 0)}% busy of ${os.availableParallelism()} cores`);
  return parts.join(', ');
}

const jobsLine = (c: PhaseCost) =>
  `${fmt(c.bullmqJobsPerOrder, 2)} (${Object.entries(c.bullmqJobs)
    .map(([q, j]) => `${q} ${fmt(j.completed / c.orders, 2)}${j.failed > 0 ? ` + ${j.failed} failed` : ''}`)
    .join(', ')})`;

function legReport(leg: SagaLeg, throughputTarget: number, checks: Check[]): string {
  const { load, idle, engine } = leg;
  const mark = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  const rate = load.paidPerSecond >= throughputTarget;
  const idleP50 = idle.p50Ms < TARGETS.idleP50Ms;
  const statements = load.cost.sql.statementsPerOrder <= TARGETS.statementsPerOrder;
  checks.push(
    { database: leg.database, target: `≥ ${throughputTarget} PAID orders/s`, measured: `${fmt(load.paidPerSecond)}/s`, pass: rate },
    { database: leg.database, target: `one at a time: place→PAID p50 < ${TARGETS.idleP50Ms} ms`, measured: `${fmtMs(idle.p50Ms)} ms`, pass: idleP50 },
    {
      database: leg.database,
      target: `≤ ${TARGETS.statementsPerOrder} SQL statements per PAID order`,
      measured: fmt(load.cost.sql.statementsPerOrder),
      pass: statements,
    },
  );
  const truncated = (r: OrderRun) => (r.truncated ? ' (time budget hit)' : '');
  const unsettled = (r: { settled: boolean }) => (r.settled ? '' : ' (not settled: last notifications still queued)');
  const perPoll = (n: number) => (leg.quiet.pollsPerSecond > 0 ? n / leg.quiet.pollsPerSecond : Number.NaN);
  const rows: string[][] = [
    [
      `PAID orders/s (n=${load.paid}/${load.requested}, ${load.concurrency} clients)${truncated(load)}`,
      `${fmt(load.paidPerSecond)}/s`,
      `≥ ${throughputTarget}/s`,
      mark(rate),
    ],
    [`place→PAID p50 / p99 under load`, `${fmtMs(load.p50Ms)} / ${fmtMs(load.p99Ms)} ms (max ${fmtMs(load.maxMs)})`, '', ''],
    [
      `place→PAID p50 / p99 one at a time (n=${idle.paid})${truncated(idle)}`,
      `${fmtMs(idle.p50Ms)} / ${fmtMs(idle.p99Ms)} ms (max ${fmtMs(idle.maxMs)})`,
      `p50 < ${TARGETS.idleP50Ms} ms`,
      mark(idleP50),
    ],
    [
      `engine reference: three-task instances/s (n=${engine.throughput.completed}, ${engine.throughput.concurrency} in flight)`,
      `${fmt(engine.throughput.instancesPerSecond)}/s`,
      '',
      '',
    ],
    ['ratio PAID orders/s ÷ three-task instances/s', fmt(leg.ratio, 3), '', ''],
    [`CPU per PAID order, under load${unsettled(load)}`, cpuLine(load.cost), '', ''],
    ['  besides', cpuNotes(load.cost, leg.database), '', ''],
    [
      'SQL per PAID order, under load',
      `${fmt(load.cost.sql.statementsPerOrder)} statements, ${fmt(load.cost.sql.transactionsPerOrder)} transactions (${fmt(load.cost.sql.explicitTransactionsPerOrder)} BEGIN…COMMIT + ${fmt(load.cost.sql.autocommitPerOrder)} single statements)`,
      `≤ ${TARGETS.statementsPerOrder} statements`,
      mark(statements),
    ],
    [
      'Redis commands per PAID order, under load',
      `${fmt(load.cost.redis.sentPerOrder)} sent by the service, ${fmt(load.cost.redis.executedPerOrder)} executed by Redis`,
      '',
      '',
    ],
    ['BullMQ jobs per PAID order, under load', jobsLine(load.cost), '', ''],
    [
      "the bench's GET /events polls (included above)",
      `${fmt(load.polls / Math.max(1, load.paid), 2)} per order under load, ${fmt(idle.polls / Math.max(1, idle.paid), 1)} one at a time; idle service with the poller: ${fmt(leg.quiet.pollsPerSecond, 0)} polls/s, ${fmt(leg.quiet.statementsPerSecond, 0)} statements/s (≤ ${fmt(perPoll(leg.quiet.statementsPerSecond), 1)} per poll), ${fmt(leg.quiet.redisSentPerSecond, 0)} Redis commands/s, service CPU ${fmt(leg.quiet.serviceCpuPercent, 0)}%`,
      '',
      '',
    ],
    [
      `one at a time, per PAID order${unsettled(idle)}`,
      `CPU ${cpuLine(idle.cost)}; ${fmt(idle.cost.sql.statementsPerOrder)} statements, ${fmt(idle.cost.sql.transactionsPerOrder)} transactions; Redis ${fmt(idle.cost.redis.sentPerOrder)} sent / ${fmt(idle.cost.redis.executedPerOrder)} executed; BullMQ ${fmt(idle.cost.bullmqJobsPerOrder, 2)} jobs`,
      '',
      '',
    ],
    [
      `rows left per PAID order (${leg.rows.paidOrders} PAID of ${leg.rows.orders})`,
      `engine_audit ${fmt(leg.rows.engineAudit, 2)}, engine_element_instances ${fmt(leg.rows.engineElementInstances, 2)}, other engine_* ${fmt(leg.rows.otherEngineTables, 2)}, app tables ${fmt(leg.rows.appTables, 2)}`,
      '',
      '',
    ],
    [
      `rows left per PAID order after an audit prune with retention 0 (${leg.rows.afterPrune.prunedInstances} instances pruned)`,
      `engine_audit ${fmt(leg.rows.afterPrune.engineAudit, 2)}, other engine_* ${fmt(leg.rows.afterPrune.otherEngineTables, 2)} (+ ${leg.rows.afterPrune.engineElementStats} engine_element_stats rows in all), app tables ${fmt(leg.rows.afterPrune.appTables, 2)}`,
      '',
      '',
    ],
  ];
  if (leg.transactionCheck) {
    rows.push([
      'check: transactions in the service life, server vs probe',
      `${leg.transactionCheck.server} (pg_stat_database: autovacuum's and the shutdown's too) vs ${leg.transactionCheck.probe} (probe)`,
      '',
      '',
    ]);
  }
  const main = table(['figure', leg.database, 'target', 'result'], rows);
  const perOrder = (n: number) => fmt(n / Math.max(1, load.paid), 2);
  const statementsTable = table(
    ['SQL statements under load, most frequent first', 'per order'],
    load.cost.sql.top.slice(0, PRINTED_ROWS).map((s) => [s.name, perOrder(s.count)]),
  );
  const redisTable = table(
    ['Redis, sent by the service', 'per order', 'executed by Redis', 'per order'],
    Array.from({ length: Math.min(PRINTED_ROWS, Math.max(load.cost.redis.topSent.length, load.cost.redis.topExecuted.length)) }, (_, i) => {
      const s = load.cost.redis.topSent[i];
      const e = load.cost.redis.topExecuted[i];
      return [s?.name ?? '', s ? perOrder(s.count) : '', e?.name ?? '', e ? perOrder(e.count) : ''];
    }),
  );
  const rowsTable = table(
    ['table', 'rows per PAID order'],
    Object.entries(leg.rows.perOrder).map(([name, n]) => [name, fmt(n, 2)]),
  );
  return [main, statementsTable, redisTable, rowsTable].join('\n\n');
}

// ---- run ------------------------------------------------------------------

async function main(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function')
    throw new Error('run with node --expose-gc (npm run bench:saga does): the engine reference needs it');
  log(banner('bench:saga'));

  log(`\n[${elapsed()}] PGlite`);
  const pglite = await runLeg('pglite');
  let postgres: SagaLeg | { skipped: string };
  if (DATABASE_URL) {
    log(`\n[${elapsed()}] PostgreSQL`);
    postgres = await runLeg('postgres');
  } else {
    postgres = { skipped: 'BENCH_DATABASE_URL is not set' };
  }

  const checks: Check[] = [];
  log(`\n[${elapsed()}] results`);
  log(`\n=== PGlite (file-backed, in the service process) ===\n`);
  log(legReport(pglite, TARGETS.pglitePaidPerSecond, checks));
  if ('skipped' in postgres) {
    log(`\n=== PostgreSQL: SKIPPED (${postgres.skipped}; e.g. BENCH_DATABASE_URL=postgresql://user:pass@127.0.0.1:5432/postgres) ===`);
  } else {
    log(`\n=== PostgreSQL ${postgres.serverVersion ?? ''} (fresh database) ===\n`);
    log(legReport(postgres, TARGETS.postgresPaidPerSecond, checks));
  }
  log('\n=== targets ===\n');
  log(
    table(
      ['database', 'target', 'measured', 'result'],
      checks.map((c) => [c.database, c.target, c.measured, c.pass ? 'PASS' : 'MISS']),
    ),
  );
  if ('skipped' in postgres) log(`PostgreSQL ≥ ${TARGETS.postgresPaidPerSecond} PAID orders/s: not measured (PostgreSQL leg skipped)`);

  const output = {
    date: new Date().toISOString(),
    machine: machine(),
    service: { command: SERVICE_COMMAND, env: SERVICE_ENV },
    targets: TARGETS,
    pglite,
    postgres,
    checks,
    seconds: seconds(),
  };
  await mkdir(path.dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, `${JSON.stringify(output, null, 2)}\n`);
  log(`\nwritten: ${path.relative(process.cwd(), OUTPUT)} (run took ${elapsed()})`);
}

await finish(main);
