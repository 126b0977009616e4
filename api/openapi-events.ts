// The OpenAPI entries of events out: webhook subscriptions (events:admin) and GET /events (see openapi.ts).
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';
import * as e from './event-schemas.js';

const SUBSCRIPTION_ID = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
const idParam = { name: 'id', in: 'path', required: true, description: 'Subscription id', schema: { type: 'string', format: 'uuid' } };

export function eventPaths({ json, problem, ok, list }: Helpers): Record<string, unknown> {
  const crossSite = problem('Sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`');
  const unknown = problem('No such subscription');
  const subscriptions = list(e.ListSubscriptionsQuery, '/admin/event-subscriptions');
  const deliveries = list(e.ListDeliveriesQuery, `/admin/event-subscriptions/${SUBSCRIPTION_ID}/deliveries`);
  const badBody = problem('Invalid body: a URL that is not http(s) or has credentials, an unknown event type, an unknown field (each named in `errors`)', {
    type: '/problems/validation-error',
    title: 'Your request is not valid',
    status: 400,
    detail: 'eventTypes[0]: must be one of order.created, order.awaiting_payment, order.paid, order.rejected, order.payment_failed, order.cancelled',
    instance: '/admin/event-subscriptions',
    errors: [
      {
        field: 'eventTypes[0]',
        message: 'must be one of order.created, order.awaiting_payment, order.paid, order.rejected, order.payment_failed, order.cancelled',
      },
    ],
  });
  return {
    '/admin/event-subscriptions': {
      post: {
        summary: 'Subscribe a webhook endpoint to events (events:admin)',
        description:
          'Events recorded from now on are POSTed to `url` as `{id, type, created, data}`, signed `Order-Saga-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` ' +
          'with the secret in this answer (shown only here). Retried with exponential back-off for up to EVENT_DELIVERY_RETRY_FOR (3 days); ' +
          "an order's events arrive in order. See /asyncapi.json and docs/events.md.",
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: json(e.CreateSubscriptionBody, 'input'),
              example: { url: 'https://shop.example/webhooks/order-saga', eventTypes: ['order.paid', 'order.cancelled'], description: 'shop backend' },
            },
          },
        },
        responses: {
          201: ok(e.CreatedSubscription, 'Subscribed; keep the secret'),
          400: badBody,
          403: crossSite,
          415: problem('Body is not JSON'),
        },
      },
      get: {
        summary: 'Event subscriptions, newest first (events:admin)',
        description: subscriptions.description,
        parameters: subscriptions.parameters,
        responses: { 200: ok(e.SubscriptionList, 'One page of subscriptions'), 400: subscriptions.badRequest },
      },
    },
    '/admin/event-subscriptions/{id}': {
      get: {
        summary: 'One subscription with its delivery counts (events:admin)',
        parameters: [idParam],
        responses: { 200: ok(e.SubscriptionDetail), 404: unknown },
      },
      patch: {
        summary: 'Change a subscription: url, event types, description, enabled (events:admin)',
        description:
          'Enabling a disabled subscription starts it afresh: it receives the events recorded from then on (those of the pause are in GET /events) ' +
          'and its undelivered ones are tried again at once.',
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: json(e.UpdateSubscriptionBody, 'input'), example: { enabled: true } } } },
        responses: { 200: ok(e.Subscription), 400: badBody, 403: crossSite, 404: unknown, 415: problem('Body is not JSON') },
      },
      delete: {
        summary: 'Delete a subscription and its delivery log (events:admin)',
        parameters: [idParam],
        responses: { 204: { description: 'Deleted' }, 403: crossSite, 404: unknown },
      },
    },
    '/admin/event-subscriptions/{id}/rotate-secret': {
      post: {
        summary: 'Roll the signing secret; the new one is in this answer only (events:admin)',
        description:
          'A new secret signs every delivery from now on. The current one goes on signing next to it for `previousSecretValidFor` (default PT24H, ' +
          'at most P7D; PT0S: it stops at once): `Order-Saga-Signature: t=<unix>,v1=<with the new>,v1=<with the old>`, so the subscriber can deploy ' +
          'the new secret without refusing a delivery. Rolling again during the overlap replaces the previous secret with the then-current one. No body is needed.',
        parameters: [idParam],
        requestBody: {
          required: false,
          content: { 'application/json': { schema: json(e.RotateSecretBody, 'input'), example: { previousSecretValidFor: 'PT24H' } } },
        },
        responses: {
          200: ok(e.RotatedSubscription, 'Rolled; keep the new secret'),
          400: problem('Bad `previousSecretValidFor` (an ISO 8601 duration from PT0S to P7D), or an unknown field'),
          403: crossSite,
          404: unknown,
          415: problem('A body that is not JSON'),
        },
      },
    },
    '/admin/event-subscriptions/{id}/deliveries': {
      get: {
        summary: "A subscription's delivery log, newest event first (events:admin)",
        description: `Each delivery with its attempts (status code, latency, error) and next attempt. ${deliveries.description}`,
        parameters: [idParam, ...deliveries.parameters],
        responses: { 200: ok(e.DeliveryList, 'One page of deliveries'), 400: deliveries.badRequest, 404: unknown },
      },
    },
    '/admin/event-subscriptions/{id}/deliveries/{deliveryId}/replay': {
      post: {
        summary: 'Send a delivery again (events:admin)',
        description:
          'Due at once, with the same event id; retried for another EVENT_DELIVERY_RETRY_FOR if it fails. ' +
          'Later events of the same order wait for it, so the subscriber still sees them in order. No body is needed.',
        parameters: [idParam, { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { 202: ok(e.Delivery, 'Queued for delivery'), 403: crossSite, 404: problem('No such subscription or delivery') },
      },
    },
    '/events': {
      get: {
        summary: 'The event stream, oldest first (admin for now)',
        description:
          'The events the webhooks deliver, for a poller: pass `nextCursor` back as `after`. An event is listed once every transaction that could ' +
          'precede it has ended, so a poller that moved on never misses one. The JSON Schema of each event is in /asyncapi.json.',
        parameters: [
          { name: 'after', in: 'query', required: false, description: 'nextCursor of the previous page', schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, description: 'Page size, 1–100 (default 20)', schema: { type: 'integer', minimum: 1, maximum: 100 } },
        ],
        responses: { 200: ok(e.EventPage, 'One page of events'), 400: problem('Bad limit or cursor, or an unknown query parameter') },
      },
    },
  };
}
