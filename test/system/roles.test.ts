// The process roles as a user starts them: `npm run start:api` and
// `npm run start:workers` as two processes sharing one PostgreSQL and one Redis
// (here with the embedded engine, whose jobs other processes poll), and
// `npm run deploy`. Each runs the same command as its npm script, minus npm.
import { DEV_API_KEY } from '../../infra/config.js';
import { describe, expect, test } from '@jest/globals';
import { databaseKind, onPostgres } from '../support/database.js';
import { databaseEnv, freePort, postgresEnv, startService, waitForListening, waitForOutput } from '../support/service-process.js';
import { sleep } from '../support/wait.js';
import { PAID_PATH } from '../saga/support.js';

const redisUrl = process.env.REDIS_URL;
const splitRoles = onPostgres && redisUrl ? test : test.skip;

type OrderView = { status: string; history: { to: string }[] };

async function orderView(url: string, id: string): Promise<OrderView> {
  return (await (await fetch(`${url}/orders/${id}`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).json()) as OrderView;
}

describe(`process roles (${databaseKind})`, () => {
  test('an unknown role is refused before anything starts', async () => {
    const s = startService({}, ['scheduler']);
    expect(await s.exited).toBe(2);
    expect(s.output()).toContain('Unknown role "scheduler": use one of all, api, workers');
  });

  test('the api role on the embedded default is refused, naming DATABASE_URL and REDIS_URL', async () => {
    const s = startService({ DATABASE_URL: '', REDIS_URL: '' }, ['api']);
    expect(await s.exited).toBe(2);
    expect(s.output()).toMatch(/DATABASE_URL is required for the api role/);
    expect(s.output()).toMatch(/REDIS_URL is required for the api role/);
  });

  // Needs PostgreSQL (PGlite serves one process) and a shared Redis (REDIS_URL; CI starts one).
  splitRoles('api and workers as two processes run an order to FULFILLING; the workers process serves health only; both stop cleanly on SIGTERM', async () => {
    const db = await postgresEnv();
    const common = { ...db, REDIS_URL: redisUrl as string, QUEUE_PREFIX: `roles-${process.pid}`, HOST: '127.0.0.1', SANDBOX_DELAY_MS: '30', LOG_LEVEL: 'info' };
    const apiPort = await freePort();
    const api = startService({ ...common, PORT: String(apiPort) }, ['api']);
    await waitForListening(api);
    expect(api.output()).toContain('deployed order-fulfillment as version 1');
    const workersPort = await freePort();
    const workers = startService({ ...common, PORT: String(workersPort), DB_MIGRATE_ON_START: 'false', SEED_DEMO_DATA: 'false' }, ['workers']);
    await waitForOutput(workers, 'order-saga workers running');
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const workersUrl = `http://127.0.0.1:${workersPort}`;

    const placed = await fetch(`${apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_API_KEY}` },
      body: JSON.stringify({ customerId: 'ada', items: [{ sku: 'SKU-KETTLE', quantity: 1 }], paymentMethod: 'pm_approve' }),
    });
    expect(placed.status).toBe(202);
    const { id } = (await placed.json()) as { id: string };
    const deadline = Date.now() + 40_000;
    // Paid, then split into shipments: FULFILLING, where its shipment waits for the business.
    while ((await orderView(apiUrl, id)).status !== 'FULFILLING') {
      if (Date.now() > deadline) throw new Error(`order ${id} not FULFILLING in time; api:\n${api.output()}\nworkers:\n${workers.output()}`);
      await sleep(200);
    }
    expect((await orderView(apiUrl, id)).history.map((h) => h.to)).toEqual([...PAID_PATH]);
    // The jobs ran in the workers process, not in the api process.
    for (const job of ['reserve-stock', 'prepare-shipments']) {
      expect(workers.output()).toContain(`job ${job} done`);
      expect(api.output()).not.toContain(`job ${job} done`);
    }

    expect((await fetch(`${workersUrl}/health`)).status).toBe(200);
    expect(await (await fetch(`${workersUrl}/ready`)).json()).toEqual({ status: 'ready', database: 'postgres', engine: 'up' });
    expect((await fetch(`${workersUrl}/orders/${id}`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).status).toBe(404);

    workers.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    expect(await workers.exited).toBe(0);
    expect(await api.exited).toBe(0);
    expect(workers.output()).toContain('"msg":"stopped"');
  });
});

describe(`npm run deploy (${databaseKind})`, () => {
  test("deploys bpmn/ and prints each process's version; an unchanged model stays the same version", async () => {
    const env = { ...(await databaseEnv()), LOG_LEVEL: 'warn' };
    const first = startService(env, [], 'app/deploy-cli.ts');
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/Deployed bpmn\/order-fulfillment\.bpmn, bpmn\/shipment\.bpmn, bpmn\/shipment-routing\.dmn to the embedded engine/);
    expect(first.output()).toMatch(/decision shipment-routing {2}version 1 {2}NEW/);
    expect(first.output()).toMatch(/order-fulfillment {2}version 1 {2}NEW/);
    expect(first.output()).toMatch(/order-shipment {2}version 1 {2}NEW/);
    const again = startService(env, [], 'app/deploy-cli.ts');
    expect(await again.exited).toBe(0);
    expect(again.output()).toMatch(/order-fulfillment {2}version 1 {2}unchanged/);
    expect(again.output()).toMatch(/order-shipment {2}version 1 {2}unchanged/);
  });

  (onPostgres ? test.skip : test)('while the service owns the embedded database, deploy refuses and says what to do', async () => {
    const env = await databaseEnv();
    const service = startService({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
    await waitForListening(service);
    const deploy = startService({ ...env, LOG_LEVEL: 'warn' }, [], 'app/deploy-cli.ts');
    expect(await deploy.exited).toBe(1);
    expect(deploy.output()).toContain('stop it first, or just restart it (it deploys at start)');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  test('a configuration error is reported with exit code 2', async () => {
    const deploy = startService({ ENGINE: 'zeebe', ZEEBE_REST_ADDRESS: '' }, [], 'app/deploy-cli.ts');
    expect(await deploy.exited).toBe(2);
    expect(deploy.output()).toContain('ZEEBE_REST_ADDRESS is required with ENGINE=zeebe');
  });
});
