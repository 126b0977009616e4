// Ops cancel a shipment before it shipped (docs/fulfilment.md): the escalation of an unanswered
// shipment ends with "reassign it or cancel it, then retry this incident", and the retried
// task handles a CANCELLED shipment as declined (units back on hand, its amount refunded).
import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { moveShipmentIn } from './move-shipment.js';
import type { ShipmentStatus } from './shipment-lifecycle.js';

export type Cancellation = { from: ShipmentStatus; orderId: string; changed: boolean };

/**
 * Moves the shipment to CANCELLED with a history row naming who and why, and the order follows
 * its shipments, in one transaction (moveShipmentIn: the order row locked first). Already
 * CANCELLED changes nothing; a shipment shipped, delivered or declined is a ConflictError naming `status`.
 */
export async function cancelShipment(prisma: PrismaClient, shipmentId: string, reason: string, by: string): Promise<Cancellation> {
  if (!isUuid(shipmentId)) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  try {
    const move = await prisma.$transaction((tx) => moveShipmentIn(tx, shipmentId, 'CANCELLED', `cancelled by ${by}: ${reason}`));
    return { from: move.from, orderId: move.orderId, changed: move.steps.length > 0 };
  } catch (err) {
    // moveShipmentIn names `type` (a business's answer); here the shipment's status is what stands in the way.
    if (err instanceof ConflictError && err.field !== 'status') throw new ConflictError(err.code, err.message, 'status');
    throw err;
  }
}
