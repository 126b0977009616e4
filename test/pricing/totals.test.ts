// The order's money, property-based (fast-check): for any lines and discount, the breakdown
// adds up, nothing is negative, and freight follows the listing's rule.
import fc from 'fast-check';
import { breakdown, lineFreight, type FreightRule, type LineInput } from '../../domain/pricing/totals.js';

const amount = fc.integer({ min: 0, max: 1_000_000 });
const freight: fc.Arbitrary<FreightRule> = fc.record({
  baseMinor: fc.integer({ min: 0, max: 10_000 }),
  perUnitMinor: fc.integer({ min: 0, max: 1_000 }),
  freeFromMinor: fc.option(amount, { nil: null }),
});
const line: fc.Arbitrary<LineInput> = fc.record({
  sku: fc.stringMatching(/^[A-Z]{1,8}$/),
  quantity: fc.integer({ min: 1, max: 10_000 }),
  unitPriceMinor: amount,
  freight,
});

describe('order totals (domain/pricing/totals.ts)', () => {
  test('the breakdown adds up: subtotal + shipping - discount = total, and each line is unit price × quantity', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), amount, (lines, discount) => {
        const b = breakdown(lines, discount);
        expect(b.subtotalMinor).toBe(b.lines.reduce((n, l) => n + l.lineTotalMinor, 0));
        expect(b.shippingMinor).toBe(b.lines.reduce((n, l) => n + l.freightMinor, 0));
        expect(b.subtotalMinor + b.shippingMinor - b.discountMinor).toBe(b.totalMinor);
        b.lines.forEach((l, i) => expect(l.lineTotalMinor).toBe((lines[i] as LineInput).unitPriceMinor * l.quantity));
      }),
    );
  });

  test('a total is never negative: a discount larger than the order is capped at subtotal + shipping', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 5 }), fc.integer({ min: 0, max: 1_000_000_000 }), (lines, discount) => {
        const b = breakdown(lines, discount);
        expect(b.totalMinor).toBeGreaterThanOrEqual(0);
        expect(b.discountMinor).toBeLessThanOrEqual(discount);
        expect(b.discountMinor).toBe(Math.min(discount, b.subtotalMinor + b.shippingMinor));
      }),
    );
  });

  test('freight is base + per unit × quantity, and nothing once the line total reaches the free-from amount', () => {
    fc.assert(
      fc.property(freight, fc.integer({ min: 1, max: 1000 }), amount, (rule, quantity, lineTotal) => {
        const fee = lineFreight(rule, quantity, lineTotal);
        const free = rule.freeFromMinor !== null && lineTotal >= rule.freeFromMinor;
        expect(fee).toBe(free ? 0 : rule.baseMinor + rule.perUnitMinor * quantity);
      }),
    );
    expect(lineFreight({ baseMinor: 500, perUnitMinor: 100, freeFromMinor: 5000 }, 3, 4999)).toBe(800);
    expect(lineFreight({ baseMinor: 500, perUnitMinor: 100, freeFromMinor: 5000 }, 3, 5000)).toBe(0);
  });

  test('amounts that are not non-negative safe integers are refused, never rounded', () => {
    const rule = { baseMinor: 0, perUnitMinor: 0, freeFromMinor: null };
    expect(() => breakdown([{ sku: 'A', quantity: 1, unitPriceMinor: 10.5, freight: rule }])).toThrow(RangeError);
    expect(() => breakdown([{ sku: 'A', quantity: 1, unitPriceMinor: -1, freight: rule }])).toThrow(RangeError);
    expect(() => breakdown([{ sku: 'A', quantity: 2 ** 26, unitPriceMinor: 2 ** 26, freight: rule }])).not.toThrow();
    expect(() => breakdown([{ sku: 'A', quantity: 2 ** 27, unitPriceMinor: 2 ** 27, freight: rule }])).toThrow(RangeError);
  });
});
