// The embedded default's private redis-server and connectRedis, against real
// redis-server processes. Every child started here is stopped (or killed) again.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { connectRedis, parseRedisUrl } from '../../queues/redis.js';
import { PrivateRedisInUseError, PrivateRedisServer, RedisUnavailableError } from '../../queues/redis-server.js';
import { uniquePrefix } from '../support/redis.js';
import { isRunning } from '../support/processes.js';
import { sleep } from '../support/wait.js';

const silent = pino({ level: 'silent' });
const servers: PrivateRedisServer[] = [];
const strayPids = new Set<number>();
const tempDirs: string[] = [];

async function tempDir(name = 'saga-rs-'): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), name));
  tempDirs.push(dir);
  return dir;
}

async function startServer(dataDir: string, logger: Logger = silent): Promise<PrivateRedisServer> {
  const server = await PrivateRedisServer.start({ serverPath: 'redis-server', dataDir, logger });
  servers.push(server);
  return server;
}

async function withClient<T>(server: PrivateRedisServer, fn: (c: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ ...server.connection, maxRetriesPerRequest: 1 });
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** Log lines at warn and above, parsed. */
function capturingLogger(): { logger: Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  return { lines, logger: pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) }) };
}

afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const pid of strayPids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('private redis-server', () => {
  test('starts without TCP, answers PING on its unix socket, and carries a BullMQ queue', async () => {
    const server = await startServer(await tempDir());
    expect(server.connection).toEqual({ path: server.socketPath });
    expect(await withClient(server, (c) => c.ping())).toBe('PONG');
    expect(await withClient(server, (c) => c.config('GET', 'port'))).toEqual(['port', '0']);

    const connection = { ...server.connection, maxRetriesPerRequest: null };
    const prefix = uniquePrefix();
    const queue = new Queue('rs-smoke', { connection, prefix });
    const done = new Promise<unknown>((resolve) => {
      const worker = new Worker('rs-smoke', async (job) => ({ doubled: (job.data as { n: number }).n * 2 }), { connection, prefix });
      worker.on('completed', (_job, result) => void worker.close().then(() => resolve(result)));
    });
    await queue.add('double', { n: 21 });
    expect(await done).toEqual({ doubled: 42 });
    await queue.obliterate({ force: true });
    await queue.close();
    await server.stop();
  });

  test('data written before stop() is there after a restart on the same directory (AOF)', async () => {
    const dir = await tempDir();
    const first = await startServer(dir);
    await withClient(first, (c) => c.set('kept', 'across restarts'));
    await first.stop();
    await first.stop(); // idempotent
    expect(isRunning(first.pid)).toBe(false);

    const second = await startServer(dir);
    expect(await withClient(second, (c) => c.get('kept'))).toBe('across restarts');
    await second.stop();
  });

  test('a stale server left running on the data directory is stopped and replaced, keeping its data', async () => {
    const dir = await tempDir();
    const stale = await startServer(dir); // never stopped: what a SIGKILLed service leaves behind
    await withClient(stale, (c) => c.set('from', 'stale'));
    const fresh = await startServer(dir);
    expect(fresh.pid).not.toBe(stale.pid);
    expect(isRunning(stale.pid)).toBe(false);
    expect(await withClient(fresh, (c) => c.get('from'))).toBe('stale');
    expect(Number((await readFile(path.join(dir, 'redis-server.pid'), 'utf8')).trim())).toBe(fresh.pid);
    await fresh.stop();
  });

  test('the orphan of a service killed with SIGKILL is taken over', async () => {
    const dir = await tempDir();
    // A real service process that starts its private Redis and is then SIGKILLed:
    // its redis-server (own process group) outlives it.
    const script = `
      import { PrivateRedisServer } from ${JSON.stringify(path.resolve('queues/redis-server.ts'))};
      import { pino } from 'pino';
      const s = await PrivateRedisServer.start({ serverPath: 'redis-server', dataDir: ${JSON.stringify(dir)}, logger: pino({ level: 'silent' }) });
      console.log(s.pid);
      setInterval(() => undefined, 1000);`;
    const service = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    strayPids.add(service.pid as number);
    const [chunk] = (await once(service.stdout, 'data')) as [Buffer];
    const orphanPid = Number(chunk.toString().trim());
    strayPids.add(orphanPid);
    service.kill('SIGKILL');
    await once(service, 'exit');
    expect(isRunning(orphanPid)).toBe(true);

    const { logger, lines } = capturingLogger();
    const fresh = await startServer(dir, logger);
    expect(isRunning(orphanPid)).toBe(false);
    expect(await withClient(fresh, (c) => c.ping())).toBe('PONG');
    expect(lines.some((l) => /earlier run is still running/.test(l.msg))).toBe(true);
    await fresh.stop();
  });

  test('a server whose owner process is still alive is not taken over', async () => {
    const dir = await tempDir();
    const running = await startServer(dir);
    const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
    strayPids.add(owner.pid as number);
    await writeFile(path.join(dir, 'redis-owner.pid'), String(owner.pid));

    await expect(PrivateRedisServer.start({ serverPath: 'redis-server', dataDir: dir, logger: silent })).rejects.toThrow(PrivateRedisInUseError);
    expect(isRunning(running.pid)).toBe(true);
    owner.kill('SIGKILL');
    await running.stop();
  });

  test('a data directory too long for a unix socket gets its socket in a private directory (0700, ours), removed on stop', async () => {
    const dir = path.join(await tempDir(), 'a-rather-long-directory-name-'.repeat(4));
    expect(Buffer.byteLength(path.join(dir, 'redis.sock'))).toBeGreaterThan(100);
    const server = await startServer(dir);
    const socketDir = path.dirname(server.socketPath);
    expect(path.dirname(socketDir)).toBe(os.tmpdir()); // a directory of its own, not the shared folder itself
    const info = await stat(socketDir);
    expect((info.mode & 0o777).toString(8)).toBe('700');
    expect(info.uid).toBe(process.getuid!());
    expect(await withClient(server, (c) => c.ping())).toBe('PONG');
    await server.stop();
    expect(existsSync(socketDir)).toBe(false);
  });

  test('the private socket directory is new at every start, and one left by a killed run goes at the next start', async () => {
    const dir = path.join(await tempDir(), 'a-rather-long-directory-name-'.repeat(4));
    const killed = await startServer(dir); // never stopped: what a SIGKILLed service leaves behind
    const leftOver = path.dirname(killed.socketPath);
    const fresh = await startServer(dir);
    expect(isRunning(killed.pid)).toBe(false);
    expect(path.dirname(fresh.socketPath)).not.toBe(leftOver); // not guessable from the data directory
    expect(existsSync(leftOver)).toBe(false);
    expect(await withClient(fresh, (c) => c.ping())).toBe('PONG');
    await fresh.stop();
    expect(existsSync(path.dirname(fresh.socketPath))).toBe(false);
  });

  test('a missing binary says how to get Redis', async () => {
    const attempt = PrivateRedisServer.start({ serverPath: '/nonexistent/redis-server', dataDir: await tempDir(), logger: silent });
    await expect(attempt).rejects.toThrow(RedisUnavailableError);
    const message = await attempt.catch((err: Error) => err.message);
    expect(message).toMatch(/REDIS_URL/);
    expect(message).toMatch(/apt-get install redis-server/);
    expect(message).toMatch(/brew install redis/);
    expect(message).toMatch(/REDIS_SERVER_PATH/);
  });

  test('a server that exits while starting fails start() with what it printed', async () => {
    const dir = await tempDir();
    await mkdir(path.join(dir, 'appendonlydir'));
    await writeFile(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'not a manifest\n');
    await expect(startServer(dir)).rejects.toThrow(/redis-server exited \(code 1\) before it accepted connections; it printed:[\s\S]*Invalid AOF manifest/);
  });

  test('a server that never answers fails start() after the timeout, quoting its output', async () => {
    const dir = await tempDir();
    const fake = path.join(dir, 'silent-redis');
    await writeFile(fake, '#!/bin/sh\necho "pretending to be redis"\nexec sleep 30\n', { mode: 0o755 });
    const started = Date.now();
    const attempt = PrivateRedisServer.start({ serverPath: fake, dataDir: path.join(dir, 'data'), logger: silent, startTimeoutMs: 500 });
    await expect(attempt).rejects.toThrow(/did not answer PING .* within 0\.5 s; it printed:\n {2}pretending to be redis/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('a server that dies unexpectedly is logged as an error', async () => {
    const { logger, lines } = capturingLogger();
    const server = await startServer(await tempDir(), logger);
    process.kill(server.pid, 'SIGKILL');
    const deadline = Date.now() + 5_000;
    while (!lines.some((l) => l.level >= 50) && Date.now() < deadline) await sleep(20);
    expect(lines.find((l) => l.level >= 50)?.msg).toMatch(/exited unexpectedly/);
    await server.stop(); // still safe after the fact
  });
});

describe('connectRedis', () => {
  test('an unreachable REDIS_URL fails fast, naming the URL', async () => {
    const started = Date.now();
    const attempt = connectRedis({ url: 'redis://127.0.0.1:1', serverPath: 'redis-server' }, os.tmpdir(), silent);
    await expect(attempt).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(REDIS_URL\): .*ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(6_000);
  });

  test('parses redis:// and rediss:// URLs and never describes them with the password', () => {
    const { options, describe } = parseRedisUrl('rediss://app:p%40ss@cache.example:6380/2');
    expect(options).toEqual({ host: 'cache.example', port: 6380, db: 2, username: 'app', password: 'p@ss', tls: {} });
    expect(describe).toBe('rediss://cache.example:6380/2');
    expect(parseRedisUrl('redis://:secret@[::1]').options).toEqual({ host: '::1', port: 6379, db: 0, password: 'secret' });
    expect(() => parseRedisUrl('redis://host/db1')).toThrow(/must be a number/);
  });

  test('without a URL it starts the private server under <dataDir>/redis, and close() stops it', async () => {
    const dataDir = await tempDir();
    const handle = await connectRedis({ url: undefined, serverPath: 'redis-server' }, dataDir, silent);
    expect(handle.kind).toBe('private');
    expect(handle.connection).toMatchObject({ path: path.join(dataDir, 'redis', 'redis.sock'), maxRetriesPerRequest: null });
    const pid = Number((await readFile(path.join(dataDir, 'redis', 'redis-server.pid'), 'utf8')).trim());
    strayPids.add(pid);
    const queue = new Queue('connect-private', { connection: handle.connection, prefix: uniquePrefix() });
    await queue.add('x', {});
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);
    await queue.obliterate({ force: true });
    await queue.close();
    await handle.close();
    expect(isRunning(pid)).toBe(false);
  });

  const url = process.env.REDIS_URL;
  (url ? test : test.skip)(`a reachable REDIS_URL is checked and used (${url ? 'REDIS_URL set' : 'skipped: REDIS_URL not set'})`, async () => {
    const handle = await connectRedis({ url, serverPath: 'redis-server' }, os.tmpdir(), silent);
    expect(handle.kind).toBe('url');
    expect(handle.connection).toMatchObject({ maxRetriesPerRequest: null });
    expect(handle.describe).not.toMatch(/@/);
    const client = new Redis({ ...(handle.connection as object), maxRetriesPerRequest: 1 });
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await handle.close();
  });
});
