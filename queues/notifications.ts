// Delivers the notifications outbox. The row in Postgres is the truth (written by
// the notify-customer step); a BullMQ job only carries its id, so a lost job costs
// nothing: recoverPending() finds the row still PENDING and queues it again.
// Delivery is at least once; a row already SENT is never delivered again.
import { UnrecoverableError, type ConnectionOptions, type Job, type JobsOptions, type Queue } from 'bullmq';
import type { PrismaClient } from '../infra/database.js';
import { markFailed, markSent, pendingNotifications } from '../domain/notifications/delivery.js';
import { QUEUE_NAMES, type QueueContext } from './context.js';
import { Consumer, type QueueDepth } from './consumer.js';
import { PermanentDeliveryError, type NotificationSink } from '../domain/notifications/sink.js';
import { killPoint } from '../infra/kill-points.js';

export type NotificationSinks = { log: NotificationSink; smtp?: NotificationSink | undefined };

export type NotificationQueueOptions = {
  /** Delivery attempts per notification before it is marked FAILED. */
  attempts?: number;
  /** First retry delay; doubles on every further attempt. */
  backoffMs?: number;
  /** Notifications delivered at once by this process. */
  concurrency?: number;
};

export type { QueueDepth } from './consumer.js';

type DeliverJob = { notificationId: string };

const DEFAULTS = { attempts: 8, backoffMs: 1_000, concurrency: 5 };
const JOB_NAME = 'deliver';
const CLOSE_TIMEOUT_MS = 5_000;

// Finished jobs are kept a while for Bull Board and so that a duplicate enqueue
// within that time collapses onto them; the outbox row is the lasting record.
const KEEP = {
  removeOnComplete: { age: 24 * 3600, count: 1_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5_000 },
} satisfies JobsOptions;

/**
 * The producer fails fast while Redis is away instead of queueing commands in
 * memory: the caller (a saga step) moves on, and recovery re-queues from the outbox.
 * Workers keep the context's options (maxRetriesPerRequest: null) and wait it out.
 */
function producerConnection(connection: ConnectionOptions): ConnectionOptions {
  const isClient = typeof (connection as { duplicate?: unknown }).duplicate === 'function';
  return isClient ? connection : { ...connection, enableOfflineQueue: false, maxRetriesPerRequest: 1 };
}

export class NotificationQueue {
  readonly queue: Queue<DeliverJob>;
  private readonly consumer: Consumer<DeliverJob>;
  private readonly options: typeof DEFAULTS;

  constructor(
    private readonly ctx: QueueContext,
    private readonly prisma: PrismaClient,
    private readonly sinks: NotificationSinks,
    options: NotificationQueueOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.consumer = new Consumer<DeliverJob>(ctx, {
      name: QUEUE_NAMES.notifications,
      process: (job) => this.deliver(job),
      concurrency: this.options.concurrency,
      logger: ctx.logger,
      logFields: { queue: QUEUE_NAMES.notifications },
      errorMessages: { queue: 'notifications queue: Redis error', worker: 'notifications worker: Redis error' },
      onFailed: (job, err) => void this.reportFailure(job, err),
      queueConnection: producerConnection(ctx.connection),
      // Never hangs on a dead Redis.
      closeTimeoutMs: CLOSE_TIMEOUT_MS,
    });
    this.queue = this.consumer.queue;
  }

  /** One job per notification: BullMQ ignores an add whose job id it still holds. Ids may not contain ':'. */
  static jobId(notificationId: string): string {
    return `notification-${notificationId.replaceAll(':', '-')}`;
  }

  async enqueue(notificationId: string): Promise<void> {
    await this.queue.add(
      JOB_NAME,
      { notificationId },
      {
        jobId: NotificationQueue.jobId(notificationId),
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        ...KEEP,
      },
    );
  }

  start(): void {
    this.consumer.start();
  }

  /**
   * Logs a failed delivery job. When the job is over, the line says what the row
   * records, read after the fact: a job can fail for good without marking it FAILED
   * (its delivery was recorded SENT before the job failed: a crash or a lost lock
   * after markSent, a duplicate job; or the database failed before anything was recorded).
   */
  private async reportFailure(job: Job<DeliverJob> | undefined, err: Error): Promise<void> {
    const { logger } = this.ctx;
    const willRetry = job !== undefined && !(err instanceof UnrecoverableError) && job.attemptsMade < (job.opts.attempts ?? 1);
    const fields = { notificationId: job?.data.notificationId, attemptsMade: job?.attemptsMade, err };
    if (willRetry) {
      logger.warn(fields, 'notification delivery failed; will retry');
      return;
    }
    let status: string | undefined;
    try {
      if (job) status = (await this.prisma.notification.findUnique({ where: { id: job.data.notificationId }, select: { status: true } }))?.status ?? 'GONE';
    } catch (readErr) {
      logger.error({ ...fields, readErr }, "notification delivery job failed for good; the notification's status could not be read");
      return;
    }
    if (status === 'FAILED') logger.error(fields, 'notification delivery failed for good; the notification is marked FAILED');
    else if (status === 'SENT')
      logger.warn(
        fields,
        'notification delivery job failed for good, but the notification was already SENT (its delivery was recorded before the job failed: a crash after delivery, or a duplicate job); nothing to do',
      );
    else if (status === 'PENDING')
      logger.error(
        fields,
        'notification delivery job failed for good before its outcome was recorded; the notification stays PENDING and outbox recovery will queue it again',
      );
    else if (status === 'GONE') logger.warn(fields, 'notification delivery job failed for good; the notification no longer exists');
    else logger.error(fields, 'notification delivery job failed for good; which notification is unknown');
  }

  private async deliver(job: Job<DeliverJob>): Promise<void> {
    const { logger } = this.ctx;
    const row = await this.prisma.notification.findUnique({ where: { id: job.data.notificationId } });
    if (!row) {
      // Its order was deleted (cascade); nothing left to tell anyone.
      logger.warn({ notificationId: job.data.notificationId }, 'notification no longer exists; dropping its delivery job');
      return;
    }
    if (row.status === 'SENT') return; // a duplicate job, or a retry after markSent
    const sink = row.channel === 'smtp' ? this.sinks.smtp : row.channel === 'log' ? this.sinks.log : undefined;
    try {
      if (!sink) throw new PermanentDeliveryError(`notification ${row.id} is for channel "${row.channel}", which is not configured (SMTP_URL unset?)`);
      await sink.deliver({ id: row.id, orderId: row.orderId, kind: row.kind, recipient: row.recipient, subject: row.subject, body: row.body });
    } catch (err) {
      const permanent = err instanceof PermanentDeliveryError;
      // attemptsMade counts the attempts that failed before this one.
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const recorded = await markFailed(this.prisma, row.id, (err as Error).message ?? String(err), permanent || last);
      if (recorded === 'SENT' || recorded === undefined) {
        // Another delivery of it (a duplicate job, a re-run after a crash) succeeded meanwhile, or its order
        // was deleted: nothing was recorded and nothing is left to retry, so the job ends here.
        const what =
          recorded === 'SENT' ? 'but the notification was already SENT by another delivery of it; nothing to retry' : 'and the notification no longer exists';
        logger.warn({ notificationId: row.id, attemptsMade: job.attemptsMade, err }, `notification delivery attempt failed, ${what}`);
        return;
      }
      if (permanent) throw new UnrecoverableError((err as Error).message);
      throw err;
    }
    killPoint('notification-delivery:after-handoff');
    await markSent(this.prisma, row.id);
  }

  /**
   * Queues PENDING notifications recorded at least `olderThanMs` ago that have no
   * job on its way (lost with Redis, or never queued because the enqueue failed).
   * Returns how many it queued.
   */
  async recoverPending(olderThanMs: number): Promise<number> {
    let queued = 0;
    for (const id of await pendingNotifications(this.prisma, olderThanMs)) {
      const existing = await this.queue.getJob(NotificationQueue.jobId(id));
      if (existing) {
        const state = await existing.getState();
        // Still on its way: leave it. A finished job with the row still PENDING
        // means its outcome never reached the database: drop the job, queue anew.
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
        if (state !== 'unknown') await existing.remove();
      }
      await this.enqueue(id);
      queued++;
    }
    return queued;
  }

  /** Jobs not finished yet, for metrics. */
  depth(): Promise<QueueDepth> {
    return this.consumer.depth();
  }

  /** Stops taking jobs, lets running deliveries finish, closes the connections. Never hangs on a dead Redis. */
  async close(): Promise<void> {
    await this.consumer.close();
  }
}
