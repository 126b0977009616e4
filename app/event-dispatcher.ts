// Delivers the outbox to webhook subscriptions, like Stripe: POST {id, type, created, data},
// signed `Order-Saga-Signature: t=…,v1=…` (a second v1, with the old secret, while a rolled
// secret's overlap lasts), retried with jittered exponential back-off until the
// delivery's give-up time, in order per order and subscription. Database-driven (see
// domain/events/delivery.ts): a crash loses nothing, it only repeats an attempt in flight.
// Each round first gives newly committed events their positions (domain/events/sequencer.ts),
// and now and then deletes the finished events older than the retention (retention.ts).
import { signPayload } from '../domain/payments/signature.js';
import { claimDue, fanOut, recordAttempt, type ClaimedDelivery, type RetryPolicy } from '../domain/events/delivery.js';
import { pruneEvents } from '../domain/events/retention.js';
import { SEQUENCER_BATCH, sequenceEvents } from '../domain/events/sequencer.js';
import { envelopeOf } from '../domain/events/stream.js';
import { clearExpiredSecrets } from '../domain/events/subscriptions.js';
import type { Config } from '../infra/config.js';
import type { PrismaClient } from '../infra/database.js';
import { killPoint } from '../infra/kill-points.js';
import type { Logger } from '../infra/logger.js';
import type { SagaMetrics } from '../infra/metrics.js';

export const SIGNATURE_HEADER = 'Order-Saga-Signature';

/** Events fanned out per subscription and deliveries claimed per round; a full round goes again at once. */
const FAN_OUT_BATCH = 500;
const CLAIM_BATCH = 50;
/** Events deleted per pruning transaction; pruning goes on until a batch is not full. */
const PRUNE_BATCH = 500;

export type EventDispatcherDeps = {
  prisma: PrismaClient;
  logger: Logger;
  metrics: Pick<SagaMetrics, 'eventDeliveryAttempted' | 'eventSubscriptionDisabled'>;
  /** One POST that never follows redirects, resolving with the status code (integrations/http/post-json.ts). */
  post: (url: string, headers: Record<string, string>, body: string, timeoutMs: number) => Promise<number>;
  settings: Config['events'];
};

/** Where a subscription points, for logs: no query (it may carry a token). */
function endpoint(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export class EventDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly policy: RetryPolicy;
  /** An attempt holds its delivery this long; a dispatcher dying mid-attempt lets it come due again after it. */
  private readonly leaseMs: number;
  /** When the next round prunes (the first round does). */
  private pruneAt = 0;

  constructor(private readonly deps: EventDispatcherDeps) {
    const s = deps.settings;
    this.policy = { firstRetryMs: s.firstRetryMs, maxRetryIntervalMs: s.maxRetryIntervalMs, retryForMs: s.retryForMs, disableAfterMs: s.disableAfterMs };
    this.leaseMs = 2 * s.deliveryTimeoutMs + 1000;
  }

  start(): void {
    this.schedule(0);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .catch((err: unknown) => {
          this.deps.logger.error({ err }, 'event dispatcher: a round failed; trying again');
          return false;
        })
        .then((more) => {
          this.running = undefined;
          this.schedule(more ? 0 : this.deps.settings.pollIntervalMs);
        });
    }, ms);
  }

  /** Sequences and fans out new events, then delivers what is due. True when there may be more to do at once. */
  async round(): Promise<boolean> {
    // A rolled secret is removed from the database as soon as its overlap is over (claimDue stops signing with it on time anyway).
    await clearExpiredSecrets(this.deps.prisma);
    const sequenced = await sequenceEvents(this.deps.prisma, SEQUENCER_BATCH);
    const scanned = await fanOut(this.deps.prisma, this.policy.retryForMs, FAN_OUT_BATCH);
    const claimed = await claimDue(this.deps.prisma, CLAIM_BATCH, this.leaseMs);
    await Promise.all(claimed.map((c) => this.deliver(c)));
    if (Date.now() >= this.pruneAt) await this.prune();
    return sequenced >= SEQUENCER_BATCH || scanned >= FAN_OUT_BATCH || claimed.length >= CLAIM_BATCH;
  }

  private async prune(): Promise<void> {
    const { prisma, logger, settings } = this.deps;
    this.pruneAt = Date.now() + settings.pruneIntervalMs;
    let deleted = 0;
    let batch: number;
    do {
      batch = await pruneEvents(prisma, settings.retentionMs, PRUNE_BATCH);
      deleted += batch;
    } while (batch === PRUNE_BATCH);
    if (deleted > 0) logger.info({ deleted, retentionMs: settings.retentionMs }, 'pruned finished events older than EVENT_RETENTION');
  }

  private async deliver(c: ClaimedDelivery): Promise<void> {
    const { logger, metrics, settings } = this.deps;
    const body = JSON.stringify(envelopeOf(c.event));
    const headers = { [SIGNATURE_HEADER]: signPayload(c.secrets, body, Math.floor(Date.now() / 1000)), 'User-Agent': 'order-saga-webhooks/1' };
    const started = performance.now();
    let statusCode: number | undefined;
    let error: string | undefined;
    killPoint('event-delivery:after-claim');
    try {
      statusCode = await this.deps.post(c.url, headers, body, settings.deliveryTimeoutMs);
    } catch (err) {
      error = (err as Error).message;
    }
    const latencyMs = performance.now() - started;
    const ok = statusCode !== undefined && statusCode >= 200 && statusCode < 300;
    if (!ok && error === undefined) error = `answered HTTP ${statusCode}`;
    if (ok) killPoint('event-delivery:after-post');
    const log = { subscriptionId: c.subscriptionId, deliveryId: c.deliveryId, eventId: c.event.id, type: c.event.type, attempt: c.attempt };
    try {
      const recorded = await recordAttempt(this.deps.prisma, c, { ok, statusCode, latencyMs, error }, this.policy);
      metrics.eventDeliveryAttempted(recorded.status === 'DELIVERED' ? 'delivered' : recorded.status === 'FAILED' ? 'failed' : 'retry');
      if (recorded.status === 'PENDING') logger.debug({ ...log, error }, 'event delivery failed; will retry');
      if (recorded.status === 'FAILED') logger.warn({ ...log, error }, 'gave up delivering an event: its retry time is over');
      if (recorded.disabled) {
        metrics.eventSubscriptionDisabled();
        logger.error(
          { subscriptionId: c.subscriptionId, url: endpoint(c.url), failingSince: recorded.disabled.failingSince.toISOString(), error },
          'event subscription disabled: its endpoint kept failing; enable it again with PATCH /admin/event-subscriptions/{id} {"enabled": true}',
        );
      }
    } catch (err) {
      // The lease runs out and the delivery comes due again: it is repeated, not lost.
      logger.error({ err, ...log }, 'could not record an event delivery attempt; it will be repeated');
    }
  }
}
