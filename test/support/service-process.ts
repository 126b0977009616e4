// The service as a user runs it: a child process of the same command as `npm start`
// (node --import tsx app/main.ts [role]), minus npm, so the pid a test
// signals is the service's own. Children still running after a test file are killed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from '@jest/globals';
import { createEmptyPostgresDatabase, createMigratedPostgresDatabase, onPostgres } from './database.js';
import { testNodeFlags } from './node-flags.js';
import { seedPgliteDataDir } from './pglite-template.js';
import { sleep } from './wait.js';

export type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs `orchestrator/<script>` (main.ts by default) with the given arguments and environment on top of this process's. */
export function startService(env: Record<string, string>, args: string[] = [], script = 'app/main.ts'): Started {
  const child = spawn(process.execPath, [...testNodeFlags(), '--import', 'tsx', script, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Waits until the output says `marker` (start-up done), or fails with the output. */
export async function waitForOutput(s: Started, marker: string | RegExp = 'listening on', timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const seen = () => (typeof marker === 'string' ? s.output().includes(marker) : marker.test(s.output()));
  while (Date.now() < deadline) {
    if (seen()) return;
    if (s.child.exitCode !== null) throw new Error(`service exited with ${s.child.exitCode}:\n${s.output()}`);
    await sleep(100);
  }
  throw new Error(`service did not get to ${String(marker)} in time:\n${s.output()}`);
}

export const waitForListening = (s: Started, timeoutMs?: number) => waitForOutput(s, 'listening on', timeoutMs);

/** A fresh database for a service: a data directory holding a migrated PGlite, or a migrated copy on PostgreSQL (dropped after the file); `fromNothing`: empty ones. */
export async function databaseEnv(o: { fromNothing?: boolean } = {}): Promise<Record<string, string>> {
  if (!onPostgres) {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'order-saga-'));
    if (!o.fromNothing) await seedPgliteDataDir(dataDir);
    return { DATA_DIR: dataDir };
  }
  return postgresEnv(o);
}

export async function postgresEnv(o: { fromNothing?: boolean } = {}): Promise<Record<string, string>> {
  const empty = await (o.fromNothing ? createEmptyPostgresDatabase() : createMigratedPostgresDatabase());
  cleanups.push(empty.drop);
  return { DATABASE_URL: empty.url, DB_MIGRATE_ON_START: 'true', SEED_DEMO_DATA: 'true' };
}

/** Waits until the service listens and answers the URL it listens on. */
export async function listeningUrl(s: Started, timeoutMs?: number): Promise<string> {
  await waitForListening(s, timeoutMs);
  return (/listening on (http:\/\/[^\s"]+)/.exec(s.output()) as RegExpExecArray)[1] as string;
}
