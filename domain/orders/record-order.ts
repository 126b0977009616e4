// Writes a priced order (NEW): the order, its lines, its history line and its event (the
// outbox) in one statement, all or nothing. Shared by POST /orders and the cart's checkout.
import type { PrismaClient, Tx } from '../../infra/database.js';
import { eventTypeFor } from '../events/event-types.js';
import { newEventId, type OrderEventData } from '../events/record-event.js';
import type { Breakdown } from '../pricing/totals.js';
import { ConflictError } from '../errors.js';
import type { OrderStatus } from './lifecycle.js';

const PLACED = 'order placed';

export type CreatedOrder = { id: string; status: OrderStatus; totalMinor: number; currency: string; createdAt: Date; created: boolean };

export class IdempotencyKeyReusedError extends ConflictError {
  constructor(key: string) {
    super('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was already used for a different request`, 'Idempotency-Key');
    this.name = 'IdempotencyKeyReusedError';
  }
}

export type PricedOrder = {
  id: string;
  customerId: string;
  customerEmail?: string | undefined;
  paymentMethod: string;
  key?: string | undefined;
  /** The request's fingerprint: a retry with the key must match it. */
  hash: string;
  level: string;
  currency: string;
  priced: Breakdown;
};

/** Records the order; `listingIds` per priced line. Answers when the database says it was created. */
export async function recordOrder(db: PrismaClient | Tx, o: PricedOrder, listingIds: string[]): Promise<Date> {
  const lines = o.priced.lines;
  const event: OrderEventData = {
    orderId: o.id,
    customerId: o.customerId,
    status: 'NEW',
    previousStatus: null,
    reason: PLACED,
    total: { amountMinor: o.priced.totalMinor, currency: o.currency },
    items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })),
  };
  const [row] = await db.$queryRaw<{ created_at: Date }[]>`
    WITH o AS (
      INSERT INTO orders (id, customer_id, customer_email, total_minor, shipping_minor, discount_minor, customer_level, currency, payment_method,
                          idempotency_key, request_hash)
      VALUES (${o.id}::uuid, ${o.customerId}, ${o.customerEmail ?? null}, ${o.priced.totalMinor}, ${o.priced.shippingMinor}, ${o.priced.discountMinor},
              ${o.level}, ${o.currency}, ${o.paymentMethod}, ${o.key ?? null}, ${o.hash})
      RETURNING created_at),
    lines AS (
      INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price_minor, listing_id, freight_minor)
      SELECT ${o.id}::uuid, l.line_no, l.sku, l.quantity, l.unit_price_minor, l.listing_id, l.freight_minor
        FROM unnest(${lines.map((_, i) => i + 1)}::int[], ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[],
                    ${lines.map((l) => l.unitPriceMinor)}::int[], ${listingIds}::uuid[],
                    ${lines.map((l) => l.freightMinor)}::int[]) AS l(line_no, sku, quantity, unit_price_minor, listing_id, freight_minor)),
    history AS (
      INSERT INTO order_history (order_id, from_status, to_status, reason) VALUES (${o.id}::uuid, NULL, 'NEW', ${PLACED}))
    INSERT INTO events (id, type, order_id, payload) VALUES (${newEventId()}, ${eventTypeFor('NEW')}, ${o.id}::uuid, ${JSON.stringify(event)}::jsonb)
    RETURNING (SELECT created_at FROM o) AS created_at`;
  return new Date(row?.created_at as Date);
}

/** An expired key leaves its old order, in the transaction that gives it to a new one. */
export async function releaseExpiredKey(tx: Tx, key: string, ttlMs: number): Promise<void> {
  await tx.$executeRaw`UPDATE orders SET idempotency_key = NULL
    WHERE idempotency_key = ${key} AND created_at <= now() - ${ttlMs}::float8 * interval '1 millisecond'`;
}

type KeyedOrder = { id: string; status: OrderStatus; total_minor: number; currency: string; created_at: Date; request_hash: string; live: boolean };

/** The order a live key names (expiry by the database clock); a key older than the window names nothing. */
export async function findByKey(prisma: PrismaClient | Tx, key: string, hash: string, ttlMs: number): Promise<CreatedOrder | 'expired' | undefined> {
  const [found] = await prisma.$queryRaw<KeyedOrder[]>`
    SELECT id::text AS id, status::text AS status, total_minor, currency, created_at, request_hash,
           created_at > now() - ${ttlMs}::float8 * interval '1 millisecond' AS live
      FROM orders WHERE idempotency_key = ${key}`;
  if (!found) return undefined;
  if (!found.live) return 'expired';
  if (found.request_hash !== hash) throw new IdempotencyKeyReusedError(key);
  return { id: found.id, status: found.status, totalMinor: found.total_minor, currency: found.currency, createdAt: new Date(found.created_at), created: false };
}
