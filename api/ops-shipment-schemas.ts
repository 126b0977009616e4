// Shapes of the ops API's shipment routes (api/routes/ops-shipments.ts): approve, reassign,
// cancel one shipment, and the list ops find the waiting ones in. Published in /openapi.json.
import { z } from 'zod';
import { SHIPMENT_STATUSES } from '../domain/shipments/shipment-lifecycle.js';
import { storableText } from '../domain/storable.js';
import { BusinessId } from './business-schemas.js';
import { listQuery, NextCursor } from './schemas.js';

const SHIPMENT_ID_EXAMPLE = '3f6b1c2d-9a4e-4b7f-8c1d-2e5a6b7c8d90';
const Timestamp = z.string().meta({ format: 'date-time', example: '2026-12-03T10:00:00.000Z' });

/** The shipment in the path: any text that is not one of ours (a UUID) is simply not found. */
export const OpsShipmentParams = z.object({ id: storableText() });

const ShipmentStatus = z.enum(SHIPMENT_STATUSES, `must be one of ${SHIPMENT_STATUSES.join(', ')}`);

/** POST /ops/api/shipments/{id}/approve takes no fields: no body, or {}. */
export const ApproveShipmentBody = z.strictObject({});

export const ReassignShipmentBody = z
  .strictObject({ businessId: BusinessId.meta({ description: 'The business that fulfils the shipment from now on', example: 'northwind-traders' }) })
  .meta({ id: 'ReassignShipment' });

export const CancelShipmentBody = z
  .strictObject({
    reason: storableText().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional().meta({
      description: "Why, for the shipment's history (default: no reason given)",
      example: 'the business does not answer; no other business stocks it',
    }),
  })
  .meta({ id: 'CancelShipment' });

export const ListShipmentsQuery = listQuery({
  status: ShipmentStatus.optional().meta({ description: 'Only shipments in this status (PENDING: waiting for approval, or for their business)' }),
  businessId: BusinessId.optional().meta({ description: "Only this business's shipments" }),
});

export const ShipmentApproved = z.object({ id: z.uuid(), approved: z.literal(true) }).meta({ id: 'ShipmentApproved' });

export const ShipmentReassigned = z
  .object({
    id: z.uuid(),
    from: z.string().meta({ description: 'The business it had', example: 'acme-supplies' }),
    to: z.string().meta({ description: 'The business it has now', example: 'northwind-traders' }),
    status: ShipmentStatus.meta({ description: 'PENDING after a reassignment; as it was when the business was already this one' }),
  })
  .meta({ id: 'ShipmentReassigned' });

export const ShipmentCancelled = z.object({ id: z.uuid(), status: z.literal('CANCELLED') }).meta({ id: 'ShipmentCancelled' });

export const OpsShipment = z
  .object({
    id: z.uuid().meta({ example: SHIPMENT_ID_EXAMPLE }),
    orderId: z.uuid(),
    businessId: z.string().meta({ example: 'acme-supplies' }),
    status: ShipmentStatus,
    amountMinor: z.number().int().meta({ description: "The shipment's share of the order, in minor units", example: 3000 }),
    currency: z.string().meta({ example: 'EUR' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'OpsShipment' });

export const OpsShipmentList = z
  .object({ shipments: z.array(OpsShipment).meta({ description: 'Newest first (created_at, then id)' }), nextCursor: NextCursor })
  .meta({ id: 'OpsShipmentList' });

export { SHIPMENT_ID_EXAMPLE };
