// Each test file gets a database of its own, migrated by the same code `npm start`
// runs: an in-memory PGlite (a copy of the migrated template), or, when the runner sets TEST_DATABASE_URL, a fresh
// database on that real PostgreSQL server (a copy of the migrated template there), dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../infra/database.js';
import { applyMigrations } from '../../infra/migrations.js';
import { migratedPgliteTarball } from './pglite-template.js';
import { templateKey } from './template-key.js';
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
export async function freshPostgresDatabase(
  adminUrl: string,
  prefix: string,
  o: { connectTimeoutMs?: number; template?: string } = {},
): Promise<FreshDatabase> {
  const client = () => new pg.Client({ connectionString: adminUrl, ...(o.connectTimeoutMs ? { connectionTimeoutMillis: o.connectTimeoutMs } : {}) });
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = client();
  await admin.connect();
  let serverVersion: string;
  try {
    serverVersion = String((await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?');
    await admin.query(`CREATE DATABASE "${name}"${o.template ? ` TEMPLATE "${o.template}"` : ''}`);
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

// Any constant: one Jest worker builds the template while the other waits for it.
const TEMPLATE_LOCK_ID = 72_311_510;
let postgresTemplate: Promise<string> | undefined;

/**
 * The name of a database on the test server holding every migration and nothing else,
 * built once per set of migrations (named after them) and kept on the server: applying
 * the migrations costs about a second a database, copying one a tenth of that.
 */
function migratedPostgresTemplate(adminUrl: string): Promise<string> {
  postgresTemplate ??= (async () => {
    const name = `saga_template_${await templateKey('postgres')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_ID]);
      const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (found.rowCount === 0) {
        const build = await freshPostgresDatabase(adminUrl, 'saga_template_build');
        const db = await openDatabase({ kind: 'postgres', url: build.url, poolSize: 1 });
        try {
          await applyMigrations(db.sql);
        } finally {
          await db.close();
        }
        await admin.query(`ALTER DATABASE "${build.name}" RENAME TO "${name}"`);
      }
    } finally {
      await admin.end(); // ends the session's advisory lock with it
    }
    return name;
  })();
  return postgresTemplate;
}

/** A new database on the test server with every migration applied (a copy of the migrated template). */
export async function createMigratedPostgresDatabase(): Promise<FreshDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL as string;
  return freshPostgresDatabase(adminUrl, 'saga_test', { template: await migratedPostgresTemplate(adminUrl) });
}

export async function openTestDatabase(): Promise<TestDatabase> {
  if (!onPostgres) {
    // From the migrated template (test/support/pglite-template.ts); applying finds nothing left to do.
    const db = await openDatabase({ kind: 'pglite', dataDir: 'memory://', from: await migratedPgliteTarball() });
    await applyMigrations(db.sql);
    return db;
  }
  const empty = await createMigratedPostgresDatabase();
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
