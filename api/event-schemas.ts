// Events out: the admin API's request and response shapes for webhook subscriptions,
// GET /events, and the JSON Schema of every event (published in /openapi.json and
// /asyncapi.json from these same definitions).
import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events/event-types.js';
import { MAX_URL_LENGTH, subscriptionUrlProblem } from '../domain/events/subscription-url.js';
import { ORDER_STATUSES } from '../domain/orders/lifecycle.js';
import { storableText } from '../domain/storable.js';
import { addDuration, MS_PER_DAY } from '../infra/iso-duration.js';
import { listQuery, NextCursor, PageLimit } from './schemas.js';

const text = (max: number) => storableText('must be a string').max(max, `must be at most ${max} characters`);

export const EventTypeName = z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }).meta({ id: 'EventType', example: 'order.paid' });

const SubscriptionUrl = text(MAX_URL_LENGTH)
  .superRefine((url, ctx) => {
    const problem = subscriptionUrlProblem(url);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description:
      'Where events are POSTed: http(s), no credentials; with EVENT_SUBSCRIPTION_ALLOW_PRIVATE=false (production) only to public addresses (docs/events.md)',
    example: 'https://shop.example/webhooks/order-saga',
  });

const EventTypes = z
  .array(EventTypeName, 'must be an array of event types')
  .min(1, 'must name at least one event type')
  .max(EVENT_TYPES.length * 2, 'has too many entries')
  .meta({ description: 'The event types to receive' });

const Description = text(500).meta({ description: 'What this subscription is for', example: 'shop backend' });

export const CreateSubscriptionBody = z
  .strictObject({ url: SubscriptionUrl, eventTypes: EventTypes, description: Description.optional() })
  .meta({ id: 'CreateEventSubscription' });

export const UpdateSubscriptionBody = z
  .strictObject({
    url: SubscriptionUrl.optional(),
    eventTypes: EventTypes.optional(),
    description: Description.optional(),
    enabled: z
      .boolean('must be true or false')
      .optional()
      .meta({ description: 'false pauses deliveries; true starts them again (from the events recorded from then on)' }),
  })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .meta({ id: 'UpdateEventSubscription' });

/** How long a rolled secret may go on signing: up to a week, as Stripe allows. */
const MAX_PREVIOUS_SECRET_VALID_FOR_MS = 7 * MS_PER_DAY;
const PREVIOUS_SECRET_VALID_FOR = 'must be an ISO 8601 duration from PT0S to P7D, such as PT24H';

export const RotateSecretBody = z
  .strictObject({
    previousSecretValidFor: z
      .string(PREVIOUS_SECRET_VALID_FOR)
      .default('PT24H')
      .transform((iso, ctx) => {
        let ms = NaN;
        try {
          ms = addDuration(new Date(0), iso).getTime();
        } catch {
          // not a duration: reported below
        }
        if (ms >= 0 && ms <= MAX_PREVIOUS_SECRET_VALID_FOR_MS) return ms;
        ctx.addIssue({ code: 'custom', message: `${PREVIOUS_SECRET_VALID_FOR} (got ${JSON.stringify(iso)})` });
        return z.NEVER;
      })
      .meta({
        description: 'How long the current secret goes on signing next to the new one (a second v1); PT0S: it stops at once',
        example: 'PT24H',
      }),
  })
  .meta({ id: 'RotateEventSubscriptionSecret' });

export const SubscriptionParams = z.object({ id: storableText() });
export const DeliveryParams = z.object({ id: storableText(), deliveryId: storableText() });
export const ListSubscriptionsQuery = listQuery({});
export const ListDeliveriesQuery = listQuery({});

export const EventsQuery = z.strictObject({
  after: storableText()
    .min(1, 'must not be empty')
    .max(200, 'is not a cursor this API handed out')
    .optional()
    .meta({ description: 'nextCursor of the previous page; absent: from the oldest event' }),
  limit: PageLimit,
});

const Timestamp = z.string().meta({ format: 'date-time' });

export const Subscription = z
  .object({
    id: z.uuid(),
    url: z.string(),
    eventTypes: z.array(EventTypeName),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable().meta({ description: 'Why it was disabled: failing since when, and the last error; or by an administrator' }),
    disabledAt: Timestamp.nullable(),
    failingSince: Timestamp.nullable().meta({ description: 'First failed attempt since the last success; null while it succeeds' }),
    previousSecretExpiresAt: Timestamp.nullable().meta({
      description: 'Until when deliveries are also signed with the secret the last rotation replaced; null when only the current secret signs',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'EventSubscription' });

export const CreatedSubscription = Subscription.extend({
  secret: z.string().meta({ description: 'The signing secret (whsec_…). Shown only in this answer: keep it.', example: 'whsec_3q2-7wHn…' }),
}).meta({ id: 'CreatedEventSubscription' });

export const RotatedSubscription = Subscription.extend({
  secret: z.string().meta({ description: 'The new signing secret (whsec_…). Shown only in this answer: keep it.', example: 'whsec_9xQ4-vLm…' }),
}).meta({ id: 'RotatedEventSubscription' });

export const SubscriptionDetail = Subscription.extend({
  deliveries: z.object({
    pending: z.number().int(),
    delivered: z.number().int(),
    failed: z.number().int().meta({ description: 'Given up after the retry time (EVENT_DELIVERY_RETRY_FOR)' }),
    lastDeliveredAt: Timestamp.nullable(),
  }),
}).meta({ id: 'EventSubscriptionDetail' });

export const SubscriptionList = z.object({ subscriptions: z.array(Subscription), nextCursor: NextCursor }).meta({ id: 'EventSubscriptionList' });

export const Delivery = z
  .object({
    id: z.uuid(),
    eventId: z.string(),
    eventType: EventTypeName,
    orderId: z.uuid(),
    status: z.enum(['PENDING', 'DELIVERED', 'FAILED']),
    attempts: z.number().int(),
    nextAttemptAt: Timestamp.nullable().meta({ description: 'When it is tried next (PENDING only)' }),
    giveUpAt: Timestamp.meta({ description: 'No attempt after this: it then ends FAILED' }),
    lastStatusCode: z.number().int().nullable(),
    lastLatencyMs: z.number().int().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: Timestamp.nullable(),
    createdAt: Timestamp,
    attemptLog: z.array(
      z.object({
        attempt: z.number().int(),
        at: Timestamp,
        statusCode: z.number().int().nullable(),
        latencyMs: z.number().int(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'EventDelivery' });

export const DeliveryList = z.object({ deliveries: z.array(Delivery), nextCursor: NextCursor }).meta({ id: 'EventDeliveryList' });

// ---- the events themselves ----------------------------------------------------

const Status = z.enum(ORDER_STATUSES);

// Loose: a subscriber must accept fields added later.
export const OrderEventData = z
  .looseObject({
    orderId: z.uuid(),
    customerId: z.string(),
    status: Status.meta({ description: 'The status the order reached' }),
    previousStatus: Status.nullable().meta({ description: 'null on order.created' }),
    reason: z.string().meta({ description: 'Why, as kept in the order history', example: 'payment approved by sandbox' }),
    total: z.object({ amountMinor: z.number().int(), currency: z.string().length(3) }),
    items: z
      .array(z.object({ sku: z.string(), quantity: z.number().int().min(1), unitPriceMinor: z.number().int().min(0) }))
      .optional()
      .meta({ description: 'order.created only' }),
  })
  .meta({ id: 'OrderEventData', description: 'The order as the change left it' });

/** The envelope of one event type: `data` is the same for every order event. */
const envelope = (type: (typeof EVENT_TYPES)[number], status: string) =>
  z
    .looseObject({
      id: z
        .string()
        .regex(/^evt_[0-9a-f]{24}$/)
        .meta({ description: 'Unique; the same on every delivery attempt: deduplicate on it', example: 'evt_5f0c6a2d0e7b4f3c9a1d8e6b' }),
      type: z.literal(type),
      created: z.number().int().meta({ description: 'When the change was committed, Unix seconds' }),
      data: OrderEventData,
    })
    .meta({ id: `Event_${type.replace('.', '_')}`, description: `The order reached ${status}` });

export const EVENT_SCHEMAS = {
  'order.created': envelope('order.created', 'NEW: it was placed'),
  'order.awaiting_payment': envelope('order.awaiting_payment', 'AWAITING_PAYMENT: its stock is reserved and its payment requested'),
  'order.paid': envelope('order.paid', 'PAID: payment approved, stock committed'),
  'order.fulfilling': envelope('order.fulfilling', 'FULFILLING: its shipments went to the businesses that supply them'),
  'order.partially_shipped': envelope('order.partially_shipped', 'PARTIALLY_SHIPPED: some of its shipments have shipped'),
  'order.shipped': envelope('order.shipped', 'SHIPPED: every shipment still on its way has shipped'),
  'order.delivered': envelope('order.delivered', 'DELIVERED: every shipment still on its way was delivered'),
  'order.completed': envelope('order.completed', "COMPLETED: delivered and the businesses' funds released (final)"),
  'order.rejected': envelope('order.rejected', 'REJECTED: out of stock (final)'),
  'order.payment_failed': envelope('order.payment_failed', 'PAYMENT_FAILED: the payment was declined (final)'),
  'order.cancelled': envelope(
    'order.cancelled',
    'CANCELLED: by the customer, the payment timeout, or every shipment declined; refunded when it was paid (final)',
  ),
} as const satisfies Record<(typeof EVENT_TYPES)[number], z.ZodType>;

const e = EVENT_SCHEMAS;
export const Event = z
  .discriminatedUnion('type', [
    e['order.created'],
    e['order.awaiting_payment'],
    e['order.paid'],
    e['order.fulfilling'],
    e['order.partially_shipped'],
    e['order.shipped'],
    e['order.delivered'],
    e['order.completed'],
    e['order.rejected'],
    e['order.payment_failed'],
    e['order.cancelled'],
  ])
  .meta({ id: 'Event' });

export const EventPage = z
  .object({
    events: z.array(Event),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as `after` to continue; the same `after` when nothing is new yet; null only while the stream is empty' }),
  })
  .meta({ id: 'EventPage' });
