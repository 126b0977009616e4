// The real app with every route of /openapi.json mounted, on a real socket: the saga's
// routes (orders on the embedded engine with the real process models deployed, the
// sandbox's signed webhooks), incidents, the ops page's API, the businesses and /metrics. No workers and
// no Redis: placed orders wait at their first job, and the webhook relay only counts.
// Error-level log lines are kept, so a test can prove nothing answered 500.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { DEV_API_KEY, type AuthConfig } from '../../infra/config.js';
import { createApp } from '../../api/app.js';
import { openEngine } from '../../app/engines.js';
import { sandboxWebhookProvider } from '../../app/webhook-providers.js';
import { createDispatcherRegistry } from '../../integrations/dispatchers/registry.js';
import { notificationPage } from '../../domain/notifications/list-notifications.js';
import { signPayload } from '../../domain/payments/signature.js';
import { SagaMetrics } from '../../infra/metrics.js';
import { parseSandboxToken, SANDBOX_TOKENS_MESSAGE } from '../../integrations/payments/sandbox/tokens.js';
import { OrderProcess } from '../../orchestrator/order-process.js';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export const ADMIN_TOKEN = 'every-route-admin-token';
export const WEBHOOK_SECRET = 'whsec_every_route_0123456789';
export const BODY_LIMIT = '100kb';

export type EveryRouteApp = {
  db: TestDatabase;
  baseUrl: string;
  /** Keys of the deployed process definitions (real, for the ops routes' happy paths). */
  definitionKeys: string[];
  /** Every line logged at error level or above: a 500 or an unhandled error. */
  errorLines: string[];
  /** `Sandbox-Signature` for this body, signed now with the app's webhook secret. */
  sign(body: string | Buffer): string;
  close(): Promise<void>;
};

/** `auth`: how customers and the development key are recognised (default: the development key, no customer tokens). */
export async function startEveryRouteApp(o: { auth?: AuthConfig } = {}): Promise<EveryRouteApp> {
  const db = await openTestDatabase();
  const quiet = pino({ level: 'silent' });
  const parts = await openEngine({ kind: 'embedded' }, db, quiet, { runTimers: false });
  try {
    await seedDemoCatalog(db.prisma);
    const deployed = await parts.engine.deploy(await loadProcessModels());
    const errorLines: string[] = [];
    const orderProcess = new OrderProcess(parts.engine, { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 });
    const logger = pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) });
    const app = createApp({
      db,
      config: {
        adminToken: ADMIN_TOKEN,
        auth: o.auth ?? { devApiKey: DEV_API_KEY, customerTokens: undefined },
        // Subscribers in tests listen on this machine.
        eventSubscriptions: { allowPrivateNetworks: true },
        http: { host: '127.0.0.1', port: 0, bodyLimit: BODY_LIMIT },
      },
      logger,
      engineCheck: parts.ping,
      saga: {
        orderProcess,
        shipments: orderProcess,
        gateway: { checkPaymentMethod: (pm) => (parseSandboxToken(pm) ? undefined : `unknown payment method: ${SANDBOX_TOKENS_MESSAGE}`) },
        inspector: parts.inspector,
        listNotifications: (orderId, page) => notificationPage(db.prisma, orderId, page),
        webhookProviders: [sandboxWebhookProvider(WEBHOOK_SECRET, 300)],
        relay: { relayNow: async () => undefined },
        incidents: parts.incidents,
        engine: parts.engine,
        queues: [],
      },
      ops: { engine: 'embedded', prisma: db.prisma, operations: parts.embedded!.operations },
      metrics: { source: new SagaMetrics() },
      dispatchers: createDispatcherRegistry({ from: 'order-saga <orders@localhost>' }),
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    return {
      db,
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      definitionKeys: deployed.map((d) => d.processDefinitionKey),
      errorLines,
      sign: (body) => signPayload(WEBHOOK_SECRET, body, Math.floor(Date.now() / 1000)),
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
        await parts.engine.close();
        await db.close();
      },
    };
  } catch (err) {
    await parts.engine.close();
    await db.close();
    throw err;
  }
}
