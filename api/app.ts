import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import { jsonBodyParser } from './body-parsers.js';
import { openApiDocument } from './openapi.js';
import { notFoundHandler, problemErrorHandler } from './problem.js';
import { catalogRoutes } from './routes/catalog.js';
import { healthRoutes } from './routes/health.js';
import { stockRoutes } from './routes/stocks.js';
import { orderRoutes, type OrderRouteDeps } from './routes/orders.js';
import { shipmentAnswerRoutes, type ShipmentAnswerRouteDeps } from './routes/shipment-answers.js';
import { opsShipmentRoutes } from './routes/ops-shipments.js';
import { webhookRoutes, type WebhookProvider, type WebhookRoutesOptions } from './routes/webhooks.js';
import { incidentRoutes, type IncidentRouteDeps } from './routes/incidents.js';
import { queuesBoard } from './routes/queues-board.js';
import { metricsRoutes, type MetricsSource } from './routes/metrics.js';
import { opsRoutes, type OpsMode } from './routes/ops.js';
import { authenticate, authenticationOf } from './authenticate.js';
import { requireCustomer, requireCustomerOrKey, requireKeyAdmin, requireScope, requireScopeOrBusinessKey } from './authorize.js';
import { cartRoutes } from './routes/cart.js';
import { catalogueAdminRoutes } from './routes/catalogue-admin.js';
import { DEFAULT_IDEMPOTENCY_KEY_TTL_MS } from '../domain/orders/create-order.js';
import { customerRoutes } from './routes/customers.js';
import { storefrontRoutes } from './routes/storefront.js';
import { DEFAULT_CUSTOMER_LEVELS, levelsOf } from '../domain/customers/levels.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { businessRoutes } from './routes/businesses.js';
import { BUSINESSES_ADMIN, OWN_BUSINESS_READ } from '../domain/access/business-access.js';
import type { SettingsValidator } from '../domain/businesses/business.js';
import { principalLabel } from '../domain/access/principal.js';
import { asyncApiDocument } from './asyncapi.js';
import { eventRoutes } from './routes/events.js';
import { eventSubscriptionRoutes } from './routes/event-subscriptions.js';
import { requestLogFields } from './log-context.js';
import { noFraming } from './no-framing.js';
import { securityHeaders } from './security-headers.js';
import { PUBLIC_API_PATHS, publicApiCors } from './cors.js';
import { rateLimiter, type RateLimitRedis } from './rate-limit.js';
import type { Queue } from 'bullmq';

/** What the order saga's routes need; absent in tests of the catalog alone. */
export type SagaDeps = Pick<OrderRouteDeps, 'orderProcess' | 'gateway' | 'inspector' | 'listNotifications'> &
  Pick<IncidentRouteDeps, 'incidents' | 'engine'> & {
    webhookProviders: WebhookProvider[];
    /** Where businesses' answers go (the shipment processes); absent: the answer routes are off. */
    shipments?: ShipmentAnswerRouteDeps['orderProcess'];
    relay: WebhookRoutesOptions['relay'];
    onWebhookRefused?: (provider: string, reason: string) => void;
    queues: Queue[];
  };

export type AppDeps = {
  db: Database;
  /** `payments.publicUrl` (PUBLIC_URL): an origin of ours, besides the Host header's, for admin requests that change state. */
  config: Pick<Config, 'adminToken' | 'http'> &
    Partial<Pick<Config, 'orders' | 'events' | 'eventSubscriptions' | 'rateLimit' | 'cors' | 'auth' | 'customerLevels'>> & {
      payments?: Pick<Config['payments'], 'publicUrl'>;
    };
  logger: Logger;
  version?: string;
  saga?: SagaDeps;
  /** Readiness also asks the engine (Camunda 8: the cluster's topology). */
  engineCheck?: () => Promise<void>;
  /** The ops page at /ops: the live diagram on the embedded engine, a link to Operate on Camunda 8. */
  ops?: OpsMode;
  /** GET /metrics (Prometheus); `token` set: scrapers must send it. */
  metrics?: { source: MetricsSource; token?: string | undefined };
  /** Where the rate limits count (shared by every instance); absent: no limits, whatever `config.rateLimit` says. */
  rateLimitStore?: { redis: RateLimitRedis; prefix: string };
  /** The dispatcher plugins (integrations/dispatchers/registry.ts): with them, the business routes (/businesses…). */
  dispatchers?: { validate: SettingsValidator };
};

/** EVENT_DELIVERY_RETRY_FOR's default (three days), for apps built without the events settings (tests of single routes). */
const DEFAULT_RETRY_FOR_MS = 3 * 24 * 60 * 60 * 1000;

// A client's request id is logged and echoed: taken only when short and plain, otherwise replaced by one of ours.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const given = req.get('x-request-id');
    const reqId = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', reqId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // A scraper or an open ops page polls every few seconds: its successful reads would drown the log.
      const polling = req.method === 'GET' && res.statusCode < 400 && /^\/(metrics|ops\/api\/|ops\/assets\/)/.test(req.originalUrl);
      const level = res.statusCode >= 500 ? 'error' : polling ? 'debug' : 'info';
      const { principal } = authenticationOf(res);
      logger[level](
        {
          reqId,
          method: req.method,
          url: req.originalUrl,
          ...(principal ? { caller: principalLabel(principal) } : {}),
          ...requestLogFields(res),
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
        },
        'request',
      );
    });
    next();
  };
}

/** Apps built without the auth settings (tests of single routes): API keys and the admin token only. */
const NO_CUSTOMERS_NO_DEV_KEY = { devApiKey: undefined, customerTokens: undefined };

export function createApp({ db, config, logger, version = '0.1.0', saga, engineCheck, ops: opsMode, metrics, rateLimitStore, dispatchers }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLog(logger));
  app.use(securityHeaders);
  // Before the limiter, so that a page allowed to call us can read a 429 too.
  const levels = config.customerLevels ? levelsOf(config.customerLevels) : DEFAULT_CUSTOMER_LEVELS;
  const cors = publicApiCors(config.cors?.origins ?? []);
  if (cors) app.use(PUBLIC_API_PATHS, cors);
  // Who is calling, before the limiter: a verified caller has a budget of their own.
  app.use(authenticate({ prisma: db.prisma, adminToken: config.adminToken, auth: config.auth ?? NO_CUSTOMERS_NO_DEV_KEY }));
  const perMinute = config.rateLimit?.perMinute;
  if (rateLimitStore && perMinute !== undefined) {
    app.use(rateLimiter({ perMinute, redis: rateLimitStore.redis, prefix: rateLimitStore.prefix, logger }));
  }

  const openapi = openApiDocument(version, {
    saga: Boolean(saga),
    ops: opsMode?.engine,
    metrics: Boolean(metrics),
    businesses: Boolean(dispatchers),
    shipments: Boolean(saga?.shipments),
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'order-saga API' }));
  if (saga) {
    const asyncapi = asyncApiDocument(version);
    app.get('/asyncapi.json', (_req, res) => {
      res.json(asyncapi);
    });
  }

  app.use(healthRoutes(db, engineCheck));
  app.use(catalogRoutes(db.prisma));
  // Bodies are parsed per route, after authentication: an anonymous client gets 401, not a 400/413 about its body.
  const jsonParser = jsonBodyParser(config.http.bodyLimit);
  const publicUrl = config.payments?.publicUrl;
  app.use(apiKeyRoutes({ prisma: db.prisma, requireKeyAdmin: requireKeyAdmin({ publicUrl }), jsonParser }));
  app.use(stockRoutes(db.prisma, requireScope('catalog:admin', { publicUrl }), jsonParser));
  app.use(storefrontRoutes(db.prisma, levels));
  app.use(catalogueAdminRoutes({ prisma: db.prisma, levels, requireCatalogAdmin: requireScope('catalog:admin', { publicUrl }), jsonParser }));
  app.use(
    customerRoutes({
      prisma: db.prisma,
      levels,
      requireCustomersAdmin: requireScope('customers:admin', { publicUrl }),
      requireCustomer: requireCustomer(),
      jsonParser,
    }),
  );
  if (dispatchers) {
    app.use(
      businessRoutes({
        prisma: db.prisma,
        requireBusinessesAdmin: requireScope(BUSINESSES_ADMIN, { publicUrl }),
        requireBusinessReader: requireScopeOrBusinessKey(BUSINESSES_ADMIN, OWN_BUSINESS_READ),
        jsonParser,
        validateDispatcher: (plugin, settings) => dispatchers.validate(plugin, settings),
      }),
    );
  }
  if (metrics) app.use(metricsRoutes(metrics.source, metrics.token));
  // Everything under /ops is for people in a browser: a 401 there asks for Basic credentials,
  // and no other site may frame any of it.
  const ops = requireScope('ops', { challenge: 'basic', publicUrl });
  app.use('/ops', noFraming);
  if (saga) {
    app.use(
      orderRoutes({
        prisma: db.prisma,
        requireCaller: requireCustomerOrKey({ publicUrl }),
        orderProcess: saga.orderProcess,
        gateway: saga.gateway,
        inspector: saga.inspector,
        listNotifications: saga.listNotifications,
        jsonParser,
        logger,
        idempotencyKeyTtlMs: config.orders?.idempotencyKeyTtlMs,
        levels,
        shipments: saga.shipments,
      }),
    );
    app.use(
      cartRoutes({
        prisma: db.prisma,
        orderProcess: saga.orderProcess,
        logger,
        levels,
        requireCustomer: requireCustomer(),
        jsonParser,
        gateway: saga.gateway,
        idempotencyKeyTtlMs: config.orders?.idempotencyKeyTtlMs ?? DEFAULT_IDEMPOTENCY_KEY_TTL_MS,
      }),
    );
    app.use(
      webhookRoutes({
        providers: saga.webhookProviders,
        prisma: db.prisma,
        relay: saga.relay,
        logger,
        bodyLimit: config.http.bodyLimit,
        ...(saga.onWebhookRefused ? { onRefused: saga.onWebhookRefused } : {}),
      }),
    );
    if (saga.shipments) {
      app.use(shipmentAnswerRoutes({ prisma: db.prisma, orderProcess: saga.shipments, logger, bodyLimit: config.http.bodyLimit }));
      // Ops approve, reassign and cancel shipments (docs/fulfilment.md).
      app.use(opsShipmentRoutes({ prisma: db.prisma, orderProcess: saga.shipments, requireOps: ops, jsonParser, logger }));
    }
    app.use(incidentRoutes({ prisma: db.prisma, incidents: saga.incidents, engine: saga.engine, requireOps: ops, jsonParser }));
    app.use(queuesBoard(saga.queues, ops));
    // Events out (docs/events.md): webhook subscriptions and the stream.
    app.use(
      eventSubscriptionRoutes({
        prisma: db.prisma,
        requireEventsAdmin: requireScope('events:admin', { publicUrl }),
        jsonParser,
        retryForMs: config.events?.retryForMs ?? DEFAULT_RETRY_FOR_MS,
        // Closed unless the configuration says otherwise (it does outside production).
        allowPrivateNetworks: config.eventSubscriptions?.allowPrivateNetworks ?? false,
      }),
    );
    app.use(eventRoutes(db.prisma, requireScope('events:read')));
  }
  if (opsMode) app.use(opsRoutes(opsMode, ops));

  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  return app;
}
