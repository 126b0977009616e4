// DATA_DIR holds the embedded database and the private Redis: the service keeps it
// to its own user, also when the directory already existed with wider permissions.
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { prepareDataDir } from '../../infra/data-dir.js';
import { onPostgres } from '../support/database.js';
import { freePort, postgresEnv, startService, waitForListening } from '../support/service-process.js';

const silent = pino({ level: 'silent' });
const tempDirs: string[] = [];
afterAll(async () => {
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'saga-datadir-'));
  tempDirs.push(dir);
  return dir;
}

const modeOf = async (dir: string) => ((await stat(dir)).mode & 0o777).toString(8);

describe('prepareDataDir', () => {
  test('an existing directory open to others (0755) is restricted to its owner (0700)', async () => {
    const dir = path.join(await tempDir(), 'data');
    await mkdir(dir, { mode: 0o755 });
    expect(await modeOf(dir)).toBe('755');
    await prepareDataDir(dir, silent);
    expect(await modeOf(dir)).toBe('700');
  });

  test('a missing directory is created 0700, with its parents', async () => {
    const dir = path.join(await tempDir(), 'a', 'b', 'data');
    await prepareDataDir(dir, silent);
    expect(await modeOf(dir)).toBe('700');
  });
});

describe('the service at start', () => {
  test('a DATA_DIR that exists with 0755 is 0700 once the service listens', async () => {
    const dataDir = path.join(await tempDir(), 'data');
    await mkdir(dataDir, { mode: 0o755 });
    // REDIS_URL unset: the private Redis lives in DATA_DIR whichever database is used.
    const env = { ...(onPostgres ? await postgresEnv() : {}), DATA_DIR: dataDir, REDIS_URL: '', PORT: String(await freePort()), HOST: '127.0.0.1' };
    const service = startService(env);
    await waitForListening(service);
    expect(await modeOf(dataDir)).toBe('700');
    service.child.kill('SIGTERM');
    expect(await service.exited).toBe(0);
  });
});
