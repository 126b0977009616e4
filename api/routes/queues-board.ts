// Bull Board at /ops/queues: every BullMQ queue of this service, its jobs, their
// failures and retries. For a key with the ops scope (a browser is asked for it).
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import type { Queue } from 'bullmq';

export const QUEUES_BOARD_PATH = '/ops/queues';

export function queuesBoard(queues: Queue[], requireOps: RequestHandler): Router {
  const adapter = new ExpressAdapter();
  adapter.setBasePath(QUEUES_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter, options: { uiConfig: { boardTitle: 'order-saga queues' } } });
  return Router().use(QUEUES_BOARD_PATH, requireOps, adapter.getRouter() as RequestHandler);
}
