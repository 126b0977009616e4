// The OpenAPI entries of the ops API's shipment routes (api/routes/ops-shipments.ts; see
// openapi.ts): approve, reassign, cancel a shipment, and the list of shipments.
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';
import * as o from './ops-shipment-schemas.js';

const ID = o.SHIPMENT_ID_EXAMPLE;

const conflict = (path: string, field: string, detail: string) => ({
  type: '/problems/shipment-status',
  title: 'The request conflicts with the current state',
  status: 409,
  detail,
  instance: path,
  errors: [{ field, message: detail }],
});

export function opsShipmentPaths({ json, problem, ok, list }: Helpers): Record<string, unknown> {
  const shipments = list(o.ListShipmentsQuery, '/ops/api/shipments');
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'The shipment (a UUID; any other text is 404)',
    schema: { type: 'string', format: 'uuid' },
    example: ID,
  };
  const unknownShipment = problem('No such shipment (`shipmentId`)', {
    type: '/problems/not-found',
    title: 'No such shipment',
    status: 404,
    detail: `shipment ${ID} does not exist`,
    instance: `/ops/api/shipments/${ID}/approve`,
    errors: [{ field: 'shipmentId', message: `shipment ${ID} does not exist` }],
  });
  const crossSite = 'sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`';
  const body = (schema: Parameters<Helpers['json']>[0], example: unknown, required: boolean) => ({
    required,
    content: { 'application/json': { schema: json(schema, 'input'), example } },
  });
  return {
    '/ops/api/shipments': {
      get: {
        summary: 'Shipments, newest first, by status and business: find the ones waiting for ops (admin)',
        description:
          `${shipments.description}\n\n` +
          '`status=PENDING`: the shipments held for approval, and those whose business has not answered (to reassign or cancel).',
        parameters: shipments.parameters,
        responses: {
          200: ok(o.OpsShipmentList, 'One page of shipments', {
            shipments: [
              {
                id: ID,
                orderId: '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10',
                businessId: 'acme-supplies',
                status: 'PENDING',
                amountMinor: 3000,
                currency: 'EUR',
                createdAt: '2026-12-03T10:00:00.000Z',
                updatedAt: '2026-12-03T10:00:00.000Z',
              },
            ],
            nextCursor: null,
          }),
          400: shipments.badRequest,
        },
      },
    },
    '/ops/api/shipments/{id}/approve': {
      post: {
        summary: 'Approve a shipment the routing rule held for approval: its process dispatches it (admin)',
        description:
          'Publishes the message `shipment-approved` its process waits for (correlation key: the shipment id, message id `<id>:shipment-approved`). Repeating it publishes the same message again, which the engine keeps once while it waits. No body is needed.',
        parameters: [idParam],
        requestBody: body(o.ApproveShipmentBody, {}, false),
        responses: {
          202: ok(o.ShipmentApproved, 'Approved: the message is published', { id: ID, approved: true }),
          400: problem('A body with fields'),
          403: problem(crossSite),
          404: unknownShipment,
          409: problem(
            'The shipment is past PENDING (already dispatched, answered or cancelled), naming `status`',
            conflict(`/ops/api/shipments/${ID}/approve`, 'status', `shipment ${ID} is SENT: only a PENDING shipment waits for approval`),
          ),
        },
      },
    },
    '/ops/api/shipments/{id}/reassign': {
      post: {
        summary: 'Give a shipment its business has not answered to another business (admin)',
        description:
          'Allowed while the shipment is PENDING or SENT: it gets the new business and becomes PENDING again, with a step in its history naming both businesses and who did it. ' +
          'Retrying the escalation incident then dispatches it to the new business. The business it already has changes nothing.',
        parameters: [idParam],
        requestBody: body(o.ReassignShipmentBody, { businessId: 'northwind-traders' }, true),
        responses: {
          200: ok(o.ShipmentReassigned, 'Reassigned (or already with this business)', {
            id: ID,
            from: 'acme-supplies',
            to: 'northwind-traders',
            status: 'PENDING',
          }),
          400: problem('Invalid body: `businessId` missing or not a slug, an unknown field'),
          403: problem(crossSite),
          404: problem('No such shipment (`shipmentId`) or business (`businessId`)'),
          409: problem(
            'Its business answered (ACCEPTED, SHIPPED, DELIVERED, DECLINED, CANCELLED), naming `status`; or the order already has a shipment of that business, naming `businessId`',
            conflict(
              `/ops/api/shipments/${ID}/reassign`,
              'status',
              `shipment ${ID} is ACCEPTED: its business answered, it can no longer be reassigned (only PENDING or SENT)`,
            ),
          ),
          413: problem('Body too large'),
          415: problem('Body is not JSON'),
        },
      },
    },
    '/ops/api/shipments/{id}/cancel': {
      post: {
        summary: 'Cancel a shipment before it shipped (admin)',
        description:
          'The shipment becomes CANCELLED, with a step in its history naming who and why, and the order follows its shipments. ' +
          'Retrying the escalation incident then handles it as declined: its units back on hand, its amount refunded. Cancelling it again changes nothing.',
        parameters: [idParam],
        requestBody: body(o.CancelShipmentBody, { reason: 'the business does not answer' }, false),
        responses: {
          200: ok(o.ShipmentCancelled, 'Cancelled (or cancelled before)', { id: ID, status: 'CANCELLED' }),
          400: problem('Invalid body: `reason` empty, longer than 500 characters or with a NUL, an unknown field'),
          403: problem(crossSite),
          404: unknownShipment,
          409: problem(
            'The shipment shipped, was delivered or declined, naming `status`',
            conflict(`/ops/api/shipments/${ID}/cancel`, 'status', `shipment ${ID} is SHIPPED and cannot become CANCELLED`),
          ),
          413: problem('Body too large'),
        },
      },
    },
  };
}
