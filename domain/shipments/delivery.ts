import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { moveShipmentIn } from './move-shipment.js';

/** No delivery report within the configured time after shipping: the shipment is presumed delivered. Idempotent. */
export async function presumeDelivered(prisma: PrismaClient, shipmentId: string, after: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const s = await tx.shipment.findUnique({ where: { id: shipmentId }, select: { status: true } });
    if (!s) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
    if (s.status === 'SHIPPED') await moveShipmentIn(tx, shipmentId, 'DELIVERED', `presumed delivered: no report ${after} after shipping`);
  });
}

/**
 * The customer confirms a shipment arrived: recorded once, for the process to release the
 * business's funds. Only a delivered or shipped shipment can be confirmed (confirming a
 * shipped one records its delivery too).
 */
export async function confirmDelivery(prisma: PrismaClient, orderId: string, shipmentId: string): Promise<{ confirmedAt: Date; firstTime: boolean }> {
  if (!isUuid(shipmentId)) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  return prisma.$transaction(async (tx) => {
    const s = await tx.shipment.findFirst({ where: { id: shipmentId, orderId }, select: { status: true, deliveryConfirmedAt: true } });
    if (!s) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
    if (s.deliveryConfirmedAt) return { confirmedAt: s.deliveryConfirmedAt, firstTime: false };
    if (s.status === 'SHIPPED') await moveShipmentIn(tx, shipmentId, 'DELIVERED', 'delivery confirmed by the customer');
    else if (s.status !== 'DELIVERED') {
      throw new ConflictError('SHIPMENT_NOT_DELIVERED', `shipment ${shipmentId} is ${s.status} and has not been delivered`, 'shipmentId');
    }
    const confirmedAt = new Date();
    await tx.shipment.update({ where: { id: shipmentId }, data: { deliveryConfirmedAt: confirmedAt } });
    return { confirmedAt, firstTime: true };
  });
}
