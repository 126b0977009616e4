// The real app on a real socket: a database of its own, 127.0.0.1 on a free port,
// and a logger whose error-level lines are kept so a test can prove nothing answered 500.
import { DEV_API_KEY } from '../../infra/config.js';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp, type AppDeps } from '../../api/app.js';
import { openTestDatabase, type TestDatabase } from './database.js';

export const ADMIN_TOKEN = 'test-admin-token-123';
export const BODY_LIMIT_BYTES = 100 * 1024;

export type ApiServer = {
  db: TestDatabase;
  baseUrl: string;
  /** Every line logged at error level or above: a 500 or an unhandled error. */
  errorLines: string[];
  close(): Promise<void>;
};

/** `o.dispatchers`: the dispatcher plugins, which mount the business routes. */
export async function startApiServer(seed: (db: TestDatabase) => Promise<unknown>, o: Pick<AppDeps, 'dispatchers'> = {}): Promise<ApiServer> {
  const db = await openTestDatabase();
  try {
    await seed(db);
    const errorLines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) });
    const app = createApp({
      db,
      config: {
        adminToken: ADMIN_TOKEN,
        auth: { devApiKey: DEV_API_KEY, customerTokens: undefined },
        http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' },
      },
      logger,
      ...o,
    });
    const server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    const { port } = server.address() as AddressInfo;
    return {
      db,
      baseUrl: `http://127.0.0.1:${port}`,
      errorLines,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

export const adminHeaders = (extra: Record<string, string> = {}): Record<string, string> => ({
  authorization: `Bearer ${DEV_API_KEY}`,
  'content-type': 'application/json',
  ...extra,
});
