// Each test file gets a database of its own, migrated by the same code `npm start`
// runs: an in-memory PGlite, or, when the runner sets TEST_DATABASE_URL, a fresh
// database on that real PostgreSQL server, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../infra/database.js';
import { applyMigrations } from '../../infra/migrations.js';
import { sleep } from './wait.js';

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
export const databaseKind = onPostgres ? 'postgres' : 'pglite';

export type TestDatabase = Database & { url?: string };

export type FreshDatabase = { name: string; url: string; serverVersion: string; drop(): Promise<void> };

/**
 * A new, empty database named `<prefix>_<random>` on the server of `adminUrl` (a role allowed to
 * CREATE DATABASE). Also the bench's (bench/saga.ts, bench/engine.ts), which gives up connecting
 * after `connectTimeoutMs`; tests wait as long as it takes.
 */
export async function freshPostgresDatabase(adminUrl: string, prefix: string, o: { connectTimeoutMs?: number } = {}): Promise<FreshDatabase> {
  const client = () => new pg.Client({ connectionString: adminUrl, ...(o.connectTimeoutMs ? { connectionTimeoutMillis: o.connectTimeoutMs } : {}) });
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = client();
  await admin.connect();
  let serverVersion: string;
  try {
    serverVersion = String((await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?');
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    serverVersion,
    async drop() {
      const c = client();
      await c.connect();
      try {
        // FORCE ends the test's own connections; an autovacuum worker busy in the fresh
        // database belongs to the superuser and cannot be ended by a plain role
        // (42501, seen once in CI): it finishes in moments, so try again.
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
            return;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (attempt >= 20 || (code !== '42501' && code !== '55006')) throw err;
            await sleep(250);
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}

export function createEmptyPostgresDatabase(): Promise<FreshDatabase> {
  return freshPostgresDatabase(process.env.TEST_DATABASE_URL as string, 'saga_test');
}

export async function openTestDatabase(): Promise<TestDatabase> {
  if (!onPostgres) {
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
    await applyMigrations(db.sql);
    return db;
  }
  const empty = await createEmptyPostgresDatabase();
  const db = await openDatabase({ kind: 'postgres', url: empty.url, poolSize: 12 });
  await applyMigrations(db.sql);
  return {
    ...db,
    url: empty.url,
    async close() {
      await db.close();
      await empty.drop();
    },
  };
}
