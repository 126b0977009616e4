// Request and response shapes: validated by zod at the edge, and published as the
// OpenAPI document from the same definitions, so the docs cannot drift.
import { z } from 'zod';

export const Sku = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, dot, dash or underscore')
  .meta({ description: 'Stock-keeping unit', example: 'SKU-KETTLE' });

export const WarehouseId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, dot, dash or underscore')
  .meta({ example: 'WH-BER' });

export const SkuParams = z.object({ sku: Sku });
export const StockParams = z.object({ sku: Sku, warehouseId: WarehouseId });

export const SetOnHandBody = z.strictObject({
  onHand: z
    .number({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a number') })
    .int('must be an integer')
    .min(0, 'must not be negative')
    .max(1_000_000_000, 'must be at most 1000000000')
    .meta({ description: 'Units physically in the warehouse', example: 42 }),
});

export const Money = z.object({
  amountMinor: z.number().int().meta({ description: 'Amount in minor units (cents)', example: 3499 }),
  currency: z.string().meta({ example: 'EUR' }),
});

export const Product = z.object({ sku: Sku, name: z.string(), price: Money }).meta({ id: 'Product' });
export const ProductList = z.object({ products: z.array(Product) });

export const StockList = z
  .object({
    stocks: z.array(z.object({ warehouseId: WarehouseId, count: z.number().int().meta({ description: 'Units available now (on hand − reserved)' }) })),
  })
  .meta({ id: 'StockList' });

export const WarehouseStock = z
  .object({ sku: Sku, warehouseId: WarehouseId, onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() })
  .meta({ id: 'WarehouseStock' });

export const Problem = z
  .object({
    type: z.string().meta({ example: '/problems/validation-error' }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ field: z.string().meta({ example: 'onHand' }), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({ status: z.enum(['ready', 'unavailable']), database: z.enum(['pglite', 'postgres']) });
