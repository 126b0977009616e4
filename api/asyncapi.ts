// The AsyncAPI 3.0 document of the events this service sends (GET /asyncapi.json), next
// to the OpenAPI one: the webhook each subscription receives and the GET /events stream,
// with the JSON Schema of every event built from the same zod schemas the tests check.
import { z } from 'zod';
import { EVENT_TYPES } from '../domain/events/event-types.js';
import { EVENT_SCHEMAS } from './event-schemas.js';

type JsonSchema = Record<string, unknown>;

/** Points draft-07 `#/definitions/X` references at the document's `#/components/schemas/X`. */
function retarget(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(retarget);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/definitions\//, '#/components/schemas/') : retarget(v)]),
  );
}

/** Every event's JSON Schema (draft-07, AsyncAPI's default schema format), keyed by component name. */
export function eventJsonSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const schema of Object.values(EVENT_SCHEMAS)) {
    const { definitions } = z.toJSONSchema(schema, { target: 'draft-7', unrepresentable: 'any' }) as { definitions?: Record<string, JsonSchema> };
    for (const [id, def] of Object.entries(definitions ?? {})) out[id] ??= retarget(def) as JsonSchema;
  }
  return out;
}

const messageName = (type: string) => type.replace('.', '_');

const SIGNATURE = {
  type: 'string',
  pattern: '^t=\\d+(,v1=[0-9a-f]{64}){1,2}$',
  description:
    't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the subscription secret; while a rotated secret is still valid, a second v1 with the previous one (accept if any matches); reject a t more than 5 minutes away from now',
  examples: ['t=1795342502,v1=5f0c6a2d0e7b4f3c9a1d8e6b2c4f7a9e0d3b5c8a1f4e7d0c2b6a9e3f5d8c1b4a'],
};

export function asyncApiDocument(version: string) {
  const messages = Object.fromEntries(
    EVENT_TYPES.map((type) => [
      messageName(type),
      {
        name: type,
        title: type,
        summary: (EVENT_SCHEMAS[type].meta() as { description?: string } | undefined)?.description ?? type,
        contentType: 'application/json',
        headers: { type: 'object', properties: { 'Order-Saga-Signature': SIGNATURE }, required: ['Order-Saga-Signature'] },
        payload: { $ref: `#/components/schemas/Event_${messageName(type)}` },
        bindings: { http: { bindingVersion: '0.3.0' } },
      },
    ]),
  );
  const messageRefs = (channel: string) => EVENT_TYPES.map((type) => ({ $ref: `#/channels/${channel}/messages/${messageName(type)}` }));
  const channelMessages = Object.fromEntries(EVENT_TYPES.map((type) => [messageName(type), { $ref: `#/components/messages/${messageName(type)}` }]));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'order-saga events',
      version,
      description:
        'Order events, written in the same transaction as the change they tell of (a transactional outbox). ' +
        'Delivered to webhook subscriptions (POST /admin/event-subscriptions) as signed JSON POSTs, retried with exponential back-off ' +
        'for up to three days, in order per order; and readable as a stream with GET /events?after=<cursor>. See docs/events.md.',
    },
    defaultContentType: 'application/json',
    channels: {
      webhook: {
        address: '{subscriptionUrl}',
        title: "A subscription's endpoint",
        description: 'Each event the subscription asked for is POSTed here. Answer 2xx within EVENT_DELIVERY_TIMEOUT (10 s); anything else is retried.',
        parameters: { subscriptionUrl: { description: 'The url of the subscription' } },
        messages: channelMessages,
      },
      eventStream: {
        address: '/events',
        title: 'GET /events (admin)',
        description: 'The same events, oldest first: pass nextCursor back as `after`.',
        messages: channelMessages,
      },
    },
    operations: {
      deliverEvent: {
        action: 'send',
        channel: { $ref: '#/channels/webhook' },
        summary: 'Deliver one event to a subscription',
        bindings: { http: { method: 'POST', bindingVersion: '0.3.0' } },
        messages: messageRefs('webhook'),
      },
      pollEvents: {
        action: 'send',
        channel: { $ref: '#/channels/eventStream' },
        summary: 'The event stream a poller reads with GET /events',
        messages: messageRefs('eventStream'),
      },
    },
    components: { messages, schemas: eventJsonSchemas() },
  };
}
