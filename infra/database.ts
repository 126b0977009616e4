// Opens the project's database: PGlite in-process (the embedded default) or a
// PostgreSQL server (DATABASE_URL). Both are reached through the same Prisma
// client and the same small raw-SQL session, so nothing above this file knows which.
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PrismaClient } from '../prisma/generated/client.js';
import type { Config } from './config.js';
import { pgAdapterFactory } from './pg-adapter.js';
import { pgliteAdapterFactory } from './pglite-adapter.js';

export type { PrismaClient };
export type Tx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/**
 * A unique constraint refused a write: Prisma's P2002 for its own queries; a raw query's
 * failure is P2010 with the driver adapter's verdict inside.
 */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } } | null;
  if (e?.name !== 'PrismaClientKnownRequestError') return false;
  return e.code === 'P2002' || (e.code === 'P2010' && e.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation');
}

// Prisma's defaults (2 s to get a connection, 5 s to finish) fail under a burst
// of concurrent orders on a small pool; row locks queue, they do not deadlock.
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 20_000 };

/** Raw SQL for what Prisma cannot say: multi-statement scripts, advisory locks. */
export interface SqlSession {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  exec(sql: string): Promise<void>;
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
}

export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly prisma: PrismaClient;
  readonly sql: SqlSession;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** In memory: empty, or a copy of `from` (a PGlite data directory tarball, `dumpDataDir()`). */
export type DatabaseTarget = Config['database'] | { kind: 'pglite'; dataDir: 'memory://'; from?: Blob };

export class DatabaseLockedError extends Error {
  override name = 'DatabaseLockedError';
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// PGlite is a single-process database: two processes writing one data directory
// corrupt it. A pid file turns that mistake into a clear error.
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = `${dataDir}.lock`;
  await mkdir(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DatabaseLockedError(`The embedded database ${dataDir} is in use by process ${holder}. Stop that process, or set DATA_DIR to another folder.`);
      }
      await rm(lockPath, { force: true }); // left by a process that died
    }
  }
  throw new DatabaseLockedError(`Could not lock ${dataDir}`);
}

type PgliteQueryable = PGlite | Parameters<Parameters<PGlite['transaction']>[0]>[0];

// Name of the prepared statement for an SQL text, the same on both databases.
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    statementNames.set(sql, name);
  }
  return name;
}

// PGlite parses and plans every statement anew, and each query() costs several
// protocol exchanges with the WebAssembly server. Statements with parameters are
// therefore PREPAREd once (the connection is shared by every session) and run as
// `EXECUTE name(literal, ...)` over the simple protocol: measured twice as fast.
// Prepared statements are session-level and survive a rolled-back transaction.
// A statement that cannot be prepared (parameter types not inferable) runs as is.
type Prepared = string | false;
const pglitePrepared = new WeakMap<PGlite, Map<string, Prepared>>();

function pgArrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** A parameter as an SQL literal; the prepared statement's parameter type gives it its type. */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot pass ${v} to SQL`);
    return String(v);
  }
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  const text =
    v instanceof Date ? v.toISOString() : Array.isArray(v) ? `{${v.map(pgArrayElement).join(',')}}` : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return `'${text.replace(/'/g, "''")}'`;
}

async function pgliteQuery<T>(root: PGlite, db: PgliteQueryable, sql: string, params: unknown[]): Promise<T[]> {
  if (params.length === 0) return (await db.query<T>(sql)).rows;
  let cache = pglitePrepared.get(root);
  if (!cache) pglitePrepared.set(root, (cache = new Map()));
  let name = cache.get(sql);
  if (name === undefined) {
    const candidate = statementName(sql);
    const inTx = db !== root;
    try {
      // In a transaction, a savepoint keeps a failed PREPARE from aborting it.
      await db.exec(inTx ? `SAVEPOINT prep; PREPARE ${candidate} AS ${sql}; RELEASE SAVEPOINT prep` : `PREPARE ${candidate} AS ${sql}`);
      name = candidate;
    } catch {
      if (inTx) await db.exec('ROLLBACK TO SAVEPOINT prep; RELEASE SAVEPOINT prep');
      name = false;
    }
    cache.set(sql, name);
  }
  if (!name) return (await db.query<T>(sql, params)).rows;
  const results = await db.exec(`EXECUTE ${name}(${params.map(sqlLiteral).join(', ')})`);
  return (results.at(-1)?.rows ?? []) as T[];
}

function pgliteSession(root: PGlite, db: PgliteQueryable = root): SqlSession {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      return pgliteQuery<T>(root, db, sql, params);
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    transaction(fn) {
      if (db !== root) return fn(this); // already inside one
      return root.transaction((tx) => fn(pgliteSession(root, tx)));
    },
  };
}

// Queries with parameters run as named prepared statements: PostgreSQL parses and
// plans each distinct statement once per connection instead of on every call.
function pgSession(client: pg.Pool | pg.PoolClient): SqlSession {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      if (params.length === 0) return (await client.query(sql)).rows as T[];
      return (await client.query({ name: statementName(sql), text: sql, values: params })).rows as T[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    async transaction(fn) {
      if (!(client instanceof pg.Pool)) return fn(this);
      const conn = await client.connect();
      try {
        await conn.query('BEGIN');
        const out = await fn(pgSession(conn));
        await conn.query('COMMIT');
        return out;
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        conn.release();
      }
    },
  };
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  if (target.kind === 'pglite') {
    const inMemory = target.dataDir.startsWith('memory://');
    const unlock = inMemory ? async () => undefined : await lockDataDir(target.dataDir);
    try {
      if (!inMemory) await mkdir(target.dataDir, { recursive: true });
      const pglite = await PGlite.create(target.dataDir, 'from' in target && target.from ? { loadDataDir: target.from } : {});
      const prisma = new PrismaClient({ adapter: pgliteAdapterFactory(pglite), transactionOptions: TRANSACTION_OPTIONS });
      return {
        kind: 'pglite',
        prisma,
        sql: pgliteSession(pglite),
        async ping() {
          await pglite.query('SELECT 1');
        },
        async close() {
          await prisma.$disconnect();
          await pglite.close();
          await unlock();
        },
      };
    } catch (err) {
      await unlock();
      throw err;
    }
  }
  const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize, connectionTimeoutMillis: 5_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: pgAdapterFactory(pool), transactionOptions: TRANSACTION_OPTIONS });
  return {
    kind: 'postgres',
    prisma,
    sql: pgSession(pool),
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
