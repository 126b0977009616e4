/**
 * The processes of `npm run bench:saga`: the service as a child process (the command of
 * `npm start`, minus npm, plus the counting probe), a redis-server of the bench's own when
 * REDIS_URL is unset, and a fresh PostgreSQL database. Each is stopped by its own handle
 * (by PID for the processes), never by name.
 *
 * Why not test/support/service-process.ts: it registers Jest hooks (`@jest/globals`), which
 * cannot be imported outside Jest. This file starts the service the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { isRunning } from '../test/support/processes.js';
import { sleep } from '../test/support/wait.js';
import type { ProbeSnapshot, SNAPSHOT_REQUEST } from './saga-probe.js';

const PROBE = pathToFileURL(path.resolve('bench', 'saga-probe.ts')).href;
const SNAPSHOT: typeof SNAPSHOT_REQUEST = 'saga-probe:snapshot';
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 40_000;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** SIGTERM, then SIGKILL if the process has not exited within `ms`. */
async function terminate(child: ChildProcess, exited: Promise<unknown>, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(ms).then(() => true)]);
  if (timedOut && child.pid !== undefined && isRunning(child.pid)) {
    child.kill('SIGKILL');
    await exited;
  }
}

// ---- Redis --------------------------------------------------------------------

export type BenchRedis = { url: string; own: boolean; stop(): Promise<void> };

/**
 * REDIS_URL when given (shared with whatever else uses that server), else a redis-server of
 * the bench's own on a free loopback port, persisting like the service's private one
 * (append-only file, fsync every second), in a temporary directory removed on stop.
 */
export async function benchRedis(givenUrl: string | undefined): Promise<BenchRedis> {
  if (givenUrl) return { url: givenUrl, own: false, stop: async () => undefined };
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-saga-redis-'));
  const port = await freePort();
  const child = spawn(
    process.env.REDIS_SERVER_PATH || 'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
    ],
    { stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  const stop = async () => {
    await terminate(child, exited, STOP_TIMEOUT_MS);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await once(child, 'spawn');
    const url = `redis://127.0.0.1:${port}`;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis(url, { lazyConnect: true, retryStrategy: null, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      const up = await client
        .connect()
        .then(() => client.ping())
        .then(
          () => true,
          () => false,
        );
      client.disconnect();
      if (up) return { url, own: true, stop };
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
      await sleep(50);
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Deletes what a run left under its queue prefix on a shared Redis (BullMQ's and the rate limiter's keys). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

// ---- the service --------------------------------------------------------------------

export type ServiceProcess = {
  pid: number;
  url: string;
  /** The probe's counters, asked for over IPC. */
  snapshot(): Promise<ProbeSnapshot>;
  /** The last lines of the service's log. */
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
};

/**
 * `node --import tsx --import bench/saga-probe.ts app/main.ts` with `env` only (plus PATH and
 * HOME: nothing of the caller's shell leaks into the service's configuration), its output
 * to `logFile`; resolves once GET /ready answers 200 on `port`.
 */
export async function startService(env: Record<string, string>, port: number, logFile: string): Promise<ServiceProcess> {
  const log = await open(logFile, 'w');
  // BENCH_SERVICE_CPU_PROF=dir: a V8 CPU profile of the service, written there when it stops.
  const profile = process.env.BENCH_SERVICE_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_SERVICE_CPU_PROF)}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--import', PROBE, 'app/main.ts'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log.fd, log.fd, 'ipc'],
  });
  await log.close(); // the child holds its own copy of the descriptor
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const logTail = async (lines = 20) => (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-lines).join('\n');
  const stop = () => terminate(child, exited, STOP_TIMEOUT_MS);

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the service exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready; its log ends:\n${await logTail()}`);
    }
    const ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2_000) }).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the service was not ready within ${START_TIMEOUT_MS / 1000} s; its log ends:\n${await logTail()}`);
    }
    await sleep(200);
  }

  let pending: ((s: ProbeSnapshot) => void)[] = [];
  child.on('message', (message: { type?: string; snapshot?: ProbeSnapshot }) => {
    if (message?.type !== SNAPSHOT || !message.snapshot) return;
    const waiting = pending;
    pending = [];
    for (const resolve of waiting) resolve(message.snapshot);
  });
  const snapshot = () =>
    new Promise<ProbeSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the service did not answer the probe within 10 s (is bench/saga-probe.ts loaded?)')), 10_000);
      pending.push((s) => {
        clearTimeout(timer);
        resolve(s);
      });
      // A service that exited cannot answer: reject instead of an uncaught ERR_IPC_CHANNEL_CLOSED.
      const failed = (err: Error | null) => {
        if (!err) return;
        clearTimeout(timer);
        reject(new Error(`the service cannot be asked for a snapshot: ${err.message}`));
      };
      if (!child.connected) return failed(new Error('its IPC channel is closed (the service exited)'));
      child.send({ type: SNAPSHOT }, failed);
    });
  await snapshot(); // the probe is loaded, or fail now
  return { pid: child.pid as number, url, snapshot, logTail, stop };
}
