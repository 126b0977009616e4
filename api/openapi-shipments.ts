// The OpenAPI entries of a business's answers for its shipments (api/routes/shipment-answers.ts;
// see openapi.ts): the signed JSON events, and the one-click page of the dispatch e-mail's links.
import { z } from 'zod';
import { SHIPMENT_STATUSES } from '../domain/shipments/shipment-lifecycle.js';
import { BusinessAnswer } from '../domain/shipments/business-answers.js';
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';
import { AnswerLinkQuery, BUSINESS_SIGNATURE_HEADER } from './routes/shipment-answers.js';

const BUSINESS_ID = 'acme-supplies';
const SHIPMENT_ID = '3f6b1c2d-9a4e-4b7f-8c1d-2e5a6b7c8d90';
const EVENTS = `/businesses/${BUSINESS_ID}/shipments/${SHIPMENT_ID}/events`;

/** What a recorded answer (or a repeated one) answers. */
export const ShipmentAnswerAck = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().describe('true when this event id was recorded before: nothing changed, the same messages were published again'),
    shipmentStatus: z.enum(SHIPMENT_STATUSES).describe('The shipment after the answer (after the first one, for a duplicate)'),
  })
  .meta({ id: 'ShipmentAnswerAck' });

const ShipmentAnswer = BusinessAnswer.meta({
  id: 'ShipmentAnswer',
  description:
    "One answer of a business about its shipment, by `type`. `id` is the business's event id: each is recorded once per business. " +
    'An answer that comes early implies the steps before it (`delivered` on a shipment only sent: accepted, shipped, delivered).',
});

const problemOf = (status: number, slug: string, title: string, detail: string, instance: string, field: string, message: string) => ({
  type: `/problems/${slug}`,
  title,
  status,
  detail,
  instance,
  errors: [{ field, message }],
});

export function shipmentAnswerPaths({ json, problem, ok }: Helpers): Record<string, unknown> {
  const params = [
    {
      name: 'businessId',
      in: 'path',
      required: true,
      description: 'The business that answers (its slug)',
      schema: { type: 'string' },
      example: BUSINESS_ID,
    },
    {
      name: 'shipmentId',
      in: 'path',
      required: true,
      description: "One of the business's shipments (a UUID; another business's, or any other text, is 404)",
      schema: { type: 'string', format: 'uuid' },
      example: SHIPMENT_ID,
    },
  ];
  const linkParams = [
    ...params,
    ...Object.entries((json(AnswerLinkQuery, 'input') as { properties: Record<string, Record<string, unknown>> }).properties).map(([name, schema]) => ({
      name,
      in: 'query',
      required: true,
      schema,
    })),
  ];
  const unknownShipment = problem(
    "No such business, or a shipment that is not this business's",
    problemOf(404, 'not-found', 'No such shipment', `shipment ${SHIPMENT_ID} does not exist`, EVENTS, 'shipmentId', `shipment ${SHIPMENT_ID} does not exist`),
  );
  const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
  const linkResponses = {
    400: problem('A query parameter missing or malformed (`action`, `expires`, `sig`), each named in `errors`'),
    401: problem(
      'A link we did not send, or one changed since (`unauthorized`, naming `sig`): nothing was recorded',
      problemOf(
        401,
        'unauthorized',
        'Unauthorized',
        'the link is not one we sent: nothing was recorded',
        `/businesses/${BUSINESS_ID}/shipments/${SHIPMENT_ID}/answer`,
        'sig',
        'does not match the link',
      ),
    ),
    404: unknownShipment,
    410: problem('The link has expired (`link-expired`, naming `expires`): ask for a reminder or answer through the API'),
  };
  return {
    '/businesses/{businessId}/shipments/{shipmentId}/events': {
      post: {
        summary: 'A business answers for its shipment: accepted, declined, shipped, delivered',
        description:
          `Authenticated by the signature of the raw body: \`${BUSINESS_SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">\` ` +
          "under the business's secret, within 5 minutes; or by the business's own API key with `shipments:write`, or an ops key (the manual dispatcher). " +
          'Each event id is recorded once and becomes the message the shipment process waits for; a repeat answers `duplicate: true` and changes nothing. ' +
          'An early answer implies the steps before it; an answer the shipment can no longer take (declined after shipped) is 409 naming `type`.',
        parameters: [
          ...params,
          {
            name: BUSINESS_SIGNATURE_HEADER,
            in: 'header',
            required: false,
            description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody" under the business secret>; without it, an API key',
            schema: { type: 'string', pattern: '^t=\\d+,v1=[0-9a-f]{64}$' },
            example: 't=1795342502,v1=5f0c6a2d0e7b4f3c9a1d8e6b2c4f7a9e0d3b5c8a1f4e7d0c2b6a9e3f5d8c1b4a',
          },
        ],
        requestBody: {
          required: true,
          description: 'The answer, exactly as signed (the signature covers the raw bytes)',
          content: {
            'application/json': {
              schema: json(ShipmentAnswer, 'input'),
              examples: {
                accepted: { summary: 'Accepted', value: { id: 'evt-1001', type: 'accepted' } },
                declined: { summary: 'Declined', value: { id: 'evt-1002', type: 'declined', reason: 'out of stock' } },
                shipped: {
                  summary: 'Shipped, with tracking',
                  value: {
                    id: 'evt-1003',
                    type: 'shipped',
                    carrier: 'DHL',
                    trackingNumber: '00340434161234567890',
                    trackingUrl: 'https://track.example/00340434161234567890',
                  },
                },
                delivered: { summary: 'Delivered', value: { id: 'evt-1004', type: 'delivered' } },
              },
            },
          },
        },
        responses: {
          200: ok(ShipmentAnswerAck, 'Recorded (or recorded before)', { received: true, duplicate: false, shipmentStatus: 'ACCEPTED' }),
          400: problem(
            'Body not JSON or not UTF-8, or not an answer, each field named in `errors`: an unknown `type`, `declined` without `reason`, a `trackingUrl` that is not http(s), a NUL',
            problemOf(
              400,
              'validation-error',
              'Your request is not valid',
              'reason: Invalid input: expected string, received undefined',
              EVENTS,
              'reason',
              'Invalid input: expected string, received undefined',
            ),
          ),
          404: unknownShipment,
          409: problem(
            'An answer the shipment can no longer take (declined after shipped), naming `type`',
            problemOf(
              409,
              'conflict',
              'The request conflicts with the current state',
              `shipment ${SHIPMENT_ID} is SHIPPED and cannot become DECLINED`,
              EVENTS,
              'type',
              `shipment ${SHIPMENT_ID} is SHIPPED and cannot become DECLINED`,
            ),
          ),
          413: problem('Body too large'),
          415: problem('A Content-Encoding other than identity, gzip or deflate'),
        },
      },
    },
    '/businesses/{businessId}/shipments/{shipmentId}/answer': {
      get: {
        summary: "The page a dispatch e-mail's link opens: one button, nothing changes yet",
        description: 'A link scanner opening the link changes nothing: only the button (a POST to the same address) answers.',
        parameters: linkParams,
        responses: { 200: html('A page with one button (and a reason field for a decline)'), ...linkResponses },
      },
      post: {
        summary: "The button of an e-mail link's page: accepts or declines the shipment",
        description: 'Once per shipment and action: a second click answers the same, and records nothing more.',
        parameters: linkParams,
        requestBody: {
          required: false,
          content: { 'application/x-www-form-urlencoded': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } } } },
        },
        responses: {
          200: html('Recorded: the page says what the shipment is now'),
          ...linkResponses,
          400: problem('A query parameter missing or malformed, a body not UTF-8, a reason too long or with a NUL'),
          409: problem('An answer the shipment can no longer take (declined after shipped), naming `type`'),
        },
      },
    },
  };
}
