// The OpenAPI entries of the catalogue (docs/catalogue.md; routes in catalogue-admin.ts,
// storefront.ts, customers.ts): products, listings, customers' levels, the storefront.
import * as c from './catalogue-schemas.js';
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';
import * as s from './schemas.js';

const LISTING_ID = '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b';
const NOW = '2026-12-14T09:00:00.000Z';
const LISTING = {
  id: LISTING_ID,
  sku: 'SKU-KETTLE',
  location: 'hot',
  shelfUnits: 25,
  shelfTaken: 3,
  prices: { regular: 3499, silver: 3299, gold: 2999 },
  currency: 'EUR',
  originalPriceMinor: 3999,
  freight: { baseMinor: 490, perUnitMinor: 0, freeFromMinor: 5000 },
  startsAt: '2026-12-24T09:00:00.000Z',
  endsAt: '2026-12-27T00:00:00.000Z',
  takenOffAt: null,
  version: 1,
  createdAt: NOW,
  updatedAt: NOW,
};
const STOREFRONT = {
  id: LISTING_ID,
  sku: 'SKU-KETTLE',
  name: 'Electric kettle',
  location: 'hot',
  price: { amountMinor: 2999, currency: 'EUR' },
  level: 'gold',
  originalPrice: { amountMinor: 3999, currency: 'EUR' },
  freight: LISTING.freight,
  available: 22,
  startsAt: null,
  endsAt: null,
};
const PRODUCT = {
  sku: 'SKU-KETTLE',
  name: 'Electric kettle',
  price: { amountMinor: 3499, currency: 'EUR' },
  businessId: 'default',
  archivedAt: null,
  createdAt: NOW,
  updatedAt: NOW,
};

const POINTS = {
  customerId: 'cust-42',
  balance: 69,
  entries: [{ kind: 'EARNED', points: 69, orderId: '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10', reason: 'order completed: 6998 minor units delivered', at: NOW }],
  nextCursor: null,
};

export function cataloguePaths({ json, problem, ok, list }: Helpers): Record<string, unknown> {
  const body = (schema: Parameters<Helpers['json']>[0], example: unknown, required = true) => ({
    required,
    content: { 'application/json': { schema: json(schema, 'input'), example } },
  });
  const writeErrors = (what: string) => ({
    400: problem(`Invalid body, each field named in \`errors\`: ${what}`),
    403: problem('Sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`'),
    413: problem('Body too large'),
    415: problem('Body is not JSON'),
  });
  const skuParam = { name: 'sku', in: 'path', required: true, schema: json(s.Sku) };
  const idParam = { name: 'id', in: 'path', required: true, description: 'The listing (a UUID; anything else is 404)', schema: { type: 'string' } };
  const customerParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'The customer id (a customer token’s `sub`)',
    schema: json(c.CustomerParams.shape.id),
  };
  const noProduct = problem('No such product (`not-found`, naming `sku`)');
  const noListing = problem('No such listing (`not-found`, naming `id`)');
  const listings = list(c.ListListingsQuery, '/admin/listings');
  const shop = list(c.StorefrontQuery, '/listings');
  const points = list(c.PointsQuery, '/customers/me/points');
  return {
    '/admin/products': {
      post: {
        summary: 'Create a product',
        description: 'It is not on sale until a listing puts it on the shelf (POST /admin/listings).',
        requestBody: body(c.CreateProductBody, { sku: 'SKU-KETTLE', name: 'Electric kettle', priceMinor: 3499, currency: 'EUR' }),
        responses: {
          201: ok(c.AdminProduct, 'Created', PRODUCT),
          ...writeErrors('a SKU that is no SKU, an amount that is not a non-negative integer, a currency that is no ISO 4217 code, an unknown field'),
          404: problem('`businessId` names no business'),
          409: problem('A product with this SKU exists (`product-exists`)'),
        },
      },
    },
    '/admin/products/{sku}': {
      get: {
        summary: 'One product, archived or not',
        parameters: [skuParam],
        responses: { 200: ok(c.AdminProduct, 'The product', PRODUCT), 400: problem('A bad SKU'), 404: noProduct },
      },
      patch: {
        summary: "Change a product's name or catalogue price",
        description: 'Listings keep their own prices; orders placed keep theirs.',
        parameters: [skuParam],
        requestBody: body(c.UpdateProductBody, { name: 'Electric kettle, 1.7 l' }),
        responses: {
          200: ok(c.AdminProduct, 'Changed', PRODUCT),
          ...writeErrors('an empty name, a bad amount, no field to change, an unknown field'),
          404: noProduct,
          409: problem('The product is archived (`product-archived`)'),
        },
      },
    },
    '/admin/products/{sku}/archive': {
      post: {
        summary: 'Archive a product: its listings are taken off the shelf',
        description: 'Idempotent. Orders already placed keep their lines; an archived product cannot be listed again.',
        parameters: [skuParam],
        requestBody: body(c.EmptyBody, {}, false),
        responses: { 200: ok(c.AdminProduct, 'Archived', { ...PRODUCT, archivedAt: NOW }), ...writeErrors('a body with fields'), 404: noProduct },
      },
    },
    '/admin/listings': {
      post: {
        summary: 'Put a product on the shelf',
        description:
          'Prices per customer level (the default level’s required; a level left out pays it), an original price shown crossed out, a freight rule, ' +
          'a shelf count (units offered; none: as many as the warehouses hold), a location, and an optional window `[startsAt, endsAt)`. ' +
          'At most one listing of a SKU is on sale at any instant: a window that overlaps another live listing of the SKU is a 409.',
        requestBody: body(c.CreateListingBody, {
          sku: 'SKU-KETTLE',
          location: 'hot',
          shelfUnits: 25,
          prices: { regular: 3499, silver: 3299, gold: 2999 },
          originalPriceMinor: 3999,
          freight: { baseMinor: 490, freeFromMinor: 5000 },
          startsAt: '2026-12-24T09:00:00Z',
          endsAt: '2026-12-27T00:00:00Z',
        }),
        responses: {
          201: ok(c.Listing, 'On the shelf', LISTING),
          ...writeErrors(
            'a price for a level that is not configured (`prices.<level>`), no default level’s price, an end before the start or in the past, a bad amount, an unknown field',
          ),
          404: noProduct,
          409: problem(
            'The product is archived (`product-archived`), or another listing of the SKU is on sale in this window (`listing-overlaps`, naming `startsAt`)',
          ),
        },
      },
      get: {
        summary: 'Every listing, taken off too, by id',
        description: listings.description,
        parameters: listings.parameters,
        responses: { 200: ok(c.ListingList, 'One page of listings', { listings: [LISTING], nextCursor: null }), 400: listings.badRequest },
      },
    },
    '/admin/listings/{id}': {
      get: {
        summary: 'One listing with its history (who changed what, when)',
        parameters: [idParam],
        responses: {
          200: ok(c.ListingWithHistory, 'The listing', {
            ...LISTING,
            history: [{ actor: 'key:9b2f0c1e', action: 'created', changes: { shelfUnits: 25 }, at: NOW }],
          }),
          400: problem('An id with a NUL or an unpaired surrogate'),
          404: noListing,
        },
      },
      patch: {
        summary: 'Change a listing; the change is recorded in its history',
        description: 'Orders placed keep their prices. The shelf count cannot go below the units orders already took.',
        parameters: [idParam],
        requestBody: body(c.UpdateListingBody, { prices: { regular: 3299, gold: 2799 }, shelfUnits: 30 }),
        responses: {
          200: ok(c.Listing, 'Changed', LISTING),
          ...writeErrors('as for a new listing, and a shelf count below the units taken (`shelfUnits`)'),
          404: noListing,
          409: problem('The listing was taken off (`listing-taken-off`), or the new window overlaps another live listing (`listing-overlaps`)'),
        },
      },
    },
    '/admin/listings/{id}/take-off': {
      post: {
        summary: 'Take a listing off the shelf',
        description: 'Idempotent: a listing already off answers as it is. Orders placed keep their lines and their shelf units.',
        parameters: [idParam],
        requestBody: body(c.EmptyBody, {}, false),
        responses: { 200: ok(c.Listing, 'Taken off', { ...LISTING, takenOffAt: NOW }), ...writeErrors('a body with fields'), 404: noListing },
      },
    },
    '/listings': {
      get: {
        summary: 'The storefront: what is on sale now, at the price of your level',
        description:
          `${shop.description}\n\nOn sale now: not taken off, its product not archived, and the database clock inside its window. ` +
          '`available` is min(shelf units left, units free in the warehouses); a listing with none left shows 0 and cannot be bought. ' +
          'A customer token prices for the customer’s level; anyone else sees the default level’s prices. A token that was sent and refused is a 401.',
        parameters: shop.parameters,
        responses: {
          200: ok(c.StorefrontList, 'One page of listings on sale, by id', { listings: [STOREFRONT], nextCursor: null }),
          400: shop.badRequest,
          401: problem('A credential was sent and refused (`unauthorized`)'),
        },
      },
    },
    '/listings/{id}': {
      get: {
        summary: 'One listing on sale now, at the price of your level',
        parameters: [idParam],
        responses: {
          200: ok(c.StorefrontListing, 'On sale', STOREFRONT),
          400: problem('An id with a NUL or an unpaired surrogate'),
          401: problem('A credential was sent and refused (`unauthorized`)'),
          404: problem('No listing with this id is on sale now (`not-found`)'),
        },
      },
    },
    '/customers/me': {
      get: { summary: 'The calling customer: their level', responses: { 200: ok(c.Customer, 'You', { id: 'cust-42', level: 'gold', updatedAt: NOW }) } },
    },
    '/customers/me/points': {
      get: {
        summary: 'Your points: the balance and the ledger, newest first',
        description: `${points.description}\n\nA completed order earns points on what you kept (docs/catalogue.md, "Points").`,
        parameters: points.parameters,
        responses: { 200: ok(c.Points, 'Your points', POINTS), 400: points.badRequest },
      },
    },
    '/admin/customers/{id}/points': {
      get: {
        summary: "A customer's points: the balance and the ledger, newest first",
        description: points.description,
        parameters: [customerParam, ...points.parameters],
        responses: { 200: ok(c.Points, 'The points', POINTS), 400: points.badRequest },
      },
    },
    '/admin/customers/{id}': {
      get: {
        summary: "A customer's level",
        description: 'A customer nobody set a level for has the default level (`updatedAt` null).',
        parameters: [customerParam],
        responses: { 200: ok(c.Customer, 'The customer', { id: 'cust-42', level: 'regular', updatedAt: null }), 400: problem('A bad customer id') },
      },
      put: {
        summary: "Set a customer's level: the prices they see from now on",
        description: 'Orders placed keep their prices. Idempotent.',
        parameters: [customerParam],
        requestBody: body(c.SetCustomerLevelBody, { level: 'gold' }),
        responses: { 200: ok(c.Customer, 'Set', { id: 'cust-42', level: 'gold', updatedAt: NOW }), ...writeErrors('a level that is not configured (`level`)') },
      },
    },
  };
}

const CART = {
  customerId: 'ada',
  level: 'gold',
  lines: [
    {
      sku: 'SKU-KETTLE',
      name: 'Electric kettle',
      quantity: 2,
      listingId: LISTING_ID,
      unitPrice: { amountMinor: 2999, currency: 'EUR' },
      originalPrice: { amountMinor: 3999, currency: 'EUR' },
      freight: LISTING.freight,
      lineTotalMinor: 5998,
      freightMinor: 0,
      available: 22,
      problem: null,
    },
  ],
  currency: 'EUR',
  subtotalMinor: 5998,
  shippingMinor: 0,
  discountMinor: 0,
  totalMinor: 5998,
  etag: '"tJ3mYq0bKx8vQm2nR5s7uW1yZ4a"',
};

/** The cart's paths (api/routes/cart.ts): on with the saga, which runs the orders checkout makes. */
export function cartPaths({ json, problem, ok }: Helpers): Record<string, unknown> {
  const cart = (description: string) => ({
    ...(ok(c.Cart, description, CART) as object),
    headers: { ETag: { description: 'The cart’s version: send it as If-Match to check out', schema: { type: 'string' } } },
  });
  const skuParam = { name: 'sku', in: 'path', required: true, schema: json(s.Sku) };
  const writeErrors = {
    413: problem('Body too large'),
    415: problem('Body is not JSON'),
  };
  return {
    '/cart': {
      get: {
        summary: 'Your cart, priced now',
        description:
          'Each line at the live price of your level from the listing on sale now, with its freight and the units available; a line that cannot be bought ' +
          '(not on sale, sold out, fewer available than in the cart, another currency) is flagged in `problem` and left out of the totals, never dropped. ' +
          'The cart is kept in the database: the same cart from any device, after any restart.',
        responses: { 200: cart('Your cart') },
      },
      delete: { summary: 'Empty your cart', responses: { 200: cart('Your cart, empty') } },
    },
    '/cart/lines/{sku}': {
      put: {
        summary: 'Put a product in your cart, or change its quantity',
        description: 'Checked against the listing on sale now and the units available. Idempotent: the quantity is set, not added.',
        parameters: [skuParam],
        requestBody: { required: true, content: { 'application/json': { schema: json(c.SetCartLineBody, 'input'), example: { quantity: 2 } } } },
        responses: {
          200: cart('Your cart'),
          400: problem('A bad quantity, a SKU not on sale now (`sku`), more than available (`quantity`), a 101st line, an unknown field'),
          404: problem('No such product (`sku`)'),
          ...writeErrors,
        },
      },
      delete: {
        summary: 'Take a product out of your cart (not there: nothing changes)',
        parameters: [skuParam],
        responses: { 200: cart('Your cart'), 400: problem('A bad SKU') },
      },
    },
    '/cart/checkout': {
      post: {
        summary: 'Check out: the cart becomes an order, charging exactly what it showed',
        description:
          'Send the cart’s ETag as `If-Match` and an `Idempotency-Key`. When the cart changed since you read it (a price, a line, a line’s availability), ' +
          'nothing is charged: `409 cart-changed` with the cart as it is now (`cart`, and its ETag). A line that cannot be bought is `409 cart-not-buyable` naming it. ' +
          'The order is recorded and the cart emptied in one transaction; the same key answers the same order (`Idempotent-Replayed: true`). ' +
          'Then follow the order as any other (GET /orders/{id}).',
        parameters: [
          { name: 'If-Match', in: 'header', required: true, schema: json(c.CartVersion), description: 'The ETag of the cart you showed' },
          { name: 'Idempotency-Key', in: 'header', required: true, schema: json(s.IdempotencyKey) },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: json(c.CheckoutBody, 'input'), example: { paymentMethod: 'pm_approve' } } } },
        responses: {
          202: ok(s.OrderAccepted, 'The order is recorded and its saga runs; the cart is empty'),
          400: problem('A bad body, If-Match or Idempotency-Key, a payment method the provider does not take, an e-mail address that is none'),
          409: problem(
            'The cart changed (`cart-changed`, with `cart`), has lines that cannot be bought (`cart-not-buyable`, naming `lines[i]`), or is empty (`cart-empty`)',
          ),
          422: problem('The Idempotency-Key was used for a different checkout (`idempotency-key-reused`)'),
          428: problem('No If-Match or no Idempotency-Key (`precondition-required`, naming it)'),
          ...writeErrors,
        },
      },
    },
  };
}
