// Pruning: events older than the retention whose deliveries are all finished (delivered or
// given up) are deleted with their delivery log, so the outbox does not grow forever. A
// poller must read within the retention; a webhook still to be delivered keeps its event.
import type { PrismaClient } from '../../infra/database.js';

/**
 * Deletes up to `batch` events created more than `retentionMs` ago, with their deliveries and
 * attempts, in one transaction. An event is kept while a delivery of it is pending, while it has
 * no position yet, or while an enabled subscription has not fanned it out. Returns how many
 * were deleted (`batch`: there may be more).
 */
export async function pruneEvents(prisma: PrismaClient, retentionMs: number, batch = 500): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const old = await tx.$queryRaw<{ seq: bigint }[]>`
      SELECT e.seq FROM events e
       WHERE e.created_at < now() - ${retentionMs}::float8 * interval '1 millisecond'
         AND e.position <= COALESCE((SELECT min(cursor_position) FROM event_subscriptions WHERE enabled), e.position)
         AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_seq = e.seq AND d.status = 'PENDING')
       ORDER BY e.created_at LIMIT ${batch}
         FOR UPDATE OF e SKIP LOCKED`;
    if (old.length === 0) return 0;
    const seqs = old.map((r) => r.seq);
    // A replay may have made a delivery pending again meanwhile: it keeps its event.
    await tx.$executeRaw`DELETE FROM event_deliveries WHERE event_seq = ANY (${seqs}::bigint[]) AND status <> 'PENDING'`;
    return tx.$executeRaw`
      DELETE FROM events e WHERE e.seq = ANY (${seqs}::bigint[]) AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_seq = e.seq)`;
  });
}
