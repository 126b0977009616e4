import { execFile } from 'node:child_process';
import { cp, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { openDatabase } from '../../infra/database.js';
import { applyMigrations, MIGRATIONS_DIR, MigrationError, pendingMigrations, readMigrations } from '../../infra/migrations.js';
import { prepareDatabase } from '../../app/start.js';
import { createEmptyPostgresDatabase, databaseKind, onPostgres } from '../support/database.js';

const run = promisify(execFile);
const silent = pino({ level: 'silent' });

async function emptyTarget() {
  if (!onPostgres) return { target: { kind: 'pglite' as const, dataDir: 'memory://' as const }, drop: async () => undefined };
  const empty = await createEmptyPostgresDatabase();
  return { target: { kind: 'postgres' as const, url: empty.url, poolSize: 2 }, drop: empty.drop, url: empty.url };
}

describe(`migrations (${databaseKind})`, () => {
  // Our runner sends a migration as one script, but `npm run db:migrate` (Prisma's schema engine)
  // splits it at every ';', comments included: a ';' in a comment broke db:migrate on PostgreSQL
  // while the service's own start-up migrated fine. Caught on both legs, not only on PostgreSQL.
  test('no migration has a ; in a comment (prisma migrate deploy would cut the statement there)', async () => {
    const offending = (await readMigrations()).flatMap((m) =>
      m.sql
        .split('\n')
        .map((line, i) => ({ line, at: `${m.name}/migration.sql:${i + 1}` }))
        .filter(({ line }) => /--.*;/.test(line))
        .map(({ at }) => at),
    );
    expect(offending).toEqual([]);
  });

  test('apply every migration once; a second run applies nothing', async () => {
    const { target, drop } = await emptyTarget();
    const db = await openDatabase(target);
    try {
      const all = (await readMigrations()).map((m) => m.name);
      expect(await pendingMigrations(db.sql)).toEqual(all);
      expect(await applyMigrations(db.sql)).toEqual(all);
      expect(await applyMigrations(db.sql)).toEqual([]);
      expect(await pendingMigrations(db.sql)).toEqual([]);
      const rows = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(rows[0]?.n).toBe(all.length);
    } finally {
      await db.close();
      await drop();
    }
  });

  test('a migration edited after it was applied stops start-up with a clear error', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'migrations-'));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const { target, drop } = await emptyTarget();
    const db = await openDatabase(target);
    try {
      await applyMigrations(db.sql, dir);
      const [first] = await readMigrations(dir);
      await writeFile(path.join(dir, first!.name, 'migration.sql'), `${first!.sql}\n-- edited\n`);
      await expect(applyMigrations(db.sql, dir)).rejects.toThrow(
        new MigrationError(`Migration ${first!.name} was modified after it was applied (checksum differs)`),
      );
    } finally {
      await db.close();
      await drop();
    }
  });

  test('with migrate-on-start off, a database missing migrations refuses to start and says what to run', async () => {
    const { target, drop } = await emptyTarget();
    try {
      await expect(prepareDatabase({ database: target, migrateOnStart: false, seedDemoData: false }, silent)).rejects.toThrow(/npm run db:migrate/);
    } finally {
      await drop();
    }
  });

  test('the demo catalog is seeded on first start only, never over existing data', async () => {
    const { target, drop } = await emptyTarget();
    // PGlite in memory would start empty each time; a data directory keeps it across the two starts.
    const durable = target.kind === 'pglite' ? { kind: 'pglite' as const, dataDir: await mkdtemp(path.join(tmpdir(), 'pglite-')) } : target;
    try {
      const first = await prepareDatabase({ database: durable, migrateOnStart: true, seedDemoData: true }, silent);
      expect(await first.prisma.product.count()).toBe(10);
      expect(await first.prisma.warehouse.count()).toBe(3);
      // Two demo businesses (and the migration's 'default') supply them.
      expect((await first.prisma.business.findMany({ orderBy: { id: 'asc' } })).map((b) => `${b.id}:${b.dispatcher}`)).toEqual([
        'acme-supplies:manual',
        'default:manual',
        'northwind-traders:manual',
      ]);
      expect(await first.prisma.product.count({ where: { businessId: 'acme-supplies' } })).toBe(3);
      await first.prisma.stock.update({ where: { sku_warehouseId: { sku: 'SKU-KETTLE', warehouseId: 'WH-BER' } }, data: { onHand: 1 } });
      await first.close();
      const second = await prepareDatabase({ database: durable, migrateOnStart: true, seedDemoData: true }, silent);
      expect((await second.prisma.stock.findUniqueOrThrow({ where: { sku_warehouseId: { sku: 'SKU-KETTLE', warehouseId: 'WH-BER' } } })).onHand).toBe(1);
      await second.close();
    } finally {
      await drop();
    }
  });

  (onPostgres ? test : test.skip)('`npm run db:migrate` (prisma migrate deploy, no engine download) migrates PostgreSQL and the runtime agrees', async () => {
    const empty = await createEmptyPostgresDatabase();
    try {
      const { stdout } = await run('npm', ['run', 'db:migrate'], { env: { ...process.env, DATABASE_URL: empty.url }, timeout: 120_000 });
      expect(stdout).toMatch(/successfully applied|No pending migrations/);
      const db = await openDatabase({ kind: 'postgres', url: empty.url, poolSize: 2 });
      try {
        expect(await pendingMigrations(db.sql)).toEqual([]);
        const checks = await db.sql.query<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE conname = 'stock_reserved_within_on_hand_check'`);
        expect(checks).toHaveLength(1);
      } finally {
        await db.close();
      }
    } finally {
      await empty.drop();
    }
  });
});
