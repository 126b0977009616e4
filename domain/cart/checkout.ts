// Checkout: the cart becomes an order, charging exactly what the cart showed. The client
// names the cart it read by its ETag (If-Match); a cart that changed since (prices, lines,
// availability) is a 409 carrying the new cart, and nothing is charged. The order is
// recorded and the cart emptied in one transaction under the cart's lock. With the same
// Idempotency-Key, a retry answers the same order.
import { createHash, randomUUID } from 'node:crypto';
import { isUniqueViolation, type PrismaClient } from '../../infra/database.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import type { CustomerLevels } from '../customers/levels.js';
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH, MAX_TOTAL_MINOR } from '../orders/create-order.js';
import { findByKey, recordOrder, releaseExpiredKey, type CreatedOrder } from '../orders/record-order.js';
import { breakdown } from '../pricing/totals.js';
import { lockCart } from './change-cart.js';
import { pricedCart, type CartView } from './priced-cart.js';

export type CheckoutRequest = {
  customerId: string;
  /** The ETag of the cart the customer saw. */
  ifMatch: string;
  paymentMethod: string;
  customerEmail?: string | undefined;
  idempotencyKey: string;
};

export type CheckoutOptions = {
  checkPaymentMethod?: (paymentMethod: string) => string | undefined;
  idempotencyKeyTtlMs: number;
  levels: CustomerLevels;
};

/** The cart changed since the customer read it: nothing was charged; `cart` is what it is now. */
export class CartChangedError extends ConflictError {
  constructor(readonly cart: CartView) {
    super('CART_CHANGED', 'the cart changed since you read it (prices, lines or availability): check the new totals and check out with its ETag', 'If-Match');
    this.name = 'CartChangedError';
  }
}

/** Lines of the cart cannot be bought as they are: nothing was charged. */
export class CartNotBuyableError extends ConflictError {
  constructor(
    readonly cart: CartView,
    readonly lines: { field: string; message: string }[],
  ) {
    super('CART_NOT_BUYABLE', `the cart has lines that cannot be bought: ${lines.map((l) => l.message).join('; ')}`, lines[0]?.field);
    this.name = 'CartNotBuyableError';
  }
}

export class CartEmptyError extends ConflictError {
  constructor() {
    super('CART_EMPTY', 'the cart is empty: add a line first (a checkout that went through empties the cart)', 'cart');
    this.name = 'CartEmptyError';
  }
}

/** A retry sends the same ETag, payment method and e-mail with the same key. */
export function checkoutHash(r: CheckoutRequest): string {
  return createHash('sha256')
    .update(JSON.stringify(['checkout', r.customerId, r.ifMatch, r.paymentMethod, r.customerEmail ?? null]))
    .digest('hex');
}

function validate(r: CheckoutRequest, options: CheckoutOptions): void {
  const errors: { field: string; message: string }[] = [];
  if (r.customerEmail !== undefined && (r.customerEmail.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(r.customerEmail))) {
    errors.push({ field: 'customerEmail', message: 'must be an e-mail address' });
  }
  const problem = options.checkPaymentMethod?.(r.paymentMethod);
  if (problem) errors.push({ field: 'paymentMethod', message: problem });
  if (errors.length > 0) throw new InvalidInputError(errors);
}

export async function checkout(prisma: PrismaClient, r: CheckoutRequest, options: CheckoutOptions): Promise<CreatedOrder> {
  const hash = checkoutHash(r);
  const existing = await findByKey(prisma, r.idempotencyKey, hash, options.idempotencyKeyTtlMs);
  if (existing && existing !== 'expired') return existing;
  validate(r, options);
  const id = randomUUID();
  try {
    return await prisma.$transaction(async (tx) => {
      await lockCart(tx, r.customerId);
      // A checkout with this key that held the lock before us has gone through: answer its order.
      const before = await findByKey(tx, r.idempotencyKey, hash, options.idempotencyKeyTtlMs);
      if (before && before !== 'expired') return before;
      const cart = await pricedCart(tx, options.levels, r.customerId);
      if (cart.lines.length === 0) throw new CartEmptyError();
      if (cart.etag !== r.ifMatch) throw new CartChangedError(cart);
      const unbuyable = cart.lines.flatMap((l, i) => (l.problem === null ? [] : [{ field: `lines[${i}]`, message: l.problem }]));
      if (unbuyable.length > 0) throw new CartNotBuyableError(cart, unbuyable);
      const priced = breakdown(
        cart.lines.map((l) => ({
          sku: l.sku,
          quantity: l.quantity,
          unitPriceMinor: l.unitPrice?.amountMinor ?? 0,
          freight: l.freight ?? { baseMinor: 0, perUnitMinor: 0, freeFromMinor: null },
        })),
      );
      if (priced.totalMinor !== cart.totalMinor) throw new Error('checkout: the cart and the order disagree on the total'); // one breakdown, twice: a bug if ever
      if (priced.totalMinor > MAX_TOTAL_MINOR) throw new InvalidInputError([{ field: 'cart', message: 'the order total is too large' }]);
      if (existing === 'expired') await releaseExpiredKey(tx, r.idempotencyKey, options.idempotencyKeyTtlMs);
      const createdAt = await recordOrder(
        tx,
        {
          id,
          customerId: r.customerId,
          customerEmail: r.customerEmail,
          paymentMethod: r.paymentMethod,
          key: r.idempotencyKey,
          hash,
          level: cart.level,
          currency: cart.currency as string,
          priced,
        },
        cart.lines.map((l) => l.listingId as string),
      );
      await tx.cartLine.deleteMany({ where: { customerId: r.customerId } });
      await tx.$executeRaw`UPDATE carts SET updated_at = now() WHERE customer_id = ${r.customerId}`;
      return { id, status: 'NEW' as const, totalMinor: priced.totalMinor, currency: cart.currency as string, createdAt, created: true };
    });
  } catch (err) {
    // Two checkouts racing with one key: the loser answers with the winner's order.
    if (isUniqueViolation(err)) {
      const won = await findByKey(prisma, r.idempotencyKey, hash, options.idempotencyKeyTtlMs);
      if (won && won !== 'expired') return won;
    }
    throw err;
  }
}
