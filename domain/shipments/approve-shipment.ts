// Ops approve a shipment the routing rule (DMN) held for approval before dispatch
// (docs/fulfilment.md): the message its process waits for, correlated by the shipment id.
import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { SHIPMENT_APPROVED, type ShipmentMessageToPublish } from './business-answers.js';

/**
 * The message that approves the shipment, once it is checked to exist and to be PENDING (not yet
 * dispatched); otherwise a NotFoundError naming `shipmentId`, a ConflictError naming `status`.
 * Its message id is stable: approving twice publishes one message while the engine buffers it.
 */
export async function shipmentApproval(prisma: PrismaClient, shipmentId: string): Promise<{ orderId: string; message: ShipmentMessageToPublish }> {
  if (!isUuid(shipmentId)) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const shipment = await prisma.shipment.findUnique({ where: { id: shipmentId }, select: { orderId: true, status: true } });
  if (!shipment) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  if (shipment.status !== 'PENDING') {
    throw new ConflictError('SHIPMENT_STATUS', `shipment ${shipmentId} is ${shipment.status}: only a PENDING shipment waits for approval`, 'status');
  }
  return {
    orderId: shipment.orderId,
    message: { name: SHIPMENT_APPROVED, correlationKey: shipmentId, messageId: `${shipmentId}:${SHIPMENT_APPROVED}`, variables: {} },
  };
}
