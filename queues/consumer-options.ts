// What a Consumer (./consumer.ts) is told: which queue, what a job does, and the
// few settings in which this service's queues differ from each other.
import type { BackoffStrategy, ConnectionOptions, Job } from 'bullmq';
import type { Logger } from '../infra/logger.js';
import type { QUEUE_NAMES } from './context.js';

export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];

export type ConsumerOptions<Data> = {
  name: QueueName;
  /** What one job does; its result is the job's return value. */
  process: (job: Job<Data>) => Promise<unknown>;
  /** Jobs run at once by this process. */
  concurrency: number;
  /** Where the consumer's own lines go: Redis errors, and a close that had to drop its connections. */
  logger: Logger;
  /** Added to each of those lines. */
  logFields?: Record<string, unknown>;
  /** The messages of the Redis errors the queue and the worker report. */
  errorMessages: { queue: string; worker: string };
  /** Called for every failed attempt (BullMQ's 'failed' event). */
  onFailed: (job: Job<Data> | undefined, err: Error) => void;
  /** The producer's connection, when it must differ from the context's (which the worker always uses). */
  queueConnection?: ConnectionOptions;
  /** Times a stalled job is taken up again before BullMQ fails it (BullMQ's default: 1). */
  maxStalledCount?: number;
  /** For jobs whose `backoff.type` is a custom strategy. */
  backoffStrategy?: BackoffStrategy;
  /** Unset: close() waits for Redis. Set: after this long it drops the connections instead. */
  closeTimeoutMs?: number;
};

/** Jobs not finished yet. */
export type QueueDepth = { waiting: number; delayed: number; active: number; total: number };

/** How a failed attempt is logged, given its job: the job's own fields, and what to say before and after the last attempt. */
export type FailureLog<Data> = {
  fields: (data: Data) => Record<string, unknown>;
  retrying: string;
  gaveUp: string;
};
