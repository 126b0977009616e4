// The OpenAPI 3.1 document, built from the same zod schemas that validate requests.
import { z } from 'zod';
import * as s from './schemas.js';
import { incidentPaths, metricsPaths, opsPaths } from './openapi-ops.js';
import { eventPaths } from './openapi-events.js';
import { apiKeyPaths, applyAccess, SECURITY_SCHEMES } from './openapi-access.js';
import { businessPaths } from './openapi-businesses.js';
import { cartPaths, cataloguePaths } from './openapi-catalogue.js';
import { shipmentAnswerPaths } from './openapi-shipments.js';
import { opsShipmentPaths } from './openapi-ops-shipments.js';
import { ORDER_BODY_EXAMPLE, ORDER_BODY_PAGE, orderBodyProblem } from './order-body.js';

type JsonSchema = Record<string, unknown>;

/** The query parameters of a list, from its `listQuery` schema: its filters, then `cursor` and `limit`. */
function queryParameters(json: (schema: z.ZodType, io?: 'input' | 'output') => JsonSchema, schema: z.ZodType) {
  const { properties } = json(schema, 'input') as { properties: Record<string, JsonSchema & { description?: string }> };
  return Object.entries(properties).map(([name, { description, ...param }]) => ({ name, in: 'query', required: false, description, schema: param }));
}

const LIST_DESCRIPTION =
  'Keyset pagination, as every list of this API: pass `nextCursor` back as `cursor` until it is null; pages never repeat or skip an item. ' +
  'A query parameter the list does not know is a 400 naming it.';

/** The 400 of a list that is given a parameter it does not know (`path` without its query). */
const listBadRequest = (problem: (description: string, example?: unknown) => unknown, path: string) =>
  problem('Bad limit or cursor, or an unknown query parameter', {
    type: '/problems/validation-error',
    title: 'Your request is not valid',
    status: 400,
    detail: 'page: unknown query parameter',
    instance: `${path}?page=2`,
    errors: [{ field: 'page', message: 'unknown query parameter' }],
  });

/** Points zod's local `#/$defs/X` references at the document's `#/components/schemas/X`. */
function retarget(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(retarget);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/\$defs\//, '#/components/schemas/') : retarget(v)]),
  );
}

/**
 * Converts zod schemas to JSON Schema for the document. Schemas with an id
 * (`.meta({ id })`) become components, referenced wherever they are used, so a
 * reference always resolves inside this document.
 */
class SchemaSet {
  readonly components: Record<string, JsonSchema> = {};

  json(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
    const { $schema: _dialect, $defs, ...root } = z.toJSONSchema(schema, { unrepresentable: 'any', io }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, def] of Object.entries($defs ?? {})) this.components[id] ??= retarget(def) as JsonSchema;
    return retarget(root) as JsonSchema;
  }
}

const examples = (entries: Record<string, { summary: string; value: unknown }>) => ({ examples: entries });

export type OpenApiOptions = {
  /** Document the order and payment-webhook routes (mounted when the saga runs). */
  saga?: boolean;
  /** The ops page: its JSON API on the embedded engine; on Camunda 8 only the page (a link to Operate). */
  ops?: 'embedded' | 'zeebe' | undefined;
  /** GET /metrics. */
  metrics?: boolean;
  /** The business routes (mounted when the app has the dispatcher plugins). */
  businesses?: boolean;
  /** The businesses' answers for their shipments (mounted with the saga when it has `shipments`). */
  shipments?: boolean;
};

/** Paths the rate limiter neither counts nor refuses (api/rate-limit.ts): probes, scrapers, payment providers. */
const RATE_LIMIT_EXEMPT_PATHS = new Set(['/health', '/ready', '/metrics', '/webhooks/payments/{provider}']);

export function openApiDocument(version: string, { saga = false, ops, metrics = false, businesses = false, shipments = false }: OpenApiOptions = {}) {
  const schemas = new SchemaSet();
  const json = (schema: z.ZodType, io: 'input' | 'output' = 'output') => schemas.json(schema, io);
  const problemRef = { $ref: '#/components/schemas/Problem' };
  const problem = (description: string, example?: unknown) => ({
    description,
    content: { 'application/problem+json': { schema: problemRef, ...(example ? { example } : {}) } },
  });
  const ok = (schema: z.ZodType, description = 'OK', example?: unknown) => ({
    description,
    content: { 'application/json': { schema: json(schema), ...(example === undefined ? {} : { example }) } },
  });

  const skuParam = { name: 'sku', in: 'path', required: true, schema: json(s.Sku) };
  const warehouseParam = { name: 'warehouseId', in: 'path', required: true, schema: json(s.WarehouseId) };
  json(s.Problem); // registers the Problem component every error response refers to

  const paths: Record<string, unknown> = {
    '/products': {
      get: {
        summary: 'List the catalog, by SKU',
        description: LIST_DESCRIPTION,
        parameters: queryParameters(json, s.ListProductsQuery),
        responses: {
          200: ok(s.ProductList, 'One page of products', {
            products: [
              { sku: 'SKU-BOARD', name: 'Oak cutting board', price: { amountMinor: 3900, currency: 'EUR' } },
              { sku: 'SKU-FRENCHPRESS', name: 'French press 1 l', price: { amountMinor: 2450, currency: 'EUR' } },
            ],
            nextCursor: 'U0tVLUZSRU5DSFBSRVNT',
          }),
          400: problem('Bad limit or cursor, or an unknown query parameter', {
            type: '/problems/validation-error',
            title: 'Your request is not valid',
            status: 400,
            detail: 'page: unknown query parameter',
            instance: '/products?page=2',
            errors: [{ field: 'page', message: 'unknown query parameter' }],
          }),
        },
      },
    },
    '/products/{sku}': {
      get: { summary: 'One product', parameters: [skuParam], responses: { 200: ok(s.Product), 400: problem('Malformed SKU'), 404: problem('Unknown SKU') } },
    },
    '/stocks/{sku}': {
      get: {
        summary: 'Units available now, per warehouse, by warehouse id',
        description: LIST_DESCRIPTION,
        parameters: [skuParam, ...queryParameters(json, s.ListStocksQuery)],
        responses: {
          200: ok(s.StockList, 'One page of warehouses', {
            stocks: [
              { warehouseId: 'WH-BER', count: 12 },
              { warehouseId: 'WH-CGN', count: 0 },
            ],
            nextCursor: null,
          }),
          400: problem('Malformed SKU; bad limit or cursor, or an unknown query parameter'),
          404: problem('Unknown SKU'),
        },
      },
    },
    '/stocks/{sku}/{warehouseId}': {
      put: {
        summary: 'Set the units on hand (admin)',
        parameters: [skuParam, warehouseParam],
        requestBody: { required: true, content: { 'application/json': { schema: json(s.SetOnHandBody, 'input') } } },
        responses: {
          200: ok(s.WarehouseStock),
          400: problem('Invalid body: missing, not an integer, negative'),
          403: problem('Sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`'),
          404: problem('Unknown SKU or warehouse'),
          409: problem('On hand would fall below the units reserved for orders'),
          413: problem('Body too large'),
          415: problem('Body is not JSON'),
        },
      },
    },
    '/health': { get: { summary: 'The process is up', responses: { 200: ok(s.Health) } } },
    '/ready': { get: { summary: 'The database answers', responses: { 200: ok(s.Ready), 503: ok(s.Ready, 'Database unreachable') } } },
  };

  // The ops lists page like every other list: the same parameters, description and 400.
  const list = (schema: z.ZodType, path: string) => ({
    description: LIST_DESCRIPTION,
    parameters: queryParameters(json, schema),
    badRequest: listBadRequest(problem, path),
  });
  if (saga) {
    Object.assign(
      paths,
      sagaPaths(json, problem, ok),
      incidentPaths({ json, problem, ok, list }),
      eventPaths({ json, problem, ok, list }),
      cartPaths({ json, problem, ok, list }),
    );
    if (shipments) Object.assign(paths, shipmentAnswerPaths({ json, problem, ok, list }), opsShipmentPaths({ json, problem, ok, list }));
  }
  if (ops) {
    paths['/ops'] = {
      get: {
        summary: 'The ops page, for a browser (Basic credentials: any user, an API key with the ops scope as password)',
        description:
          'Embedded engine: the live diagram with waiting counts, p50/p95 per step, incidents with retry, order search. Camunda 8: a link to Operate.',
        responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    };
  }
  if (ops) Object.assign(paths, opsPaths({ json, problem, ok, list }, ops));
  if (metrics) Object.assign(paths, metricsPaths());
  Object.assign(paths, apiKeyPaths({ json, problem, ok, list }), cataloguePaths({ json, problem, ok, list }));
  if (businesses) Object.assign(paths, businessPaths({ json, problem, ok, list }));
  applyAccess(paths as Parameters<typeof applyAccess>[0], problem);
  // Every operation the rate limiter counts can answer 429 (api/rate-limit.ts exempts the same paths).
  const tooMany = problem('More than RATE_LIMIT_PER_MINUTE requests a minute from this client (`rate-limited`): retry after `Retry-After` seconds');
  for (const [path, operations] of Object.entries(paths)) {
    if (RATE_LIMIT_EXEMPT_PATHS.has(path)) continue;
    for (const operation of Object.values(operations as Record<string, { responses?: Record<string, unknown> }>)) {
      if (operation.responses && !operation.responses['429']) operation.responses['429'] = tooMany;
    }
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'order-saga',
      version,
      description: 'Order-fulfilment saga: catalog, stock, orders. Errors are RFC 9457 problem+json naming the offending field.',
    },
    components: {
      securitySchemes: SECURITY_SCHEMES,
      schemas: schemas.components,
    },
    paths,
  };
}

// ---- orders and payment webhooks -------------------------------------------

const ORDER_ID = '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10';
const problemExample = (status: number, slug: string, title: string, detail: string, instance: string, errors?: { field: string; message: string }[]) => ({
  type: `/problems/${slug}`,
  title,
  status,
  detail,
  instance,
  ...(errors ? { errors } : {}),
});

/** The 400 POST /orders answers for these errors, hints included, as the API builds it. */
function orderBodyExample(errors: { field: string; message: string }[]) {
  const p = orderBodyProblem(errors);
  return problemExample(p.status, p.slug, p.title, p.detail, '/orders', p.errors);
}

function sagaPaths(
  json: (schema: z.ZodType, io?: 'input' | 'output') => JsonSchema,
  problem: (description: string, example?: unknown) => unknown,
  ok: (schema: z.ZodType, description?: string, example?: unknown) => unknown,
): Record<string, unknown> {
  const orderIdParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'Order id (a UUID; any other storable text is 404, a NUL or an unpaired surrogate 400)',
    schema: { type: 'string', format: 'uuid' },
    example: ORDER_ID,
  };
  const unknownOrder = problem(
    'Unknown order (or an id that is not a UUID)',
    problemExample(404, 'not-found', 'No such order', `order ${ORDER_ID} does not exist`, `/orders/${ORDER_ID}`, [
      { field: 'id', message: `order ${ORDER_ID} does not exist` },
    ]),
  );
  const links = { self: `/orders/${ORDER_ID}`, cancel: `/orders/${ORDER_ID}/cancel`, notifications: `/orders/${ORDER_ID}/notifications` };
  const accepted = { id: ORDER_ID, status: 'NEW', total: { amountMinor: 8997, currency: 'EUR' }, links };
  const orderExample = {
    id: ORDER_ID,
    customerId: 'cust-42',
    customerEmail: 'ada@example.com',
    status: 'AWAITING_PAYMENT',
    failureReason: null,
    paymentMethod: 'pm_approve',
    total: { amountMinor: 8997, currency: 'EUR' },
    items: [
      { sku: 'SKU-KETTLE', quantity: 2, unitPriceMinor: 3499 },
      { sku: 'SKU-SCALE', quantity: 1, unitPriceMinor: 1999 },
    ],
    reservations: [
      { sku: 'SKU-KETTLE', warehouseId: 'WH-BER', quantity: 2, state: 'RESERVED' },
      { sku: 'SKU-SCALE', warehouseId: 'WH-BER', quantity: 1, state: 'RESERVED' },
    ],
    payment: {
      id: '5d1c9a7e-2b3f-4e8a-9c6d-0f1e2a3b4c5d',
      status: 'REQUESTED',
      provider: 'sandbox',
      providerPaymentId: 'sbx_pay_7Qk2',
      amountMinor: 8997,
      currency: 'EUR',
      failureReason: null,
      updatedAt: '2026-11-22T10:15:02.120Z',
    },
    history: [
      { from: null, to: 'NEW', reason: 'order placed', at: '2026-11-22T10:15:01.900Z' },
      { from: 'NEW', to: 'AWAITING_PAYMENT', reason: 'payment requested from sandbox', at: '2026-11-22T10:15:02.118Z' },
    ],
    processInstanceKey: '2251799813685249',
    process: {
      processInstanceKey: '2251799813685249',
      bpmnProcessId: 'order-fulfillment',
      version: 1,
      state: 'ACTIVE',
      currentSteps: [{ elementId: 'await-payment', name: 'Await payment result', type: 'eventBasedGateway', since: '2026-11-22T10:15:02.125Z' }],
      incidents: [],
    },
    createdAt: '2026-11-22T10:15:01.900Z',
    updatedAt: '2026-11-22T10:15:02.118Z',
  };

  return {
    '/orders': {
      post: {
        summary: 'Place an order',
        description:
          'Records the order (status NEW, items priced from the catalog) and starts its saga; answers 202 at once. ' +
          'Prices, names and the currency come from the catalog: each line is only `sku` and `quantity`. ' +
          'With an `Idempotency-Key`, a retry with the same body answers the same order (and `Idempotent-Replayed: true`); ' +
          'the same key with a different body is 422. A key is kept for `IDEMPOTENCY_KEY_TTL` (default 24 hours) after its order was placed; ' +
          'after that it may be used for a new order. Invalid input names every offending field and creates nothing: ' +
          `a body that is not an order is \`${ORDER_BODY_PAGE}\` (that URL explains the body), with a \`hint\` for fields from other shops' APIs.`,
        parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: json(s.IdempotencyKey), example: 'checkout-7f3a9c' }],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: json(s.CreateOrderBody, 'input'),
              ...examples({
                order: { summary: 'Two kettles and a scale', value: ORDER_BODY_EXAMPLE },
              }),
            },
          },
        },
        responses: {
          202: {
            description: 'Accepted: the order is recorded and its saga runs asynchronously',
            headers: {
              Location: { description: 'The order', schema: { type: 'string' }, example: `/orders/${ORDER_ID}` },
              'Idempotent-Replayed': { description: '`true` when this answers a repeated request', schema: { type: 'string', enum: ['true'] } },
            },
            content: { 'application/json': { schema: json(s.OrderAccepted), example: accepted } },
          },
          400: {
            description:
              `A body that is not an order (\`${ORDER_BODY_PAGE}\`): unknown SKU, no items, bad quantity, unusable payment method, unknown field (with a \`hint\` for prices, names and ids from other shops' APIs)…; ` +
              'or a malformed `Idempotency-Key` or JSON (`/problems/validation-error`)',
            content: {
              'application/problem+json': {
                schema: { $ref: '#/components/schemas/Problem' },
                examples: {
                  foreign: {
                    summary: "Another shop's order body",
                    value: orderBodyExample([
                      { field: 'items[0].sku', message: 'is required' },
                      { field: 'items[0].id', message: 'unknown field' },
                      { field: 'items[0].name', message: 'unknown field' },
                      { field: 'items[0].amount', message: 'unknown field' },
                      { field: 'paymentMethod', message: 'is required' },
                      { field: 'amount', message: 'unknown field' },
                    ]),
                  },
                  catalog: {
                    summary: 'An unknown SKU and a bad quantity',
                    value: orderBodyExample([
                      { field: 'items[1].sku', message: 'unknown SKU SKU-NOPE' },
                      { field: 'items[1].quantity', message: 'must be at least 1' },
                    ]),
                  },
                },
              },
            },
          },
          413: problem('Body too large'),
          415: problem('Body is not JSON'),
          422: problem(
            'Idempotency-Key already used for a different request',
            problemExample(
              422,
              'idempotency-key-reused',
              'Idempotency-Key reused for a different request',
              'Idempotency-Key checkout-7f3a9c was already used for a different request',
              '/orders',
              [{ field: 'Idempotency-Key', message: 'was already used with a different request body; use a new key for a new order' }],
            ),
          ),
        },
      },
      get: {
        summary: 'List orders, newest first',
        description: LIST_DESCRIPTION,
        parameters: queryParameters(json, s.ListOrdersQuery),
        responses: {
          200: ok(s.OrderList, 'One page of orders', {
            orders: [
              {
                id: ORDER_ID,
                customerId: 'cust-42',
                status: 'PAID',
                total: { amountMinor: 8997, currency: 'EUR' },
                createdAt: '2026-11-22T10:15:01.900Z',
                updatedAt: '2026-11-22T10:15:04.310Z',
              },
            ],
            nextCursor: 'MjAyNi0xMS0yMlQxMDoxNTowMS45MDBafDBiNWUyYzRlLThkMWUtNGQwYS05YjdlLTNmMWMyYTlkNGUxMA',
          }),
          400: problem(
            'Bad status, limit or cursor, or an unknown query parameter',
            problemExample(400, 'validation-error', 'Your request is not valid', 'limit: must be an integer from 1 to 100', '/orders?limit=500', [
              { field: 'limit', message: 'must be an integer from 1 to 100' },
            ]),
          ),
        },
      },
    },
    [ORDER_BODY_PAGE]: {
      get: {
        summary: 'What POST /orders takes: the `type` of a 400 about the order body',
        description:
          'A page for people: the fields of the order body, why prices and names come from the catalog, hints for fields from other APIs, links to /docs and /openapi.json.',
        responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
      },
    },
    '/orders/{id}': {
      get: {
        summary: 'One order, with the BPMN step it is at now',
        parameters: [orderIdParam],
        responses: { 200: ok(s.Order, 'The order', orderExample), 404: unknownOrder },
      },
    },
    '/orders/{id}/cancel': {
      post: {
        summary: 'Ask to cancel an order',
        description:
          'Possible until the first shipment has shipped, whatever step the order is at (reserving stock, requesting payment, an incident there, awaiting the result, its shipments sent or accepted). ' +
          '202 only when the cancellation will be honoured: the order then ends CANCELLED, its stock released and its payment voided; ' +
          'once paid, every shipment is stopped (its business told), its units put back and its amount given back. ' +
          'A shipment shipped answers 409 (`/problems/order-shipped`); an order still being split into shipments a moment after payment, 409 (`/problems/order-not-cancellable`): try again. No body is needed.',
        parameters: [orderIdParam],
        requestBody: { required: false, content: { 'application/json': { schema: json(s.CancelOrderBody, 'input'), example: {} } } },
        responses: {
          202: ok(s.CancelAccepted, 'The cancellation will be honoured', { id: ORDER_ID, status: 'AWAITING_PAYMENT', cancellation: 'accepted' }),
          400: problem('A body with fields'),
          404: unknownOrder,
          409: problem(
            'A shipment has shipped (`/problems/order-shipped`), already ended (`/problems/order-finished`), or paid a moment ago and not yet split into shipments (`/problems/order-not-cancellable`)',
            problemExample(
              409,
              'order-shipped',
              'The request conflicts with the current state',
              `order ${ORDER_ID} can no longer be cancelled: a shipment has already shipped`,
              `/orders/${ORDER_ID}/cancel`,
              [{ field: 'status', message: `order ${ORDER_ID} can no longer be cancelled: a shipment has already shipped` }],
            ),
          ),
          503: problem('The order process cannot be reached; retry after `Retry-After` seconds'),
        },
      },
    },
    '/orders/{id}/shipments/{shipmentId}/confirm-delivery': {
      post: {
        summary: 'Confirm that a shipment arrived',
        description:
          "The customer (or the shop for them) confirms delivery: the business's funds for the shipment are released " +
          '(otherwise they are released when the acceptance window passes). A shipped shipment is recorded delivered as well. ' +
          'Repeating it answers the same. No body is needed.',
        parameters: [orderIdParam, { name: 'shipmentId', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: false, content: { 'application/json': { schema: json(s.ConfirmDeliveryBody, 'input'), example: {} } } },
        responses: {
          200: {
            description: 'Delivery confirmed',
            content: { 'application/json': { example: { id: '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a', deliveryConfirmedAt: '2026-12-03T10:00:00.000Z' } } },
          },
          400: problem('A body with fields'),
          404: problem('No such order, or no such shipment of it'),
          409: problem('The shipment has not shipped yet (`/problems/shipment-not-delivered`)'),
        },
      },
    },
    '/orders/{id}/notifications': {
      get: {
        summary: 'Notifications sent (or to be sent) to the customer about an order, oldest first',
        description: LIST_DESCRIPTION,
        parameters: [orderIdParam, ...queryParameters(json, s.ListNotificationsQuery)],
        responses: {
          200: ok(s.NotificationList, 'One page of the notifications', {
            notifications: [
              {
                id: '7c2e9b1a-4f3d-4e8a-b6c5-1d2e3f4a5b6c',
                kind: 'confirmed',
                channel: 'log',
                recipient: null,
                subject: 'Your order is confirmed',
                body: 'Thank you for your order. We received your payment of 89.97 EUR.',
                status: 'SENT',
                attempts: 1,
                lastError: null,
                createdAt: '2026-11-22T10:15:04.330Z',
                sentAt: '2026-11-22T10:15:04.410Z',
              },
            ],
            nextCursor: null,
          }),
          400: listBadRequest(problem, `/orders/${ORDER_ID}/notifications`),
          404: unknownOrder,
        },
      },
    },
    '/webhooks/payments/{provider}': {
      post: {
        summary: "A payment provider's callback",
        description:
          'Called by the payment provider, not by clients. The raw JSON body is signed like Stripe: header ' +
          '`Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with the webhook secret, within a 5-minute tolerance. ' +
          'Each provider event is recorded once and relayed to the order process; a replay answers `duplicate: true` and changes nothing.',
        parameters: [
          { name: 'provider', in: 'path', required: true, schema: json(s.PaymentProviderParams.shape.provider), example: 'sandbox' },
          {
            name: 'Sandbox-Signature',
            in: 'header',
            required: true,
            description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody">',
            schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
            example: 't=1795342502,v1=5f0c6a2d0e7b4f3c9a1d8e6b2c4f7a9e0d3b5c8a1f4e7d0c2b6a9e3f5d8c1b4a',
          },
        ],
        requestBody: {
          required: true,
          description: "The provider's event, exactly as sent (the signature covers the raw bytes)",
          content: {
            'application/json': {
              schema: { type: 'object', additionalProperties: true },
              example: {
                id: 'evt_sbx_5d1c9a7e',
                type: 'payment.succeeded',
                created: 1795342502,
                data: {
                  paymentId: '5d1c9a7e-2b3f-4e8a-9c6d-0f1e2a3b4c5d',
                  providerPaymentId: 'sbx_pay_7Qk2',
                  orderId: ORDER_ID,
                  amountMinor: 8997,
                  currency: 'EUR',
                },
              },
            },
          },
        },
        responses: {
          200: ok(s.WebhookAck, 'Recorded (or recorded before)', { received: true, duplicate: false }),
          400: problem('Body is not JSON or not an event of this provider'),
          401: problem('Missing, malformed, wrong or expired signature'),
          404: problem('Unknown provider'),
          422: problem('Signed, but not the payment of its order: ids, amount or currency differ, or it has no payment (payment-mismatch)'),
        },
      },
    },
  };
}
