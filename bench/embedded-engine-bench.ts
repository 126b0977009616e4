/**
 * Our half of the engine benchmark: the embedded engine (orchestrator/embedded)
 * on one database, PGlite in-process or PostgreSQL, driven through the engine
 * port exactly as the application drives it.
 *
 * - Throughput and latency: bench/fixtures/three-tasks.bpmn with one job worker
 *   per task type (bench-a, bench-b, bench-c) whose handler answers complete()
 *   at once. An instance's latency runs from the createProcessInstance call to
 *   the engine's 'instance' event for its key (emitted after the transaction
 *   that ends it commits).
 * - Heap per parked instance: bench/fixtures/park-at-message.bpmn instances
 *   waiting at the message catch; (heapUsed after − heapUsed before) / parked,
 *   both after forced garbage collections.
 *
 * Every phase is bounded in time: when its budget runs out it stops starting
 * instances, lets those in flight finish, and reports on what it did (marked
 * truncated).
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';

import { pino } from 'pino';

import type { Database } from '../infra/database.js';
import { EmbeddedEngine } from '../orchestrator/embedded/embedded-engine.js';
import { complete } from '../orchestrator/engine.js';
import { PARK_AT_MESSAGE_BPMN, THREE_TASKS_BPMN } from './baseline-bpmn-engine.js';
import { cpuSample, cpuSplit, type CpuSplit } from './cpu.js';
import { SqlStats, sqlDelta, type SqlProfile } from './sql-stats.js';

const THREE_TASKS_ID = 'bench-three-tasks';
const PARK_ID = 'bench-park';
const PARK_MESSAGE = 'bench-go';
const JOB_TYPES = ['bench-a', 'bench-b', 'bench-c'] as const;
/** Upper bound for one instance to end once started. */
const INSTANCE_TIMEOUT_MS = 30_000;
const WARM_UP_INSTANCES = 50;
const WARM_UP_PARKED = 50;

export type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number };

export type LatencyRun = {
  requested: number;
  concurrency: number;
  completed: number;
  seconds: number;
  instancesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** The phase's time budget ran out before every requested instance was started. */
  truncated: boolean;
};

export type ParkedRun = {
  requested: number;
  concurrency: number;
  /** Instances waiting at the message catch when the heap was measured (warm-up ones excluded). */
  parked: number;
  seconds: number;
  truncated: boolean;
  heapBeforeBytes: number;
  heapAfterBytes: number;
  heapPerParkedInstanceBytes: number;
  /** Same delta for rss and for memory outside the JS heap (PGlite keeps its database in WebAssembly memory). */
  rssPerParkedInstanceBytes: number;
  externalPerParkedInstanceBytes: number;
  /** Growth of the engine tables (pg_total_relation_size, indexes included) per parked instance. */
  tableBytesPerParkedInstance: number;
  rows: ParkedRows;
  /** A message published to one parked instance completed it. */
  resumed: boolean;
};

export type ParkedRows = {
  /** Active bench-park instances in engine_process_instances (warm-up ones included). */
  instances: number;
  elementInstances: number;
  messageSubscriptions: number;
  jobs: number;
  auditRows: number;
  elementInstancesPerInstance: number;
  messageSubscriptionsPerInstance: number;
  auditRowsPerInstance: number;
};

export type PhaseCpu = CpuSplit & {
  /** CPU per completed instance, ms. */
  nodeMsPerInstance: number;
  postgresMsPerInstance?: number;
};

export type LegResult = {
  database: string;
  idle: LatencyRun;
  throughput: LatencyRun;
  parked: ParkedRun;
  /** Rows completed three-tasks instances leave behind (a completed instance should keep only its instance row and audit). */
  leftoverAfterCompletion: { elementInstances: number; jobs: number; auditRowsPerInstance: number };
  memory: { start: Memory; afterThroughput: Memory; afterParking: Memory };
  /** Database work of the throughput phase, per completed instance, and the statements that take the time. */
  sql: SqlProfile & { transactionsPerInstance: number; statementsPerInstance: number };
  /** Where the CPU went during the idle and the throughput runs. */
  cpu: { idle: PhaseCpu; throughput: PhaseCpu };
  jobPollIntervalMs: number;
};

export type LegOptions = {
  database: string;
  db: Database;
  instances: number;
  concurrency: number;
  idleInstances: number;
  parked: number;
  parkConcurrency: number;
  budgets: { idleMs: number; throughputMs: number; parkMs: number };
  /** Undefined: the engine's default. */
  jobPollIntervalMs?: number;
  /** Also account the CPU of the postgres processes on this machine (the PostgreSQL server is local). */
  measurePostgresCpu?: boolean;
  log?: (line: string) => void;
};

export function memory(): Memory {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') throw new Error('the engine benchmark needs global.gc: run node with --expose-gc');
  return gc;
}

async function settledMemory(gc: () => void): Promise<Memory> {
  // Let pending callbacks and microtasks drain, then collect until the heap stops shrinking.
  await new Promise((r) => setTimeout(r, 50));
  let last = Infinity;
  for (let i = 0; i < 6; i++) {
    gc();
    const used = process.memoryUsage().heapUsed;
    if (i >= 2 && Math.abs(last - used) < 64 * 1024) break;
    last = used;
  }
  return memory();
}

/** Nearest-rank percentile of ascending-sorted values (same definition as the baseline). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Resolves when the engine reports an instance ended; remembers ends reported before anyone asked. */
export class EndTracker {
  private readonly waiting = new Map<string, (end: { at: number; state: string }) => void>();
  private readonly early = new Map<string, { at: number; state: string }>();

  constructor(engine: EmbeddedEngine) {
    engine.events.on('instance', (e: { key: string; state: string }) => {
      const end = { at: performance.now(), state: e.state };
      const resolve = this.waiting.get(e.key);
      if (resolve) {
        this.waiting.delete(e.key);
        resolve(end);
      } else {
        this.early.set(e.key, end);
      }
    });
  }

  wait(key: string, timeoutMs: number): Promise<{ at: number; state: string }> {
    const early = this.early.get(key);
    if (early) {
      this.early.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(key);
        reject(new Error(`instance ${key} did not end within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(key, (end) => {
        clearTimeout(timer);
        resolve(end);
      });
    });
  }
}

/**
 * Runs `total` tasks, `concurrency` at a time, starting no new task once `budgetMs`
 * has passed. Rejects on the first failing task (after the others settle).
 */
async function pool(
  total: number,
  concurrency: number,
  budgetMs: number,
  task: (seq: number) => Promise<void>,
): Promise<{ started: number; seconds: number; truncated: boolean }> {
  const startedAt = performance.now();
  const deadline = startedAt + budgetMs;
  let next = 0;
  let failure: unknown;
  const lane = async (): Promise<void> => {
    while (next < total && failure === undefined && performance.now() < deadline) {
      const seq = next++;
      try {
        await task(seq);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, lane));
  if (failure !== undefined) throw failure;
  return { started: next, seconds: (performance.now() - startedAt) / 1000, truncated: next < total };
}

async function runInstances(
  engine: EmbeddedEngine,
  ends: EndTracker,
  total: number,
  concurrency: number,
  budgetMs: number,
  prefix: string,
): Promise<LatencyRun> {
  const latencies: number[] = [];
  const { seconds, truncated } = await pool(total, concurrency, budgetMs, async (seq) => {
    const startedAt = performance.now();
    const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId: THREE_TASKS_ID, variables: { id: `${prefix}-${seq}` } });
    const end = await ends.wait(processInstanceKey, INSTANCE_TIMEOUT_MS);
    if (end.state !== 'COMPLETED') throw new Error(`instance ${processInstanceKey} ended ${end.state}, expected COMPLETED`);
    latencies.push(end.at - startedAt);
  });
  latencies.sort((a, b) => a - b);
  return {
    requested: total,
    concurrency,
    completed: latencies.length,
    seconds,
    instancesPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.length > 0 ? latencies.reduce((a, b) => a + b, 0) / latencies.length : Number.NaN,
    maxMs: latencies.at(-1) ?? Number.NaN,
    truncated,
  };
}

async function engineTableBytes(db: Database): Promise<number> {
  const [row] = await db.sql.query<{ bytes: string }>(
    `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::text AS bytes FROM pg_class c
     WHERE c.relkind = 'r' AND c.relname LIKE 'engine\\_%'`,
  );
  return Number(row?.bytes ?? 0);
}

async function parkedRows(db: Database): Promise<ParkedRows> {
  const [row] = await db.sql.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM engine_process_instances WHERE bpmn_process_id = $1 AND state = 'ACTIVE')::text AS instances,
       (SELECT count(*) FROM engine_element_instances e JOIN engine_process_instances i ON i.key = e.process_instance_key
          WHERE i.bpmn_process_id = $1 AND i.state = 'ACTIVE')::text AS element_instances,
       (SELECT count(*) FROM engine_message_subscriptions WHERE bpmn_process_id = $1)::text AS message_subscriptions,
       (SELECT count(*) FROM engine_jobs WHERE bpmn_process_id = $1)::text AS jobs,
       (SELECT count(*) FROM engine_audit a JOIN engine_process_instances i ON i.key = a.process_instance_key
          WHERE i.bpmn_process_id = $1 AND i.state = 'ACTIVE')::text AS audit`,
    [PARK_ID],
  );
  const n = (k: string) => Number(row?.[k] ?? 0);
  const instances = n('instances');
  const per = (x: number) => (instances > 0 ? x / instances : 0);
  return {
    instances,
    elementInstances: n('element_instances'),
    messageSubscriptions: n('message_subscriptions'),
    jobs: n('jobs'),
    auditRows: n('audit'),
    elementInstancesPerInstance: per(n('element_instances')),
    messageSubscriptionsPerInstance: per(n('message_subscriptions')),
    auditRowsPerInstance: per(n('audit')),
  };
}

async function leftoverAfterCompletion(db: Database): Promise<LegResult['leftoverAfterCompletion']> {
  const [row] = await db.sql.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM engine_element_instances e JOIN engine_process_instances i ON i.key = e.process_instance_key
          WHERE i.bpmn_process_id = $1)::text AS element_instances,
       (SELECT count(*) FROM engine_jobs WHERE bpmn_process_id = $1)::text AS jobs,
       (SELECT count(*) FROM engine_audit a JOIN engine_process_instances i ON i.key = a.process_instance_key
          WHERE i.bpmn_process_id = $1)::text AS audit,
       (SELECT count(*) FROM engine_process_instances WHERE bpmn_process_id = $1)::text AS instances`,
    [THREE_TASKS_ID],
  );
  const instances = Number(row?.instances ?? 0);
  return {
    elementInstances: Number(row?.element_instances ?? 0),
    jobs: Number(row?.jobs ?? 0),
    auditRowsPerInstance: instances > 0 ? Number(row?.audit ?? 0) / instances : 0,
  };
}

export async function runEmbeddedEngineLeg(opts: LegOptions): Promise<LegResult> {
  const gc = requireGc();
  const log = opts.log ?? (() => undefined);
  const stats = new SqlStats();
  const engine = new EmbeddedEngine(
    { sql: stats.wrap(opts.db.sql), kind: opts.db.kind },
    { logger: pino({ level: 'silent' }), ...(opts.jobPollIntervalMs !== undefined ? { jobPollIntervalMs: opts.jobPollIntervalMs } : {}) },
  );
  const ends = new EndTracker(engine);
  try {
    const start = memory();
    await engine.deploy([
      { name: 'three-tasks.bpmn', xml: THREE_TASKS_BPMN },
      { name: 'park-at-message.bpmn', xml: PARK_AT_MESSAGE_BPMN },
    ]);
    for (const taskType of JOB_TYPES) engine.createWorker({ taskType, handler: async () => complete() });

    // Warm-up (not counted): JIT, definition cache, connection pool, key block.
    await runInstances(engine, ends, WARM_UP_INSTANCES, opts.concurrency, opts.budgets.idleMs, 'warm');

    const cores = os.availableParallelism();
    const withPostgres = opts.measurePostgresCpu ?? false;
    const phaseCpu = (from: ReturnType<typeof cpuSample>, completed: number): PhaseCpu => {
      const split = cpuSplit(from, cpuSample(withPostgres), cores);
      return {
        ...split,
        nodeMsPerInstance: completed > 0 ? split.nodeMs / completed : 0,
        postgresMsPerInstance: split.postgresMs !== undefined && completed > 0 ? split.postgresMs / completed : undefined,
      };
    };

    log(`  idle latency: ${opts.idleInstances} instances one at a time`);
    const idleCpuFrom = cpuSample(withPostgres);
    const idle = await runInstances(engine, ends, opts.idleInstances, 1, opts.budgets.idleMs, 'idle');
    const idleCpu = phaseCpu(idleCpuFrom, idle.completed);

    log(`  throughput: ${opts.instances} instances, ${opts.concurrency} in flight`);
    const sqlBefore = stats.snapshot();
    const cpuFrom = cpuSample(withPostgres);
    const throughput = await runInstances(engine, ends, opts.instances, opts.concurrency, opts.budgets.throughputMs, 'run');
    const throughputCpu = phaseCpu(cpuFrom, throughput.completed);
    const sqlProfile = sqlDelta(sqlBefore, stats.snapshot());
    const afterThroughput = memory();
    const leftover = await leftoverAfterCompletion(opts.db);

    log(`  parked: ${opts.parked} instances at the message catch, ${opts.parkConcurrency} created at a time`);
    const park = (seq: number, prefix: string) =>
      engine.createProcessInstance({ bpmnProcessId: PARK_ID, variables: { id: `${prefix}-${seq}` } }).then(() => undefined);
    await pool(WARM_UP_PARKED, opts.parkConcurrency, opts.budgets.parkMs, (seq) => park(seq, 'warm-park'));
    const tableBytesBefore = await engineTableBytes(opts.db);
    const before = await settledMemory(gc);
    const parkRun = await pool(opts.parked, opts.parkConcurrency, opts.budgets.parkMs, (seq) => park(seq, 'park'));
    const after = await settledMemory(gc);
    const parkedCount = parkRun.started;
    const rows = await parkedRows(opts.db);
    const tableBytesAfter = await engineTableBytes(opts.db);
    if (rows.instances !== parkedCount + WARM_UP_PARKED) {
      throw new Error(`expected ${parkedCount + WARM_UP_PARKED} active ${PARK_ID} instances, the database has ${rows.instances}`);
    }

    // They really wait at the message: deliver it to one and see it complete.
    const [first] = await opts.db.sql.query<{ key: string }>(
      `SELECT key::text FROM engine_process_instances WHERE bpmn_process_id = $1 AND state = 'ACTIVE' AND variables->>'id' = 'park-0'`,
      [PARK_ID],
    );
    let resumed = false;
    if (first) {
      const ended = ends.wait(first.key, INSTANCE_TIMEOUT_MS);
      await engine.publishMessage({ name: PARK_MESSAGE, correlationKey: 'park-0' });
      resumed = (await ended).state === 'COMPLETED';
    }
    const per = (x: number) => (parkedCount > 0 ? x / parkedCount : 0);

    return {
      database: opts.database,
      idle,
      throughput,
      parked: {
        requested: opts.parked,
        concurrency: opts.parkConcurrency,
        parked: parkedCount,
        seconds: parkRun.seconds,
        truncated: parkRun.truncated,
        heapBeforeBytes: before.heapUsed,
        heapAfterBytes: after.heapUsed,
        heapPerParkedInstanceBytes: per(after.heapUsed - before.heapUsed),
        rssPerParkedInstanceBytes: per(after.rss - before.rss),
        externalPerParkedInstanceBytes: per(after.external - before.external),
        tableBytesPerParkedInstance: per(tableBytesAfter - tableBytesBefore),
        rows,
        resumed,
      },
      leftoverAfterCompletion: leftover,
      memory: { start, afterThroughput, afterParking: after },
      sql: {
        ...sqlProfile,
        transactionsPerInstance: throughput.completed > 0 ? sqlProfile.transactions / throughput.completed : 0,
        statementsPerInstance: throughput.completed > 0 ? sqlProfile.statements / throughput.completed : 0,
      },
      cpu: { idle: idleCpu, throughput: throughputCpu },
      jobPollIntervalMs: engine.jobPollIntervalMs,
    };
  } finally {
    await engine.close();
  }
}
