// Where the queues' Redis is: the server named by REDIS_URL, or (the embedded
// default) a private redis-server under the data directory. Either way it is
// checked once at start-up, so a wrong URL stops the service with a message that
// names it instead of BullMQ retrying a dead connection forever.
import path from 'node:path';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../infra/config.js';
import type { Logger } from '../infra/logger.js';
import { withinTime } from '../infra/time-limit.js';
import { PrivateRedisServer } from './redis-server.js';

export type RedisHandle = {
  kind: 'url' | 'private';
  /** Options BullMQ opens its connections from; goes straight into a QueueContext. */
  connection: ConnectionOptions;
  /** Where Redis is, for logs: never contains a password. */
  describe: string;
  /** Stops the private server; nothing to do for a URL (BullMQ closes its own connections). */
  close(): Promise<void>;
};

export type RedisSettings = Pick<Config['redis'], 'url' | 'serverPath'> & Partial<Pick<Config['redis'], 'prefix'>>;

/** BullMQ runs on older servers but recommends 6.2, and relies on its commands; we require it. */
export const MINIMUM_REDIS_VERSION = '6.2.0';
const CHECK_TIMEOUT_MS = 5_000;

export class RedisConnectError extends Error {
  override name = 'RedisConnectError';
}

/** What a URL says, in the option names ioredis (and so BullMQ) understands. */
export type RedisUrlOptions = { host: string; port: number; db: number; username?: string; password?: string; tls?: Record<string, never> };
export type ParsedRedisUrl = { options: RedisUrlOptions; describe: string };

/** redis://[user[:password]@]host[:port][/db] and rediss:// (TLS) as ioredis options. */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RedisConnectError(`REDIS_URL is not a valid URL`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new RedisConnectError(`REDIS_URL must start with redis:// or rediss:// (got ${u.protocol}//)`);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1'; // IPv6 literals come bracketed
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new RedisConnectError(`REDIS_URL names database ${JSON.stringify(dbText)}; it must be a number such as /0`);
  const options: RedisUrlOptions = { host, port, db };
  if (u.username) options.username = decodeURIComponent(u.username);
  if (u.password) options.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') options.tls = {};
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return { options, describe: `${u.protocol}//${hostPart}:${port}${db ? `/${db}` : ''}` };
}

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < b.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/**
 * One connection that answers PING and reports a recent enough version, within
 * CHECK_TIMEOUT_MS; `where` names the server and the setting that chose it.
 */
async function checkRedis(options: RedisUrlOptions | { path: string }, where: string): Promise<string> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: CHECK_TIMEOUT_MS,
    retryStrategy: null, // one try: a check, not a connection to keep
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  let lastError: Error | undefined;
  client.on('error', (err: Error) => {
    lastError = err;
  });
  try {
    const version = await withinTime(
      (async () => {
        try {
          await client.connect();
        } catch (err) {
          // ioredis rejects with "Connection is closed."; the reason came as an error event.
          throw lastError ?? err;
        }
        await client.ping();
        return /redis_version:(\S+)/.exec(await client.info('server'))?.[1];
      })(),
      CHECK_TIMEOUT_MS,
      `no answer within ${CHECK_TIMEOUT_MS / 1000} s`,
    );
    if (version === undefined) throw new RedisConnectError(`${where} answered PING but did not report a redis_version; is it Redis?`);
    if (!versionAtLeast(version, MINIMUM_REDIS_VERSION)) {
      throw new RedisConnectError(`${where} runs Redis ${version}; the job queues (BullMQ) need Redis ${MINIMUM_REDIS_VERSION} or later`);
    }
    return version;
  } catch (err) {
    if (err instanceof RedisConnectError) throw err;
    const message = (err as Error).message;
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(message)) throw new RedisConnectError(`${where} refused the credentials: ${message}`);
    throw new RedisConnectError(`cannot reach Redis at ${where}: ${message}`);
  } finally {
    // On a connection that already ended, ioredis would arm a 2 s timer that nothing clears.
    if (client.status !== 'end') client.disconnect();
  }
}

export async function connectRedis(settings: RedisSettings, dataDir: string, logger: Logger): Promise<RedisHandle> {
  if (settings.url) {
    const { options, describe } = parseRedisUrl(settings.url);
    const version = await checkRedis(options, `${describe} (REDIS_URL)`);
    logger.info({ redis: describe, version }, 'using Redis');
    return {
      kind: 'url',
      // Workers block on Redis; a bounded maxRetriesPerRequest would fail their blocking calls.
      connection: { ...options, maxRetriesPerRequest: null },
      describe,
      async close() {},
    };
  }
  const server = await PrivateRedisServer.start({ serverPath: settings.serverPath, dataDir: path.join(dataDir, 'redis'), logger });
  const describe = `private redis-server (pid ${server.pid}, socket ${server.socketPath})`;
  try {
    const version = await checkRedis(server.connection, describe);
    logger.info({ redis: describe, version }, 'using the private Redis');
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    kind: 'private',
    connection: { ...server.connection, maxRetriesPerRequest: null },
    describe,
    close: () => server.stop(),
  };
}
