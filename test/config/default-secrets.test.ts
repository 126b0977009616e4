// The development secrets (ADMIN_TOKEN, SANDBOX_WEBHOOK_SECRET, CUSTOMER_JWT_SECRET unset,
// the development API key enabled) are written in the source: outside production the service listens on loopback by default, and a
// HOST other machines can reach is refused while any of them is in use.
import { describe, expect, test } from '@jest/globals';
import { ConfigError, isLoopbackHost, loadConfig } from '../../infra/config.js';

const SECRETS = {
  ADMIN_TOKEN: 'an-admin-token-of-our-own',
  SANDBOX_WEBHOOK_SECRET: 'whsec_a_secret_of_our_own',
  DEV_API_KEY_ENABLED: 'false',
  CUSTOMER_JWT_SECRET: 'a-customer-token-secret-of-our-own-0123456789',
};
/** Each development value, how the refusal says it is in use, and the way out it names. */
const DEVELOPMENT_VALUES = [
  ['ADMIN_TOKEN', 'is not set', 'set ADMIN_TOKEN'],
  ['SANDBOX_WEBHOOK_SECRET', 'is not set', 'set SANDBOX_WEBHOOK_SECRET'],
  ['DEV_API_KEY_ENABLED', 'is not false', 'set DEV_API_KEY_ENABLED=false'],
  ['CUSTOMER_JWT_SECRET', 'is not set (nor CUSTOMER_JWT_JWKS_URL)', 'set CUSTOMER_JWT_SECRET or CUSTOMER_JWT_JWKS_URL'],
] as const;
const PRODUCTION = {
  NODE_ENV: 'production',
  ADMIN_TOKEN: SECRETS.ADMIN_TOKEN,
  SANDBOX_WEBHOOK_SECRET: SECRETS.SANDBOX_WEBHOOK_SECRET,
  METRICS_TOKEN: 'a-metrics-token-of-our-own',
};

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
  test('HOST=0.0.0.0 with every development value in use is refused, naming each variable and both ways out', () => {
    const found = problems({ NODE_ENV: 'development', HOST: '0.0.0.0' });
    expect(found).toHaveLength(DEVELOPMENT_VALUES.length);
    for (const [i, [name, state, fix]] of DEVELOPMENT_VALUES.entries()) {
      expect(found[i]?.startsWith(`${name} ${state}`)).toBe(true);
      expect(found[i]).toContain('HOST=0.0.0.0');
      expect(found[i]).toContain(fix);
      expect(found[i]).toContain('HOST=127.0.0.1');
    }
  });

  test('only the value left in use is named', () => {
    const { SANDBOX_WEBHOOK_SECRET: _s, ...allButSandbox } = SECRETS;
    expect(problems({ HOST: '0.0.0.0', ...allButSandbox })).toEqual([expect.stringMatching(/^SANDBOX_WEBHOOK_SECRET is not set/)]);
    const { ADMIN_TOKEN: _a, ...allButAdmin } = SECRETS;
    expect(problems({ HOST: '192.168.1.20', ...allButAdmin })).toEqual([expect.stringMatching(/^ADMIN_TOKEN is not set.*HOST=192\.168\.1\.20/)]);
    const { DEV_API_KEY_ENABLED: _d, ...devKeyOn } = SECRETS;
    expect(problems({ HOST: '0.0.0.0', ...devKeyOn })).toEqual([expect.stringMatching(/^DEV_API_KEY_ENABLED is not false/)]);
    // A JWKS URL is the identity provider's own keys: nothing development about it.
    const { CUSTOMER_JWT_SECRET: _c, ...withoutCustomerSecret } = SECRETS;
    expect(problems({ HOST: '0.0.0.0', ...withoutCustomerSecret, CUSTOMER_JWT_JWKS_URL: 'https://id.shop.example/jwks.json' })).toEqual([]);
  });

  test('with every secret set and the development key off, any HOST is accepted, and no secret is a default', () => {
    const config = loadConfig({ HOST: '0.0.0.0', ...SECRETS });
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.defaultSecrets).toEqual([]);
  });

  test('on loopback the defaults are allowed, each with the warning start-up logs', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).defaultSecrets).toEqual([
      { name: 'ADMIN_TOKEN', warning: 'ADMIN_TOKEN is not set: API keys can be created with the development admin token "dev-admin-token"' },
      {
        name: 'SANDBOX_WEBHOOK_SECRET',
        warning: 'SANDBOX_WEBHOOK_SECRET is not set: payment webhooks signed with the development secret "whsec_sandbox_development_only" are accepted',
      },
      { name: 'DEV_API_KEY_ENABLED', warning: 'DEV_API_KEY_ENABLED is not false: the development API key "osk_dev_local_development_only" holds every scope' },
      {
        name: 'CUSTOMER_JWT_SECRET',
        warning:
          'CUSTOMER_JWT_SECRET is not set (nor CUSTOMER_JWT_JWKS_URL): customer tokens signed with the development secret "order-saga-development-customer-token-secret" are accepted (npm run token)',
      },
    ]);
    for (const HOST of ['127.0.0.1', '127.10.0.3', '::1', 'localhost']) expect(problems({ HOST })).toEqual([]);
  });

  test('the workers role serves neither admin routes nor webhooks: its HOST is free', () => {
    const workers = loadConfig({ HOST: '0.0.0.0', ROLE: 'workers', DATABASE_URL: 'postgresql://db/saga', REDIS_URL: 'redis://redis:6379' });
    expect(workers.http.host).toBe('0.0.0.0');
    expect(workers.defaultSecrets).toEqual([]);
    expect(problems({ HOST: '0.0.0.0', ROLE: 'api', DATABASE_URL: 'postgresql://db/saga', REDIS_URL: 'redis://redis:6379' })).toHaveLength(
      DEVELOPMENT_VALUES.length,
    );
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

describe('credentials in production', () => {
  test('no development key and no development customer tokens: customers need the identity provider configured', () => {
    expect(loadConfig(PRODUCTION).auth).toEqual({ devApiKey: undefined, customerTokens: undefined });
  });

  test('DEV_API_KEY_ENABLED=true is refused', () => {
    expect(problems({ ...PRODUCTION, DEV_API_KEY_ENABLED: 'true' })).toEqual([expect.stringMatching(/^DEV_API_KEY_ENABLED must not be true in production/)]);
  });

  test('customer tokens need an issuer and an audience, and a JWKS over https', () => {
    expect(problems({ ...PRODUCTION, CUSTOMER_JWT_SECRET: SECRETS.CUSTOMER_JWT_SECRET }).sort()).toEqual([
      'CUSTOMER_JWT_AUDIENCE is required in production when customer tokens are configured',
      'CUSTOMER_JWT_ISSUER is required in production when customer tokens are configured',
    ]);
    const provider = { CUSTOMER_JWT_ISSUER: 'https://id.shop.example/', CUSTOMER_JWT_AUDIENCE: 'order-saga' };
    expect(problems({ ...PRODUCTION, ...provider, CUSTOMER_JWT_JWKS_URL: 'http://id.shop.example/jwks.json' })).toEqual([
      expect.stringMatching(/^CUSTOMER_JWT_JWKS_URL must be https:\/\/ in production/),
    ]);
    expect(loadConfig({ ...PRODUCTION, ...provider, CUSTOMER_JWT_JWKS_URL: 'https://id.shop.example/jwks.json' }).auth.customerTokens).toEqual({
      jwksUrl: 'https://id.shop.example/jwks.json',
      issuer: 'https://id.shop.example/',
      audience: 'order-saga',
    });
  });

  test('a customer secret shorter than 256 bits is refused', () => {
    expect(problems({ CUSTOMER_JWT_SECRET: 'too-short' })).toEqual([expect.stringMatching(/^CUSTOMER_JWT_SECRET must be at least 32 characters/)]);
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
