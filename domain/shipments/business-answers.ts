// A business's answers about one of its shipments, recorded once per event id (the inbox)
// and turned into the messages its shipment process waits for. An answer that arrives
// early implies the steps before it, and each implied step is published too, so the
// process never waits for a message the business will not send again.
import { z } from 'zod';
import type { Prisma } from '../../prisma/generated/client.js';
import type { PrismaClient } from '../../infra/database.js';
import { isUniqueViolation } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { storableText } from '../storable.js';
import { isUuid } from '../ids.js';
import { moveShipmentIn } from './move-shipment.js';
import type { ShipmentStatus } from './shipment-lifecycle.js';

// storableText: no NUL, no unpaired surrogate, which PostgreSQL would refuse (a 500, not the caller's 400).
const text = (max: number) => storableText().trim().min(1).max(max);

export const BusinessAnswer = z.discriminatedUnion('type', [
  z.strictObject({ id: text(200), type: z.literal('accepted') }),
  z.strictObject({ id: text(200), type: z.literal('declined'), reason: text(500) }),
  z.strictObject({
    id: text(200),
    type: z.literal('shipped'),
    carrier: text(100),
    trackingNumber: text(100),
    trackingUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .optional(),
  }),
  z.strictObject({ id: text(200), type: z.literal('delivered') }),
]);
export type BusinessAnswer = z.infer<typeof BusinessAnswer>;

/** The messages of bpmn/shipment.bpmn a business's answers become (correlation key: the shipment id). */
export const SHIPMENT_MESSAGES = {
  ACCEPTED: 'shipment-accepted',
  DECLINED: 'shipment-declined',
  SHIPPED: 'shipment-shipped',
  DELIVERED: 'shipment-delivered',
} as const satisfies Partial<Record<ShipmentStatus, string>>;

/** The customer cancelled the paid order (domain/orders/cancel-paid-order.ts): the shipment's process stops it. */
export const SHIPMENT_CANCELLED = 'shipment-cancelled';

/** The customer confirmed a shipment arrived (POST /orders/{id}/shipments/{shipmentId}/confirm-delivery): its funds may be released. */
export const DELIVERY_CONFIRMED = 'delivery-confirmed';

/** Ops approved a shipment the routing rule held for approval (POST /ops/api/shipments/{id}/approve): it may be dispatched. */
export const SHIPMENT_APPROVED = 'shipment-approved';

export type ShipmentMessageToPublish = { name: string; correlationKey: string; messageId: string; variables: Record<string, unknown> };

const TARGET: Record<BusinessAnswer['type'], keyof typeof SHIPMENT_MESSAGES> = {
  accepted: 'ACCEPTED',
  declined: 'DECLINED',
  shipped: 'SHIPPED',
  delivered: 'DELIVERED',
};

export type RecordedAnswer = { duplicate: boolean; orderId: string; status: ShipmentStatus; messages: ShipmentMessageToPublish[] };

/**
 * Records the answer and applies it to the shipment in one transaction, and answers the
 * messages to publish. A repeated event id changes nothing and answers the same messages
 * (publishing them again is harmless: the engine keeps one per message id while buffered).
 */
export async function recordBusinessAnswer(
  prisma: PrismaClient,
  businessId: string,
  shipmentId: string,
  answer: BusinessAnswer,
  via: string,
): Promise<RecordedAnswer> {
  if (!isUuid(shipmentId)) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const owned = await prisma.shipment.findFirst({ where: { id: shipmentId, businessId }, select: { id: true } });
  if (!owned) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const earlier = await stored(prisma, businessId, answer.id);
  if (earlier) return earlier;
  try {
    return await prisma.$transaction(async (tx) => {
      const target = TARGET[answer.type];
      const move = await moveShipmentIn(tx, shipmentId, target, `${answer.type} by business ${businessId} (${via}, event ${answer.id})`, fieldsOf(answer));
      const messages = move.steps.flatMap((step) => messageFor(step, shipmentId, answer));
      await tx.shipmentEvent.create({
        data: { businessId, shipmentId, eventId: answer.id, type: answer.type, payload: { answer, messages } as unknown as Prisma.InputJsonValue },
      });
      return { duplicate: false, orderId: move.orderId, status: target, messages };
    });
  } catch (err) {
    // The same event delivered twice at once: the other delivery recorded it.
    if (isUniqueViolation(err)) {
      const other = await stored(prisma, businessId, answer.id);
      if (other) return other;
    }
    throw err;
  }
}

async function stored(prisma: PrismaClient, businessId: string, eventId: string): Promise<RecordedAnswer | undefined> {
  const row = await prisma.shipmentEvent.findUnique({
    where: { businessId_eventId: { businessId, eventId } },
    select: { payload: true, shipment: { select: { orderId: true, status: true } } },
  });
  if (!row) return undefined;
  const { messages } = row.payload as { messages: ShipmentMessageToPublish[] };
  return { duplicate: true, orderId: row.shipment.orderId, status: row.shipment.status, messages };
}

function fieldsOf(answer: BusinessAnswer) {
  if (answer.type === 'declined') return { declineReason: answer.reason };
  if (answer.type === 'shipped') return { carrier: answer.carrier, trackingNumber: answer.trackingNumber, trackingUrl: answer.trackingUrl ?? null };
  return {};
}

function messageFor(step: ShipmentStatus, shipmentId: string, answer: BusinessAnswer): ShipmentMessageToPublish[] {
  if (!(step in SHIPMENT_MESSAGES)) return [];
  const name = SHIPMENT_MESSAGES[step as keyof typeof SHIPMENT_MESSAGES];
  const variables = answer.type === 'declined' && step === 'DECLINED' ? { declineReason: answer.reason } : {};
  return [{ name, correlationKey: shipmentId, messageId: `${shipmentId}:${name}`, variables }];
}
