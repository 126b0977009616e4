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

/**
 * Lock settings for this service's workers, whose jobs take milliseconds. BullMQ
 * renews a job's lock every lockDuration/2 while it runs; a job whose process died
 * is found stalled and re-run after at most lockDuration + stalledInterval, 15 s
 * here instead of BullMQ's default 60 s, so a crash delays payments and mails less.
 */
export const SHORT_JOB_LOCKS = { lockDuration: 10_000, stalledInterval: 5_000 } as const;
