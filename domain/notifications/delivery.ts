// The delivery state of an outbox row, written by the notifications queue. A row
// once SENT stays SENT: a late duplicate delivery or failure report changes nothing.
import type { PrismaClient } from '../../infra/database.js';

// A provider's error can carry a whole SMTP transcript; the row keeps the start.
const MAX_ERROR_LENGTH = 2_000;
const RECOVERY_BATCH = 500;

/** Records a successful delivery (counted as an attempt). False when it was already SENT. */
export async function markSent(prisma: PrismaClient, id: string): Promise<boolean> {
  const { count } = await prisma.notification.updateMany({
    where: { id, status: { not: 'SENT' } },
    data: { status: 'SENT', sentAt: new Date(), attempts: { increment: 1 } },
  });
  return count > 0;
}

/**
 * Records a failed delivery attempt. The row stays PENDING while retries remain,
 * so outbox recovery can still pick it up; `final` marks it FAILED for an operator.
 * Returns the status the row has now: 'SENT' when another delivery of it (a
 * duplicate job, a re-run after a crash) had succeeded and nothing was recorded;
 * undefined when the row no longer exists.
 */
export async function markFailed(prisma: PrismaClient, id: string, error: string, final: boolean): Promise<'PENDING' | 'FAILED' | 'SENT' | undefined> {
  const { count } = await prisma.notification.updateMany({
    where: { id, status: { not: 'SENT' } },
    data: { attempts: { increment: 1 }, lastError: error.slice(0, MAX_ERROR_LENGTH), ...(final ? { status: 'FAILED' as const } : {}) },
  });
  if (count > 0) return final ? 'FAILED' : 'PENDING';
  // Nothing changed: the row is SENT (a status it never leaves) or gone.
  return (await prisma.notification.findUnique({ where: { id }, select: { status: true } })) ? 'SENT' : undefined;
}

/**
 * Ids of notifications still PENDING that were recorded at least `olderThanMs`
 * ago by the database's clock (younger ones are most likely on their way), oldest
 * first, at most one batch per call.
 */
export async function pendingNotifications(prisma: PrismaClient, olderThanMs: number): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT id::text AS id FROM notifications
    WHERE status = 'PENDING' AND created_at <= now() - (${olderThanMs}::double precision * interval '1 millisecond')
    ORDER BY created_at, id
    LIMIT ${RECOVERY_BATCH}`;
  return rows.map((r) => r.id);
}
