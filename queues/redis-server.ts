// The embedded default's own Redis: a redis-server child process reachable only
// through a unix socket in the data directory, its data kept in an append-only
// file there. It makes `npm start` work without anyone setting up Redis, and its
// queues survive a restart like the PGlite database next to it does. A data
// directory whose path is too long for a socket gets the socket in a private
// directory of the temp folder instead, never in the shared folder itself.
import { existsSync } from 'node:fs';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Logger } from '../infra/logger.js';
import { dieTogetherWith } from '../infra/kill-points.js';

/** No Redis can be had: neither a redis-server binary nor a REDIS_URL. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/** The private Redis of this data directory belongs to another running process. */
export class PrivateRedisInUseError extends Error {
  override name = 'PrivateRedisInUseError';
}

export type PrivateRedisServerOptions = {
  /** A name looked up on PATH (`redis-server`) or a path to the binary. */
  serverPath: string;
  dataDir: string;
  logger: Logger;
  /** How long to wait for the first PING answer. */
  startTimeoutMs?: number;
};

const START_TIMEOUT_MS = 10_000;
const STALE_STOP_TIMEOUT_MS = 10_000;
// Redis flushes the AOF on SIGTERM; a very large one takes a while, but stop()
// must not hang a shutdown forever.
const STOP_TIMEOUT_MS = 30_000;
const OUTPUT_LINES_KEPT = 20;
// sun_path holds 108 bytes on Linux and 104 on macOS, terminator included.
const MAX_SOCKET_PATH_BYTES = 100;

const SOCKET_FILE = 'redis.sock';
// Where the socket went when the data directory's path is too long for one. Recorded
// in the data directory, so that the next start finds a directory left by a killed run.
const SOCKET_DIR_FILE = 'redis-socket-dir';
const SOCKET_DIR_PREFIX = 'order-saga-redis-';
const PID_FILE = 'redis-server.pid';
// Which process (this service, not redis) started the server: a live owner other
// than us means a second service shares the data directory; its Redis is not stale.
const OWNER_FILE = 'redis-owner.pid';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const execFileAsync = promisify(execFile);

function notFoundMessage(serverPath: string): string {
  return [
    `Redis is needed for the job queues, and no redis-server was found (looked for ${JSON.stringify(serverPath)}). Either:`,
    '  - install it: Debian/Ubuntu `sudo apt-get install redis-server`, macOS `brew install redis`;',
    '  - or set REDIS_URL to a running Redis 6.2 or later (redis://host:6379);',
    '  - or set REDIS_SERVER_PATH to the redis-server binary.',
  ].join('\n');
}

/** The unix socket inside a data directory, or undefined when that path is too long for one. */
function socketPathInside(dataDir: string): string | undefined {
  const inside = path.join(dataDir, SOCKET_FILE);
  return Buffer.byteLength(inside) <= MAX_SOCKET_PATH_BYTES ? inside : undefined;
}

/**
 * Where this start's socket goes: inside the data directory, or else in a fresh
 * directory from mkdtemp (mode 0700, a name nobody can guess or claim first: in the
 * shared temp folder another user could otherwise pre-create the socket path).
 */
async function newSocketLocation(dataDir: string): Promise<{ socketPath: string; socketDir?: string }> {
  const inside = socketPathInside(dataDir);
  if (inside) return { socketPath: inside };
  const socketDir = await mkdtemp(path.join(os.tmpdir(), SOCKET_DIR_PREFIX));
  await writeFile(path.join(dataDir, SOCKET_DIR_FILE), socketDir);
  return { socketPath: path.join(socketDir, SOCKET_FILE), socketDir };
}

/** The private socket directory an earlier start recorded, if any. */
async function recordedSocketDir(dataDir: string): Promise<string | undefined> {
  const dir = (await readFile(path.join(dataDir, SOCKET_DIR_FILE), 'utf8').catch(() => '')).trim();
  return dir === '' ? undefined : dir;
}

/** Removes a private socket directory (only ever one of ours: the name says so) and its record. */
async function removeSocketDir(dataDir: string, socketDir: string | undefined): Promise<void> {
  if (!socketDir) return;
  if (path.isAbsolute(socketDir) && path.basename(socketDir).startsWith(SOCKET_DIR_PREFIX)) {
    const info = await lstat(socketDir).catch(() => undefined);
    if (info?.isDirectory()) await rm(socketDir, { recursive: true, force: true });
  }
  if ((await recordedSocketDir(dataDir)) === socketDir) await rm(path.join(dataDir, SOCKET_DIR_FILE), { force: true });
}

async function readPid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

const HAS_PROC = existsSync('/proc/self/stat');

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed child stays a zombie until Node reaps it; it is gone for our purposes.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // No stat: either no /proc at all (macOS: trust kill(0)) or the process just went.
  if (stat === undefined) return !HAS_PROC;
  return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

/** The command line of a process; redis-server rewrites its own to `redis-server unixsocket:<path>`. */
async function commandLine(pid: number): Promise<string | undefined> {
  const proc = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (proc !== undefined) return proc.replace(/\0+/g, ' ').trim();
  // No /proc (macOS): ask ps.
  try {
    return (await execFileAsync('ps', ['-o', 'command=', '-p', String(pid)])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** One PING over the socket: 'ok', 'loading' (replaying the AOF) or 'down'. */
async function ping(socketPath: string): Promise<'ok' | 'loading' | 'down'> {
  const client = new Redis({
    path: socketPath,
    lazyConnect: true,
    retryStrategy: null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    connectTimeout: 1_000,
  });
  client.on('error', () => undefined); // the outcome is the return value
  try {
    await client.connect();
    return (await client.ping()) === 'PONG' ? 'ok' : 'down';
  } catch (err) {
    return /^LOADING/.test((err as Error).message) ? 'loading' : 'down';
  } finally {
    // On a connection that already ended, ioredis would arm a 2 s timer that nothing clears.
    if (client.status !== 'end') client.disconnect();
  }
}

export class PrivateRedisServer {
  private readonly output: string[] = [];
  private stopping: Promise<void> | undefined;
  private readonly exited: Promise<void>;
  private hasExited = false;
  // Ctrl-C reaches the whole process group; the child runs in its own (detached)
  // so that the service decides when Redis goes: after the workers using it.
  // Should the service exit without stop(), Redis is still told to shut down.
  private readonly onProcessExit = () => {
    if (!this.hasExited) this.child.kill('SIGTERM');
  };

  private constructor(
    private readonly child: ChildProcess,
    readonly socketPath: string,
    /** The private directory holding the socket, when it is not in the data directory; removed on stop. */
    readonly socketDir: string | undefined,
    readonly dataDir: string,
    private readonly logger: Logger,
  ) {
    // 'close' comes after 'exit' once the output pipes are drained: the last lines are in.
    this.exited = once(child, 'close').then(([code, signal]) => {
      this.hasExited = true;
      process.off('exit', this.onProcessExit);
      if (!this.stopping) {
        logger.error(
          { redisPid: child.pid, code, signal, output: this.output.slice(-5) },
          'private redis-server exited unexpectedly; queues are down until the service restarts',
        );
      }
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        this.output.push(line);
        if (this.output.length > OUTPUT_LINES_KEPT) this.output.shift();
        logger.debug({ redisPid: child.pid, line }, 'redis-server');
      });
    }
    child.on('error', (err) => logger.error({ err, redisPid: child.pid }, 'private redis-server: signalling the child failed'));
    process.on('exit', this.onProcessExit);
    // A kill point takes the whole service down at once, its Redis included.
    void this.exited.then(dieTogetherWith(child.pid as number));
  }

  static async start(options: PrivateRedisServerOptions): Promise<PrivateRedisServer> {
    const dataDir = path.resolve(options.dataDir);
    const { logger } = options;
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const earlierSocketDir = await recordedSocketDir(dataDir);
    await takeOverStale(dataDir, path.join(earlierSocketDir ?? dataDir, SOCKET_FILE), logger);
    // No server of this data directory runs now: a socket directory left by a killed run can go.
    await removeSocketDir(dataDir, earlierSocketDir);
    const { socketPath, socketDir } = await newSocketLocation(dataDir);

    const child = spawn(
      options.serverPath,
      [
        '--port',
        '0', // no TCP: only this user, through the socket, can reach it
        '--unixsocket',
        socketPath,
        '--unixsocketperm',
        '700',
        '--dir',
        dataDir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--save',
        '', // the AOF is the persistence; no RDB snapshots besides it
        '--maxmemory-policy',
        'noeviction', // BullMQ must never lose keys to eviction
        '--pidfile',
        path.join(dataDir, PID_FILE),
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    try {
      await once(child, 'spawn'); // rejects with the spawn error
    } catch (err) {
      await removeSocketDir(dataDir, socketDir);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new RedisUnavailableError(notFoundMessage(options.serverPath));
      if (code === 'EACCES') throw new RedisUnavailableError(`${options.serverPath} is not executable (REDIS_SERVER_PATH): ${(err as Error).message}`);
      throw err;
    }
    const server = new PrivateRedisServer(child, socketPath, socketDir, dataDir, logger);
    try {
      await server.waitUntilReady(options.startTimeoutMs ?? START_TIMEOUT_MS);
      await writeFile(path.join(dataDir, OWNER_FILE), String(process.pid));
    } catch (err) {
      server.stopping = Promise.resolve();
      child.kill('SIGKILL');
      await server.exited;
      await removeSocketDir(dataDir, socketDir);
      throw err;
    }
    logger.info({ redisPid: child.pid, socket: socketPath, dataDir }, 'private redis-server started');
    return server;
  }

  /** ioredis options for BullMQ: the socket, nothing else. */
  get connection(): { path: string } {
    return { path: this.socketPath };
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** SIGTERM, then wait while Redis flushes its AOF and exits. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    if (!this.hasExited) {
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        this.logger.warn({ redisPid: this.child.pid }, `redis-server did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM; killing it`);
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    await removeSocketDir(this.dataDir, this.socketDir);
    await rm(path.join(this.dataDir, OWNER_FILE), { force: true });
    this.logger.info({ redisPid: this.child.pid }, 'private redis-server stopped');
  }

  private lastOutput(): string {
    return this.output.length > 0
      ? this.output
          .slice(-8)
          .map((l) => `  ${l}`)
          .join('\n')
      : '  (nothing)';
  }

  private async waitUntilReady(timeoutMs: number): Promise<void> {
    let deadline = Date.now() + timeoutMs;
    let loading = false;
    for (;;) {
      if (this.hasExited) {
        const { exitCode, signalCode } = this.child;
        throw new Error(`redis-server exited (${signalCode ?? `code ${exitCode}`}) before it accepted connections; it printed:\n${this.lastOutput()}`);
      }
      const state = await ping(this.socketPath);
      if (state === 'ok') return;
      if (state === 'loading') {
        // Replaying a large AOF is progress, not a hang: only silence counts against the timeout.
        if (!loading) this.logger.info({ redisPid: this.child.pid }, 'redis-server is loading its data');
        loading = true;
        deadline = Date.now() + timeoutMs;
      }
      if (Date.now() >= deadline) {
        throw new Error(`redis-server did not answer PING on ${this.socketPath} within ${timeoutMs / 1000} s; it printed:\n${this.lastOutput()}`);
      }
      await Promise.race([sleep(50), this.exited]);
    }
  }
}

/**
 * A service killed with SIGKILL leaves its redis-server running, holding the AOF
 * and the socket. Starting a second one on the same directory would have two
 * servers appending to one file; stop the orphan first (its data is in the AOF).
 */
async function takeOverStale(dataDir: string, socketPath: string, logger: Logger): Promise<void> {
  const pidFile = path.join(dataDir, PID_FILE);
  const pid = await readPid(pidFile);
  if (pid === undefined || pid === process.pid || !(await isAlive(pid))) return;
  const cmd = await commandLine(pid);
  const ours = cmd !== undefined && cmd.includes('redis-server') && (cmd.includes(socketPath) || cmd.includes(dataDir));
  if (!ours) {
    // The pid was reused by an unrelated process: the pid file is simply stale.
    await rm(pidFile, { force: true });
    return;
  }
  const owner = await readPid(path.join(dataDir, OWNER_FILE));
  if (owner !== undefined && owner !== process.pid && (await isAlive(owner))) {
    throw new PrivateRedisInUseError(
      `The private Redis in ${dataDir} (pid ${pid}) belongs to running process ${owner}. Stop that process, set DATA_DIR to another folder, or set REDIS_URL to a shared Redis.`,
    );
  }
  logger.warn({ redisPid: pid, dataDir }, 'a redis-server from an earlier run is still running on this data directory; stopping it before starting afresh');
  try {
    process.kill(pid, 'SIGTERM');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return; // it just went
    throw new PrivateRedisInUseError(`Cannot stop the earlier redis-server (pid ${pid}) on ${dataDir}: ${(err as Error).message}. Stop it by hand.`);
  }
  const deadline = Date.now() + STALE_STOP_TIMEOUT_MS;
  while ((await isAlive(pid)) && Date.now() < deadline) await sleep(50);
  if (await isAlive(pid)) {
    logger.warn({ redisPid: pid }, `stale redis-server ignored SIGTERM for ${STALE_STOP_TIMEOUT_MS / 1000} s; killing it`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // it went by itself meanwhile
    }
    while (await isAlive(pid)) await sleep(50);
  }
}
