import { reserveOrder } from '../domain/inventory/reserve-order.js';
import { claimOrder } from '../domain/orders/claim-order.js';
import { bpmnError, complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';
import { killPoint } from '../infra/kill-points.js';

/** Holds stock for every line of the order, or answers OUT_OF_STOCK (caught by the model: the order is rejected). */
export const reserveStock: SagaWorker = {
  taskType: 'reserve-stock',
  async handle(job, { prisma }) {
    const { orderId } = job.variables;
    await claimOrder(prisma, orderId, job.processInstanceKey);
    killPoint('reserve-stock:after-claim');
    const result = await reserveOrder(prisma, orderId);
    killPoint('reserve-stock:after-reserve');
    if (!result.ok) return bpmnError('OUT_OF_STOCK', `not enough stock for order ${orderId}`, { shortages: result.shortages });
    return complete({ reservations: result.reservations.map((r) => ({ sku: r.sku, warehouseId: r.warehouseId, quantity: r.quantity })) });
  },
};
