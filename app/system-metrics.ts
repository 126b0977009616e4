// Which metrics a process of a given role exposes, and where the scrape-time
// gauges read from. Shared state (orders, incidents, queues, waiting tokens) is
// exposed by the roles that serve the API only: with several processes behind
// one Prometheus, the workers would otherwise repeat the same numbers. The
// workers role exposes what it counts itself (jobs, saga durations).
import type { Queue } from 'bullmq';
import { WEBHOOK_REFUSALS } from '../api/routes/webhooks.js';
import { ORDER_STATUSES, endsPaymentSaga } from '../domain/orders/lifecycle.js';
import type { Config } from '../infra/config.js';
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import { SagaMetrics } from '../infra/metrics.js';
import type { EngineOperations } from '../orchestrator/embedded/operations.js';
import type { IncidentSource } from './engines.js';

export type SystemMetricsDeps = {
  role: Config['role'];
  engine: Config['engine']['kind'];
  logger: Logger;
  /** Task types this process runs workers for (their counters start at 0). */
  taskTypes: readonly string[];
  /** METRICS_CACHE_MS: how long a reading of the shared gauges stands (each costs queries to the database, the engine and Redis). */
  cacheMs: number;
  /** Present in the roles that serve the API. */
  shared?: {
    prisma: PrismaClient;
    incidents: IncidentSource;
    queues: readonly Queue[];
    webhookProviders: readonly string[];
    /** Embedded engine only: tokens waiting per element. */
    operations?: Pick<EngineOperations, 'waitingByElement'>;
  };
};

// Jobs not finished yet; completed and failed ones are history, not backlog.
const BACKLOG_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;

export function systemMetrics(d: SystemMetricsDeps): SagaMetrics {
  const metrics = new SagaMetrics((source, err) => d.logger.warn({ err, source }, `metrics: ${source} did not answer; its series keep their last values`), {
    sourceCacheMs: d.cacheMs,
  })
    .info({ role: d.role, engine: d.engine })
    .initialize({
      taskTypes: d.taskTypes,
      // Observed where the payment saga ends: in the workers.
      finalStatuses: d.taskTypes.length > 0 ? ORDER_STATUSES.filter(endsPaymentSaga) : [],
      webhookProviders: d.shared?.webhookProviders ?? [],
      refusalReasons: WEBHOOK_REFUSALS,
    });
  const shared = d.shared;
  if (!shared) return metrics;

  metrics
    .gaugeFromSource({
      name: 'orders',
      help: 'Orders by status now (final: COMPLETED, REJECTED, PAYMENT_FAILED, CANCELLED)',
      labelNames: ['status'],
      source: 'database',
      read: async () => {
        const rows = await shared.prisma.order.groupBy({ by: ['status'], _count: { _all: true } });
        const byStatus = new Map(rows.map((r) => [r.status as string, r._count._all]));
        return ORDER_STATUSES.map((status) => ({ labels: { status }, value: byStatus.get(status) ?? 0 }));
      },
    })
    .gaugeFromSource({
      name: 'incidents_open',
      help: 'Incidents open now (jobs out of retries, uncaught BPMN errors, mappings) waiting for an operator; alert on max(...) > 0',
      source: 'incidents',
      read: async () => [{ value: await shared.incidents.openCount() }],
    })
    .gaugeFromSource({
      name: 'queue_depth',
      help: 'BullMQ jobs not finished yet (waiting, prioritized, delayed, active), by queue',
      labelNames: ['queue'],
      source: 'redis',
      read: () =>
        Promise.all(
          shared.queues.map(async (q) => {
            const counts = await q.getJobCounts(...BACKLOG_STATES);
            return { labels: { queue: q.name }, value: BACKLOG_STATES.reduce((n, s) => n + (counts[s] ?? 0), 0) };
          }),
        ),
    });
  const operations = shared.operations;
  if (operations) {
    metrics.gaugeFromSource({
      name: 'element_waiting',
      help: 'Embedded engine: tokens waiting at each BPMN element now, over all deployed versions',
      labelNames: ['bpmn_process_id', 'element_id'],
      source: 'engine',
      read: async () =>
        (await operations.waitingByElement()).map((w) => ({ labels: { bpmn_process_id: w.bpmnProcessId, element_id: w.elementId }, value: w.count })),
    });
  }
  return metrics;
}
