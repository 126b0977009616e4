import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation, type PrismaClient, type Tx } from '../../infra/database.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { eventTypeFor } from '../events/event-types.js';
import { newEventId, type OrderEventData } from '../events/record-event.js';
import type { OrderStatus } from './lifecycle.js';

export type NewOrder = {
  customerId: string;
  items: { sku: string; quantity: number }[];
  paymentMethod: string;
  /** Where notifications go when SMTP is configured; optional. */
  customerEmail?: string | undefined;
  idempotencyKey?: string | undefined;
};

export type CreateOrderOptions = {
  /** Why the payment method cannot be used (the payment gateway's check), or undefined when it can. */
  checkPaymentMethod?: (paymentMethod: string) => string | undefined;
  /**
   * How long an idempotency key names its order, in ms from the order's creation by the
   * database clock (IDEMPOTENCY_KEY_TTL); after that the key may be used for a new order.
   */
  idempotencyKeyTtlMs?: number;
};

/** Like Stripe: a key is kept for 24 hours. */
export const DEFAULT_IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

export type CreatedOrder = { id: string; status: OrderStatus; totalMinor: number; currency: string; createdAt: Date; created: boolean };

const PLACED = 'order placed';

// Keeps an order total inside the INTEGER column with room to spare.
const MAX_TOTAL_MINOR = 2_000_000_000;

/** A loose e-mail check (something@domain.tld, no spaces): delivery is the real test. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const MAX_EMAIL_LENGTH = 254;

export class IdempotencyKeyReusedError extends ConflictError {
  constructor(key: string) {
    super('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key ${key} was already used for a different request`, 'Idempotency-Key');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** Fingerprint of what the client asked for, independent of key order in its JSON. */
export function requestHash(order: NewOrder): string {
  const parts: unknown[] = [order.customerId, order.paymentMethod, order.items.map((i) => [i.sku, i.quantity])];
  // Appended only when given, so the hashes of requests without an e-mail stay what they were.
  if (order.customerEmail !== undefined) parts.push({ customerEmail: order.customerEmail });
  const canonical = JSON.stringify(parts);
  return createHash('sha256').update(canonical).digest('hex');
}

type KeyedOrder = { id: string; status: OrderStatus; total_minor: number; currency: string; created_at: Date; request_hash: string; live: boolean };

/** The order a live key names (expiry by the database clock); a key older than the window names nothing. */
async function findByKey(prisma: PrismaClient, key: string, hash: string, ttlMs: number): Promise<CreatedOrder | 'expired' | undefined> {
  const [found] = await prisma.$queryRaw<KeyedOrder[]>`
    SELECT id::text AS id, status::text AS status, total_minor, currency, created_at, request_hash,
           created_at > now() - ${ttlMs}::float8 * interval '1 millisecond' AS live
      FROM orders WHERE idempotency_key = ${key}`;
  if (!found) return undefined;
  if (!found.live) return 'expired';
  if (found.request_hash !== hash) throw new IdempotencyKeyReusedError(key);
  return { id: found.id, status: found.status, totalMinor: found.total_minor, currency: found.currency, createdAt: new Date(found.created_at), created: false };
}

function validate(order: NewOrder, prices: Map<string, { priceMinor: number; currency: string }>, options: CreateOrderOptions) {
  const errors: { field: string; message: string }[] = [];
  if (order.customerEmail !== undefined && (order.customerEmail.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(order.customerEmail))) {
    errors.push({ field: 'customerEmail', message: 'must be an e-mail address' });
  }
  const paymentMethodProblem = options.checkPaymentMethod?.(order.paymentMethod);
  if (paymentMethodProblem) errors.push({ field: 'paymentMethod', message: paymentMethodProblem });
  if (order.items.length === 0) errors.push({ field: 'items', message: 'must not be empty' });
  const seen = new Map<string, number>();
  order.items.forEach((item, i) => {
    if (!prices.has(item.sku)) errors.push({ field: `items[${i}].sku`, message: `unknown SKU ${item.sku}` });
    if (seen.has(item.sku)) errors.push({ field: `items[${i}].sku`, message: `SKU ${item.sku} already ordered in items[${seen.get(item.sku)}]` });
    seen.set(item.sku, i);
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) errors.push({ field: `items[${i}].quantity`, message: 'must be a positive integer' });
  });
  const currencies = new Set(order.items.map((i) => prices.get(i.sku)?.currency).filter(Boolean));
  if (currencies.size > 1) errors.push({ field: 'items', message: `items are priced in different currencies (${[...currencies].join(', ')})` });
  const total = order.items.reduce((sum, i) => sum + (prices.get(i.sku)?.priceMinor ?? 0) * i.quantity, 0);
  if (total > MAX_TOTAL_MINOR) errors.push({ field: 'items', message: 'order total is too large' });
  if (errors.length > 0) throw new InvalidInputError(errors);
  return { total, currency: [...currencies][0] as string };
}

/**
 * Records a new order (status NEW) with its items priced from the catalog, in one
 * transaction: an order is never half-written. With an idempotency key, the same
 * request returns the same order; a different request with that key is refused.
 * A key is kept for `idempotencyKeyTtlMs` (default 24 h): after that, the key is taken
 * off its old order and names the new one, in the same transaction that records it.
 * Every invalid field is reported at once (InvalidInputError), and nothing is written.
 */
export async function createOrder(prisma: PrismaClient, order: NewOrder, options: CreateOrderOptions = {}): Promise<CreatedOrder> {
  const hash = requestHash(order);
  const ttlMs = options.idempotencyKeyTtlMs ?? DEFAULT_IDEMPOTENCY_KEY_TTL_MS;
  const key = order.idempotencyKey;
  let expiredKey = false;
  if (key) {
    const existing = await findByKey(prisma, key, hash, ttlMs);
    if (existing === 'expired') expiredKey = true;
    else if (existing) return existing;
  }
  const products = await prisma.product.findMany({ where: { sku: { in: order.items.map((i) => i.sku) } } });
  const { total, currency } = validate(order, new Map(products.map((p) => [p.sku, p])), options);
  const prices = new Map(products.map((p) => [p.sku, p.priceMinor]));
  const id = randomUUID();
  const lines = order.items.map((item) => ({ sku: item.sku, quantity: item.quantity, unitPriceMinor: prices.get(item.sku) as number }));
  const event: OrderEventData = {
    orderId: id,
    customerId: order.customerId,
    status: 'NEW',
    previousStatus: null,
    reason: PLACED,
    total: { amountMinor: total, currency },
    items: lines,
  };
  // The order, its lines, its history line and its event (the outbox) in one statement: all or nothing.
  const insert = (db: PrismaClient | Tx) => db.$queryRaw<{ created_at: Date }[]>`
    WITH o AS (
      INSERT INTO orders (id, customer_id, customer_email, total_minor, currency, payment_method, idempotency_key, request_hash)
      VALUES (${id}::uuid, ${order.customerId}, ${order.customerEmail ?? null}, ${total}, ${currency}, ${order.paymentMethod}, ${key ?? null}, ${hash})
      RETURNING created_at),
    lines AS (
      INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price_minor)
      SELECT ${id}::uuid, l.line_no, l.sku, l.quantity, l.unit_price_minor
        FROM unnest(${lines.map((_, i) => i + 1)}::int[], ${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[],
                    ${lines.map((l) => l.unitPriceMinor)}::int[]) AS l(line_no, sku, quantity, unit_price_minor)),
    history AS (
      INSERT INTO order_history (order_id, from_status, to_status, reason) VALUES (${id}::uuid, NULL, 'NEW', ${PLACED}))
    INSERT INTO events (id, type, order_id, payload) VALUES (${newEventId()}, ${eventTypeFor('NEW')}, ${id}::uuid, ${JSON.stringify(event)}::jsonb)
    RETURNING (SELECT created_at FROM o) AS created_at`;
  try {
    // An expired key leaves its old order first. Of two requests racing with one expired key,
    // the second waits for the first's row lock, then finds the key taken by the first's
    // new order: its insert fails on the unique key and it answers that order (below).
    const [row] = expiredKey
      ? await prisma.$transaction(async (tx) => {
          await tx.$executeRaw`UPDATE orders SET idempotency_key = NULL
            WHERE idempotency_key = ${key} AND created_at <= now() - ${ttlMs}::float8 * interval '1 millisecond'`;
          return insert(tx);
        })
      : await insert(prisma);
    return { id, status: 'NEW', totalMinor: total, currency, createdAt: new Date(row?.created_at as Date), created: true };
  } catch (err) {
    // Two requests racing with the same key: the loser answers with the winner's order.
    if (key && isUniqueViolation(err)) {
      const existing = await findByKey(prisma, key, hash, ttlMs);
      if (existing && existing !== 'expired') return existing;
    }
    throw err;
  }
}
