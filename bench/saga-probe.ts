/**
 * Loaded into the service by `npm run bench:saga` only (`node --import tsx --import ./bench/saga-probe.ts
 * app/main.ts`), never by `npm start`: counts, inside the service process, what the benchmark
 * reports per order, without a line of the service changed.
 *
 * - SQL statements and transactions: every call that sends SQL to the database, on PostgreSQL
 *   (node-postgres `Client#query`, which the pool, Prisma's adapter and the engine's session all
 *   go through) and on PGlite (`query`, `exec`, `transaction`, and the transaction's own `query`,
 *   `exec`, `sql`). BEGIN / COMMIT / ROLLBACK are not statements: they count the transactions.
 *   A statement outside a transaction is a transaction of its own, as the server counts it.
 * - BullMQ jobs: each `Worker` 'completed' and 'failed' event, by queue.
 * - Redis commands the service sends (ioredis `sendCommand`, BullMQ's and the rate limiter's
 *   alike; a Lua script is one command here, however many commands it runs inside Redis).
 * - CPU of the whole process (`process.cpuUsage()`: every thread, PGlite's included).
 *
 * The bench asks over the IPC channel (`{ type: 'saga-probe:snapshot' }`) and gets the counters.
 */
import { PGlite } from '@electric-sql/pglite';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

export type ProbeSnapshot = {
  cpuMicros: number;
  /** process.memoryUsage(): heap used and total, RSS, external, arrayBuffers (bytes). */
  memory: NodeJS.MemoryUsage;
  sql: {
    statements: number;
    /** BEGIN … COMMIT/ROLLBACK blocks. */
    explicitTransactions: number;
    /** Statements sent outside a transaction (each its own transaction). */
    autocommitStatements: number;
    /** Statements by their SQL (whitespace collapsed, shortened). */
    byStatement: Record<string, number>;
  };
  jobs: Record<string, { completed: number; failed: number }>;
  /** Redis commands sent, by command name. */
  redis: Record<string, number>;
};

export const SNAPSHOT_REQUEST = 'saga-probe:snapshot';

const MAX_LABELS = 5_000;
const sql: ProbeSnapshot['sql'] = { statements: 0, explicitTransactions: 0, autocommitStatements: 0, byStatement: {} };
const jobs: ProbeSnapshot['jobs'] = {};
const redis: ProbeSnapshot['redis'] = {};
/** PGlite runs prepared statements as `EXECUTE name(literals)`: labelled by the statement PREPAREd under that name. */
const prepared = new Map<string, string>();
const labels = new Map<string, string>();

function label(text: string): string {
  // EXECUTE texts carry their values: never cache them (unbounded), the PREPARE map is the cache.
  const execute = /^EXECUTE (\w+)\(/.exec(text);
  const named = execute ? prepared.get(execute[1] as string) : undefined;
  if (named !== undefined) return named;
  let short = labels.get(text);
  if (short !== undefined) return short;
  const flat = text.replace(/\s+/g, ' ').trim();
  short = flat.length > 100 ? `${flat.slice(0, 97)}...` : flat;
  if (!execute && labels.size < MAX_LABELS) labels.set(text, short);
  return short;
}

function statement(text: string, inTransaction: boolean): void {
  const prepare = /^\s*(?:SAVEPOINT \w+;\s*)?PREPARE (\w+) AS ([\s\S]*?)(?:;\s*RELEASE SAVEPOINT \w+)?\s*$/.exec(text);
  if (prepare) prepared.set(prepare[1] as string, label(prepare[2] as string));
  sql.statements++;
  if (!inTransaction) sql.autocommitStatements++;
  const key = label(text);
  if (key in sql.byStatement || Object.keys(sql.byStatement).length < MAX_LABELS) sql.byStatement[key] = (sql.byStatement[key] ?? 0) + 1;
}

// ---- PostgreSQL (node-postgres) ---------------------------------------------

type Control = 'begin' | 'end' | undefined;
function control(text: string): Control {
  const head = text.trimStart().slice(0, 20).toUpperCase();
  if (head.startsWith('BEGIN') || head.startsWith('START TRANSACTION')) return 'begin';
  if (head.startsWith('COMMIT') || head.startsWith('END') || (head.startsWith('ROLLBACK') && !head.startsWith('ROLLBACK TO'))) return 'end';
  return undefined;
}

const inTransaction = new WeakSet<object>();
const clientQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0] as string | { text?: string } | undefined;
  const text = typeof first === 'string' ? first : (first?.text ?? '');
  const kind = control(text);
  if (kind === 'begin') {
    sql.explicitTransactions++;
    inTransaction.add(this);
  } else if (kind === 'end') {
    inTransaction.delete(this);
  } else {
    statement(text, inTransaction.has(this));
  }
  return clientQuery.apply(this, args);
} as typeof pg.Client.prototype.query;

// ---- PGlite -------------------------------------------------------------------

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/** The prototype that defines `name` (PGlite's methods live on its base class). */
function owner(proto: object, name: string): Record<string, Method> {
  for (let p: object | null = proto; p; p = Object.getPrototypeOf(p) as object | null) {
    if (Object.prototype.hasOwnProperty.call(p, name)) return p as Record<string, Method>;
  }
  throw new Error(`saga-probe: PGlite has no method ${name} (PGlite changed?)`);
}

function wrapStatement(target: Record<string, Method>, name: string, inTx: boolean): void {
  const original = target[name] as Method;
  target[name] = function (this: unknown, ...args: unknown[]) {
    statement(String(args[0] ?? ''), inTx);
    return original.apply(this, args);
  };
}

for (const name of ['query', 'exec']) wrapStatement(owner(PGlite.prototype, name), name, false);
const transactionOwner = owner(PGlite.prototype, 'transaction');
const transaction = transactionOwner.transaction as Method;
transactionOwner.transaction = function (this: unknown, ...args: unknown[]) {
  const callback = args[0] as (tx: Record<string, Method>) => Promise<unknown>;
  return transaction.call(this, (tx: Record<string, Method>) => {
    sql.explicitTransactions++;
    // In place: the application keys its own bookkeeping on this very object.
    for (const name of ['query', 'exec']) wrapStatement(tx, name, true);
    const tagged = tx.sql as Method;
    tx.sql = function (this: unknown, ...sqlArgs: unknown[]) {
      statement((sqlArgs[0] as string[]).join('?'), true);
      return tagged.apply(this, sqlArgs);
    };
    return callback(tx);
  });
};

// ---- BullMQ -------------------------------------------------------------------

const workerEmit = Worker.prototype.emit as (this: Worker, event: string, ...args: unknown[]) => boolean;
Worker.prototype.emit = function (this: Worker, event: string, ...args: unknown[]) {
  if (event === 'completed' || event === 'failed') {
    const counts = (jobs[this.name] ??= { completed: 0, failed: 0 });
    counts[event]++;
  }
  return workerEmit.call(this, event, ...args);
} as typeof Worker.prototype.emit;

// ---- Redis (ioredis) ------------------------------------------------------------

// ioredis passes a command through sendCommand again when it flushes its offline queue or
// resends after a reconnect: count each command object once.
const sent = new WeakSet<object>();
const sendCommand = Redis.prototype.sendCommand as (this: Redis, command: { name: string }, ...rest: unknown[]) => unknown;
Redis.prototype.sendCommand = function (this: Redis, command: { name: string }, ...rest: unknown[]) {
  if (!sent.has(command)) {
    sent.add(command);
    const name = command.name.toLowerCase(); // as INFO commandstats names them
    redis[name] = (redis[name] ?? 0) + 1;
  }
  return sendCommand.call(this, command, ...rest);
} as typeof Redis.prototype.sendCommand;

// ---- answering the bench ---------------------------------------------------------

process.on('message', (message: unknown) => {
  if ((message as { type?: unknown } | null)?.type !== SNAPSHOT_REQUEST || !process.send) return;
  const cpu = process.cpuUsage();
  const snapshot: ProbeSnapshot = {
    cpuMicros: cpu.user + cpu.system,
    memory: process.memoryUsage(),
    sql: { ...sql, byStatement: { ...sql.byStatement } },
    jobs: Object.fromEntries(Object.entries(jobs).map(([k, v]) => [k, { ...v }])),
    redis: { ...redis },
  };
  process.send({ type: SNAPSHOT_REQUEST, snapshot });
});
// The IPC channel must not keep a service that is shutting down alive.
process.channel?.unref();
// The bench went away without stopping the service (killed): shut down as on Ctrl-C, leave nothing running.
process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
