// The outbox's gauges, read from the database at scrape time by the roles that serve the
// API (like the other shared gauges, see system-metrics.ts): subscriptions by state and
// deliveries still to make. The dispatcher's counters live in SagaMetrics.
import type { PrismaClient } from '../infra/database.js';
import type { SagaMetrics } from '../infra/metrics.js';

export function eventDeliveryGauges(metrics: SagaMetrics, prisma: PrismaClient): SagaMetrics {
  return metrics
    .gaugeFromSource({
      name: 'event_subscriptions',
      help: 'Event subscriptions by state (enabled, disabled: failing for EVENT_SUBSCRIPTION_DISABLE_AFTER, or by an administrator)',
      labelNames: ['state'],
      source: 'database',
      read: async () => {
        const rows = await prisma.eventSubscription.groupBy({ by: ['enabled'], _count: { _all: true } });
        const count = (enabled: boolean) => rows.find((r) => r.enabled === enabled)?._count._all ?? 0;
        return [
          { labels: { state: 'enabled' }, value: count(true) },
          { labels: { state: 'disabled' }, value: count(false) },
        ];
      },
    })
    .gaugeFromSource({
      name: 'event_deliveries_pending',
      help: 'Event deliveries not yet made (first attempt or retry to come)',
      source: 'database',
      read: async () => [{ value: await prisma.eventDelivery.count({ where: { status: 'PENDING' } }) }],
    });
}
