// Changing a cart: a line set (added, or its quantity changed) after checking the SKU is on
// sale and has the units; a line removed; the cart cleared. Each takes the cart's row lock,
// like checkout, so a change and a checkout never interleave. Each answers the priced cart.
import type { PrismaClient, Tx } from '../../infra/database.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import type { CustomerLevels } from '../customers/levels.js';
import { isListed, listedPrices } from '../listings/price-lines.js';
import { pricedCart, type CartView } from './priced-cart.js';

export const MAX_CART_LINES = 100;

/** Makes the customer's cart if there is none, and locks it. */
export async function lockCart(tx: Tx, customerId: string): Promise<void> {
  await tx.$executeRaw`INSERT INTO carts (customer_id) VALUES (${customerId}) ON CONFLICT (customer_id) DO NOTHING`;
  await tx.$queryRaw`SELECT customer_id FROM carts WHERE customer_id = ${customerId} FOR UPDATE`;
}

const touch = (tx: Tx, customerId: string) => tx.$executeRaw`UPDATE carts SET updated_at = now() WHERE customer_id = ${customerId}`;

/** Puts `quantity` units of `sku` in the cart (replacing the line's quantity). Idempotent. */
export async function setCartLine(prisma: PrismaClient, levels: CustomerLevels, customerId: string, sku: string, quantity: number): Promise<CartView> {
  return prisma.$transaction(async (tx) => {
    await lockCart(tx, customerId);
    const price = (await listedPrices(tx, levels, customerId, [sku])).prices.get(sku);
    if (price === undefined) throw new NotFoundError('product', sku, 'sku');
    if (!isListed(price)) throw new InvalidInputError([{ field: 'sku', message: price.notOnSale }]);
    if (price.available < quantity) {
      throw new InvalidInputError([{ field: 'quantity', message: price.available === 0 ? `SKU ${sku} is sold out` : `only ${price.available} available` }]);
    }
    const lines = await tx.cartLine.findMany({ where: { customerId }, select: { sku: true } });
    if (lines.length >= MAX_CART_LINES && !lines.some((l) => l.sku === sku)) {
      throw new InvalidInputError([{ field: 'sku', message: `the cart holds at most ${MAX_CART_LINES} lines` }]);
    }
    await tx.cartLine.upsert({ where: { customerId_sku: { customerId, sku } }, create: { customerId, sku, quantity }, update: { quantity } });
    await touch(tx, customerId);
    return pricedCart(tx, levels, customerId);
  });
}

/** Takes the SKU's line out of the cart; a line that is not there changes nothing. */
export async function removeCartLine(prisma: PrismaClient, levels: CustomerLevels, customerId: string, sku: string): Promise<CartView> {
  return prisma.$transaction(async (tx) => {
    await lockCart(tx, customerId);
    const { count } = await tx.cartLine.deleteMany({ where: { customerId, sku } });
    if (count > 0) await touch(tx, customerId);
    return pricedCart(tx, levels, customerId);
  });
}

export async function clearCart(prisma: PrismaClient, levels: CustomerLevels, customerId: string): Promise<CartView> {
  return prisma.$transaction(async (tx) => {
    await lockCart(tx, customerId);
    await tx.cartLine.deleteMany({ where: { customerId } });
    await touch(tx, customerId);
    return pricedCart(tx, levels, customerId);
  });
}
