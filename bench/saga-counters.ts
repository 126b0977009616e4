/**
 * The counters `npm run bench:saga` reads before and after a phase, and what a phase cost:
 * the service's probe (CPU, SQL, BullMQ jobs, Redis commands sent), Redis's own INFO
 * (commands executed, CPU), the CPU of the PostgreSQL backends serving the bench's database,
 * and the machine (bench/cpu.ts). Linux /proc for the PostgreSQL figures.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import { cpuSample, cpuSplit, type CpuSample } from './cpu.js';
import type { ProbeSnapshot } from './saga-probe.js';

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (100 on every common Linux build). */
const CLOCK_TICKS_PER_SECOND = 100;
const BACKEND_SAMPLE_MS = 200;

function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

// ---- Redis, as the server counts -------------------------------------------------

export type RedisInfo = { commands: Record<string, number>; cpuSeconds: number };

/** INFO commandstats and INFO cpu over a connection of the bench's own, which sends nothing else. */
export class RedisServerStats {
  private readonly client: Redis;
  /** INFO calls this client made: subtracted from the deltas (the server counts them). */
  private infoCalls = 0;

  constructor(url: string) {
    this.client = new Redis(url, { maxRetriesPerRequest: 1 });
    this.client.on('error', () => undefined);
  }

  async read(): Promise<RedisInfo & { ownInfoCalls: number }> {
    const cpu = await this.client.info('cpu');
    const stats = await this.client.info('commandstats');
    // The server counts a command after running it: each read's INFO calls show in the next read.
    const ownInfoCalls = this.infoCalls;
    this.infoCalls += 2;
    const commands: Record<string, number> = {};
    for (const m of stats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[m[1] as string] = Number(m[2]);
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? 0);
    return { commands, cpuSeconds: field('used_cpu_sys') + field('used_cpu_user'), ownInfoCalls };
  }

  close(): void {
    this.client.disconnect();
  }
}

// ---- PostgreSQL backends of one database ------------------------------------------------

/**
 * CPU of the server processes connected to one database, sampled every 200 ms (a backend
 * that exits between two samples loses at most that much). A backend first seen after the
 * sampler started is counted from zero: it was forked for this database meanwhile.
 */
export class PostgresBackendCpu {
  private readonly seen = new Map<number, { first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();
  private started = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly database: string,
  ) {}

  static async start(adminUrl: string, database: string): Promise<PostgresBackendCpu> {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    const sampler = new PostgresBackendCpu(client, database);
    await sampler.sample();
    sampler.started = true;
    sampler.timer = setInterval(() => void sampler.sample(), BACKEND_SAMPLE_MS);
    return sampler;
  }

  sample(): Promise<void> {
    this.sampling = this.sampling.then(async () => {
      const { rows } = await this.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [this.database]);
      for (const { pid } of rows) {
        const ticks = processTicks(pid);
        if (ticks === undefined) continue;
        const known = this.seen.get(pid);
        if (known) known.last = ticks;
        else this.seen.set(pid, { first: this.started ? 0 : ticks, last: ticks });
      }
    });
    this.sampling = this.sampling.catch(() => undefined);
    return this.sampling;
  }

  /** CPU ms of the database's backends since the sampler started, after a fresh sample. */
  async totalMs(): Promise<number> {
    await this.sample();
    let ticks = 0;
    for (const { first, last } of this.seen.values()) ticks += last - first;
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
    await this.client.end().catch(() => undefined);
  }
}

// ---- a phase --------------------------------------------------------------------------

export type Counters = {
  at: number;
  probe: ProbeSnapshot;
  redis: RedisInfo & { ownInfoCalls: number };
  postgresBackendsMs?: number;
  machine: CpuSample;
};

export type Sources = { probe: () => Promise<ProbeSnapshot>; redis: RedisServerStats; postgres?: PostgresBackendCpu; allPostgres: boolean };

export async function readCounters(s: Sources): Promise<Counters> {
  const [probe, redis, postgresBackendsMs] = await Promise.all([s.probe(), s.redis.read(), s.postgres?.totalMs()]);
  return { at: performance.now(), probe, redis, postgresBackendsMs, machine: cpuSample(s.allPostgres) };
}

type Count = { name: string; count: number };

/** What one phase cost in all, and per PAID order. */
export type PhaseCost = {
  orders: number;
  wallMs: number;
  cpuMsPerOrder: {
    service: number;
    /** The backends of the bench's database (PostgreSQL only). */
    postgres?: number;
    /** Every postgres process on this machine, other databases' work included (PostgreSQL only). */
    postgresAllProcesses?: number;
    redis: number;
    /** The bench itself (HTTP clients, event poller): not part of the system, but it shares the cores. */
    benchClient: number;
  };
  machineBusy?: number;
  sql: { statementsPerOrder: number; transactionsPerOrder: number; explicitTransactionsPerOrder: number; autocommitPerOrder: number; top: Count[] };
  redis: { sentPerOrder: number; executedPerOrder: number; topSent: Count[]; topExecuted: Count[] };
  bullmqJobsPerOrder: number;
  bullmqJobs: Record<string, { completed: number; failed: number }>;
  totals: { statements: number; transactions: number; redisSent: number; redisExecuted: number; bullmqJobs: number };
};

function deltas(after: Record<string, number>, before: Record<string, number>, minus: Record<string, number> = {}): Count[] {
  return Object.entries(after)
    .map(([name, count]) => ({ name, count: count - (before[name] ?? 0) - (minus[name] ?? 0) }))
    .filter((c) => c.count > 0)
    .sort((a, b) => b.count - a.count);
}
const sum = (xs: Count[]) => xs.reduce((a, c) => a + c.count, 0);

export function phaseCost(before: Counters, after: Counters, orders: number, cores: number, topN = 60): PhaseCost {
  const per = (x: number) => (orders > 0 ? x / orders : 0);
  const machine = cpuSplit(before.machine, after.machine, cores);
  const sqlAfter = after.probe.sql;
  const sqlBefore = before.probe.sql;
  const statements = sqlAfter.statements - sqlBefore.statements;
  const explicit = sqlAfter.explicitTransactions - sqlBefore.explicitTransactions;
  const autocommit = sqlAfter.autocommitStatements - sqlBefore.autocommitStatements;
  const sent = deltas(after.probe.redis, before.probe.redis);
  const executed = deltas(after.redis.commands, before.redis.commands, { info: after.redis.ownInfoCalls - before.redis.ownInfoCalls });
  const jobs: PhaseCost['bullmqJobs'] = {};
  for (const [queue, c] of Object.entries(after.probe.jobs)) {
    const b = before.probe.jobs[queue] ?? { completed: 0, failed: 0 };
    if (c.completed > b.completed || c.failed > b.failed) jobs[queue] = { completed: c.completed - b.completed, failed: c.failed - b.failed };
  }
  const jobCount = Object.values(jobs).reduce((a, j) => a + j.completed + j.failed, 0);
  return {
    orders,
    wallMs: after.at - before.at,
    cpuMsPerOrder: {
      service: per((after.probe.cpuMicros - before.probe.cpuMicros) / 1000),
      ...(after.postgresBackendsMs !== undefined && before.postgresBackendsMs !== undefined
        ? { postgres: per(after.postgresBackendsMs - before.postgresBackendsMs) }
        : {}),
      ...(machine.postgresMs !== undefined ? { postgresAllProcesses: per(machine.postgresMs) } : {}),
      redis: per((after.redis.cpuSeconds - before.redis.cpuSeconds) * 1000),
      benchClient: per(machine.nodeMs),
    },
    ...(machine.machineBusy !== undefined ? { machineBusy: machine.machineBusy } : {}),
    sql: {
      statementsPerOrder: per(statements),
      transactionsPerOrder: per(explicit + autocommit),
      explicitTransactionsPerOrder: per(explicit),
      autocommitPerOrder: per(autocommit),
      top: deltas(sqlAfter.byStatement, sqlBefore.byStatement).slice(0, topN),
    },
    redis: { sentPerOrder: per(sum(sent)), executedPerOrder: per(sum(executed)), topSent: sent.slice(0, topN), topExecuted: executed.slice(0, topN) },
    bullmqJobsPerOrder: per(jobCount),
    bullmqJobs: jobs,
    totals: { statements, transactions: explicit + autocommit, redisSent: sum(sent), redisExecuted: sum(executed), bullmqJobs: jobCount },
  };
}

/** Transactions the server counted in one database (committed + rolled back): the check on the probe's count. */
export async function serverTransactions(adminUrl: string, database: string): Promise<number> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ n: string }>('SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1', [database]);
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
