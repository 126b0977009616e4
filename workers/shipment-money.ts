// Money follows the goods: capture-shipment when it ships, release-funds when delivery is
// confirmed (or the acceptance window passed), and for a declined shipment restock-shipment
// and refund-shipment give the units and the money back.
import { restockSkus } from '../domain/inventory/restock.js';
import { PaymentOperationRefusedError } from '../domain/payments/gateway.js';
import { captureShipment, refundShipment, releaseFunds } from '../domain/shipments/shipment-money.js';
import { complete, fail, type JobAction } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';
import type { ShipmentVariables } from './shipments.js';

export const SHIPMENT_MONEY_TASK_TYPES = {
  captureShipment: 'capture-shipment',
  refundShipment: 'refund-shipment',
  restockShipment: 'restock-shipment',
  releaseFunds: 'release-funds',
} as const;

/** A provider's refusal no retry changes: straight to an incident that names it. */
function refused(err: unknown): JobAction {
  if (err instanceof PaymentOperationRefusedError) return fail({ errorMessage: `${err.name}: ${err.message}`, retries: 0 });
  throw err;
}

/** Captures the shipment's amount; a transient provider failure is retried with back-off, then an incident. */
export const captureShipmentWorker: SagaWorker<ShipmentVariables, 'prisma' | 'gateway'> = {
  taskType: SHIPMENT_MONEY_TASK_TYPES.captureShipment,
  async handle(job, { prisma, gateway }) {
    try {
      return complete(await captureShipment(prisma, gateway, job.variables.shipmentId));
    } catch (err) {
      return refused(err);
    }
  },
};

/** Gives a declined shipment's amount back to the customer. */
export const refundShipmentWorker: SagaWorker<ShipmentVariables, 'prisma' | 'gateway'> = {
  taskType: SHIPMENT_MONEY_TASK_TYPES.refundShipment,
  async handle(job, { prisma, gateway }) {
    try {
      return complete(await refundShipment(prisma, gateway, job.variables.shipmentId));
    } catch (err) {
      return refused(err);
    }
  },
};

/** Puts a declined shipment's sold units back on hand. */
export const restockShipmentWorker: SagaWorker<ShipmentVariables, 'prisma'> = {
  taskType: SHIPMENT_MONEY_TASK_TYPES.restockShipment,
  async handle(job, { prisma }) {
    const lines = await prisma.shipmentLine.findMany({ where: { shipmentId: job.variables.shipmentId }, select: { sku: true } });
    const { restocked } = await restockSkus(
      prisma,
      job.variables.orderId,
      lines.map((l) => l.sku),
    );
    return complete({ restockedUnits: restocked });
  },
};

/** Pays the business what it is owed for the shipment. */
export const releaseFundsWorker: SagaWorker<ShipmentVariables, 'prisma'> = {
  taskType: SHIPMENT_MONEY_TASK_TYPES.releaseFunds,
  async handle(job, { prisma }) {
    const confirmed = await prisma.shipment.findUnique({ where: { id: job.variables.shipmentId }, select: { deliveryConfirmedAt: true } });
    const reason = confirmed?.deliveryConfirmedAt ? 'delivery confirmed by the customer' : 'acceptance window passed without a complaint';
    return complete(await releaseFunds(prisma, job.variables.shipmentId, reason));
  },
};
