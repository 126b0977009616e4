// The migration to positions (prisma/migrations/20261205000000_event_positions): events already
// recorded get positions in the order readers saw them, (tx_id, seq), and each subscription's
// (tx_id, seq) cursor becomes the position of the same event, so nothing is sent twice or skipped.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { fanOut } from '../../domain/events/delivery.js';
import { sequenceEvents } from '../../domain/events/sequencer.js';
import { openDatabase, type Database } from '../../infra/database.js';
import { applyMigrations, MIGRATIONS_DIR, readMigrations } from '../../infra/migrations.js';
import { createEmptyPostgresDatabase, databaseKind, onPostgres } from '../support/database.js';

const POSITIONS = '20261205000000_event_positions';
const ORDER = '00000000-0000-4000-8000-000000000002';

let db: Database;
let dropDatabase: () => Promise<void> = async () => undefined;
let before: string;
beforeAll(async () => {
  // The migrations up to the one before positions, in a folder of their own.
  before = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  for (const m of await readMigrations()) if (m.name < POSITIONS) await cp(path.join(MIGRATIONS_DIR, m.name), path.join(before, m.name), { recursive: true });
  if (onPostgres) {
    const empty = await createEmptyPostgresDatabase();
    dropDatabase = empty.drop;
    db = await openDatabase({ kind: 'postgres', url: empty.url, poolSize: 2 });
  } else {
    db = await openDatabase({ kind: 'pglite', dataDir: 'memory://' });
  }
  await applyMigrations(db.sql, before);
});
afterAll(async () => {
  await db.close();
  await dropDatabase();
  await rm(before, { recursive: true, force: true });
});

describe(`the migration to event positions (${databaseKind})`, () => {
  test('existing events are numbered in (tx_id, seq) order and subscription cursors point at the same event', async () => {
    // seq 1..5 written by transactions 900, 700, 700, 800, 950: readers saw 2, 3, 4, 1, 5.
    const txIds = [900, 700, 700, 800, 950];
    for (const [i, tx] of txIds.entries()) {
      await db.sql.query(`INSERT INTO events (seq, id, type, order_id, payload, tx_id) VALUES ($1, $2, 'order.created', $3, '{}', $4)`, [
        i + 1,
        `evt_${String(i + 1).padStart(24, '0')}`,
        ORDER,
        tx,
      ]);
    }
    await db.sql.query(`SELECT setval('events_seq_seq', 5)`);
    // Fanned out up to seq 4 (tx 800): seq 1 (tx 900) and seq 5 (tx 950) are still to come for it.
    await db.sql.query(
      `INSERT INTO event_subscriptions (url, event_types, secret, cursor_tx_id, cursor_seq) VALUES ('http://127.0.0.1:9/hook', '{order.created}', 'whsec_x', 800, 4)`,
    );

    // The positions migration, and those after it (the client below knows today's schema).
    const later = (await readMigrations()).map((m) => m.name).filter((name) => name >= POSITIONS);
    for (const name of later) await cp(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    expect(await applyMigrations(db.sql, before)).toEqual(later);

    const events = await db.prisma.event.findMany({ orderBy: { position: 'asc' } });
    expect(events.map((e) => Number(e.seq))).toEqual([2, 3, 4, 1, 5]);
    expect(events.map((e) => Number(e.position))).toEqual([1, 2, 3, 4, 5]);
    const [sub] = await db.prisma.eventSubscription.findMany();
    expect(sub?.cursorPosition).toBe(3n);

    // New events continue after them, and the subscription gets exactly the ones it had not seen, and the new one.
    await db.sql.query(`INSERT INTO events (id, type, order_id, payload) VALUES ('evt_${'6'.repeat(24)}', 'order.created', $1, '{}')`, [ORDER]);
    expect(await sequenceEvents(db.prisma)).toBe(1);
    expect((await db.prisma.event.findUniqueOrThrow({ where: { id: `evt_${'6'.repeat(24)}` } })).position).toBe(6n);
    await fanOut(db.prisma, 60_000);
    const delivered = await db.prisma.eventDelivery.findMany({ orderBy: { eventSeq: 'asc' } });
    expect(delivered.map((d) => Number(d.eventSeq))).toEqual([1, 5, 6]);
  });
});
