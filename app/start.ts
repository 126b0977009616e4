// Start-up wiring: database (migrated, seeded where configured), Redis, the engine
// (embedded or Camunda 8) with the deployed model, the saga's workers, the queues,
// the HTTP API and the recovery sweeper. A role picks the parts one process runs:
//   all     — everything in one process (`npm start`);
//   api     — HTTP API, webhooks, queue consumers (payment relay, notifications,
//             sandbox provider), recovery sweeper, deploy at start (`npm run start:api`);
//   workers — the job workers and the events' webhook dispatcher, with a small HTTP server for health (`npm run start:workers`).
// Used by `npm start` and by the tests, so both run exactly the same system.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../api/app.js';
import type { Config } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/database.js';
import { prepareDataDir } from '../infra/data-dir.js';
import { armKillPoint } from '../infra/kill-points.js';
import type { Logger } from '../infra/logger.js';
import { applyMigrations, pendingMigrations, MigrationError } from '../infra/migrations.js';
import { seedDemoCatalog } from '../prisma/seed.js';
import { notificationPage } from '../domain/notifications/list-notifications.js';
import { connectRedis } from '../queues/redis.js';
import { NotificationQueue } from '../queues/notifications.js';
import { PaymentEventRelay } from '../queues/payment-events.js';
import { LogSink } from '../integrations/notifications/log-sink.js';
import { SmtpSink } from '../integrations/notifications/smtp-sink.js';
import { SandboxProvider } from '../integrations/payments/sandbox/provider.js';
import { sandboxWebhookProvider } from './webhook-providers.js';
import { SAGA_WORKERS } from '../workers/index.js';
import { runWorkers } from '../workers/run-workers.js';
import type { PaymentGateway } from '../domain/payments/gateway.js';
import type { EmbeddedEngine } from '../orchestrator/embedded/embedded-engine.js';
import type { Engine, JobWorker } from '../orchestrator/engine.js';
import { openEngine, type EngineParts } from './engines.js';
import { OrderProcess } from '../orchestrator/order-process.js';
import { checkWorkerCoverage, loadProcessModels, taskTypesOf } from '../orchestrator/process-models.js';
import { RecoverySweeper } from './recovery.js';
import { EventDispatcher } from './event-dispatcher.js';
import { guardedPostJson } from '../integrations/http/post-json.js';
import { createDispatcherRegistry } from '../integrations/dispatchers/registry.js';
import { eventDeliveryGauges } from './event-metrics.js';
import { systemMetrics } from './system-metrics.js';
import { metricsRoutes, type MetricsSource } from '../api/routes/metrics.js';
import type { OpsMode } from '../api/routes/ops.js';
import { deployModelsWithRetry } from '../orchestrator/deploy-retry.js';
import { healthRoutes } from '../api/routes/health.js';
import { notFoundHandler, problemErrorHandler } from '../api/problem.js';
import express from 'express';
import { Redis, type RedisOptions } from 'ioredis';

export type RunningSystem = {
  role: Config['role'];
  db: Database;
  engine: Engine;
  /** The embedded engine, when it is the one running (tests drive its timers and tables). */
  embedded?: EmbeddedEngine;
  /** The payment provider's client (tests ask the provider what it did). */
  gateway: PaymentGateway;
  server: Server;
  url: string;
  stop(): Promise<void>;
};

export async function prepareDatabase(config: Pick<Config, 'database' | 'migrateOnStart' | 'seedDemoData'>, logger: Logger): Promise<Database> {
  const db = await openDatabase(config.database);
  try {
    if (config.migrateOnStart) {
      const applied = await applyMigrations(db.sql);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    } else {
      const pending = await pendingMigrations(db.sql);
      if (pending.length > 0) {
        throw new MigrationError(`The database is missing migrations ${pending.join(', ')}: run \`npm run db:migrate\` (or set DB_MIGRATE_ON_START=true)`);
      }
    }
    if (config.seedDemoData && (await seedDemoCatalog(db.prisma))) logger.info('seeded the demo catalog');
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** How often a close step that has not ended is named in the log. */
const CLOSE_STEP_REPORT_MS = 10_000;

/**
 * Closes what was opened, last first, even when one of them fails or hangs: a step still
 * running after `stepDeadlineMs` is logged as an error and left behind, so a stop ends
 * (main.ts exits the process soon after anyway) and the log names what hung.
 */
class Closer {
  private readonly steps: { name: string; close: () => Promise<unknown> }[] = [];
  constructor(
    private readonly logger: Logger,
    private readonly stepDeadlineMs: number,
  ) {}
  add(name: string, close: () => Promise<unknown>): void {
    this.steps.push({ name, close });
  }
  async closeAll(): Promise<void> {
    for (const step of this.steps.reverse()) await this.closeStep(step.name, step.close);
    this.steps.length = 0;
  }
  private async closeStep(name: string, close: () => Promise<unknown>): Promise<void> {
    const started = Date.now();
    const report = setInterval(() => this.logger.warn({ step: name, ms: Date.now() - started }, `still closing ${name}`), CLOSE_STEP_REPORT_MS);
    let deadline: NodeJS.Timeout | undefined;
    try {
      const closed = close().then(
        () => 'closed' as const,
        (err: unknown) => this.logger.error({ err, step: name }, `could not close ${name}`),
      );
      const late = new Promise<'late'>((resolve) => (deadline = setTimeout(() => resolve('late'), this.stepDeadlineMs)));
      if ((await Promise.race([closed, late])) === 'late') {
        this.logger.error({ step: name, ms: this.stepDeadlineMs }, `could not close ${name} within ${this.stepDeadlineMs} ms; going on without it`);
      }
    } finally {
      clearInterval(report);
      clearTimeout(deadline);
    }
  }
}

export async function startSystem(config: Config, logger: Logger): Promise<RunningSystem> {
  const role = config.role;
  const runsApi = role !== 'workers';
  const runsWorkers = role !== 'api';
  logger = logger.child({ role, engine: config.engine.kind });
  const closer = new Closer(logger, config.shutdownGraceMs + 5_000);
  armKillPoint(config.faultKillAt);
  if (config.faultKillAt) logger.warn({ killPoint: config.faultKillAt }, 'FAULT_KILL_AT is set: this process will SIGKILL itself at that point');
  try {
    // DATA_DIR holds PGlite and the private Redis; with neither in use it is never touched.
    if (config.database.kind === 'pglite' || !config.redis.url) await prepareDataDir(config.dataDir, logger);
    // Only one role seeds: two processes seeding an empty catalog at once would collide.
    const db = await prepareDatabase({ ...config, seedDemoData: config.seedDemoData && runsApi }, logger);
    closer.add('database', () => db.close());

    const redis = await connectRedis(config.redis, config.dataDir, logger);
    closer.add('redis', () => redis.close());
    const queueContext = { connection: redis.connection, prefix: config.redis.prefix, logger };

    const parts = await openEngine(config.engine, db, logger, { audit: config.engineAudit });
    const { engine } = parts;
    closer.add('engine', () => engine.close());
    if (parts.embedded && db.kind === 'pglite') {
      const reclaimed = await parts.embedded.engine.expireOrphanedJobLocks();
      if (reclaimed > 0) logger.info({ jobs: reclaimed }, 'jobs locked by a previous run that did not stop cleanly are offered again');
    }
    const models = await loadProcessModels();
    if (runsApi && config.deployOnStart) await deployModelsWithRetry(engine, models, logger, { retryFor: config.deployRetryFor });
    if (runsWorkers) {
      const modelTypes = (await Promise.all(models.map((m) => taskTypesOf(m.xml)))).flat();
      checkWorkerCoverage(
        modelTypes,
        SAGA_WORKERS.map((w) => w.taskType),
        models.map((m) => `bpmn/${m.name}`).join(', '),
      );
    }

    const orderProcess = new OrderProcess(engine, config.saga);
    let publicUrl = config.payments.publicUrl;
    // Both roles: workers request payments (a producer), the api role delivers the callbacks (the consumer).
    const sandbox = new SandboxProvider(queueContext, {
      webhookSecret: config.payments.sandbox.webhookSecret,
      delayMs: config.payments.sandbox.delayMs,
      callbackUrl: () => `${publicUrl as string}/webhooks/payments/sandbox`,
    });
    const smtpEnabled = Boolean(config.notifications.smtpUrl);
    const dispatchers = createDispatcherRegistry({
      ...(config.notifications.smtpUrl ? { smtpUrl: config.notifications.smtpUrl } : {}),
      from: config.notifications.from,
    });
    const smtp = runsApi && config.notifications.smtpUrl ? new SmtpSink(config.notifications.smtpUrl, config.notifications.from, logger) : undefined;
    if (smtp) closer.add('smtp', () => smtp.close());
    const notifications = new NotificationQueue(queueContext, db.prisma, { log: new LogSink(logger), ...(smtp ? { smtp } : {}) });
    // The relay belongs to the roles that serve the API: below, `relay` set means "this process serves the API".
    const relay = runsApi ? new PaymentEventRelay(queueContext, db.prisma, orderProcess, sandbox) : undefined;
    closer.add('queues', async () => {
      await Promise.all([sandbox.close(), notifications.close(), relay?.close()]);
    });
    const queues = relay ? [relay.queue, notifications.queue, sandbox.queue] : [];
    const webhookProviders = [sandboxWebhookProvider(config.payments.sandbox.webhookSecret, config.payments.webhookToleranceSeconds)];
    const metrics = systemMetrics({
      role,
      engine: config.engine.kind,
      logger,
      taskTypes: runsWorkers ? SAGA_WORKERS.map((w) => w.taskType) : [],
      cacheMs: config.metricsCacheMs,
      ...(runsApi
        ? {
            shared: {
              prisma: db.prisma,
              incidents: parts.incidents,
              queues,
              webhookProviders: webhookProviders.map((p) => p.name),
              ...(parts.embedded ? { operations: parts.embedded.operations } : {}),
            },
          }
        : {}),
    });
    if (runsApi) eventDeliveryGauges(metrics, db.prisma);
    const metricsEndpoint = { source: metrics, token: config.metricsToken };

    if (runsWorkers) {
      const workers: JobWorker[] = runWorkers(
        engine,
        SAGA_WORKERS,
        {
          prisma: db.prisma,
          gateway: sandbox,
          notifications,
          smtpEnabled,
          pointsEarnedPer100Minor: config.pointsEarnedPer100Minor,
          dispatchers,
          fulfilment: { publicUrl: () => publicUrl as string, linkValidityMs: config.fulfilment.linkValidityMs },
          retryBackoffMs: config.payments.retryBackoffMs,
          logger,
          metrics,
        },
        {
          maxJobsToActivate: config.workers.concurrency,
          timeoutMs: config.workers.jobTimeoutMs,
          closeGraceMs: Math.min(config.shutdownGraceMs, config.workers.jobTimeoutMs),
        },
      );
      // Workers stop taking jobs first (in-flight ones finish), then the queues and the engine close.
      closer.add('workers', () => Promise.all(workers.map((w) => w.close())));
    }

    // The rate limits' own connection: it fails a command at once while Redis is away (the
    // request is then served unlimited) instead of queueing it as BullMQ's connections do.
    const rateLimitRedis =
      relay && config.rateLimit.perMinute !== undefined
        ? new Redis({ ...(redis.connection as RedisOptions), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
        : undefined;
    if (rateLimitRedis) {
      rateLimitRedis.on('error', (err: Error) => logger.debug({ err }, 'rate limit Redis connection'));
      closer.add('rate limit Redis', async () => rateLimitRedis.disconnect());
      await rateLimitRedis.connect();
    }
    const app = relay
      ? createApp({
          db,
          config,
          logger,
          engineCheck: parts.ping,
          saga: {
            orderProcess,
            gateway: sandbox,
            inspector: parts.inspector,
            listNotifications: (orderId, page) => notificationPage(db.prisma, orderId, page),
            webhookProviders,
            shipments: orderProcess,
            relay,
            onWebhookRefused: (provider, reason) => metrics.webhookRefusedBy(provider, reason),
            incidents: parts.incidents,
            engine,
            queues,
          },
          ops: opsMode(config, db, parts),
          metrics: metricsEndpoint,
          // The admin API only checks a business's dispatcher settings with it: nothing is sent from here.
          dispatchers,
          ...(rateLimitRedis ? { rateLimitStore: { redis: rateLimitRedis, prefix: `${config.redis.prefix}:rate-limit:` } } : {}),
        })
      : workersApp(db, parts.ping, logger, metricsEndpoint);
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(config.http.port, config.http.host, () => resolve(s));
      s.once('error', reject);
    });
    closer.add(
      'http',
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    );
    const { port } = server.address() as AddressInfo;
    // A wildcard listens on loopback too; an IPv6 literal needs brackets in a URL.
    const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host === '::' ? '::1' : config.http.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    publicUrl ??= url;

    if (relay) {
      // Consumers start once everything they call is up.
      await Promise.all([sandbox.start(), notifications.start(), relay.start()]);
      const recovery = new RecoverySweeper({
        prisma: db.prisma,
        orderProcess,
        paymentEvents: relay,
        notifications,
        logger,
        intervalMs: config.recoveryIntervalMs,
        messageTtlMs: config.saga.messageTtlMs,
      });
      recovery.start();
      closer.add('recovery', () => recovery.close());
    }

    if (runsWorkers) {
      // The outbox's webhooks go out from the roles that run workers; several such processes share the work.
      const dispatcher = new EventDispatcher({
        prisma: db.prisma,
        logger,
        metrics: metrics.initializeEventDelivery(),
        post: guardedPostJson({ allowPrivate: config.eventSubscriptions.allowPrivateNetworks }),
        settings: config.events,
      });
      dispatcher.start();
      closer.add('event dispatcher', () => dispatcher.close());
    }

    return {
      role,
      db,
      engine,
      ...(parts.embedded ? { embedded: parts.embedded.engine } : {}),
      gateway: sandbox,
      server,
      url,
      stop: () => closer.closeAll(),
    };
  } catch (err) {
    await closer.closeAll();
    throw err;
  }
}

/** The ops page shows our own engine's tables; on Camunda 8 it points at Operate, and an instance's decisions come from its search API. */
function opsMode(config: Config, db: Database, parts: EngineParts): OpsMode {
  if (parts.embedded) return { engine: 'embedded', prisma: db.prisma, operations: parts.embedded.operations };
  return {
    engine: 'zeebe',
    decisions: parts.decisions,
    ...(config.engine.kind === 'zeebe' && config.engine.operateUrl ? { operateUrl: config.engine.operateUrl } : {}),
  };
}

/** The workers role serves no API: only what an orchestrator probes and scrapes (its job counters live here). */
function workersApp(db: Database, engineCheck: () => Promise<void>, logger: Logger, metrics: { source: MetricsSource; token: string | undefined }) {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRoutes(db, engineCheck));
  app.use(metricsRoutes(metrics.source, metrics.token));
  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  return app;
}
