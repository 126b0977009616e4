// The BullMQ scaffolding the consumers in queues/ and the sandbox provider share:
// one Queue and one Worker on the context's Redis and key prefix with this
// service's lock settings, their Redis errors logged, and a close that stops the
// worker before the queue. What a job does, its ids and its retry policy stay
// with each consumer.
import { Queue, Worker } from 'bullmq';
import type { Logger } from '../infra/logger.js';
import { type QueueContext, SHORT_JOB_LOCKS } from './context.js';
import type { ConsumerOptions, FailureLog, QueueDepth } from './consumer-options.js';

export type { ConsumerOptions, FailureLog, QueueDepth, QueueName } from './consumer-options.js';

export class Consumer<Data> {
  /** The producer: for adding jobs, and for the queue dashboard. */
  readonly queue: Queue<Data>;
  private worker: Worker<Data> | undefined;

  constructor(
    private readonly ctx: QueueContext,
    private readonly options: ConsumerOptions<Data>,
  ) {
    const { name, logger, logFields, errorMessages } = options;
    this.queue = new Queue<Data>(name, { connection: options.queueConnection ?? ctx.connection, prefix: ctx.prefix });
    this.queue.on('error', (err) => logger.error({ err, ...logFields }, errorMessages.queue));
  }

  /**
   * Starts the worker unless it runs already. Returns the worker when this call
   * started it, so that a caller can wait until it is ready; undefined otherwise.
   */
  start(): Worker<Data> | undefined {
    if (this.worker) return undefined;
    const { name, process, concurrency, maxStalledCount, backoffStrategy, logger, logFields, errorMessages, onFailed } = this.options;
    this.worker = new Worker<Data>(name, (job) => process(job), {
      ...SHORT_JOB_LOCKS,
      connection: this.ctx.connection,
      prefix: this.ctx.prefix,
      concurrency,
      ...(maxStalledCount !== undefined ? { maxStalledCount } : {}),
      ...(backoffStrategy ? { settings: { backoffStrategy } } : {}),
    });
    this.worker.on('error', (err) => logger.error({ err, ...logFields }, errorMessages.worker));
    this.worker.on('failed', onFailed);
    return this.worker;
  }

  /** Jobs not finished yet. */
  async depth(): Promise<QueueDepth> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'active');
    const waiting = counts.waiting ?? 0;
    const delayed = counts.delayed ?? 0;
    const active = counts.active ?? 0;
    return { waiting, delayed, active, total: waiting + delayed + active };
  }

  /** Stops taking jobs and lets running ones finish, then closes the queue. Safe to call again. */
  async close(): Promise<void> {
    const ms = this.options.closeTimeoutMs;
    const close = (target: Queue<Data> | Worker<Data>) => (ms === undefined ? target.close() : this.closeWithin(target, ms));
    if (this.worker) await close(this.worker);
    await close(this.queue);
  }

  /**
   * BullMQ's close() talks to Redis (QUIT, lock release). With Redis gone it either
   * waits for it forever or fails half-way and leaves its client reconnecting; then
   * the raw clients are dropped, which also stops their reconnect timers.
   */
  private async closeWithin(target: Queue<Data> | Worker<Data>, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      target.close().then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    if (closed) return;
    const { name, logger, logFields } = this.options;
    logger.warn({ queue: name, ...logFields }, `${name} queue could not close cleanly (Redis unreachable?); dropping its connections`);
    const backend = target.getBackend();
    for (const client of [backend.client, backend.blockingClient]) {
      (await client?.catch(() => undefined))?.disconnect();
    }
  }
}

/** A 'failed' listener that logs the attempt: a warning while attempts remain, an error after the last one. */
export function logFailedAttempt<Data>(logger: Logger, log: FailureLog<Data>): ConsumerOptions<Data>['onFailed'] {
  return (job, err) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1);
    logger[final ? 'error' : 'warn']({ ...log.fields(job.data), attempt: job.attemptsMade, err: err.message }, final ? log.gaveUp : log.retrying);
  };
}
