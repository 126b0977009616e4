// A Redis for a test file: the one named by REDIS_URL (CI starts one), else a
// private redis-server of its own in a temporary directory. Every context gets a
// key prefix of its own, so test files running in parallel on one Redis never
// see each other's queues; close() removes whatever was left under it (and under
// prefixes that extend it, such as `${prefix}-2` for a second queue of one test).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Logger } from '../../infra/logger.js';
import type { QueueContext } from '../../queues/context.js';
import { connectRedis } from '../../queues/redis.js';

export type TestQueueContext = { context: QueueContext; close(): Promise<void> };

export const redisKind = process.env.REDIS_URL ? 'REDIS_URL' : 'private redis-server';

/** A unique, BullMQ-safe key prefix (no ':'). */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

async function deleteKeys(connection: QueueContext['connection'], prefix: string): Promise<void> {
  const client = new Redis({ ...(connection as object), maxRetriesPerRequest: 1, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

export async function testQueueContext(logger: Logger = pino({ level: 'silent' })): Promise<TestQueueContext> {
  const url = process.env.REDIS_URL || undefined;
  const dataDir = url ? undefined : await mkdtemp(path.join(os.tmpdir(), 'saga-redis-'));
  try {
    const handle = await connectRedis({ url, serverPath: process.env.REDIS_SERVER_PATH || 'redis-server' }, dataDir ?? os.tmpdir(), logger);
    const prefix = uniquePrefix();
    return {
      context: { connection: handle.connection, prefix, logger },
      async close() {
        try {
          if (handle.kind === 'url') await deleteKeys(handle.connection, prefix);
        } finally {
          await handle.close();
          if (dataDir) await rm(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
