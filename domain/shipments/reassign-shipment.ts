// Ops give a shipment its business has not answered to another business (docs/fulfilment.md):
// the escalation of an unanswered shipment ends with "reassign it or cancel it, then retry
// this incident", and the retried task tells the old business to stop, then dispatches the
// PENDING shipment again, to its new business.
import type { PrismaClient } from '../../infra/database.js';
import { isUniqueViolation } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { ShipmentStatus } from './shipment-lifecycle.js';

/** A shipment may change business while its business has not answered. */
export const REASSIGNABLE: readonly ShipmentStatus[] = ['PENDING', 'SENT'];

export type Reassignment = { from: string; to: string; status: ShipmentStatus; orderId: string };

const alreadyInOrder = (orderId: string, businessId: string) =>
  new ConflictError('SHIPMENT_BUSINESS', `order ${orderId} already has a shipment of business ${businessId}`, 'businessId');

/**
 * Gives the shipment to `businessId` and puts it back to PENDING (a history row says who did it
 * and from which business), in one transaction that locks the order row first, then the
 * shipment. The same business changes nothing; a shipment its business answered is a
 * ConflictError naming `status`, a business the order already has a shipment of one naming `businessId`.
 */
export async function reassignShipment(prisma: PrismaClient, shipmentId: string, businessId: string, by: string): Promise<Reassignment> {
  if (!isUuid(shipmentId)) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  try {
    return await prisma.$transaction(async (tx) => {
      const [row] = await tx.$queryRaw<{ order_id: string }[]>`SELECT order_id::text FROM shipments WHERE id = ${shipmentId}::uuid`;
      if (!row) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
      const business = await tx.business.findUnique({ where: { id: businessId }, select: { id: true } });
      if (!business) throw new NotFoundError('business', businessId, 'businessId');
      await tx.$queryRaw`SELECT 1 FROM orders WHERE id = ${row.order_id}::uuid FOR UPDATE`;
      const [locked] = await tx.$queryRaw<{ status: ShipmentStatus; business_id: string }[]>`
        SELECT status::text, business_id FROM shipments WHERE id = ${shipmentId}::uuid FOR UPDATE`;
      const { status, business_id: from } = locked!;
      // A repeat (a lost answer, a second click): already there.
      if (from === businessId) return { from, to: businessId, status, orderId: row.order_id };
      if (!REASSIGNABLE.includes(status)) {
        throw new ConflictError(
          'SHIPMENT_STATUS',
          `shipment ${shipmentId} is ${status}: its business answered, it can no longer be reassigned (only ${REASSIGNABLE.join(' or ')})`,
          'status',
        );
      }
      const sibling = await tx.shipment.findUnique({ where: { orderId_businessId: { orderId: row.order_id, businessId } }, select: { id: true } });
      if (sibling) throw alreadyInOrder(row.order_id, businessId);
      await tx.shipment.update({ where: { id: shipmentId }, data: { businessId, previousBusinessId: from, status: 'PENDING' } });
      await tx.shipmentHistory.create({
        data: { shipmentId, fromStatus: status, toStatus: 'PENDING', reason: `reassigned from ${from} to ${businessId} by ${by}` },
      });
      return { from, to: businessId, status: 'PENDING' as const, orderId: row.order_id };
    });
  } catch (err) {
    // The unique (order_id, business_id), should another path add that business's shipment meanwhile.
    if (isUniqueViolation(err)) {
      const order = await prisma.shipment.findUnique({ where: { id: shipmentId }, select: { orderId: true } });
      throw alreadyInOrder(order?.orderId ?? 'of this shipment', businessId);
    }
    throw err;
  }
}
