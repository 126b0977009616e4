// The outbox sweeper. Every hand-off that crosses a system boundary (order saved →
// process started, webhook recorded → message published, notification recorded →
// delivered) is durable in Postgres first; this loop re-drives the ones a crash or
// a lost Redis left behind. All of them are idempotent, so re-driving is safe.
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import { abandonedOrderCount, unstartedOrders } from '../domain/orders/unstarted-orders.js';
import type { OrderProcess } from '../orchestrator/order-process.js';

export type RecoveryDeps = {
  prisma: PrismaClient;
  orderProcess: Pick<OrderProcess, 'start'>;
  paymentEvents: { recoverUnprocessed(olderThanMs: number): Promise<number> };
  notifications: { recoverPending(olderThanMs: number): Promise<number> };
  logger: Logger;
  intervalMs: number;
  /** Start messages are deduplicated only while buffered: never re-start an order older than this. */
  messageTtlMs: number;
};

export class RecoverySweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private lastAbandoned = 0;

  constructor(private readonly deps: RecoveryDeps) {}

  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.deps.intervalMs);
    this.timer.unref();
  }

  private tick(): void {
    if (this.running || this.closed) return;
    this.running = this.sweep()
      .then(() => undefined)
      .catch((err: unknown) => this.deps.logger.error({ err }, 'recovery sweep failed'))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** One pass; returns what it re-drove. */
  async sweep(): Promise<{ ordersStarted: number; paymentEvents: number; notifications: number }> {
    const { prisma, logger, intervalMs, messageTtlMs } = this.deps;
    // Only orders whose start message would still be deduplicated (well inside its TTL).
    const safeWindowMs = Math.max(intervalMs, messageTtlMs - 60_000);
    const orders = await unstartedOrders(prisma, { olderThanMs: intervalMs, newerThanMs: safeWindowMs });
    let ordersStarted = 0;
    for (const { id, createdAt } of orders) {
      if (this.closed) break;
      try {
        // false: its start message is still buffered (the order waits in a backlog), nothing to do.
        if (await this.deps.orderProcess.start(id, createdAt)) ordersStarted++;
      } catch (err) {
        logger.warn({ err, orderId: id }, 'could not start the process of an order; will retry');
      }
    }
    const abandoned = await abandonedOrderCount(prisma, safeWindowMs);
    // Said once per change, not every sweep.
    if (abandoned !== this.lastAbandoned && abandoned > 0) {
      logger.error(
        { count: abandoned },
        'orders that never started are older than the start-message TTL; start them by hand after checking no instance runs them',
      );
    }
    this.lastAbandoned = abandoned;
    const paymentEvents = await this.deps.paymentEvents.recoverUnprocessed(intervalMs);
    const notifications = await this.deps.notifications.recoverPending(intervalMs);
    if (ordersStarted + paymentEvents + notifications > 0)
      logger.info({ ordersStarted, paymentEvents, notifications }, 'recovery re-drove unfinished hand-offs');
    return { ordersStarted, paymentEvents, notifications };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
