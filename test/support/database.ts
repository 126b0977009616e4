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

export async function createEmptyPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  const name = `saga_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
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
