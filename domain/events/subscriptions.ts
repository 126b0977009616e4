// Webhook subscriptions (admin): what each wants, its secret, its state and its delivery log.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import {
  cursorOf,
  cursorParts,
  decodeTimeIdCursor,
  encodeTimeIdCursor,
  NEWEST_FIRST,
  newestFirstAfter,
  pageOf,
  pageRequest,
  type PageQuery,
} from '../paging.js';
import type { EventType } from './event-types.js';
import { sequenceBeforeReading } from './sequencer.js';

export type SubscriptionInput = { url: string; eventTypes: EventType[]; description?: string | undefined };
export type SubscriptionPatch = Partial<SubscriptionInput> & { enabled?: boolean | undefined };

export type SubscriptionView = {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: string | null;
  failingSince: string | null;
  /** Until when deliveries are signed with the secret the last rotation replaced too; null when only the current one signs. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
};

export type DeliveryStats = { pending: number; delivered: number; failed: number; lastDeliveredAt: string | null };

type SubscriptionRow = {
  id: string;
  url: string;
  eventTypes: string[];
  description: string | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

function view(s: SubscriptionRow): SubscriptionView {
  return {
    id: s.id,
    url: s.url,
    eventTypes: s.eventTypes,
    description: s.description,
    enabled: s.enabled,
    disabledReason: s.disabledReason,
    disabledAt: iso(s.disabledAt),
    failingSince: iso(s.failingSince),
    previousSecretExpiresAt: iso(s.previousSecretExpiresAt),
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** A signing secret: whsec_ and 32 random bytes. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** The stream's current end: a subscription starts there, with the events sequenced after it. */
async function streamHead(prisma: PrismaClient): Promise<bigint> {
  await sequenceBeforeReading(prisma); // the events committed so far come before the head, not after it
  const [head] = await prisma.$queryRaw<{ position: bigint | null }[]>`SELECT max(position) AS position FROM events`;
  return head?.position ?? 0n;
}

/** A new subscription, receiving the events recorded from now on; the secret is returned here only. */
export async function createSubscription(prisma: PrismaClient, input: SubscriptionInput): Promise<SubscriptionView & { secret: string }> {
  const head = await streamHead(prisma);
  const secret = newSecret();
  const row = await prisma.eventSubscription.create({
    data: { url: input.url, eventTypes: input.eventTypes, description: input.description ?? null, secret, cursorPosition: head },
  });
  return { ...view(row), secret };
}

async function found(prisma: PrismaClient, id: string): Promise<SubscriptionRow> {
  const row = isUuid(id) ? await prisma.eventSubscription.findUnique({ where: { id } }) : null;
  if (!row) throw new NotFoundError('event subscription', id, 'id');
  return row;
}

/** Newest first, keyset on (created_at, id). */
export async function subscriptionPage(prisma: PrismaClient, query: PageQuery = {}): Promise<{ subscriptions: SubscriptionView[]; nextCursor: string | null }> {
  const { limit, after } = pageRequest(query, decodeTimeIdCursor);
  const rows = await prisma.eventSubscription.findMany({
    where: newestFirstAfter(after),
    orderBy: NEWEST_FIRST,
    take: limit + 1,
  });
  const page = pageOf(rows, limit, encodeTimeIdCursor);
  return { subscriptions: page.rows.map(view), nextCursor: page.nextCursor };
}

export async function getSubscription(prisma: PrismaClient, id: string): Promise<SubscriptionView & { deliveries: DeliveryStats }> {
  const row = await found(prisma, id);
  const counts = await prisma.eventDelivery.groupBy({ by: ['status'], where: { subscriptionId: id }, _count: { _all: true } });
  const last = await prisma.eventDelivery.aggregate({ where: { subscriptionId: id, status: 'DELIVERED' }, _max: { deliveredAt: true } });
  const count = (status: string) => counts.find((c) => c.status === status)?._count._all ?? 0;
  return {
    ...view(row),
    deliveries: { pending: count('PENDING'), delivered: count('DELIVERED'), failed: count('FAILED'), lastDeliveredAt: iso(last._max.deliveredAt) },
  };
}

/**
 * Changes a subscription. Enabling a disabled one starts it afresh: it receives the events
 * recorded from now on (those of the time it was disabled are in GET /events), and its
 * undelivered ones are tried again.
 */
export async function updateSubscription(prisma: PrismaClient, id: string, patch: SubscriptionPatch): Promise<SubscriptionView> {
  const before = await found(prisma, id);
  const reenabled = patch.enabled === true && !before.enabled;
  const head = reenabled ? await streamHead(prisma) : undefined;
  const row = await prisma.eventSubscription.update({
    where: { id },
    data: {
      ...(patch.url !== undefined ? { url: patch.url } : {}),
      ...(patch.eventTypes !== undefined ? { eventTypes: patch.eventTypes } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.enabled === false && before.enabled ? { enabled: false, disabledAt: new Date(), disabledReason: 'disabled by an administrator' } : {}),
      ...(head !== undefined ? { enabled: true, disabledAt: null, disabledReason: null, failingSince: null, cursorPosition: head } : {}),
    },
  });
  if (reenabled) await prisma.eventDelivery.updateMany({ where: { subscriptionId: id, status: 'PENDING' }, data: { nextAttemptAt: new Date() } });
  return view(row);
}

/**
 * Rolls the signing secret, like Stripe: a new one signs from now on, and the current one goes on
 * signing next to it for `previousSecretValidForMs` (0: not at all), so that the subscriber can
 * deploy the new one without refusing a delivery. Only one previous secret is kept: rolling again
 * during the overlap replaces it with the then-current one. The new secret is returned here only.
 */
export async function rotateSecret(prisma: PrismaClient, id: string, previousSecretValidForMs: number): Promise<SubscriptionView & { secret: string }> {
  await found(prisma, id);
  const secret = newSecret();
  // One statement: the right-hand sides read the row as it was, so concurrent rotations each keep the secret they replaced.
  const [row] = await prisma.$queryRaw<SubscriptionRow[]>`
    UPDATE event_subscriptions
       SET previous_secret = CASE WHEN ${previousSecretValidForMs}::float8 > 0 THEN secret END,
           previous_secret_expires_at = CASE WHEN ${previousSecretValidForMs}::float8 > 0
                                             THEN now() + ${previousSecretValidForMs}::float8 * interval '1 millisecond' END,
           secret = ${secret}, updated_at = now()
     WHERE id = ${id}::uuid
    RETURNING id::text AS id, url, event_types AS "eventTypes", description, enabled, disabled_reason AS "disabledReason", disabled_at AS "disabledAt",
              failing_since AS "failingSince", previous_secret_expires_at AS "previousSecretExpiresAt", created_at AS "createdAt", updated_at AS "updatedAt"`;
  if (!row) throw new NotFoundError('event subscription', id, 'id'); // deleted meanwhile
  return { ...view(row), secret };
}

/** Forgets the previous secrets whose overlap is over (the dispatcher, every round): they sign nothing any more. */
export async function clearExpiredSecrets(prisma: PrismaClient): Promise<number> {
  return prisma.$executeRaw`
    UPDATE event_subscriptions SET previous_secret = NULL, previous_secret_expires_at = NULL WHERE previous_secret_expires_at <= now()`;
}

export async function deleteSubscription(prisma: PrismaClient, id: string): Promise<void> {
  await found(prisma, id);
  await prisma.eventSubscription.delete({ where: { id } });
}

export type AttemptView = { attempt: number; at: string; statusCode: number | null; latencyMs: number; error: string | null };

export type DeliveryView = {
  id: string;
  eventId: string;
  eventType: string;
  orderId: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  nextAttemptAt: string | null;
  giveUpAt: string;
  lastStatusCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  attemptLog: AttemptView[];
};

const deliveryInclude = { event: { select: { id: true, type: true } }, attemptLog: { orderBy: { attempt: 'asc' as const } } };

type DeliveryRow = {
  id: string;
  eventSeq: bigint;
  orderId: string;
  status: DeliveryView['status'];
  attempts: number;
  nextAttemptAt: Date;
  giveUpAt: Date;
  lastStatusCode: number | null;
  lastLatencyMs: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
  event: { id: string; type: string };
  attemptLog: { attempt: number; at: Date; statusCode: number | null; latencyMs: number; error: string | null }[];
};

function deliveryView(d: DeliveryRow): DeliveryView {
  return {
    id: d.id,
    eventId: d.event.id,
    eventType: d.event.type,
    orderId: d.orderId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'PENDING' ? d.nextAttemptAt.toISOString() : null,
    giveUpAt: d.giveUpAt.toISOString(),
    lastStatusCode: d.lastStatusCode,
    lastLatencyMs: d.lastLatencyMs,
    lastError: d.lastError,
    deliveredAt: iso(d.deliveredAt),
    createdAt: d.createdAt.toISOString(),
    attemptLog: d.attemptLog.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), statusCode: a.statusCode, latencyMs: a.latencyMs, error: a.error })),
  };
}

const SEQ = /^\d{1,19}$/;
const decodeSeqCursor = (cursor: string) => {
  const [seq] = cursorParts(cursor, 1) ?? [];
  return seq !== undefined && SEQ.test(seq) ? BigInt(seq) : undefined;
};

/** The delivery log of a subscription, newest event first (keyset on the event's seq). */
export async function deliveryPage(
  prisma: PrismaClient,
  subscriptionId: string,
  query: PageQuery = {},
): Promise<{ deliveries: DeliveryView[]; nextCursor: string | null }> {
  const { limit, after } = pageRequest(query, decodeSeqCursor);
  await found(prisma, subscriptionId);
  const rows = await prisma.eventDelivery.findMany({
    where: { subscriptionId, ...(after !== undefined ? { eventSeq: { lt: after } } : {}) },
    orderBy: { eventSeq: 'desc' },
    take: limit + 1,
    include: deliveryInclude,
  });
  const page = pageOf(rows, limit, (last) => cursorOf([last.eventSeq.toString()]));
  return { deliveries: page.rows.map(deliveryView), nextCursor: page.nextCursor };
}

/**
 * Sends a delivery again (an administrator's replay): due now, retried for another
 * `retryForMs` if it fails. The event keeps its id, so the subscriber can tell it has seen it.
 */
export async function replayDelivery(prisma: PrismaClient, subscriptionId: string, deliveryId: string, retryForMs: number): Promise<DeliveryView> {
  await found(prisma, subscriptionId);
  const existing = isUuid(deliveryId) ? await prisma.eventDelivery.findFirst({ where: { id: deliveryId, subscriptionId } }) : null;
  if (!existing) throw new NotFoundError('delivery', deliveryId, 'deliveryId');
  const now = new Date();
  const row = await prisma.eventDelivery.update({
    where: { id: deliveryId },
    data: { status: 'PENDING', nextAttemptAt: now, giveUpAt: new Date(now.getTime() + retryForMs), deliveredAt: null },
    include: deliveryInclude,
  });
  return deliveryView(row);
}
