// The inbox of provider payment callbacks (table payment_events). A provider
// delivers at least once, so each event is recorded once per (provider,
// provider event id) and is "processed" only after the engine accepted the
// message. Unprocessed rows are the work a crash or a lost queue left behind.
//
// The `payload` column keeps what was received next to the provider-neutral
// form: `{ event: PaymentOutcomeEvent, body: <the provider's JSON> }`, so the
// relay never has to know a provider's format.
import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import { isUuid } from '../ids.js';
import { unstorableJsonFields } from '../storable.js';
import type { PaymentOutcomeEvent } from './gateway.js';

export type RecordedEvent = {
  id: string;
  duplicate: boolean;
  processed: boolean;
  /** The row as written, when this call wrote it: nobody needs to read it back. */
  stored?: StoredPaymentEvent;
};

/** An event as read back: rows recorded before events were checked against their payment, and rows written by hand, carry no amount or currency. */
export type StoredOutcomeEvent = Omit<PaymentOutcomeEvent, 'amountMinor' | 'currency'> & Partial<Pick<PaymentOutcomeEvent, 'amountMinor' | 'currency'>>;

export type StoredPaymentEvent = {
  id: string;
  provider: string;
  providerEventId: string;
  orderId: string | null;
  type: string;
  event: StoredOutcomeEvent;
  /** The provider's body as received. */
  body: unknown;
  receivedAt: Date;
  processedAt: Date | null;
};

type StoredPayload = { event: StoredOutcomeEvent; body: unknown };

/**
 * Records a verified callback once. Safe under concurrent deliveries of the same
 * event: the unique index decides, and the loser reads back the winner's row.
 */
export async function recordPaymentEvent(prisma: PrismaClient, provider: string, event: PaymentOutcomeEvent, payload: unknown): Promise<RecordedEvent> {
  // order_id is a uuid column: say which field is wrong rather than fail in SQL.
  if (!isUuid(event.orderId)) throw new InvalidInputError([{ field: 'orderId', message: 'must be a UUID' }]);
  // The body is kept as received (jsonb): any of its fields, the provider's parser knows them or not, could fail the insert.
  const unstorable = unstorableJsonFields(payload);
  if (unstorable.length > 0) throw new InvalidInputError(unstorable);
  const kept: StoredPayload = { event, body: payload };
  const inserted = await prisma.$queryRaw<{ id: string; received_at: Date }[]>`
    INSERT INTO payment_events (provider, provider_event_id, order_id, type, payload)
    VALUES (${provider}, ${event.providerEventId}, ${event.orderId}::uuid, ${event.type}, ${JSON.stringify(kept)}::jsonb)
    ON CONFLICT (provider, provider_event_id) DO NOTHING
    RETURNING id::text, received_at`;
  const [row] = inserted;
  if (row) {
    const stored: StoredPaymentEvent = {
      id: row.id,
      provider,
      providerEventId: event.providerEventId,
      orderId: event.orderId,
      type: event.type,
      event,
      body: payload,
      receivedAt: new Date(row.received_at),
      processedAt: null,
    };
    return { id: row.id, duplicate: false, processed: false, stored };
  }

  // ON CONFLICT waited for the competing insert to commit, so its row is visible now.
  const existing = await prisma.paymentEvent.findUnique({
    where: { provider_providerEventId: { provider, providerEventId: event.providerEventId } },
    select: { id: true, processedAt: true },
  });
  if (!existing) throw new Error(`payment event ${provider}/${event.providerEventId} conflicted but cannot be read back`);
  return { id: existing.id, duplicate: true, processed: existing.processedAt !== null };
}

export async function getPaymentEvent(prisma: PrismaClient, id: string): Promise<StoredPaymentEvent | null> {
  if (!isUuid(id)) return null;
  const row = await prisma.paymentEvent.findUnique({ where: { id } });
  if (!row) return null;
  const payload = row.payload as Partial<StoredPayload> | null;
  // Rows written by hand (an operator replaying an event) may hold only the provider's body.
  const event: StoredOutcomeEvent = payload?.event ?? {
    providerEventId: row.providerEventId,
    type: row.type as PaymentOutcomeEvent['type'],
    orderId: row.orderId ?? '',
    paymentId: '',
    providerPaymentId: '',
  };
  return {
    id: row.id,
    provider: row.provider,
    providerEventId: row.providerEventId,
    orderId: row.orderId,
    type: row.type,
    event,
    body: payload?.event ? payload.body : payload,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
  };
}

/** Marks an event processed; true only for the call that did it (a second call changes nothing). */
export async function markEventProcessed(prisma: PrismaClient, id: string): Promise<boolean> {
  const { count } = await prisma.paymentEvent.updateMany({ where: { id, processedAt: null }, data: { processedAt: new Date() } });
  return count > 0;
}

/** Events received more than `olderThanMs` ago and still not processed, oldest first. */
export async function unprocessedEventIds(prisma: PrismaClient, olderThanMs: number, limit = 500): Promise<string[]> {
  // The database clock, the one that stamped received_at.
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    SELECT id::text FROM payment_events
    WHERE processed_at IS NULL AND received_at <= now() - (${olderThanMs}::double precision * interval '1 millisecond')
    ORDER BY received_at
    LIMIT ${limit}`;
  return rows.map((r) => r.id);
}
