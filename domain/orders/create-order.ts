import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation, type PrismaClient, type Tx } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import { DEFAULT_CUSTOMER_LEVELS, type CustomerLevels } from '../customers/levels.js';
import { isListed, listedPrices, type ListedPrice, type Unlisted } from '../listings/price-lines.js';
import { breakdown, type Breakdown } from '../pricing/totals.js';
import { findByKey, recordOrder, releaseExpiredKey, type CreatedOrder } from './record-order.js';

export { IdempotencyKeyReusedError, type CreatedOrder } from './record-order.js';

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
  /** The configured customer levels (CUSTOMER_LEVELS): the customer's picks the listing price. */
  levels?: CustomerLevels;
};

/** Like Stripe: a key is kept for 24 hours. */
export const DEFAULT_IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

// Keeps an order total inside the INTEGER column with room to spare.
export const MAX_TOTAL_MINOR = 2_000_000_000;

/** A loose e-mail check (something@domain.tld, no spaces): delivery is the real test. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const MAX_EMAIL_LENGTH = 254;

/** Fingerprint of what the client asked for, independent of key order in its JSON. */
export function requestHash(order: NewOrder): string {
  const parts: unknown[] = [order.customerId, order.paymentMethod, order.items.map((i) => [i.sku, i.quantity])];
  // Appended only when given, so the hashes of requests without an e-mail stay what they were.
  if (order.customerEmail !== undefined) parts.push({ customerEmail: order.customerEmail });
  const canonical = JSON.stringify(parts);
  return createHash('sha256').update(canonical).digest('hex');
}

function validate(order: NewOrder, prices: Map<string, ListedPrice | Unlisted>, options: CreateOrderOptions): { priced: Breakdown; currency: string } {
  const errors: { field: string; message: string }[] = [];
  if (order.customerEmail !== undefined && (order.customerEmail.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(order.customerEmail))) {
    errors.push({ field: 'customerEmail', message: 'must be an e-mail address' });
  }
  const paymentMethodProblem = options.checkPaymentMethod?.(order.paymentMethod);
  if (paymentMethodProblem) errors.push({ field: 'paymentMethod', message: paymentMethodProblem });
  if (order.items.length === 0) errors.push({ field: 'items', message: 'must not be empty' });
  const seen = new Map<string, number>();
  order.items.forEach((item, i) => {
    const price = prices.get(item.sku);
    if (price === undefined) errors.push({ field: `items[${i}].sku`, message: `unknown SKU ${item.sku}` });
    else if (!isListed(price)) errors.push({ field: `items[${i}].sku`, message: price.notOnSale });
    if (seen.has(item.sku)) errors.push({ field: `items[${i}].sku`, message: `SKU ${item.sku} already ordered in items[${seen.get(item.sku)}]` });
    seen.set(item.sku, i);
    if (!Number.isInteger(item.quantity) || item.quantity <= 0) errors.push({ field: `items[${i}].quantity`, message: 'must be a positive integer' });
    else if (isListed(price) && price.shelfLeft !== null && price.shelfLeft < item.quantity) {
      errors.push({
        field: `items[${i}].quantity`,
        message: price.shelfLeft === 0 ? `SKU ${item.sku} is sold out` : `only ${price.shelfLeft} left of SKU ${item.sku}`,
      });
    }
  });
  const listed = order.items.map((i) => prices.get(i.sku)).filter(isListed);
  const currencies = new Set(listed.map((p) => p.currency));
  if (currencies.size > 1) errors.push({ field: 'items', message: `items are priced in different currencies (${[...currencies].join(', ')})` });
  if (errors.length > 0) throw new InvalidInputError(errors);
  const priced = breakdown(
    order.items.map((i) => {
      const p = prices.get(i.sku) as ListedPrice;
      return { sku: i.sku, quantity: i.quantity, unitPriceMinor: p.unitPriceMinor, freight: p.freight };
    }),
  );
  if (priced.totalMinor > MAX_TOTAL_MINOR) throw new InvalidInputError([{ field: 'items', message: 'order total is too large' }]);
  return { priced, currency: [...currencies][0] as string };
}

/**
 * Records a new order (status NEW) with its items priced from the listings on sale now (the customer's level, with freight), in one
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
  const listed = await listedPrices(
    prisma,
    options.levels ?? DEFAULT_CUSTOMER_LEVELS,
    order.customerId,
    order.items.map((i) => i.sku),
  );
  const { priced, currency } = validate(order, listed.prices, options);
  const total = priced.totalMinor;
  const id = randomUUID();
  const listingOf = (sku: string) => (listed.prices.get(sku) as ListedPrice).listingId;
  const placed = {
    id,
    customerId: order.customerId,
    customerEmail: order.customerEmail,
    paymentMethod: order.paymentMethod,
    key,
    hash,
    level: listed.level,
    currency,
    priced,
  };
  const listingIds = priced.lines.map((l) => listingOf(l.sku));
  const insert = (db: PrismaClient | Tx) => recordOrder(db, placed, listingIds);
  try {
    // An expired key leaves its old order first. Of two requests racing with one expired key,
    // the second waits for the first's row lock, then finds the key taken by the first's
    // new order: its insert fails on the unique key and it answers that order (below).
    const createdAt = expiredKey
      ? await prisma.$transaction(async (tx) => {
          await releaseExpiredKey(tx, key as string, ttlMs);
          return insert(tx);
        })
      : await insert(prisma);
    return { id, status: 'NEW', totalMinor: total, currency, createdAt, created: true };
  } catch (err) {
    // Two requests racing with the same key: the loser answers with the winner's order.
    if (key && isUniqueViolation(err)) {
      const existing = await findByKey(prisma, key, hash, ttlMs);
      if (existing && existing !== 'expired') return existing;
    }
    throw err;
  }
}
