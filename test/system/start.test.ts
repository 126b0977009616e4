// The README's run command, for real: a child process starts the whole system
// on a fresh data directory (or a fresh PostgreSQL database) and answers over HTTP.
// It runs the same command as `npm start` (node --import tsx), minus npm, so the
// pid the test signals is the service's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createEmptyPostgresDatabase, databaseKind, onPostgres } from '../support/database.js';

const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups) await cleanup();
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function startService(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'orchestrator/main.ts'], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForListening(s: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (s.output().includes('listening on')) return;
    if (s.child.exitCode !== null) throw new Error(`service exited with ${s.child.exitCode}:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`service did not start in time:\n${s.output()}`);
}

async function databaseEnv(): Promise<Record<string, string>> {
  if (!onPostgres) return { DATA_DIR: await mkdtemp(path.join(tmpdir(), 'order-saga-')) };
  const empty = await createEmptyPostgresDatabase();
  cleanups.push(empty.drop);
  return { DATABASE_URL: empty.url, DB_MIGRATE_ON_START: 'true', SEED_DEMO_DATA: 'true' };
}

describe(`the service as a user starts it (${databaseKind})`, () => {
  test('starts on a fresh database with no set-up, answers stock of a seeded SKU, stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = { ...(await databaseEnv()), PORT: String(port), HOST: '127.0.0.1' };
    const service = startService(env);
    await waitForListening(service);

    const res = await fetch(`http://127.0.0.1:${port}/stocks/SKU-KETTLE`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 40 },
        { warehouseId: 'WH-HAM', count: 25 },
        { warehouseId: 'WH-MUC', count: 10 },
      ],
    });
    expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);

    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });

  (onPostgres ? test.skip : test)('a second process on the same embedded data directory is refused with a clear error', async () => {
    const env = await databaseEnv();
    const first = startService({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
    await waitForListening(first);
    const second = startService({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`is in use by process ${first.child.pid}`);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // After a clean stop the directory is free again, and the data is still there.
    const third = startService({ ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
    await waitForListening(third);
    expect(third.output()).not.toContain('seeded the demo catalog');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  });

  test('an invalid configuration stops start-up naming the variable', async () => {
    const service = startService({ PORT: 'eighty', DATABASE_URL: 'mysql://nope' });
    expect(await service.exited).toBe(2);
    expect(service.output()).toMatch(/PORT .*number/);
    expect(service.output()).toMatch(/DATABASE_URL must be a postgresql:\/\/ URL/);
  });
});
