// CORS over real HTTP: the public API (catalog, orders) answers the origins of CORS_ORIGINS
// only, without credentials; admin routes and /ops never answer a browser of another site.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';

const SHOP = 'https://shop.example.com';
const OTHER = 'https://evil.example.net';
const ADMIN_TOKEN = 'cors-test-admin-token';

let db: TestDatabase;
const servers: Server[] = [];

async function serve(origins: string[]): Promise<string> {
  const app = createApp({
    db,
    config: {
      adminToken: ADMIN_TOKEN,
      auth: { devApiKey: DEV_API_KEY, customerTokens: undefined },
      http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' },
      cors: { origins },
    },
    logger: pino({ level: 'silent' }),
    ops: { engine: 'zeebe', decisions: { decisionsOf: async () => undefined } },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let base: string;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemoCatalog(db.prisma);
  base = await serve([SHOP, 'http://localhost:5173']);
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await db.close();
});

const preflight = (url: string, origin: string, method = 'POST') =>
  fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type,idempotency-key' },
  });

describe(`CORS (${databaseKind})`, () => {
  test('an allowed origin may read GET /products, without credentials', async () => {
    const res = await fetch(`${base}/products`, { headers: { origin: SHOP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toContain('Retry-After');
  });

  test('a preflight for POST /orders from an allowed origin is answered', async () => {
    const res = await preflight(`${base}/orders`, SHOP);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type,idempotency-key');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('an origin not in the list gets no CORS header, on a request or a preflight', async () => {
    const res = await fetch(`${base}/products`, { headers: { origin: OTHER } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(`${base}/orders`, OTHER)).headers.get('access-control-allow-origin')).toBeNull();
  });

  test.each([
    ['GET', '/ops'],
    ['OPTIONS', '/ops'],
    ['OPTIONS', '/ops/api/incidents'],
    ['GET', '/events'],
    ['OPTIONS', '/stocks/SKU-KETTLE/main'],
    ['GET', '/stocks/SKU-KETTLE'],
  ])('%s %s never answers with CORS headers, even to an allowed origin', async (method, path) => {
    const res =
      method === 'OPTIONS'
        ? await preflight(`${base}${path}`, SHOP, 'PUT')
        : await fetch(`${base}${path}`, { headers: { origin: SHOP, authorization: `Bearer ${DEV_API_KEY}` } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('CORS_ORIGINS unset: no route answers any origin', async () => {
    const closed = await serve([]);
    expect((await fetch(`${closed}/products`, { headers: { origin: SHOP } })).headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(`${closed}/orders`, SHOP)).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS', () => {
  const env = (e: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...e });
  test('comma-separated origins, trailing slashes dropped; empty by default; a path is refused', () => {
    expect(env({}).cors).toEqual({ origins: [] });
    expect(env({ CORS_ORIGINS: ' https://a.example, http://localhost:5173/ ,' }).cors).toEqual({ origins: ['https://a.example', 'http://localhost:5173'] });
    expect(() => env({ CORS_ORIGINS: 'https://a.example/shop' })).toThrow(/CORS_ORIGINS/);
    expect(() => env({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
  });
});
