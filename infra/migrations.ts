// Applies prisma/migrations at run time, recording each in Prisma's own
// `_prisma_migrations` table with Prisma's checksum (SHA-256 of migration.sql), so
// `prisma migrate deploy`/`status` and this runner agree on what has been applied.
// The Prisma CLI's Wasm schema engine takes ~12 s (PostgreSQL) to ~70 s (PGlite)
// to exit; this runs in milliseconds, which matters at every embedded start.
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlSession } from './database.js';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../prisma/migrations');

// Any constant: serialises concurrent migrators (several replicas starting at once).
const MIGRATION_LOCK_ID = 72_311_504;

export type Migration = { name: string; sql: string; checksum: string };

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

type AppliedRow = { migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null };

async function appliedMigrations(db: SqlSession): Promise<Map<string, AppliedRow>> {
  const exists = await db.query<{ exists: boolean }>(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS "exists"`);
  if (!exists[0]?.exists) return new Map();
  const rows = await db.query<AppliedRow>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
  );
  return new Map(rows.map((r) => [r.migration_name, r]));
}

function verify(migrations: Migration[], applied: Map<string, AppliedRow>): Migration[] {
  const known = new Set(migrations.map((m) => m.name));
  for (const row of applied.values()) {
    if (!row.finished_at) {
      throw new MigrationError(`Migration ${row.migration_name} started but did not finish; resolve it with \`prisma migrate resolve\``);
    }
    if (!known.has(row.migration_name)) {
      throw new MigrationError(`The database has migration ${row.migration_name}, which is not in prisma/migrations: is this build older than the database?`);
    }
  }
  const pending: Migration[] = [];
  for (const m of migrations) {
    const row = applied.get(m.name);
    if (!row) pending.push(m);
    else if (row.checksum !== m.checksum) {
      throw new MigrationError(`Migration ${m.name} was modified after it was applied (checksum differs)`);
    }
  }
  return pending;
}

/** Names of migrations not yet applied; throws if history and files disagree. */
export async function pendingMigrations(db: { transaction: SqlSession['transaction'] }, dir?: string): Promise<string[]> {
  const migrations = await readMigrations(dir);
  return db.transaction(async (tx) => verify(migrations, await appliedMigrations(tx)).map((m) => m.name));
}

/** Applies every pending migration, each in its own transaction. Returns the names applied. */
export async function applyMigrations(db: { transaction: SqlSession['transaction'] }, dir?: string): Promise<string[]> {
  const migrations = await readMigrations(dir);
  const done: string[] = [];
  for (;;) {
    const next = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
      await tx.exec(CREATE_TABLE);
      const migration = verify(migrations, await appliedMigrations(tx))[0];
      if (!migration) return undefined;
      await tx.exec(migration.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
         VALUES ($1, $2, $3, now(), now(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
      return migration.name;
    });
    if (!next) return done;
    done.push(next);
  }
}
