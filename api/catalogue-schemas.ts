// The catalogue's request and response shapes (docs/catalogue.md): operators' products and
// listings, customers' levels, and the storefront. Published in /openapi.json.
import { z } from 'zod';
import { BUSINESS_ID, BUSINESS_ID_MESSAGE } from '../domain/businesses/business.js';
import { LEVEL_NAME } from '../domain/customers/levels.js';
import { LOCATION, LOCATION_MESSAGE } from '../domain/listings/listing.js';
import { storableText } from '../domain/storable.js';
import { listQuery, Money, NextCursor, Sku } from './schemas.js';

const required = (expected: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${expected}`) });

/** Per unit or per fee: a billion minor units at most keeps every order total inside its column. */
export const MAX_AMOUNT_MINOR = 1_000_000_000;
const Amount = z
  .number(required('a number'))
  .int('must be an integer (minor units)')
  .min(0, 'must not be negative')
  .max(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR}`);
const Units = z.number(required('a number')).int('must be an integer').min(0, 'must not be negative').max(1_000_000_000, 'must be at most 1000000000');
const Instant = z.iso
  .datetime({
    offset: true,
    error: (iss) => (iss.input === undefined ? 'is required' : 'must be an ISO 8601 date-time with its offset, e.g. 2026-12-24T09:00:00Z'),
  })
  .transform((v) => new Date(v));
const Timestamp = z.string().meta({ format: 'date-time' });

const Name = storableText(required('a string')).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const Currency = storableText(required('a string')).regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR');
export const Location = storableText(required('a string'))
  .regex(LOCATION, LOCATION_MESSAGE)
  .meta({ description: 'Where the listing shows: normal, hot, campaign…', example: 'hot' });
const Level = storableText(required('a string')).regex(LEVEL_NAME, 'must be a customer level name').meta({ example: 'gold' });

const changesSomething = (b: object) => Object.keys(b).length > 0;

// ---- products -----------------------------------------------------------------
export const CreateProductBody = z
  .strictObject({
    sku: storableText(required('a string')).pipe(Sku),
    name: Name.meta({ example: 'Electric kettle' }),
    priceMinor: Amount.meta({ description: 'The catalogue price; listings carry the prices shoppers pay', example: 3499 }),
    currency: Currency.meta({ description: 'Every listing of the product is priced in it', example: 'EUR' }),
    businessId: storableText(required('a string'))
      .regex(BUSINESS_ID, BUSINESS_ID_MESSAGE)
      .optional()
      .meta({ description: 'The business that supplies it (default: default)', example: 'acme-supplies' }),
  })
  .meta({ id: 'CreateProduct' });

export const UpdateProductBody = z
  .strictObject({ name: Name.optional(), priceMinor: Amount.optional() })
  .refine(changesSomething, 'must change at least one field')
  .meta({ id: 'UpdateProduct' });

export const EmptyBody = z.strictObject({});

export const AdminProduct = z
  .object({ sku: Sku, name: z.string(), price: Money, businessId: z.string(), archivedAt: Timestamp.nullable(), createdAt: Timestamp, updatedAt: Timestamp })
  .meta({ id: 'AdminProduct' });

// ---- listings -----------------------------------------------------------------
const Prices = z
  .record(storableText(), Amount, required('an object of level → price in minor units'))
  .refine((p) => Object.keys(p).length > 0, 'must name at least the default level’s price')
  .meta({
    description: 'Price per customer level in minor units; the default level’s is required, a level left out pays it',
    example: { regular: 3499, gold: 2999 },
  });

const FreightBody = z
  .strictObject(
    {
      baseMinor: Amount.optional().meta({ description: 'Per order line (default 0)', example: 490 }),
      perUnitMinor: Amount.optional().meta({ description: 'Per unit (default 0)', example: 0 }),
      freeFromMinor: Amount.nullable().optional().meta({ description: 'A line totalling this much ships free; null: never', example: 5000 }),
    },
    required('an object: {"baseMinor", "perUnitMinor", "freeFromMinor"}'),
  )
  .meta({ id: 'FreightRule', description: "A line's shipping fee: baseMinor + perUnitMinor × quantity, free from freeFromMinor" });

const listingFields = {
  location: Location.optional(),
  shelfUnits: Units.nullable().optional().meta({ description: 'Units offered; null or left out: as many as the warehouses hold', example: 25 }),
  prices: Prices,
  originalPriceMinor: Amount.nullable().optional().meta({ description: 'Shown crossed out', example: 3999 }),
  freight: FreightBody.optional(),
  startsAt: Instant.nullable().optional().meta({ description: 'On sale from (default: now)', example: '2026-12-24T09:00:00Z' }),
  endsAt: Instant.nullable().optional().meta({ description: 'On sale until, exclusive (default: until taken off)', example: '2026-12-27T00:00:00Z' }),
};

export const CreateListingBody = z.strictObject({ sku: storableText(required('a string')).pipe(Sku), ...listingFields }).meta({ id: 'CreateListing' });

export const UpdateListingBody = z
  .strictObject({ ...listingFields, prices: Prices.optional() })
  .refine(changesSomething, 'must change at least one field')
  .meta({ id: 'UpdateListing', description: 'The fields to change; `prices` replaces every level’s price, `freight` the fields it names' });

export const FreightView = z.object({ baseMinor: z.number().int(), perUnitMinor: z.number().int(), freeFromMinor: z.number().int().nullable() });

export const Listing = z
  .object({
    id: z.uuid(),
    sku: Sku,
    location: z.string(),
    shelfUnits: z.number().int().nullable(),
    shelfTaken: z.number().int().meta({ description: 'Units held or sold by orders' }),
    prices: z.record(z.string(), z.number().int()).meta({ description: 'Every configured level’s price' }),
    currency: z.string(),
    originalPriceMinor: z.number().int().nullable(),
    freight: FreightView,
    startsAt: Timestamp.nullable(),
    endsAt: Timestamp.nullable(),
    takenOffAt: Timestamp.nullable(),
    version: z.number().int().meta({ description: 'Grows with every change' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Listing' });

export const ListingWithHistory = Listing.extend({
  history: z.array(
    z.object({
      actor: z.string().meta({ description: 'Who: key:<id>, or migration', example: 'key:3f9c…' }),
      action: z.enum(['created', 'changed', 'taken-off']),
      changes: z.record(z.string(), z.unknown()).meta({ description: 'Each changed field as {from, to}; what a new listing was created with' }),
      at: Timestamp,
    }),
  ),
}).meta({ id: 'ListingWithHistory' });

export const ListingList = z.object({ listings: z.array(Listing), nextCursor: NextCursor }).meta({ id: 'ListingList' });
export const ListListingsQuery = listQuery({ sku: storableText().pipe(Sku).optional().meta({ description: 'Only this SKU’s listings' }) });
export const ListingParams = z.object({ id: storableText() });

export const StorefrontListing = z
  .object({
    id: z.uuid(),
    sku: Sku,
    name: z.string(),
    location: z.string(),
    price: Money.meta({ description: "The price for the caller's level" }),
    level: z.string().meta({ description: 'The level priced for: a customer token’s, else the default', example: 'regular' }),
    originalPrice: Money.nullable().meta({ description: 'Shown crossed out' }),
    freight: FreightView,
    available: z.number().int().meta({ description: 'Units that can be bought now: min(shelf units left, units free in the warehouses)' }),
    startsAt: Timestamp.nullable(),
    endsAt: Timestamp.nullable(),
  })
  .meta({ id: 'StorefrontListing' });
export const StorefrontList = z.object({ listings: z.array(StorefrontListing), nextCursor: NextCursor }).meta({ id: 'StorefrontList' });
export const StorefrontQuery = listQuery({ location: storableText().pipe(Location).optional() });

// ---- customers ----------------------------------------------------------------
export const CustomerParams = z.object({
  id: storableText().min(1, 'must not be empty').max(100, 'must be at most 100 characters').meta({ example: 'cust-42' }),
});
export const SetCustomerLevelBody = z.strictObject({ level: Level }).meta({ id: 'SetCustomerLevel' });
export const Customer = z
  .object({
    id: z.string(),
    level: z.string().meta({ description: 'The level whose prices the customer sees', example: 'gold' }),
    updatedAt: Timestamp.nullable().meta({ description: 'When the level was last set; null: never (the default level)' }),
  })
  .meta({ id: 'Customer' });

// ---- the cart -----------------------------------------------------------------
export const CartLineParams = z.object({ sku: storableText().pipe(Sku) });
export const SetCartLineBody = z
  .strictObject({
    quantity: z
      .number(required('a number'))
      .int('must be an integer')
      .min(1, 'must be at least 1 (DELETE the line to remove it)')
      .max(10_000, 'must be at most 10000')
      .meta({ example: 2 }),
  })
  .meta({ id: 'SetCartLine' });

export const CheckoutBody = z
  .strictObject({
    paymentMethod: storableText(required('a string'))
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .meta({ description: 'Payment-method token of the provider (sandbox: pm_approve, pm_decline, …)', example: 'pm_approve' }),
    customerEmail: storableText(required('a string'))
      .max(254, 'must be at most 254 characters')
      .optional()
      .meta({ description: 'Where notifications go when SMTP is configured', example: 'ada@example.com' }),
  })
  .meta({ id: 'Checkout' });

/** The cart's version as sent back in If-Match: the ETag GET /cart answered (a strong one, quoted). */
export const CartVersion = storableText()
  .regex(/^"[A-Za-z0-9_-]{1,64}"$/, 'must be the ETag GET /cart answered, quotes included')
  .meta({ example: '"tJ3mYq0bKx8vQm2nR5s7uW1yZ4aC6dE9fG"' });

const CartLine = z.object({
  sku: Sku,
  name: z.string(),
  quantity: z.number().int(),
  listingId: z.uuid().nullable().meta({ description: 'The listing it is priced from; null when the SKU is not on sale now' }),
  unitPrice: Money.nullable().meta({ description: "The live price for the customer's level" }),
  originalPrice: Money.nullable(),
  freight: FreightView.nullable(),
  lineTotalMinor: z.number().int(),
  freightMinor: z.number().int(),
  available: z.number().int().meta({ description: 'Units that can be bought now' }),
  problem: z
    .string()
    .nullable()
    .meta({ description: 'Why the line cannot be bought as it is (not on sale, sold out, fewer available); null when it can', example: null }),
});

export const Cart = z
  .object({
    customerId: z.string(),
    level: z.string(),
    lines: z.array(CartLine).meta({ description: 'In the order they were added; lines that cannot be bought are flagged (`problem`), not dropped' }),
    currency: z.string().nullable(),
    subtotalMinor: z.number().int(),
    shippingMinor: z.number().int(),
    discountMinor: z.number().int(),
    totalMinor: z.number().int().meta({ description: 'What checkout charges: the lines that can be bought, with their freight' }),
    etag: z.string().meta({ description: 'The cart’s version (also the ETag header): send it as If-Match to check out' }),
  })
  .meta({ id: 'Cart' });

// ---- points -------------------------------------------------------------------
export const PointsQuery = listQuery({});
export const Points = z
  .object({
    customerId: z.string(),
    balance: z.number().int().meta({ description: 'The sum of every entry of the ledger', example: 120 }),
    entries: z.array(
      z.object({
        kind: z.enum(['EARNED', 'REDEEMED', 'RESTORED', 'EXPIRED']),
        points: z.number().int().meta({ description: 'Signed: earned and restored add, redeemed and expired take away', example: 69 }),
        orderId: z.uuid().nullable(),
        reason: z.string().meta({ example: 'order completed: 6998 minor units delivered' }),
        at: Timestamp,
      }),
    ),
    nextCursor: NextCursor,
  })
  .meta({ id: 'Points', description: 'The balance, and one page of the ledger, newest entry first' });
