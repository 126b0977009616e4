// Request and response shapes: validated by zod at the edge, and published as the
// OpenAPI document from the same definitions, so the docs cannot drift. Every text a
// request brings (body field, query or path parameter) is a `storableText()`: one the
// database can store (domain/storable.ts), else a 400 naming it.
import { z } from 'zod';
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH } from '../domain/orders/create-order.js';
import { ORDER_STATUSES } from '../domain/orders/lifecycle.js';
import { storableText } from '../domain/storable.js';

export const Sku = storableText()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1–64 letters, digits, dot, dash or underscore')
  .meta({ description: 'Stock-keeping unit', example: 'SKU-KETTLE' });

export const WarehouseId = storableText()
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

// ---- lists ------------------------------------------------------------------
// Every list pages the same way: `limit` and `cursor` in, `nextCursor` out, and a
// query parameter the list does not know is a 400 naming it (never silently ignored).

/** `limit` of every paged read: 1–100, default 20. */
export const PageLimit = z.coerce
  .number('must be an integer from 1 to 100')
  .int('must be an integer from 1 to 100')
  .min(1, 'must be an integer from 1 to 100')
  .max(100, 'must be an integer from 1 to 100')
  .optional()
  .meta({ description: 'Page size, 1–100 (default 20)' });

const PAGE_PARAMS = {
  cursor: storableText()
    .min(1, 'must not be empty')
    .max(200, 'is not a cursor this API handed out')
    .optional()
    .meta({ description: 'nextCursor of the previous page' }),
  limit: PageLimit,
};

/** The query of a list: its own filters, then `cursor` and `limit`; unknown parameters are refused. */
export const listQuery = <F extends z.ZodRawShape>(filters: F) => z.strictObject({ ...filters, ...PAGE_PARAMS });

export const NextCursor = z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' });

export const Product = z.object({ sku: Sku, name: z.string(), price: Money }).meta({ id: 'Product' });
export const ProductList = z.object({ products: z.array(Product), nextCursor: NextCursor }).meta({ id: 'ProductList' });
export const ListProductsQuery = listQuery({});

export const StockList = z
  .object({
    stocks: z.array(z.object({ warehouseId: WarehouseId, count: z.number().int().meta({ description: 'Units available now (on hand − reserved)' }) })),
    nextCursor: NextCursor,
  })
  .meta({ id: 'StockList', description: "One page of the SKU's stock, by warehouse id" });
export const ListStocksQuery = listQuery({});

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
    errors: z
      .array(
        z.object({
          field: z.string().meta({ example: 'onHand' }),
          message: z.string(),
          hint: z.string().optional().meta({
            description: 'What to send instead, where the API can tell',
            example: 'use sku: the product is named by its SKU (GET /products lists them)',
          }),
        }),
      )
      .optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const Health = z.object({ status: z.literal('ok') });
export const Ready = z.object({ status: z.enum(['ready', 'unavailable']), database: z.enum(['pglite', 'postgres']) });

// ---- orders ---------------------------------------------------------------

const required = (expected: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${expected}`) });

export const IdempotencyKey = storableText()
  .regex(/^[\x21-\x7E]{1,200}$/, 'must be 1–200 visible ASCII characters')
  .meta({
    description:
      'Makes POST /orders safe to retry: the same key and body answer the same order, for IDEMPOTENCY_KEY_TTL (default 24 hours) after it was placed',
    example: 'a1f7c7e2-checkout-42',
  });

export const OrderStatus = z.enum(ORDER_STATUSES, required(`one of ${ORDER_STATUSES.join(', ')}`)).meta({ id: 'OrderStatus' });

export const OrderIdParams = z.object({ id: storableText() });
export const ShipmentOfOrderParams = z.object({ id: storableText(), shipmentId: storableText() });
/** POST /orders/{id}/shipments/{shipmentId}/confirm-delivery takes no fields. */
export const ConfirmDeliveryBody = z.strictObject({});

export const OrderLine = z.strictObject({
  sku: storableText(required('a string')).pipe(Sku),
  quantity: z.number(required('a number')).int('must be an integer').min(1, 'must be at least 1').max(10_000, 'must be at most 10000').meta({ example: 2 }),
});

export const CreateOrderBody = z
  .strictObject({
    customerId: storableText(required('a string')).min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional().meta({
      description: "The customer the order is for: required with an API key; with a customer's token it is the token's subject (left out, or the same)",
      example: 'cust-42',
    }),
    items: z.array(OrderLine, required('an array')).min(1, 'must not be empty').max(100, 'must have at most 100 lines'),
    paymentMethod: storableText(required('a string'))
      .min(1, 'must not be empty')
      .max(200, 'must be at most 200 characters')
      .meta({ description: 'Payment-method token of the provider (sandbox: pm_approve, pm_decline, …)', example: 'pm_approve' }),
    customerEmail: storableText(required('a string'))
      .max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`)
      .regex(EMAIL_PATTERN, 'must be an e-mail address')
      .optional()
      .meta({ description: 'Where notifications go when SMTP is configured', example: 'ada@example.com' }),
  })
  .meta({ id: 'CreateOrder' });

export const OrderLinks = z.object({
  self: z.string().meta({ example: '/orders/0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10' }),
  cancel: z.string().meta({ example: '/orders/0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10/cancel' }),
  notifications: z.string().meta({ example: '/orders/0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10/notifications' }),
});

export const OrderAccepted = z
  .object({ id: z.uuid(), status: OrderStatus, total: Money, links: OrderLinks })
  .meta({ id: 'OrderAccepted', description: 'The order is recorded; the saga runs asynchronously. Poll GET /orders/{id}.' });

export const ProcessView = z
  .object({
    processInstanceKey: z.string().meta({ example: '2251799813685249' }),
    bpmnProcessId: z.string().meta({ example: 'order-fulfillment' }),
    version: z.number().int(),
    state: z.enum(['ACTIVE', 'COMPLETED', 'TERMINATED']),
    currentSteps: z.array(
      z.object({
        elementId: z.string().meta({ example: 'await-payment' }),
        name: z.string().nullable().meta({ example: 'Await payment result' }),
        type: z.string().meta({ description: 'BPMN element type', example: 'eventBasedGateway' }),
        since: z.iso.datetime(),
      }),
    ),
    incidents: z.array(
      z.object({
        key: z.string(),
        elementId: z.string(),
        errorType: z.string().meta({ example: 'JOB_NO_RETRIES' }),
        errorMessage: z.string(),
        createdAt: z.iso.datetime(),
      }),
    ),
  })
  .meta({ id: 'ProcessView', description: "Where the order's process instance is now: the BPMN steps it waits at and its open incidents" });

export const Order = z
  .object({
    id: z.uuid(),
    customerId: z.string(),
    customerEmail: z.string().nullable(),
    status: OrderStatus,
    failureReason: z.string().nullable().meta({ description: 'Why the order failed or was cancelled' }),
    paymentMethod: z.string(),
    total: Money,
    breakdown: z
      .object({
        subtotalMinor: z.number().int().meta({ description: 'The lines: Σ unit price × quantity' }),
        shippingMinor: z.number().int().meta({ description: "The lines' freight, by each listing's rule" }),
        discountMinor: z.number().int().meta({ description: 'Taken off the total' }),
        totalMinor: z.number().int().meta({ description: 'subtotal + shipping - discount: what is charged' }),
        currency: z.string().meta({ example: 'EUR' }),
      })
      .meta({ description: 'What the total is made of (docs/catalogue.md, "Money")' }),
    customerLevel: z.string().nullable().meta({ description: 'The customer level whose prices the order got', example: 'regular' }),
    items: z.array(
      z.object({
        sku: Sku,
        quantity: z.number().int(),
        unitPriceMinor: z.number().int().meta({ description: "The listing's price for the customer's level when the order was placed" }),
        lineTotalMinor: z.number().int(),
        freightMinor: z.number().int(),
        listingId: z.uuid().nullable().meta({ description: 'The listing the line was priced from' }),
      }),
    ),
    reservations: z.array(z.object({ sku: Sku, warehouseId: WarehouseId, quantity: z.number().int(), state: z.enum(['RESERVED', 'RELEASED', 'COMMITTED']) })),
    payment: z
      .object({
        id: z.string().meta({ description: 'Our payment id: the idempotency key the provider sees, and the `paymentId` its webhook names' }),
        status: z.enum(['REQUESTED', 'APPROVED', 'DECLINED', 'VOIDED']),
        provider: z.string().meta({ example: 'sandbox' }),
        providerPaymentId: z.string().nullable(),
        amountMinor: z.number().int(),
        currency: z.string(),
        failureReason: z.string().nullable(),
        capturedMinor: z.number().int().meta({ description: 'Captured per shipment as it shipped' }),
        refundedMinor: z.number().int().meta({ description: 'Given back: captured money refunded and authorization released unused' }),
        updatedAt: z.iso.datetime(),
      })
      .nullable(),
    shipments: z
      .array(
        z.object({
          id: z.uuid(),
          businessId: z.string(),
          status: z.enum(['PENDING', 'SENT', 'ACCEPTED', 'DECLINED', 'SHIPPED', 'DELIVERED', 'CANCELLED']),
          amountMinor: z.number().int(),
          lines: z.array(z.object({ sku: Sku, quantity: z.number().int() })),
          tracking: z.object({ carrier: z.string(), trackingNumber: z.string(), trackingUrl: z.string().nullable() }).nullable(),
          declineReason: z.string().nullable(),
          capturedMinor: z.number().int(),
          refundedMinor: z.number().int(),
          deliveryConfirmedAt: z.iso.datetime().nullable(),
          fundsReleasedAt: z.iso.datetime().nullable(),
          history: z.array(z.object({ from: z.string().nullable(), to: z.string(), reason: z.string(), at: z.iso.datetime() })),
        }),
      )
      .meta({ description: 'One per business supplying the order, once it is paid (docs/fulfilment.md)' }),
    funds: z.array(z.object({ businessId: z.string(), owedMinor: z.number().int(), releasedMinor: z.number().int(), reversedMinor: z.number().int() })).meta({
      description:
        'What each business is owed for this order: held until released (delivery confirmed or the acceptance window passed), reversed when refunded',
    }),
    history: z.array(z.object({ from: OrderStatus.nullable(), to: OrderStatus, reason: z.string(), at: z.iso.datetime() })),
    processInstanceKey: z.string().nullable(),
    process: ProcessView.nullable().meta({ description: 'The BPMN step the order is at now; null before its process picked it up' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Order' });

export const OrderSummary = z
  .object({ id: z.uuid(), customerId: z.string(), status: OrderStatus, total: Money, createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() })
  .meta({ id: 'OrderSummary' });

export const OrderList = z
  .object({
    orders: z.array(OrderSummary),
    nextCursor: NextCursor,
  })
  .meta({ id: 'OrderList' });

export const ListOrdersQuery = listQuery({
  customerId: storableText()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .optional()
    .meta({ description: "Only this customer's orders" }),
  status: z
    .enum(ORDER_STATUSES, `must be one of ${ORDER_STATUSES.join(', ')}`)
    .optional()
    .meta({ description: 'Only orders in this status' }),
});

/** POST /orders/{id}/cancel takes no fields: an empty body or {}. */
export const CancelOrderBody = z.strictObject({});

export const CancelAccepted = z
  .object({
    id: z.uuid(),
    status: z.enum(['NEW', 'AWAITING_PAYMENT', 'FULFILLING']),
    cancellation: z.enum(['accepted', 'queued']).meta({
      description:
        "`accepted`: the running order took the request and is being cancelled now. `queued`: the order's process has not started yet; its first step takes the request.",
    }),
  })
  .meta({
    id: 'CancelAccepted',
    description:
      'The cancellation will be honoured: the order ends CANCELLED, its stock released and its payment voided (paid: every shipment stopped, its business told, its amount given back)',
  });

export const NotificationList = z
  .object({
    notifications: z.array(
      z.object({
        id: z.uuid(),
        kind: z.string().meta({
          description:
            'About the order: confirmed, payment-failed, cancelled or rejected; about one of its shipments: shipment-shipped, shipment-delivered or shipment-refunded',
          example: 'confirmed',
        }),
        shipmentId: z.uuid().nullable().meta({ description: 'The shipment a shipment-* notification is about; null for the others' }),
        channel: z.enum(['log', 'smtp']),
        recipient: z.string().nullable(),
        subject: z.string(),
        body: z.string(),
        status: z.enum(['PENDING', 'SENT', 'FAILED']),
        attempts: z.number().int(),
        lastError: z.string().nullable(),
        createdAt: z.iso.datetime(),
        sentAt: z.iso.datetime().nullable(),
      }),
    ),
    nextCursor: NextCursor,
  })
  .meta({
    id: 'NotificationList',
    description: 'Customer notifications recorded for the order (one per kind, and shipment), oldest first, with their delivery state; one page of them',
  });
export const ListNotificationsQuery = listQuery({});

// ---- payment webhooks -----------------------------------------------------

export const PaymentProviderParams = z.object({ provider: storableText().meta({ example: 'sandbox' }) });

export const WebhookAck = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().meta({ description: 'true when this provider event was recorded before (a replay changes nothing)' }),
  })
  .meta({ id: 'WebhookAck' });
