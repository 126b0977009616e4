// Relays recorded payment callbacks (the payment_events inbox) to the process
// as `payment-result` messages. The webhook relays an event at once, in its own
// request, once it is durable; only when that fails (the engine down) does the
// event go through this queue, which keeps trying. Delivery is at-least-once end
// to end: the message id is the provider's event id, so a repeated publish is a
// no-op in the engine, and an event is marked processed only after the engine took it.
import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import type { PaymentGateway } from '../domain/payments/gateway.js';
import { releaseLateApproval } from '../domain/payments/late-approval.js';
import { getPaymentEvent, markEventProcessed, unprocessedEventIds, type StoredPaymentEvent } from '../domain/payments/payment-events.js';
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import type { OrderProcess } from '../orchestrator/order-process.js';
import { QUEUE_NAMES, type QueueContext } from './context.js';
import { Consumer, logFailedAttempt } from './consumer.js';
import { killPoint } from '../infra/kill-points.js';

type RelayJob = { eventId: string };

/** What became of one relayed event. */
export type RelayOutcome = 'published' | 'already-processed' | 'released-late-approval' | 'missing';

export type PaymentEventRelayOptions = {
  /** First retry delay; doubles per attempt. */
  backoffMs?: number;
  attempts?: number;
  concurrency?: number;
};

export class PaymentEventRelay {
  /** Exposed for the queue dashboard. */
  readonly queue: Queue<RelayJob>;
  private readonly consumer: Consumer<RelayJob>;
  private readonly logger: Logger;

  constructor(
    ctx: QueueContext,
    private readonly prisma: PrismaClient,
    private readonly orderProcess: Pick<OrderProcess, 'reportPayment'>,
    /** Releases approvals that arrive after their order ended unpaid. */
    private readonly gateway: Pick<PaymentGateway, 'voidPayment'>,
    private readonly options: PaymentEventRelayOptions = {},
  ) {
    this.logger = ctx.logger.child({ component: 'payment-event-relay' });
    this.consumer = new Consumer<RelayJob>(ctx, {
      name: QUEUE_NAMES.paymentEvents,
      process: (job: Job<RelayJob>) => this.relay(job.data.eventId),
      concurrency: options.concurrency ?? 10,
      logger: this.logger,
      errorMessages: { queue: 'payment event queue error', worker: 'payment event worker error' },
      onFailed: logFailedAttempt(this.logger, {
        fields: (data) => ({ eventId: data.eventId }),
        retrying: 'payment event relay failed; will retry',
        gaveUp: 'payment event relay gave up; recovery will re-enqueue it',
      }),
    });
    this.queue = this.consumer.queue;
  }

  /**
   * Relays a recorded event now, in the caller's request; when that fails, hands it to the
   * queue, which retries with back-off (and when even that fails, recovery re-enqueues it).
   * `stored` is the event as just recorded, which saves reading it back.
   */
  async relayNow(eventId: string, stored?: StoredPaymentEvent): Promise<RelayOutcome | 'queued'> {
    try {
      return await this.relay(eventId, stored);
    } catch (err) {
      this.logger.warn({ eventId, err }, 'payment event not relayed at once; queued for retries');
      await this.enqueue(eventId);
      return 'queued';
    }
  }

  /** Idempotent while the event waits: one job per event id. */
  async enqueue(eventId: string): Promise<void> {
    const job = await this.queue.add(
      'relay',
      { eventId },
      {
        // Inbox ids are UUIDs: unique, and free of the ':' BullMQ forbids.
        jobId: eventId,
        // About 20 attempts from 500 ms doubling: days of engine outage before giving up,
        // and even then the row stays unprocessed for recovery to pick up.
        attempts: this.options.attempts ?? 20,
        backoff: { type: 'exponential', delay: this.options.backoffMs ?? 500 },
        removeOnComplete: true,
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
    // A job that exhausted its attempts still holds the id, which would swallow
    // this enqueue; recovery must be able to revive it.
    if ((await this.queue.getJobState(eventId)) === 'failed') {
      await job.retry('failed');
      this.logger.info({ eventId }, 'revived a payment event relay that had given up');
    }
  }

  async start(): Promise<void> {
    await this.consumer.start()?.waitUntilReady();
  }

  /** Re-enqueues events that were recorded but never processed (crash, lost Redis, enqueue failure). */
  async recoverUnprocessed(olderThanMs: number): Promise<number> {
    const ids = await unprocessedEventIds(this.prisma, olderThanMs);
    for (const id of ids) await this.enqueue(id);
    if (ids.length > 0) this.logger.info({ count: ids.length }, 're-enqueued unprocessed payment events');
    return ids.length;
  }

  /** Jobs not yet finished: a backlog that grows means the engine is not taking messages. */
  async depth(): Promise<number> {
    return (await this.consumer.depth()).total;
  }

  async close(): Promise<void> {
    await this.consumer.close();
  }

  private async relay(eventId: string, recorded?: StoredPaymentEvent): Promise<RelayOutcome> {
    const stored = recorded ?? (await getPaymentEvent(this.prisma, eventId));
    if (!stored) {
      this.logger.warn({ eventId }, 'payment event to relay does not exist');
      return 'missing';
    }
    if (stored.processedAt) return 'already-processed';
    const { event } = stored;
    const log = { orderId: event.orderId, eventId: stored.id, providerEventId: event.providerEventId, type: event.type };
    if (!event.orderId) {
      // Nothing to correlate with; retrying cannot help. Left unprocessed for an operator.
      this.logger.error(log, 'payment event names no order; not relayed');
      throw new UnrecoverableError(`payment event ${stored.id} names no order`);
    }
    if (event.type === 'payment.succeeded') {
      // Nothing waits for an approval once the order ended unpaid: release the funds instead of publishing.
      const late = await releaseLateApproval(this.prisma, this.gateway, event);
      if (late.late) {
        await markEventProcessed(this.prisma, stored.id);
        this.logger.warn(
          { ...log, orderStatus: late.orderStatus, released: late.released },
          'payment approved after the order ended unpaid; the authorization is released',
        );
        return 'released-late-approval';
      }
    }
    try {
      await this.orderProcess.reportPayment(event.orderId, {
        status: event.type === 'payment.succeeded' ? 'approved' : 'declined',
        ...(event.reason !== undefined ? { reason: event.reason } : {}),
        providerEventId: event.providerEventId,
      });
    } catch (err) {
      this.logger.warn({ ...log, err }, 'publishing the payment result failed');
      throw err;
    }
    killPoint('payment-relay:after-published');
    // A crash here leaves the event unprocessed: it is published again later, and
    // the engine recognizes the message id while the first copy is buffered.
    await markEventProcessed(this.prisma, stored.id);
    this.logger.info(log, 'payment result published');
    return 'published';
  }
}
