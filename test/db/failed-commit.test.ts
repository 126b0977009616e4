// A transaction whose COMMIT fails (here a deferred unique constraint, checked only at
// commit) must fail for the caller too: its writes are gone, so "committed" would be a lie
// the caller acts on (an order event told, a payment marked). And it must give its
// connection back. pglite-prisma-adapter 0.6.1 swallowed the failure
// (infra/pglite-adapter.ts answers PGlite's own verdict); @prisma/adapter-pg 6.19 kept
// the connection checked out forever (infra/pg-adapter.ts releases it).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.prisma.$executeRawUnsafe(`CREATE TABLE commit_probe (id int, CONSTRAINT commit_probe_once UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)`);
});

afterAll(async () => {
  await db.close();
});

const rows = async () => (await db.prisma.$queryRawUnsafe<{ id: number }[]>(`SELECT id FROM commit_probe ORDER BY id`)).map((r) => r.id);

describe(`a COMMIT that fails (${databaseKind})`, () => {
  test('fails the Prisma transaction and keeps none of its writes, more times than the pool has connections; then transactions work', async () => {
    // The test database's pool holds 12 connections on PostgreSQL: one leaked per failure would exhaust it.
    for (let i = 0; i < 15; i++) {
      const failing = db.prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`INSERT INTO commit_probe VALUES (1)`);
        await tx.$executeRawUnsafe(`INSERT INTO commit_probe VALUES (1)`); // allowed until COMMIT checks it
        return 'committed';
      });
      await expect(failing).rejects.toThrow(/commit_probe_once|Unique ?[Cc]onstraint/);
    }
    expect(await rows()).toEqual([]);

    await db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`INSERT INTO commit_probe VALUES (2)`);
    });
    expect(await rows()).toEqual([2]);
  });
});
