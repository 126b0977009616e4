// The dispatcher's database side: fan events out to subscriptions, claim the deliveries
// that are due, and record each attempt's outcome. Every step is one short transaction,
// so PGlite (one transaction at a time) is never held during an HTTP call, and several
// dispatchers on PostgreSQL share the work (FOR UPDATE SKIP LOCKED).
import type { PrismaClient } from '../../infra/database.js';

export type RetryPolicy = {
  /** The first retry's delay; each next one doubles, up to `maxRetryIntervalMs`. */
  firstRetryMs: number;
  maxRetryIntervalMs: number;
  /** How long a delivery is retried after it was created (or replayed). */
  retryForMs: number;
  /** A subscription failing without a success for this long is disabled. */
  disableAfterMs: number;
};

/** A random number in [0, 1): Math.random, or a test's own. */
export type RandomSource = () => number;

/**
 * The delay after failed attempt number `attempt` (1, 2, …): the exponential value, capped,
 * then drawn between 50 % and 100 % of it ("equal jitter"), so subscribers that failed
 * together are not all retried at the same moment when their endpoint comes back.
 */
export function retryDelayMs(attempt: number, p: Pick<RetryPolicy, 'firstRetryMs' | 'maxRetryIntervalMs'>, random: RandomSource = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const capped = Math.min(p.firstRetryMs * 2 ** exponent, p.maxRetryIntervalMs);
  return Math.round(capped * (0.5 + 0.5 * random()));
}

/**
 * What follows failed attempt `attempt` of a delivery with `msUntilGiveUp` left: given up at its
 * give-up time, otherwise retried after the jittered delay, the last time at the give-up time itself.
 */
export function afterFailure(
  attempt: number,
  msUntilGiveUp: number,
  p: Pick<RetryPolicy, 'firstRetryMs' | 'maxRetryIntervalMs'>,
  random: RandomSource = Math.random,
): { status: 'FAILED' } | { status: 'PENDING'; delayMs: number } {
  if (msUntilGiveUp <= 0) return { status: 'FAILED' };
  return { status: 'PENDING', delayMs: Math.min(retryDelayMs(attempt, p, random), msUntilGiveUp) };
}

/**
 * Creates the deliveries of the events sequenced since each enabled subscription's cursor
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
      const [last] = await tx.$queryRaw<{ scanned: number; position: bigint | null }[]>`
        WITH s AS (SELECT * FROM event_subscriptions WHERE id = ${id}::uuid),
         batch AS (
           SELECT e.seq, e.position, e.type, e.order_id FROM events e, s
            WHERE e.position > s.cursor_position ORDER BY e.position LIMIT ${batch}),
         inserted AS (
           INSERT INTO event_deliveries (subscription_id, event_seq, order_id, give_up_at)
           SELECT s.id, b.seq, b.order_id, now() + ${retryForMs}::float8 * interval '1 millisecond' FROM batch b, s WHERE b.type = ANY (s.event_types)
           ON CONFLICT (subscription_id, event_seq) DO NOTHING RETURNING 1)
         SELECT (SELECT count(*) FROM inserted)::int AS inserted, (SELECT count(*) FROM batch)::int AS scanned, (SELECT max(position) FROM batch) AS position`;
      if (!last || last.position === null) continue;
      await tx.$executeRaw`UPDATE event_subscriptions SET cursor_position = ${last.position}::bigint WHERE id = ${id}::uuid`;
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
  /** The secrets to sign with: the current one, then the one a rotation replaced while its overlap lasts. */
  secrets: string[];
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
      previous_secret: string | null;
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
              AND (e.position IS NULL OR e.position > s.cursor_position))
       ORDER BY d.next_attempt_at, d.event_seq
       LIMIT ${limit}
       FOR UPDATE OF d SKIP LOCKED)
    UPDATE event_deliveries d
       SET attempts = d.attempts + 1, next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond', updated_at = now()
      FROM due, event_subscriptions s, events e
     WHERE d.id = due.id AND s.id = d.subscription_id AND e.seq = d.event_seq
    RETURNING d.id::text AS delivery_id, d.subscription_id::text AS subscription_id, d.attempts, s.url, s.secret,
              CASE WHEN s.previous_secret_expires_at > now() THEN s.previous_secret END AS previous_secret, e.id AS event_id, e.type, e.payload, e.created_at`;
  return rows.map((r) => ({
    deliveryId: r.delivery_id,
    subscriptionId: r.subscription_id,
    attempt: r.attempts,
    url: r.url,
    secrets: r.previous_secret === null ? [r.secret] : [r.secret, r.previous_secret],
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
 * policy's jittered delay until its give-up time, then FAILED. A failure also marks the subscription
 * failing (since its first failure after a success); failing for `disableAfterMs` disables it.
 */
export async function recordAttempt(
  prisma: PrismaClient,
  claimed: ClaimedDelivery,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  random: RandomSource = Math.random,
): Promise<RecordedAttempt> {
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
    const [left] = await tx.$queryRaw<{ ms: number }[]>`
      SELECT (extract(epoch FROM give_up_at - now()) * 1000)::float8 AS ms FROM event_deliveries WHERE id = ${claimed.deliveryId}::uuid FOR UPDATE`;
    const next = afterFailure(claimed.attempt, left?.ms ?? 0, policy, random);
    const delayMs = next.status === 'PENDING' ? next.delayMs : 0;
    await tx.$executeRaw`
      UPDATE event_deliveries
         SET status = ${next.status}::event_delivery_status, next_attempt_at = now() + ${delayMs}::float8 * interval '1 millisecond',
             last_status_code = ${statusCode}, last_latency_ms = ${latencyMs}, last_error = ${error}, updated_at = now()
       WHERE id = ${claimed.deliveryId}::uuid`;
    const [sub] = await tx.$queryRaw<{ failing_since: Date; overdue: boolean; enabled: boolean }[]>`
      UPDATE event_subscriptions SET failing_since = COALESCE(failing_since, now())
       WHERE id = ${claimed.subscriptionId}::uuid
      RETURNING failing_since, enabled, failing_since <= now() - ${policy.disableAfterMs}::float8 * interval '1 millisecond' AS overdue`;
    if (!sub?.enabled || !sub.overdue) return { status: next.status };
    const reason = `failing since ${new Date(sub.failing_since).toISOString()}; last error: ${error ?? `HTTP ${statusCode}`}`.slice(0, MAX_ERROR_LENGTH);
    await tx.$executeRaw`
      UPDATE event_subscriptions SET enabled = false, disabled_at = now(), disabled_reason = ${reason}, updated_at = now()
       WHERE id = ${claimed.subscriptionId}::uuid`;
    return { status: next.status, disabled: { failingSince: new Date(sub.failing_since) } };
  });
}
