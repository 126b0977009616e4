// Stock for an order: reserve-stock holds it, release-stock (its undo) gives it back.
import { reserveOrder } from '../domain/inventory/reserve-order.js';
import { claimOrder } from '../domain/orders/claim-order.js';
import { release } from '../domain/inventory/release.js';
import { bpmnError, complete } from '../orchestrator/engine.js';
import { killPoint } from '../infra/kill-points.js';
import type { CompensationPair, OrderVariables, SagaWorker } from './saga-worker.js';

export const STOCK_TASK_TYPES = { reserveStock: 'reserve-stock', releaseStock: 'release-stock' } as const;

/**
 * Holds stock for every line of the order, or answers OUT_OF_STOCK (caught by the
 * model: the order is rejected). All or nothing: an OUT_OF_STOCK holds nothing, so
 * that path needs no undo.
 */
export const reserveStockWorker: SagaWorker<OrderVariables, 'prisma'> = {
  taskType: STOCK_TASK_TYPES.reserveStock,
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

/** Undoes reserve-stock: gives held units back. Units already sold stay sold. */
export const releaseStockWorker: SagaWorker<OrderVariables, 'prisma'> = {
  taskType: STOCK_TASK_TYPES.releaseStock,
  async handle(job, { prisma }) {
    const { released } = await release(prisma, job.variables.orderId);
    killPoint('release-stock:after-commit');
    return complete({ releasedUnits: released });
  },
};

export const stockPair: CompensationPair = { do: reserveStockWorker, undo: releaseStockWorker };
