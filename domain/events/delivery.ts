// The dispatcher's database side: fan events out to subscriptions, claim the deliveries
// that are due, and record each attempt's outcome. Every step is one short transaction,
// so PGlite (one transaction at a time) is never held during an HTTP call, and several
// dispatchers on PostgreSQL share the work (FOR UPDATE SKIP LOCKED).
import type { PrismaClient } from '../../infra/database.js';
import { STREAM_HORIZON_SQL } from './stream.js';

export type RetryPolicy = {
  /** The first retry's delay; each next one doubles, up to `maxRetryIntervalMs`. */
  firstRetryMs: number;
  maxRetryIntervalMs: number;
  /** How long a delivery is retried after it was created (or replayed). */
  retryForMs: number;
  /** A subscription failing without a success for this long is disabled. */
  disableAfterMs: number;
};

/** The delay after failed attempt number `attempt` (1, 2, …): exponential, capped. */
export function retryDelayMs(attempt: number, p: Pick<RetryPolicy, 'firstRetryMs' | 'maxRetryIntervalMs'>): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  return Math.min(p.firstRetryMs * 2 ** exponent, p.maxRetryIntervalMs);
}

/**
 * Creates the deliveries of the events recorded since each enabled subscription's cursor
 * (up to `batch` events per subscription) and moves the cursor past them, in one
 * transaction: a crash leaves the cursor where its deliveries are. Returns the most events one subscription
 * read (`batch`: there may be more).
 */
export async function fanOut(prisma: PrismaClient, retryForMs: number, batch = 500): Promise<number> {
  return prisma.$transaction(async (tx) => {
    const subscriptions = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text AS id FROM event_subscriptions WHERE enabled ORDER BY id FOR UPDATE SKIP LOCKED`;
    let read = 0;
    for (const { id } of subscriptions) {
      const [last] = await tx.$queryRawUnsafe<{ scanned: number; tx_id: bigint | null; seq: bigint | null }[]>(
        `WITH s AS (SELECT * FROM event_subscriptions WHERE id = $1::uuid),
         batch AS (
           SELECT e.seq, e.tx_id, e.type, e.order_id FROM events e, s
            WHERE (e.tx_id, e.seq) > (s.cursor_tx_id, s.cursor_seq) AND e.tx_id < ${STREAM_HORIZON_SQL}
            ORDER BY e.tx_id, e.seq LIMIT $2),
         inserted AS (
           INSERT INTO event_deliveries (subscription_id, event_seq, order_id, give_up_at)
           SELECT s.id, b.seq, b.order_id, now() + $3::float8 * interval '1 millisecond' FROM batch b, s WHERE b.type = ANY (s.event_types)
           ON CONFLICT (subscription_id, event_seq) DO NOTHING RETURNING 1)
         SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM batch)::int AS scanned, b.tx_id, b.seq FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT tx_id, seq FROM batch ORDER BY tx_id DESC, seq DESC LIMIT 1) b ON true`,
        id,
        batch,
        retryForMs,
      );
      if (!last || last.tx_id === null || last.seq === null) continue;
      await tx.$executeRaw`UPDATE event_subscriptions SET cursor_tx_id = ${last.tx_id}::bigint, cursor_seq = ${last.seq}::bigint WHERE id = ${id}::uuid`;
      read = Math.max(read, last.scanned);
    }
    return read;
  });
}

export type ClaimedDelivery = {
  deliveryId: string;
  subscriptionId: string;
  attempt: number;
  url: string;
  secret: string;
  event: { id: string; type: string; payload: unknown; created_at: Date };
};

/**
 * Claims up to `limit` due deliveries for `leaseMs` (an attempt in flight; a dispatcher that
 * dies holding one lets it come due again when the lease ends). Per subscription, a delivery
 * is due only when no earlier event of the same order is still to be delivered to it: none
 * pending, and none recorded but not yet fanned out.
 */
export async function claimDue(prisma: PrismaClient, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await prisma.$queryRaw<
    {
      delivery_id: string;
      subscription_id: string;
      attempts: number;
      url: string;
      secret: string;
      event_id: string;
      type: string;
      payload: unknown;
      created_at: Date;
    }[]
  >`
    WITH due AS (
      SELECT d.id FROM event_deliveries d JOIN event_subscriptions s ON s.id = d.subscription_id
       WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() AND s.enabled
         AND NOT EXISTS (
           SELECT 1 FROM event_deliveries p
            WHERE p.subscription_id = d.subscription_id AND p.order_id = d.order_id AND p.status = 'PENDING' AND p.event_seq < d.event_seq)
         AND NOT EXISTS (
           SELECT 1 FROM events e
            WHERE e.order_id = d.order_id AND e.seq < d.event_seq AND e.type = ANY (s.event_types)
              AND (e.tx_id, e.seq) > (s.cursor_tx_id, s.cursor_seq))
       ORDER BY d.next_attempt_at, d.event_seq
       LIMIT ${limit}
       FOR UPDATE OF d SKIP LOCKED)
    UPDATE event_deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond', updated_at = now()
      FROM due, event_subscriptions s, events e
     WHERE d.id = due.id AND s.id = d.subscription_id AND e.seq = d.event_seq
    RETURNING d.id::text AS delivery_id, d.subscription_id::text AS subscription_id, d.attempts, s.url, s.secret, e.id AS event_id, e.type, e.payload, e.created_at`;
  return rows.map((r) => ({
    deliveryId: r.delivery_id,
    subscriptionId: r.subscription_id,
    attempt: r.attempts,
    url: r.url,
    secret: r.secret,
    event: { id: r.event_id, type: r.type, payload: r.payload, created_at: r.created_at },
  }));
}

export type AttemptOutcome = { ok: boolean; statusCode: number | undefined; latencyMs: number; error: string | undefined };

export type RecordedAttempt = {
  status: 'DELIVERED' | 'PENDING' | 'FAILED';
  /** Set when this failure disabled the subscription: since when it had been failing. */
  disabled?: { failingSince: Date };
};

const MAX_ERROR_LENGTH = 500;

/**
 * Records one attempt of a claimed delivery: delivered; or failed, then retried after the
 * policy's delay until its give-up time, then FAILED. A failure also marks the subscription
 * failing (since its first failure after a success); failing for `disableAfterMs` disables it.
 */
export async function recordAttempt(prisma: PrismaClient, claimed: ClaimedDelivery, outcome: AttemptOutcome, policy: RetryPolicy): Promise<RecordedAttempt> {
  const error = outcome.error?.slice(0, MAX_ERROR_LENGTH) ?? null;
  const statusCode = outcome.statusCode ?? null;
  const latencyMs = Math.round(outcome.latencyMs);
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO event_delivery_attempts (delivery_id, attempt, status_code, latency_ms, error)
      VALUES (${claimed.deliveryId}::uuid, ${claimed.attempt}, ${statusCode}, ${latencyMs}, ${error})
      ON CONFLICT (delivery_id, attempt) DO NOTHING`;
    if (outcome.ok) {
      await tx.$executeRaw`
        UPDATE event_deliveries SET status = 'DELIVERED', delivered_at = now(), next_attempt_at = now(),
               last_status_code = ${statusCode}, last_latency_ms = ${latencyMs}, last_error = NULL, updated_at = now()
         WHERE id = ${claimed.deliveryId}::uuid`;
      await tx.$executeRaw`UPDATE event_subscriptions SET failing_since = NULL WHERE id = ${claimed.subscriptionId}::uuid AND failing_since IS NOT NULL`;
      return { status: 'DELIVERED' };
    }
    const delayMs = retryDelayMs(claimed.attempt, policy);
    const [row] = await tx.$queryRaw<{ status: 'PENDING' | 'FAILED' }[]>`
      UPDATE event_deliveries
         SET status = CASE WHEN now() >= give_up_at THEN 'FAILED'::event_delivery_status ELSE 'PENDING'::event_delivery_status END,
             next_attempt_at = LEAST(now() + ${delayMs}::float8 * interval '1 millisecond', give_up_at),
             last_status_code = ${statusCode}, last_latency_ms = ${latencyMs}, last_error = ${error}, updated_at = now()
       WHERE id = ${claimed.deliveryId}::uuid
      RETURNING status::text AS status`;
    const [sub] = await tx.$queryRaw<{ failing_since: Date; overdue: boolean; enabled: boolean }[]>`
      UPDATE event_subscriptions SET failing_since = COALESCE(failing_since, now())
       WHERE id = ${claimed.subscriptionId}::uuid
      RETURNING failing_since, enabled, failing_since <= now() - ${policy.disableAfterMs}::float8 * interval '1 millisecond' AS overdue`;
    const status = row?.status ?? 'PENDING';
    if (!sub?.enabled || !sub.overdue) return { status };
    const reason = `failing since ${new Date(sub.failing_since).toISOString()}; last error: ${error ?? `HTTP ${statusCode}`}`.slice(0, MAX_ERROR_LENGTH);
    await tx.$executeRaw`
      UPDATE event_subscriptions SET enabled = false, disabled_at = now(), disabled_reason = ${reason}, updated_at = now()
       WHERE id = ${claimed.subscriptionId}::uuid`;
    return { status, disabled: { failingSince: new Date(sub.failing_since) } };
  });
}
