// The README's run command, for real: a child process starts the whole system
// on a fresh data directory (or a fresh PostgreSQL database) and answers over HTTP.
// It runs the same command as `npm start` (node --import tsx), minus npm, so the
// pid the test signals is the service's own.
import { describe, expect, test } from '@jest/globals';
import { databaseKind, onPostgres } from '../support/database.js';
import { databaseEnv, freePort, startService, waitForListening } from '../support/service-process.js';

describe(`the service as a user starts it (${databaseKind})`, () => {
  test('starts on a fresh database with no set-up, answers stock of a seeded SKU, stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = { ...(await databaseEnv({ fromNothing: true })), PORT: String(port), HOST: '127.0.0.1' };
    const service = startService(env);
    await waitForListening(service);
    expect(service.output()).toContain('applied database migrations');

    const res = await fetch(`http://127.0.0.1:${port}/stocks/SKU-KETTLE`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 40 },
        { warehouseId: 'WH-HAM', count: 25 },
        { warehouseId: 'WH-MUC', count: 10 },
      ],
      nextCursor: null,
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
