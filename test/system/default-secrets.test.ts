// The development secrets as a user meets them, with the real service (the same
// command as `npm start`): with neither ADMIN_TOKEN nor SANDBOX_WEBHOOK_SECRET set it
// listens on loopback only and says so; asked to listen where other machines can
// connect, it refuses to start and names both variables.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { databaseEnv, freePort, startService, waitForListening } from '../support/service-process.js';

const UNSET = ['ADMIN_TOKEN', 'SANDBOX_WEBHOOK_SECRET', 'DEV_API_KEY_ENABLED', 'CUSTOMER_JWT_SECRET', 'CUSTOMER_JWT_JWKS_URL', 'HOST'] as const;
const saved: Partial<Record<(typeof UNSET)[number], string>> = {};

// The children inherit this process's environment: none of these may come from the shell running the tests.
beforeAll(() => {
  for (const name of UNSET) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
});
afterAll(() => {
  for (const name of UNSET) if (saved[name] !== undefined) process.env[name] = saved[name];
});

/** An address of this machine that other machines could connect to, if it has one. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

/** 'connected', or the error code of the attempt (ECONNREFUSED: nothing listens there). */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(5_000, () => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const queuePrefix = () => `secrets-${randomBytes(4).toString('hex')}`;

describe(`development secrets (${databaseKind})`, () => {
  test('HOST=0.0.0.0 without ADMIN_TOKEN and SANDBOX_WEBHOOK_SECRET: the service refuses to start, naming both', async () => {
    const service = startService({
      ...(await databaseEnv()),
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: String(await freePort()),
      QUEUE_PREFIX: queuePrefix(),
    });
    // Exit code 2 (configuration), not a service that starts listening.
    expect(await Promise.race([service.exited, waitForListening(service).then(() => 'listening')])).toBe(2);
    const output = service.output();
    expect(output).toMatch(/ADMIN_TOKEN is not set: .*HOST=0\.0\.0\.0 .*set ADMIN_TOKEN, or .*HOST=127\.0\.0\.1/);
    expect(output).toMatch(/SANDBOX_WEBHOOK_SECRET is not set: .*HOST=0\.0\.0\.0 .*set SANDBOX_WEBHOOK_SECRET, or .*HOST=127\.0\.0\.1/);
    expect(output).not.toContain('listening on');
  });

  (outsideAddress ? test : test.skip)(
    `by default it listens on loopback only (not on ${outsideAddress ?? 'any other address: skipped, this machine has no non-loopback IPv4 address'}) and warns about each default secret`,
    async () => {
      const port = await freePort();
      const service = startService({ ...(await databaseEnv()), NODE_ENV: 'development', PORT: String(port), QUEUE_PREFIX: queuePrefix() });
      await waitForListening(service);
      try {
        expect(service.output()).toContain(`listening on http://127.0.0.1:${port}`);
        expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
        expect(await tryConnect(outsideAddress as string, port)).toBe('ECONNREFUSED');
        const warnings = service
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { level: number; msg: string; variable?: string })
          .filter((l) => l.level === 40 && l.variable);
        expect(warnings.map((w) => w.variable)).toEqual(['ADMIN_TOKEN', 'SANDBOX_WEBHOOK_SECRET', 'DEV_API_KEY_ENABLED', 'CUSTOMER_JWT_SECRET']);
        expect(warnings.map((w) => w.msg)).toEqual([
          expect.stringContaining('dev-admin-token'),
          expect.stringContaining('whsec_sandbox_development_only'),
          expect.stringContaining('osk_dev_local_development_only'),
          expect.stringContaining('order-saga-development-customer-token-secret'),
        ]);
      } finally {
        service.child.kill('SIGTERM');
        await service.exited;
      }
    },
  );

  test('HOST=::1 (IPv6 loopback) is loopback: it starts, and the address it announces and calls back on is a valid URL', async () => {
    const port = await freePort();
    const service = startService({ ...(await databaseEnv()), NODE_ENV: 'development', HOST: '::1', PORT: String(port), QUEUE_PREFIX: queuePrefix() });
    await waitForListening(service);
    try {
      expect(service.output()).toContain(`listening on http://[::1]:${port}`);
      expect((await fetch(`http://[::1]:${port}/health`)).status).toBe(200);
    } finally {
      service.child.kill('SIGTERM');
      await service.exited;
    }
  });
});
