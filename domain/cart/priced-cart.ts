// A cart as the customer sees it: each line priced live from the listing of its SKU on sale
// now, at the customer's level, with freight and availability; lines that cannot be bought
// are flagged, never dropped, and left out of the totals. The ETag names exactly what is
// shown: checkout charges only a cart whose ETag the client read (docs/catalogue.md).
import { createHash } from 'node:crypto';
import type { PrismaClient, Tx } from '../../infra/database.js';
import type { CustomerLevels } from '../customers/levels.js';
import { isListed, listedPrices } from '../listings/price-lines.js';
import { breakdown, type FreightRule } from '../pricing/totals.js';

type Money = { amountMinor: number; currency: string };

export type CartLineView = {
  sku: string;
  name: string;
  quantity: number;
  /** The listing it is priced from; null when the SKU is not on sale now. */
  listingId: string | null;
  unitPrice: Money | null;
  originalPrice: Money | null;
  freight: FreightRule | null;
  lineTotalMinor: number;
  freightMinor: number;
  /** Units that can be bought now (0 when not on sale). */
  available: number;
  /** Why the line cannot be bought as it is; null when it can. */
  problem: string | null;
};

export type CartView = {
  customerId: string;
  level: string;
  lines: CartLineView[];
  /** The currency of the lines that can be bought; null for a cart with none. */
  currency: string | null;
  subtotalMinor: number;
  shippingMinor: number;
  discountMinor: number;
  totalMinor: number;
  /** The cart's version: a strong ETag of what checkout would charge (etagOf). */
  etag: string;
};

/** The cart of `customerId` priced now (an empty cart when there is none). */
export async function pricedCart(db: PrismaClient | Tx, levels: CustomerLevels, customerId: string): Promise<CartView> {
  const rows = await db.cartLine.findMany({
    where: { customerId },
    orderBy: [{ addedAt: 'asc' }, { sku: 'asc' }],
    include: { product: { select: { name: true } } },
  });
  const listed = await listedPrices(
    db,
    levels,
    customerId,
    rows.map((r) => r.sku),
  );
  const buyable = rows.map((r) => listed.prices.get(r.sku)).filter(isListed);
  const currency = buyable[0]?.currency ?? null;
  const lines = rows.map((r): CartLineView => {
    const price = listed.prices.get(r.sku);
    if (!isListed(price)) {
      const problem = price?.notOnSale ?? `SKU ${r.sku} is not sold`;
      return {
        sku: r.sku,
        name: r.product.name,
        quantity: r.quantity,
        listingId: null,
        unitPrice: null,
        originalPrice: null,
        freight: null,
        lineTotalMinor: 0,
        freightMinor: 0,
        available: 0,
        problem,
      };
    }
    const [line] = breakdown([{ sku: r.sku, quantity: r.quantity, unitPriceMinor: price.unitPriceMinor, freight: price.freight }]).lines;
    const problem =
      price.currency !== currency
        ? `priced in ${price.currency}, the rest of the cart in ${currency}`
        : price.available === 0
          ? `SKU ${r.sku} is sold out`
          : price.available < r.quantity
            ? `only ${price.available} of SKU ${r.sku} available`
            : null;
    const money = (amountMinor: number) => ({ amountMinor, currency: price.currency });
    return {
      sku: r.sku,
      name: price.name,
      quantity: r.quantity,
      listingId: price.listingId,
      unitPrice: money(price.unitPriceMinor),
      originalPrice: price.originalPriceMinor === null ? null : money(price.originalPriceMinor),
      freight: price.freight,
      lineTotalMinor: line?.lineTotalMinor ?? 0,
      freightMinor: line?.freightMinor ?? 0,
      available: price.available,
      problem,
    };
  });
  const ok = lines.filter((l) => l.problem === null);
  const totals = breakdown(
    ok.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unitPrice?.amountMinor ?? 0, freight: l.freight as FreightRule })),
  );
  const view = {
    customerId,
    level: listed.level,
    lines,
    currency: ok.length > 0 ? currency : null,
    subtotalMinor: totals.subtotalMinor,
    shippingMinor: totals.shippingMinor,
    discountMinor: totals.discountMinor,
    totalMinor: totals.totalMinor,
  };
  return { ...view, etag: etagOf(view) };
}

/**
 * What checkout charges: each line's listing, quantity, price, freight and whether it can be
 * bought, and the totals. Not the exact units available (every other order changes them), nor
 * names and crossed-out prices (they change nothing that is charged).
 */
function etagOf(view: Omit<CartView, 'etag'>): string {
  const charged = [
    view.level,
    view.currency,
    view.lines.map((l) => [l.sku, l.quantity, l.listingId, l.unitPrice?.amountMinor ?? null, l.freightMinor, l.problem === null]),
    view.subtotalMinor,
    view.shippingMinor,
    view.discountMinor,
    view.totalMinor,
  ];
  return `"${createHash('sha256').update(JSON.stringify(charged)).digest('base64url').slice(0, 27)}"`;
}
