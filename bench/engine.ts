/**
 * `npm run bench:engine`: the embedded engine's performance report.
 *
 *   node --expose-gc --max-old-space-size=4096 --import tsx bench/engine.ts
 *
 * Measures the embedded engine on PGlite (in-process, memory://) and, when
 * BENCH_DATABASE_URL names a PostgreSQL server (a role allowed to CREATE
 * DATABASE), on a fresh database there (dropped afterwards); then bpmn-engine
 * on the same workload as the baseline. Prints one table per database with the
 * targets marked PASS/MISS, and writes everything to test-artifacts/bench-engine.json.
 * See bench/README.md for what each figure means and how it is measured.
 *
 * Environment (all optional):
 *   BENCH_DATABASE_URL   postgresql:// URL of a server for the PostgreSQL leg (skipped without it)
 *   BENCH_INSTANCES      three-tasks instances for the throughput figure (default 2000 on PostgreSQL, 1000 on PGlite)
 *   BENCH_CONCURRENCY    instances in flight during the throughput run (default 50)
 *   BENCH_IDLE           sequential instances for the idle latency (default 200)
 *   BENCH_PARKED         parked instances for the heap figure (default 20000; the baseline parks min(this, 2000))
 *   BENCH_POOL_SIZE      PostgreSQL connection pool size (default 10, the application's DB_POOL_SIZE default)
 *   BENCH_JOB_POLL_MS    the engine's jobPollIntervalMs (default: the engine's default)
 *   BENCH_FEATURE_INSTANCES business rule task instances for the feature figures (default 300; multi-instance: a tenth, ×10 inner)
 *   BENCH_SKIP_BASELINE  1: do not run bpmn-engine
 *
 * Exit code 0 when the report was produced, MISSes included; 1 on errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { openDatabase, type Database } from '../infra/database.js';
import { applyMigrations } from '../infra/migrations.js';
import { benchRun, envIntReader } from './bench-run.js';
import { freshPostgresDatabase } from '../test/support/database.js';
import { runBpmnEngineBaseline, type EngineFigures } from './baseline-bpmn-engine.js';
import { featureReport, runFeatureFigures, type FeatureFigures } from './bpmn-features-bench.js';
import { memory, runEmbeddedEngineLeg, type LegResult, type Memory, type PhaseCpu } from './embedded-engine-bench.js';
import { fmtMs, table } from './report-format.js';

// ---- settings -------------------------------------------------------------

const envInt = envIntReader('bench:engine');

const DATABASE_URL = process.env.BENCH_DATABASE_URL || undefined;
const INSTANCES_OVERRIDE = process.env.BENCH_INSTANCES ? envInt('BENCH_INSTANCES', 1) : undefined;
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 50);
const IDLE_INSTANCES = envInt('BENCH_IDLE', 200);
const PARKED = envInt('BENCH_PARKED', 20_000, 0);
const BASELINE_PARKED = Math.min(PARKED, 2_000);
const POOL_SIZE = envInt('BENCH_POOL_SIZE', 10);
const JOB_POLL_MS = process.env.BENCH_JOB_POLL_MS ? envInt('BENCH_JOB_POLL_MS', 1) : undefined;
/** Instances for the business rule task figure (the multi-instance one runs a tenth as many, ×10 inner). */
const FEATURE_INSTANCES = envInt('BENCH_FEATURE_INSTANCES', 300);
const SKIP_BASELINE = ['1', 'true', 'yes'].includes(process.env.BENCH_SKIP_BASELINE ?? '');
const PARK_CONCURRENCY = 50;

/** Each phase stops starting instances when its budget is spent (the run stays within ~5 minutes). */
const BUDGETS = { idleMs: 20_000, throughputMs: 45_000, parkMs: 100_000 };
/** Hard stop for the whole run: an error, not a report. */
const WATCHDOG_MS = 7 * 60_000;

const TARGETS = {
  postgresInstancesPerSecond: 300,
  pgliteInstancesPerSecond: 150,
  heapPerParkedInstanceBytes: 10 * 1024,
  idleP50Ms: 20,
};

const OUTPUT = path.resolve('test-artifacts', 'bench-engine.json');

// ---- cleanup and time bound ----------------------------------------------

const { cleanup, elapsed, seconds, finish } = benchRun('bench:engine', WATCHDOG_MS);
const log = (line: string) => console.log(line);

// ---- databases ------------------------------------------------------------

async function withPglite<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  try {
    await applyMigrations(db.sql);
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function withFreshPostgres<T>(adminUrl: string, fn: (db: Database, info: { name: string; serverVersion: string }) => Promise<T>): Promise<T> {
  const fresh = await freshPostgresDatabase(adminUrl, 'bench_engine', { connectTimeoutMs: 5_000 });
  const drop = cleanup(() => fresh.drop());
  try {
    const db = await openDatabase({ kind: 'postgres', url: fresh.url, poolSize: POOL_SIZE });
    try {
      await applyMigrations(db.sql);
      return await fn(db, { name: fresh.name, serverVersion: fresh.serverVersion });
    } finally {
      await db.close();
    }
  } finally {
    await drop();
  }
}

// ---- formatting -----------------------------------------------------------

function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const sign = bytes < 0 ? '−' : '';
  const b = Math.abs(bytes);
  if (b >= 1024 * 1024 * 1024) return `${sign}${(b / 1024 ** 3).toFixed(2)} GiB`;
  if (b >= 1024 * 1024) return `${sign}${(b / 1024 ** 2).toFixed(1)} MiB`;
  if (b >= 1024) return `${sign}${(b / 1024).toFixed(1)} KiB`;
  return `${sign}${Math.round(b)} B`;
}
const fmtRate = (r: number) => `${r.toFixed(1)} inst/s`;
const fmtMem = (m: Memory) => `rss ${fmtBytes(m.rss)}, heapUsed ${fmtBytes(m.heapUsed)}`;
const fmtRatio = (r: number) => (Number.isFinite(r) ? `${r >= 100 ? r.toFixed(0) : r.toFixed(2)}×` : 'n/a');

function fmtCpu(c: PhaseCpu): string {
  const pct = (ms: number) => `${((100 * ms) / c.wallMs).toFixed(0)}%`;
  const parts = [`node ${fmtMs(c.nodeMsPerInstance)} ms/instance (${pct(c.nodeMs)} of a core)`];
  if (c.postgresMsPerInstance !== undefined && c.postgresMs !== undefined) {
    parts.push(`postgres server ${fmtMs(c.postgresMsPerInstance)} ms/instance (${pct(c.postgresMs)} of a core)`);
  }
  if (c.machineBusy !== undefined) parts.push(`machine ${(100 * c.machineBusy).toFixed(0)}% busy of ${c.cores} cores`);
  return parts.join(', ');
}

type Check = { database: string; target: string; measured: string; pass: boolean };

function legReport(
  leg: LegResult,
  throughputTarget: number,
  baseline: EngineFigures | undefined,
  baselineIdle: EngineFigures | undefined,
  checks: Check[],
): string {
  const t = leg.throughput;
  const i = leg.idle;
  const p = leg.parked;
  const mark = (pass: boolean) => (pass ? 'PASS' : 'MISS');
  const truncated = (x: { truncated: boolean }) => (x.truncated ? ' (time budget hit)' : '');

  const tputPass = t.instancesPerSecond >= throughputTarget;
  const idlePass = i.p50Ms < TARGETS.idleP50Ms;
  const heapPass = p.heapPerParkedInstanceBytes <= TARGETS.heapPerParkedInstanceBytes;
  checks.push(
    { database: leg.database, target: `≥ ${throughputTarget} inst/s`, measured: fmtRate(t.instancesPerSecond), pass: tputPass },
    { database: leg.database, target: `idle p50 < ${TARGETS.idleP50Ms} ms`, measured: `${fmtMs(i.p50Ms)} ms`, pass: idlePass },
    {
      database: leg.database,
      target: `heap/parked ≤ ${fmtBytes(TARGETS.heapPerParkedInstanceBytes)}`,
      measured: fmtBytes(p.heapPerParkedInstanceBytes),
      pass: heapPass,
    },
  );

  // Below ~1 KiB per instance our figure is measurement noise (the engine keeps no per-instance state in memory):
  // the ratio is then only an order of magnitude.
  const heapRatio =
    baseline && baseline.parked > 0
      ? p.heapPerParkedInstanceBytes >= 1
        ? `${p.heapPerParkedInstanceBytes < 1024 ? '~' : ''}${fmtRatio(baseline.heapPerParkedInstanceBytes / p.heapPerParkedInstanceBytes)}`
        : `n/a (ours ${fmtBytes(p.heapPerParkedInstanceBytes)} ≈ 0)`
      : '';
  const rows: string[][] = [
    [
      `throughput (n=${t.completed}/${t.requested}, ${t.concurrency} in flight)${truncated(t)}`,
      fmtRate(t.instancesPerSecond),
      baseline ? fmtRate(baseline.instancesPerSecond) : 'skipped',
      baseline ? `${fmtRatio(t.instancesPerSecond / baseline.instancesPerSecond)} (ours/baseline)` : '',
      `≥ ${throughputTarget} inst/s`,
      mark(tputPass),
    ],
    [
      `latency p50 / p99 under load (${t.concurrency} in flight)`,
      `${fmtMs(t.p50Ms)} / ${fmtMs(t.p99Ms)} ms`,
      baseline ? `${fmtMs(baseline.p50Ms)} / ${fmtMs(baseline.p99Ms)} ms` : '',
      '',
      '',
      '',
    ],
    [
      `latency p50 / p99 idle (n=${i.completed}, one at a time)${truncated(i)}`,
      `${fmtMs(i.p50Ms)} / ${fmtMs(i.p99Ms)} ms`,
      baselineIdle ? `${fmtMs(baselineIdle.p50Ms)} / ${fmtMs(baselineIdle.p99Ms)} ms` : '',
      '',
      `p50 < ${TARGETS.idleP50Ms} ms`,
      mark(idlePass),
    ],
    [
      `heap per parked instance (P=${p.parked}${baseline ? `; baseline P=${baseline.parked}` : ''})${truncated(p)}`,
      fmtBytes(p.heapPerParkedInstanceBytes),
      baseline && baseline.parked > 0 ? fmtBytes(baseline.heapPerParkedInstanceBytes) : '',
      heapRatio ? `${heapRatio}${heapRatio.startsWith('n/a') ? '' : ' (baseline/ours)'}` : '',
      `≤ ${fmtBytes(TARGETS.heapPerParkedInstanceBytes)}`,
      mark(heapPass),
    ],
    [
      'rss / non-heap (external) per parked instance',
      `${fmtBytes(p.rssPerParkedInstanceBytes)} / ${fmtBytes(p.externalPerParkedInstanceBytes)}`,
      '',
      '',
      '',
      '',
    ],
    ['engine tables growth per parked instance', fmtBytes(p.tableBytesPerParkedInstance), '', '', '', ''],
    [
      'rows per parked instance',
      `element_instances ${p.rows.elementInstancesPerInstance.toFixed(2)}, message_subscriptions ${p.rows.messageSubscriptionsPerInstance.toFixed(2)}, audit ${p.rows.auditRowsPerInstance.toFixed(2)}`,
      '',
      '',
      '',
      '',
    ],
    [
      'parked rows (active bench-park instances)',
      `${p.rows.instances} instances, ${p.rows.elementInstances} element_instances, ${p.rows.messageSubscriptions} message_subscriptions; resume by message: ${p.resumed ? 'ok' : 'FAILED'}`,
      '',
      '',
      '',
      '',
    ],
    ['parking rate', fmtRate(p.seconds > 0 ? p.parked / p.seconds : 0), '', '', '', ''],
    ['memory after throughput run', fmtMem(leg.memory.afterThroughput), '', '', '', ''],
    ['memory after parking (after gc)', fmtMem(leg.memory.afterParking), '', '', '', ''],
    [
      'database work per completed instance',
      `${leg.sql.transactionsPerInstance.toFixed(2)} transactions, ${leg.sql.statementsPerInstance.toFixed(1)} statements; mean transaction ${fmtMs(leg.sql.meanTransactionMs)} ms, mean statement ${fmtMs(leg.sql.meanStatementMs)} ms`,
      '',
      '',
      '',
      '',
    ],
    ['CPU during the throughput run', fmtCpu(leg.cpu.throughput), '', '', '', ''],
    ['CPU during the idle run', fmtCpu(leg.cpu.idle), '', '', '', ''],
    [
      'left behind by completed instances',
      `${leg.leftoverAfterCompletion.elementInstances} element_instances, ${leg.leftoverAfterCompletion.jobs} jobs, ${leg.leftoverAfterCompletion.auditRowsPerInstance.toFixed(1)} audit rows/instance`,
      '',
      '',
      '',
      '',
    ],
  ];
  const main = table(['figure', `embedded engine (${leg.database})`, baseline ? baseline.engine : 'bpmn-engine', 'ratio', 'target', 'result'], rows);
  const top = table(
    ['statements of the throughput run, by total wall time', 'count', 'per instance', 'mean ms', 'total s'],
    leg.sql.top.map((s) => [
      s.label,
      String(s.count),
      (t.completed > 0 ? s.count / t.completed : 0).toFixed(2),
      fmtMs(s.ms / s.count),
      (s.ms / 1000).toFixed(2),
    ]),
  );
  return `${main}\n\n${top}`;
}

// ---- run ------------------------------------------------------------------

type Output = {
  date: string;
  machine: { cpus: number; cpuModel: string; totalMemoryBytes: number; platform: string; node: string };
  settings: Record<string, unknown>;
  targets: typeof TARGETS;
  pglite: LegResult & { features: FeatureFigures };
  postgres: (LegResult & { serverVersion: string; features: FeatureFigures }) | { skipped: string };
  baseline: { throughput: EngineFigures; idle: EngineFigures } | { skipped: string };
  checks: Check[];
  seconds: number;
};

async function main(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    throw new Error('run with node --expose-gc (npm run bench:engine does)');
  }
  const cpus = os.cpus();
  log(`bench:engine — ${new Date().toISOString()} — ${cpus.length} cores (${cpus[0]?.model ?? '?'}), ${fmtBytes(os.totalmem())} RAM, node ${process.version}`);
  log(`start: ${fmtMem(memory())}`);
  const pgliteInstances = INSTANCES_OVERRIDE ?? 1_000;
  const postgresInstances = INSTANCES_OVERRIDE ?? 2_000;
  const legOptions = {
    concurrency: CONCURRENCY,
    idleInstances: IDLE_INSTANCES,
    parked: PARKED,
    parkConcurrency: PARK_CONCURRENCY,
    budgets: BUDGETS,
    jobPollIntervalMs: JOB_POLL_MS,
    log,
  };

  log(`\n[${elapsed()}] PGlite (in-process, memory://)`);
  const featureOptions = { instances: FEATURE_INSTANCES, concurrency: CONCURRENCY, log };
  const pglite = await withPglite(async (db) => {
    const leg = await runEmbeddedEngineLeg({ ...legOptions, database: 'PGlite', db, instances: pgliteInstances });
    return { ...leg, features: await runFeatureFigures(db, featureOptions) };
  });

  let postgres: Output['postgres'];
  if (DATABASE_URL) {
    log(`\n[${elapsed()}] PostgreSQL (fresh database, pool ${POOL_SIZE})`);
    postgres = await withFreshPostgres(DATABASE_URL, async (db, info) => {
      log(`  database ${info.name} on PostgreSQL ${info.serverVersion}`);
      const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(DATABASE_URL).hostname);
      const leg = await runEmbeddedEngineLeg({ ...legOptions, database: 'PostgreSQL', db, instances: postgresInstances, measurePostgresCpu: local });
      return { ...leg, serverVersion: info.serverVersion, features: await runFeatureFigures(db, featureOptions) };
    });
  } else {
    postgres = { skipped: 'BENCH_DATABASE_URL is not set' };
  }

  let baseline: Output['baseline'];
  if (SKIP_BASELINE) {
    baseline = { skipped: 'BENCH_SKIP_BASELINE is set' };
  } else {
    const baselineInstances = Math.max(pgliteInstances, DATABASE_URL ? postgresInstances : 0);
    log(
      `\n[${elapsed()}] baseline: bpmn-engine, ${baselineInstances} instances (${CONCURRENCY} in flight), ${BASELINE_PARKED} parked; then ${IDLE_INSTANCES} one at a time`,
    );
    const throughput = await runBpmnEngineBaseline({ instances: baselineInstances, concurrency: CONCURRENCY, parked: BASELINE_PARKED });
    const idle = await runBpmnEngineBaseline({ instances: IDLE_INSTANCES, concurrency: 1, parked: 0 });
    baseline = { throughput, idle };
  }

  const baselineFigures = 'skipped' in baseline ? undefined : baseline;
  const checks: Check[] = [];
  log(`\n[${elapsed()}] results`);
  log(`\n=== PGlite (in-process, memory://) ===\n`);
  log(legReport(pglite, TARGETS.pgliteInstancesPerSecond, baselineFigures?.throughput, baselineFigures?.idle, checks));
  log(`\n${featureReport(pglite.features, pglite.throughput.instancesPerSecond)}`);
  if ('skipped' in postgres) {
    log(`\n=== PostgreSQL: SKIPPED (${postgres.skipped}; e.g. BENCH_DATABASE_URL=postgresql://user:pass@127.0.0.1:5432/postgres) ===`);
  } else {
    log(`\n=== PostgreSQL ${postgres.serverVersion} (fresh database, pool ${POOL_SIZE}) ===\n`);
    log(legReport(postgres, TARGETS.postgresInstancesPerSecond, baselineFigures?.throughput, baselineFigures?.idle, checks));
    log(`\n${featureReport(postgres.features, postgres.throughput.instancesPerSecond)}`);
  }
  if (!baselineFigures) log(`\nbaseline: SKIPPED (${'skipped' in baseline ? baseline.skipped : ''})`);

  log('\n=== targets ===\n');
  log(
    table(
      ['database', 'target', 'measured', 'result'],
      checks.map((c) => [c.database, c.target, c.measured, c.pass ? 'PASS' : 'MISS']),
    ),
  );
  if ('skipped' in postgres) log(`PostgreSQL ≥ ${TARGETS.postgresInstancesPerSecond} inst/s: not measured (PostgreSQL leg skipped)`);

  const output: Output = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? '?',
      totalMemoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    settings: {
      concurrency: CONCURRENCY,
      idleInstances: IDLE_INSTANCES,
      pgliteInstances,
      postgresInstances,
      parked: PARKED,
      baselineParked: BASELINE_PARKED,
      parkConcurrency: PARK_CONCURRENCY,
      postgresPoolSize: POOL_SIZE,
      jobPollIntervalMs: pglite.jobPollIntervalMs,
      budgetsMs: BUDGETS,
    },
    targets: TARGETS,
    pglite,
    postgres,
    baseline,
    checks,
    seconds: seconds(),
  };
  await mkdir(path.dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, `${JSON.stringify(output, null, 2)}\n`);
  log(`\nwritten: ${path.relative(process.cwd(), OUTPUT)} (run took ${elapsed()})`);
}

await finish(main);
