// The demo catalog: 10 products in 3 warehouses, enough to place real orders on
// a fresh machine, and two businesses that supply most of them (the rest stay with
// 'default', our own warehouse). Written on first start only: a catalog that exists is
// never reset. The businesses use the manual dispatcher, so the demo works offline: ops
// answer for them from the ops API.
import { randomBytes } from 'node:crypto';
import type { PrismaClient } from '../infra/database.js';

export const DEMO_WAREHOUSES = [
  { id: 'WH-BER', name: 'Berlin' },
  { id: 'WH-HAM', name: 'Hamburg' },
  { id: 'WH-MUC', name: 'Munich' },
];

export const DEMO_BUSINESSES = [
  { id: 'acme-supplies', name: 'ACME Supplies', contactEmail: 'orders@acme-supplies.invalid', dispatcher: 'manual' },
  { id: 'northwind-traders', name: 'Northwind Traders', contactEmail: 'orders@northwind-traders.invalid', dispatcher: 'manual' },
];

// [sku, name, price in cents, on hand per warehouse BER/HAM/MUC, the business that supplies it]
const DEMO_PRODUCTS: [string, string, number, [number, number, number], string][] = [
  ['SKU-KETTLE', 'Electric kettle 1.7 l', 3499, [40, 25, 10], 'acme-supplies'],
  ['SKU-TOASTER', 'Two-slot toaster', 2999, [20, 0, 15], 'acme-supplies'],
  ['SKU-FRENCHPRESS', 'French press 1 l', 2450, [12, 8, 30], 'northwind-traders'],
  ['SKU-GRINDER', 'Burr coffee grinder', 8900, [5, 3, 2], 'northwind-traders'],
  ['SKU-MUG-SET', 'Stoneware mug set (4)', 3200, [60, 45, 50], 'northwind-traders'],
  ['SKU-TEAPOT', 'Cast-iron teapot', 4599, [0, 7, 4], 'northwind-traders'],
  ['SKU-SCALE', 'Kitchen scale 5 kg', 1999, [25, 25, 25], 'acme-supplies'],
  ['SKU-KNIFE', "Chef's knife 20 cm", 6900, [9, 14, 0], 'default'],
  ['SKU-BOARD', 'Oak cutting board', 3900, [18, 6, 11], 'default'],
  ['SKU-LAMP', 'Desk lamp (limited edition)', 12900, [1, 1, 1], 'default'],
];

export async function seedDemoCatalog(prisma: PrismaClient): Promise<boolean> {
  return prisma.$transaction(async (tx) => {
    // Serialises two processes seeding one fresh database at once.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(72311505)`;
    if ((await tx.product.count()) > 0) return false;
    await tx.warehouse.createMany({ data: DEMO_WAREHOUSES, skipDuplicates: true });
    // Each with a random secret, as every business (docs/api.md#businesses: rotate it to learn it).
    await tx.business.createMany({
      data: DEMO_BUSINESSES.map((b) => ({ ...b, dispatcherSettings: {}, secret: `bsec_${randomBytes(32).toString('hex')}` })),
      skipDuplicates: true,
    });
    await tx.product.createMany({
      data: DEMO_PRODUCTS.map(([sku, name, priceMinor, , businessId]) => ({ sku, name, priceMinor, currency: 'EUR', businessId })),
    });
    // Each on the shelf now, no freight, no shelf limit: silver 5 % and gold 10 % off (rounded down), the lamp on the hot list.
    await tx.listing.createMany({
      data: DEMO_PRODUCTS.map(([sku, , priceMinor]) => ({
        sku,
        priceMinor,
        levelPrices: { silver: Math.floor(priceMinor * 0.95), gold: Math.floor(priceMinor * 0.9) },
        currency: 'EUR',
        location: sku === 'SKU-LAMP' ? 'hot' : 'normal',
      })),
    });
    await tx.stock.createMany({
      data: DEMO_PRODUCTS.flatMap(([sku, , , counts]) => DEMO_WAREHOUSES.map((w, i) => ({ sku, warehouseId: w.id, onHand: counts[i] as number }))),
    });
    return true;
  });
}
