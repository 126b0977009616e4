import type { Prisma } from '../../prisma/generated/client.js';
import type { Tx } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { followShipmentsIn } from './order-progress.js';
import { stepsTo, type ShipmentStatus } from './shipment-lifecycle.js';

export type ShipmentMove = { from: ShipmentStatus; steps: ShipmentStatus[]; orderId: string };

/**
 * Moves a shipment to `to` in the caller's transaction: through the steps an early answer
 * skipped, each in the shipment's history with `reason`, then the order follows its
 * shipments. Locks the order row first (as every step of an order does), then the shipment.
 * Moving to the status it has changes nothing; a move its lifecycle forbids is a ConflictError.
 */
export async function moveShipmentIn(
  tx: Tx,
  shipmentId: string,
  to: ShipmentStatus,
  reason: string,
  fields: Prisma.ShipmentUpdateInput = {},
): Promise<ShipmentMove> {
  const [row] = await tx.$queryRaw<{ order_id: string }[]>`SELECT order_id::text FROM shipments WHERE id = ${shipmentId}::uuid`;
  if (!row) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  await tx.$queryRaw`SELECT 1 FROM orders WHERE id = ${row.order_id}::uuid FOR UPDATE`;
  const [locked] = await tx.$queryRaw<{ status: ShipmentStatus }[]>`SELECT status::text FROM shipments WHERE id = ${shipmentId}::uuid FOR UPDATE`;
  const from = locked!.status;
  const steps = stepsTo(from, to);
  if (steps === undefined) throw new ConflictError('SHIPMENT_STATUS', `shipment ${shipmentId} is ${from} and cannot become ${to}`, 'type');
  if (steps.length === 0) return { from, steps, orderId: row.order_id };
  let previous = from;
  for (const step of steps) {
    await tx.shipmentHistory.create({ data: { shipmentId, fromStatus: previous, toStatus: step, reason: step === to ? reason : `${reason} (implied)` } });
    previous = step;
  }
  await tx.shipment.update({ where: { id: shipmentId }, data: { ...fields, status: to } });
  await followShipmentsIn(tx, row.order_id, `shipment ${shipmentId} ${to.toLowerCase()}`);
  return { from, steps, orderId: row.order_id };
}
