// Prometheus metrics of one running system (served at /metrics). A registry per
// system, not prom-client's global one: the tests run several systems in one
// process, and each must count only its own.
//
// Two kinds of series: what this process counts as it happens (jobs, saga
// durations, refused webhooks), and gauges read from a shared source at scrape
// time (orders in the database, open incidents, queue depths). A source that
// does not answer keeps its last values and says so in
// order_saga_metrics_source_up{source}, instead of failing the whole scrape.
// Reading the sources costs queries: a reading is reused for `sourceCacheMs`, and
// scrapes that come during one wait for it, so frequent scrapes (or many at once)
// cost one reading every so often.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { withinTime } from './time-limit.js';

export const METRIC_PREFIX = 'order_saga_';
const SOURCE_TIMEOUT_MS = 2_000;

/** From a fast job (a few ms) to one that holds its lock for half a minute. */
const JOB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** From an instant rejection to a payment that timed out (PT10M) or waited on an incident for hours. */
const SAGA_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 21600];

export type Sample<L extends string> = { labels?: Partial<Record<L, string>>; value: number };

type Source = { name: string; refresh(): Promise<void> };

/** Counts for workers/run-workers.ts (it matches WorkerMetrics there) and the webhook route. */
export class SagaMetrics {
  readonly registry = new Registry();
  private readonly sources: Source[] = [];
  private readonly sourceUp: Gauge<'source'>;
  private readonly jobDuration: Histogram<'task_type' | 'outcome'>;
  private readonly jobFailures: Counter<'task_type'>;
  private readonly jobRetries: Counter<'task_type'>;
  private readonly sagaDuration: Histogram<'status'>;
  private readonly webhookRefused: Counter<'provider' | 'reason'>;
  private readonly eventDeliveries: Counter<'outcome'>;
  private readonly eventSubscriptionsDisabled: Counter;
  /** When the last reading of the sources ended (ms since the epoch), whatever its outcome. */
  private readAt: number | undefined;
  /** The reading under way: scrapes meanwhile wait for it rather than start another. */
  private reading: Promise<void> | undefined;

  /**
   * `onSourceError`: told when a scrape-time source fails (logged by the caller, once per reading).
   * `sourceCacheMs`: how long a reading of the sources stands before a scrape reads them again (0: every scrape reads).
   */
  constructor(
    private readonly onSourceError: (source: string, err: unknown) => void = () => undefined,
    private readonly o: { sourceCacheMs?: number } = {},
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.sourceUp = new Gauge({
      name: `${METRIC_PREFIX}metrics_source_up`,
      help: 'Whether a source read at scrape time answered (1) or not (0: its series keep their last values)',
      labelNames: ['source'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: `${METRIC_PREFIX}job_duration_seconds`,
      help: 'Time a job handler took, by task type and outcome (complete, fail, bpmn_error)',
      labelNames: ['task_type', 'outcome'],
      buckets: JOB_BUCKETS,
      registers,
    });
    this.jobFailures = new Counter({
      name: `${METRIC_PREFIX}job_failures_total`,
      help: 'Jobs answered with a failure, by task type',
      labelNames: ['task_type'],
      registers,
    });
    this.jobRetries = new Counter({
      name: `${METRIC_PREFIX}job_retries_total`,
      help: 'Failed jobs that will be retried (retries left), by task type',
      labelNames: ['task_type'],
      registers,
    });
    this.sagaDuration = new Histogram({
      name: `${METRIC_PREFIX}saga_duration_seconds`,
      help: 'Time from placing an order to its final status, by that status; observed where the status changes',
      labelNames: ['status'],
      buckets: SAGA_BUCKETS,
      registers,
    });
    this.webhookRefused = new Counter({
      name: `${METRIC_PREFIX}webhook_refused_total`,
      help: 'Payment webhooks refused, by provider and reason: their signature (missing, malformed, stale, mismatch) or an event that does not match its payment (payment-mismatch)',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.eventDeliveries = new Counter({
      name: `${METRIC_PREFIX}event_delivery_attempts_total`,
      help: 'Webhook delivery attempts of events to subscriptions, by outcome: delivered, retry (failed, tried again later), failed (given up)',
      labelNames: ['outcome'],
      registers,
    });
    this.eventSubscriptionsDisabled = new Counter({
      name: `${METRIC_PREFIX}event_subscriptions_disabled_total`,
      help: 'Event subscriptions disabled because their endpoint kept failing for EVENT_SUBSCRIPTION_DISABLE_AFTER',
      registers,
    });
  }

  /** Series that exist from the start (at 0), so a rate() over them never starts from nothing. */
  initialize(o: {
    taskTypes?: readonly string[];
    finalStatuses?: readonly string[];
    webhookProviders?: readonly string[];
    refusalReasons?: readonly string[];
  }): this {
    for (const t of o.taskTypes ?? []) {
      this.jobFailures.inc({ task_type: t }, 0);
      this.jobRetries.inc({ task_type: t }, 0);
    }
    for (const s of o.finalStatuses ?? []) this.sagaDuration.zero({ status: s });
    for (const p of o.webhookProviders ?? []) for (const r of o.refusalReasons ?? []) this.webhookRefused.inc({ provider: p, reason: r }, 0);
    return this;
  }

  jobAnswered(taskType: string, outcome: 'complete' | 'fail' | 'bpmn_error', seconds: number, retriesLeft?: number): void {
    this.jobDuration.observe({ task_type: taskType, outcome }, seconds);
    if (outcome !== 'fail') return;
    this.jobFailures.inc({ task_type: taskType });
    if ((retriesLeft ?? 0) > 0) this.jobRetries.inc({ task_type: taskType });
  }

  orderEnded(status: string, seconds: number): void {
    this.sagaDuration.observe({ status }, seconds);
  }

  webhookRefusedBy(provider: string, reason: string): void {
    this.webhookRefused.inc({ provider, reason });
  }

  /** Series of the event dispatcher, at 0 from the start (the roles that run it). */
  initializeEventDelivery(): this {
    for (const outcome of ['delivered', 'retry', 'failed']) this.eventDeliveries.inc({ outcome }, 0);
    this.eventSubscriptionsDisabled.inc(0);
    return this;
  }

  eventDeliveryAttempted(outcome: 'delivered' | 'retry' | 'failed'): void {
    this.eventDeliveries.inc({ outcome });
  }

  eventSubscriptionDisabled(): void {
    this.eventSubscriptionsDisabled.inc();
  }

  /** A constant series saying what this process is (role, engine, version). */
  info(labels: Record<string, string>): this {
    const names = Object.keys(labels);
    new Gauge({
      name: `${METRIC_PREFIX}build_info`,
      help: 'What this process runs: version, role and engine (always 1)',
      labelNames: names,
      registers: [this.registry],
    }).set(labels, 1);
    return this;
  }

  /**
   * A gauge read from `read` on every scrape. Its series are replaced by what
   * `read` returns, so a label set that disappeared (an element nobody waits at
   * any more) disappears from the exposition too.
   */
  gaugeFromSource<L extends string>(o: { name: string; help: string; labelNames?: readonly L[]; source: string; read: () => Promise<Sample<L>[]> }): this {
    const gauge = new Gauge<L>({ name: `${METRIC_PREFIX}${o.name}`, help: o.help, labelNames: o.labelNames ?? [], registers: [this.registry] });
    this.sources.push({
      name: o.source,
      refresh: async () => {
        const samples = await o.read();
        gauge.reset();
        for (const s of samples) {
          if (s.labels) gauge.set(s.labels as Record<L, string>, s.value);
          else gauge.set(s.value);
        }
      },
    });
    return this;
  }

  /** The Prometheus text exposition, with every source read first unless they were read lately. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    await this.readSources();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Every source in parallel, each within a time limit; a failed or timed-out reading stands as long as a good one. */
  private readSources(): Promise<void> {
    if (this.reading) return this.reading;
    if (this.readAt !== undefined && Date.now() - this.readAt < (this.o.sourceCacheMs ?? 0)) return Promise.resolve();
    this.reading = Promise.all(this.sources.map((s) => this.read(s)))
      .then(() => undefined)
      .finally(() => {
        this.readAt = Date.now();
        this.reading = undefined;
      });
    return this.reading;
  }

  /** Never rejects: a source that fails keeps its last values and says so. */
  private async read(s: Source): Promise<void> {
    try {
      await withinTime(s.refresh(), SOURCE_TIMEOUT_MS, `metrics source ${s.name} did not answer within ${SOURCE_TIMEOUT_MS} ms`);
      this.sourceUp.set({ source: s.name }, 1);
    } catch (err) {
      this.sourceUp.set({ source: s.name }, 0);
      this.onSourceError(s.name, err);
    }
  }
}
