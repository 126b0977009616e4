// The one place an order's money is added up (docs/catalogue.md, "Money"). Every amount is
// an integer of minor units: nothing here multiplies by a fraction, so nothing is rounded.

/** A listing's shipping fee for one line: `baseMinor + perUnitMinor × quantity`, free from a line total of `freeFromMinor`. */
export type FreightRule = { baseMinor: number; perUnitMinor: number; freeFromMinor: number | null };

export const NO_FREIGHT: FreightRule = { baseMinor: 0, perUnitMinor: 0, freeFromMinor: null };

export type LineInput = { sku: string; quantity: number; unitPriceMinor: number; freight: FreightRule };
export type PricedLine = { sku: string; quantity: number; unitPriceMinor: number; lineTotalMinor: number; freightMinor: number };

export type Breakdown = {
  lines: PricedLine[];
  /** The lines' totals. */
  subtotalMinor: number;
  /** The lines' freight. */
  shippingMinor: number;
  /** Taken off the total (points); never more than subtotal + shipping. */
  discountMinor: number;
  /** subtotal + shipping - discount, never negative. */
  totalMinor: number;
};

export function lineFreight(rule: FreightRule, quantity: number, lineTotalMinor: number): number {
  if (rule.freeFromMinor !== null && lineTotalMinor >= rule.freeFromMinor) return 0;
  return rule.baseMinor + rule.perUnitMinor * quantity;
}

function assertAmount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`);
}

/** The breakdown of `lines` with `discountMinor` taken off (capped at what there is to discount). */
export function breakdown(lines: LineInput[], discountMinor = 0): Breakdown {
  assertAmount('discountMinor', discountMinor);
  const priced = lines.map((l) => {
    assertAmount('quantity', l.quantity);
    assertAmount('unitPriceMinor', l.unitPriceMinor);
    const lineTotalMinor = l.unitPriceMinor * l.quantity;
    const freightMinor = lineFreight(l.freight, l.quantity, lineTotalMinor);
    assertAmount('lineTotalMinor', lineTotalMinor);
    assertAmount('freightMinor', freightMinor);
    return { sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor, lineTotalMinor, freightMinor };
  });
  const subtotalMinor = priced.reduce((n, l) => n + l.lineTotalMinor, 0);
  const shippingMinor = priced.reduce((n, l) => n + l.freightMinor, 0);
  const discount = Math.min(discountMinor, subtotalMinor + shippingMinor);
  const totalMinor = subtotalMinor + shippingMinor - discount;
  assertAmount('totalMinor', subtotalMinor + shippingMinor);
  return { lines: priced, subtotalMinor, shippingMinor, discountMinor: discount, totalMinor };
}
