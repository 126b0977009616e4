// Gives committed events their place in the stream. An event is inserted without a
// position, in its order's transaction; a pass numbers the committed rows that have none
// from events_position_seq, in (seq) order, in a short transaction of its own. An advisory
// lock lets one pass run at a time across every process, and each commits before the next
// starts: a reader that has read up to position P never finds a committed row below P later.
// Rows still uncommitted are invisible to a pass and get a later position once committed.
import type { PrismaClient } from '../../infra/database.js';

/** The advisory lock of the sequencer (the project's other locks: 72311504–72311506). */
export const SEQUENCER_LOCK_ID = 72_311_507;

/** Rows numbered per pass; a full pass means there may be more. */
export const SEQUENCER_BATCH = 1000;

/**
 * One pass: numbers up to `batch` committed events without a position, oldest seq first.
 * Returns how many it numbered: 0 when there were none, or when another pass held the lock
 * (that pass numbers them). Costs one indexed query when nothing waits.
 */
export async function sequenceEvents(prisma: PrismaClient, batch = SEQUENCER_BATCH): Promise<number> {
  if (!(await eventsWaiting(prisma))) return 0;
  return prisma.$transaction(async (tx) => {
    const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(${SEQUENCER_LOCK_ID}::bigint) AS locked`;
    return lock?.locked ? numberWaiting(tx, batch) : 0;
  });
}

/**
 * For a reader about to answer "nothing new": numbers what waits, after waiting for a pass
 * under way (another process's, the dispatcher's) to commit. True when events were waiting,
 * so that a read now may find them; false when nothing waited (no lock taken).
 */
export async function sequenceBeforeReading(prisma: PrismaClient, batch = SEQUENCER_BATCH): Promise<boolean> {
  if (!(await eventsWaiting(prisma))) return false;
  await prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT pg_advisory_xact_lock(${SEQUENCER_LOCK_ID}::bigint)::text AS locked`;
    await numberWaiting(tx, batch);
  });
  return true;
}

async function eventsWaiting(prisma: PrismaClient): Promise<boolean> {
  const [row] = await prisma.$queryRaw<{ waiting: boolean }[]>`SELECT EXISTS (SELECT 1 FROM events WHERE position IS NULL) AS waiting`;
  return row?.waiting === true;
}

/** Numbers up to `batch` committed events without a position; the caller holds the lock. */
function numberWaiting(tx: Pick<PrismaClient, '$executeRaw'>, batch: number): Promise<number> {
  // Materialized: nextval runs once per row, in the sorted order of the subquery.
  return tx.$executeRaw`
    WITH numbered AS MATERIALIZED (
      SELECT seq, nextval('events_position_seq') AS position
        FROM (SELECT seq FROM events WHERE position IS NULL ORDER BY seq LIMIT ${batch}) pending)
    UPDATE events e SET position = numbered.position FROM numbered WHERE e.seq = numbered.seq`;
}
