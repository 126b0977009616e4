// The API as the shipment tests need it: the embedded engine with the real OrderProcess on
// a test database, its messages recorded on their way to the process, and every error-level
// log line kept (a 500 logs one), so each test can fail on one.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from '@jest/globals';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { openEngine, type EngineParts } from '../../app/engines.js';
import type { ShipmentMessageToPublish } from '../../domain/shipments/business-answers.js';
import { DEV_API_KEY } from '../../infra/config.js';
import { OrderProcess } from '../../orchestrator/order-process.js';
import type { TestDatabase } from '../support/database.js';

export type ShipmentApi = {
  baseUrl: string;
  engine: EngineParts;
  /** Every message the routes handed the order process, in order. */
  published: ShipmentMessageToPublish[];
  /** Fails the calling test when an error-level line was logged since the last call. */
  expectNoNewErrorLines(): void;
  close(): Promise<void>;
};

export async function startShipmentApi(db: TestDatabase, adminToken: string): Promise<ShipmentApi> {
  const engine = await openEngine({ kind: 'embedded' }, db, pino({ level: 'silent' }), { runTimers: false });
  const errorLines: string[] = [];
  const published: ShipmentMessageToPublish[] = [];
  const orderProcess = new OrderProcess(engine.engine, { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 });
  const app = createApp({
    db,
    config: { adminToken, auth: { devApiKey: DEV_API_KEY, customerTokens: undefined }, http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' } },
    logger: pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) }),
    saga: {
      orderProcess,
      // The real process, with what it is given recorded on the way.
      shipments: {
        reportShipment: async (m) => {
          published.push(m);
          await orderProcess.reportShipment(m);
        },
      },
      gateway: { checkPaymentMethod: () => undefined },
      inspector: engine.inspector,
      listNotifications: async () => ({ notifications: [], nextCursor: null }),
      webhookProviders: [],
      relay: { relayNow: async () => undefined },
      incidents: engine.incidents,
      engine: engine.engine,
      queues: [],
    },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  let checked = 0;
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    engine,
    published,
    expectNoNewErrorLines() {
      const logged = errorLines.slice(checked);
      checked = errorLines.length;
      expect({ 'error-level log lines (a 500 logs one)': logged }).toEqual({ 'error-level log lines (a 500 logs one)': [] });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.engine.close();
    },
  };
}
