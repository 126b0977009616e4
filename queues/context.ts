// What every queue and processor needs: where Redis is, the key prefix that
// keeps this system's queues apart from others on the same Redis, and a logger.
import type { ConnectionOptions } from 'bullmq';
import type { Logger } from '../infra/logger.js';

export type QueueContext = {
  /** ioredis options (host/port or a unix socket path); BullMQ opens its own connections from them. */
  connection: ConnectionOptions;
  prefix: string;
  logger: Logger;
};

export const QUEUE_NAMES = {
  paymentEvents: 'payment-events',
  notifications: 'notifications',
  sandboxProvider: 'sandbox-provider',
} as const;
