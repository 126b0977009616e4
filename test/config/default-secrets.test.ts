// The development secrets (ADMIN_TOKEN, SANDBOX_WEBHOOK_SECRET unset) are written in
// the source: outside production the service listens on loopback by default, and a
// HOST other machines can reach is refused while any of them is in use.
import { describe, expect, test } from '@jest/globals';
import { ConfigError, isLoopbackHost, loadConfig } from '../../infra/config.js';

const SECRETS = { ADMIN_TOKEN: 'an-admin-token-of-our-own', SANDBOX_WEBHOOK_SECRET: 'whsec_a_secret_of_our_own' };
const PRODUCTION = { NODE_ENV: 'production', ...SECRETS, METRICS_TOKEN: 'a-metrics-token-of-our-own' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('HOST by environment', () => {
  test.each(['development', 'test'])('%s: loopback by default', (NODE_ENV) => {
    expect(loadConfig({ NODE_ENV }).http.host).toBe('127.0.0.1');
    expect(loadConfig({}).http.host).toBe('127.0.0.1');
  });

  test('production: every interface by default (a container publishes its port)', () => {
    expect(loadConfig(PRODUCTION).http.host).toBe('0.0.0.0');
  });

  test('a HOST that is set is used as it is', () => {
    expect(loadConfig({ HOST: '::1' }).http.host).toBe('::1');
    expect(loadConfig({ ...PRODUCTION, HOST: '10.0.0.5' }).http.host).toBe('10.0.0.5');
  });
});

describe('development secrets only on loopback', () => {
  test('HOST=0.0.0.0 with both secrets unset is refused, naming each variable and both ways out', () => {
    const found = problems({ NODE_ENV: 'development', HOST: '0.0.0.0' });
    expect(found).toHaveLength(2);
    for (const [i, name] of ['ADMIN_TOKEN', 'SANDBOX_WEBHOOK_SECRET'].entries()) {
      expect(found[i]).toMatch(new RegExp(`^${name} is not set`));
      expect(found[i]).toContain('HOST=0.0.0.0');
      expect(found[i]).toContain(`set ${name}`);
      expect(found[i]).toContain('HOST=127.0.0.1');
    }
  });

  test('only the secret left unset is named', () => {
    expect(problems({ HOST: '0.0.0.0', ADMIN_TOKEN: SECRETS.ADMIN_TOKEN })).toEqual([expect.stringMatching(/^SANDBOX_WEBHOOK_SECRET is not set/)]);
    expect(problems({ HOST: '192.168.1.20', SANDBOX_WEBHOOK_SECRET: SECRETS.SANDBOX_WEBHOOK_SECRET })).toEqual([
      expect.stringMatching(/^ADMIN_TOKEN is not set.*HOST=192\.168\.1\.20/),
    ]);
  });

  test('with both secrets set any HOST is accepted, and no secret is a default', () => {
    const config = loadConfig({ HOST: '0.0.0.0', ...SECRETS });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.defaultSecrets).toEqual([]);
  });

  test('on loopback the defaults are allowed, each with the warning start-up logs', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).defaultSecrets).toEqual([
      { name: 'ADMIN_TOKEN', warning: 'ADMIN_TOKEN is not set: admin routes accept the development token "dev-admin-token"' },
      {
        name: 'SANDBOX_WEBHOOK_SECRET',
        warning: 'SANDBOX_WEBHOOK_SECRET is not set: payment webhooks signed with the development secret "whsec_sandbox_development_only" are accepted',
      },
    ]);
    for (const HOST of ['127.0.0.1', '127.10.0.3', '::1', 'localhost']) expect(problems({ HOST })).toEqual([]);
  });

  test('the workers role serves neither admin routes nor webhooks: its HOST is free', () => {
    const workers = loadConfig({ HOST: '0.0.0.0', ROLE: 'workers', DATABASE_URL: 'postgresql://db/saga', REDIS_URL: 'redis://redis:6379' });
    expect(workers.http.host).toBe('0.0.0.0');
    expect(workers.defaultSecrets).toEqual([]);
    expect(problems({ HOST: '0.0.0.0', ROLE: 'api', DATABASE_URL: 'postgresql://db/saga', REDIS_URL: 'redis://redis:6379' })).toHaveLength(2);
  });

  test('production still requires the secrets, once, whatever HOST', () => {
    const { ADMIN_TOKEN: _a, SANDBOX_WEBHOOK_SECRET: _s, ...withoutSecrets } = PRODUCTION;
    expect(problems(withoutSecrets).sort()).toEqual(['ADMIN_TOKEN is required in production', 'SANDBOX_WEBHOOK_SECRET is required in production']);
    expect(problems({ ...withoutSecrets, HOST: '127.0.0.1' }).sort()).toEqual([
      'ADMIN_TOKEN is required in production',
      'SANDBOX_WEBHOOK_SECRET is required in production',
    ]);
  });
});

describe('isLoopbackHost', () => {
  test.each(['127.0.0.1', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LocalHost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  test.each(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'fd00::2', '::ffff:10.0.0.1', 'example.com', '127.0.0.1.nip.io', 'localhost.example.com'])(
    '%s is not',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});
