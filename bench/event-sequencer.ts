/**
 * What one event sequencer pass costs (domain/events/sequencer.ts): the wall-clock time of
 * sequenceEvents for 1, 100 and 1000 events waiting for a position, and for none (what every
 * GET /events at the end of the stream adds), on PGlite and on PostgreSQL. A report, not a test.
 *
 *   npm run bench:events                                 # PGlite; PostgreSQL skipped
 *   BENCH_DATABASE_URL=postgresql://… npm run bench:events # also PostgreSQL (a role allowed to CREATE DATABASE)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { sequenceEvents } from '../domain/events/sequencer.js';
import { openDatabase, type Database } from '../infra/database.js';
import { applyMigrations } from '../infra/migrations.js';

const SIZES = [0, 1, 100, 1000];
const RUNS = 7;
/** Events already sequenced before the runs, so the indexes are not trivially small. */
const BACKGROUND = 20_000;

async function withDatabase<T>(kind: 'pglite' | 'postgres', fn: (db: Database) => Promise<T>): Promise<T> {
  if (kind === 'pglite') {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }
  const server = process.env.BENCH_DATABASE_URL as string;
  const name = `bench_events_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const db = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 4 });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

const insertPending = (db: Database, n: number) =>
  db.sql.query(
    `INSERT INTO events (id, type, order_id, payload)
     SELECT 'evt_' || md5(random()::text || i)::text, 'order.created', $1::uuid, '{"orderId": "x"}'::jsonb FROM generate_series(1, $2::int) i`,
    [randomUUID(), n],
  );

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function measure(kind: 'pglite' | 'postgres'): Promise<Record<number, number>> {
  return withDatabase(kind, async (db) => {
    await applyMigrations(db.sql);
    await insertPending(db, BACKGROUND);
    while ((await sequenceEvents(db.prisma)) > 0);
    const out: Record<number, number> = {};
    for (const n of SIZES) {
      const times: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        if (n > 0) await insertPending(db, n);
        const started = performance.now();
        const numbered = await sequenceEvents(db.prisma, 1000);
        times.push(performance.now() - started);
        if (numbered !== n) throw new Error(`a pass numbered ${numbered} events, not ${n}`);
      }
      out[n] = median(times);
    }
    return out;
  });
}

const legs: ['pglite' | 'postgres', string | undefined][] = [
  ['pglite', undefined],
  ['postgres', process.env.BENCH_DATABASE_URL ? undefined : 'BENCH_DATABASE_URL is not set'],
];
console.log(`sequencer pass, median of ${RUNS} (ms), ${BACKGROUND} events already sequenced`);
console.log(['database', ...SIZES.map((n) => `${n} pending`)].join('\t'));
for (const [kind, skipped] of legs) {
  if (skipped) {
    console.log(`${kind}\tSKIPPED (${skipped})`);
    continue;
  }
  const r = await measure(kind);
  console.log([kind, ...SIZES.map((n) => (r[n] as number).toFixed(2))].join('\t'));
}
