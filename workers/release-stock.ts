import { release } from '../domain/inventory/release.js';
import { complete } from '../orchestrator/engine.js';
import type { SagaWorker } from './saga-worker.js';
import { killPoint } from '../infra/kill-points.js';

/** Compensation of reserve-stock: gives held units back. Units already sold stay sold. */
export const releaseStock: SagaWorker = {
  taskType: 'release-stock',
  async handle(job, { prisma }) {
    const { released } = await release(prisma, job.variables.orderId);
    killPoint('release-stock:after-commit');
    return complete({ releasedUnits: released });
  },
};
