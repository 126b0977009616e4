// Configuration of the engine and the process roles: what `loadConfig` accepts,
// and the message a wrong setting stops start-up with (naming the variable).
import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../infra/config.js';

const base = { NODE_ENV: 'test' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('engine selection', () => {
  test('the embedded engine is the default and needs nothing', () => {
    expect(loadConfig(base).engine).toEqual({ kind: 'embedded' });
    expect(loadConfig(base).role).toBe('all');
  });

  test('ENGINE=zeebe needs ZEEBE_REST_ADDRESS, and says so', () => {
    expect(problems({ ENGINE: 'zeebe' })).toEqual([expect.stringMatching(/^ZEEBE_REST_ADDRESS is required with ENGINE=zeebe, e\.g\. http:\/\/localhost:8080/)]);
  });

  test('ZEEBE_GRPC_ADDRESS alone is not enough: the message says the service uses the REST API', () => {
    expect(problems({ ENGINE: 'zeebe', ZEEBE_GRPC_ADDRESS: 'localhost:26500' })).toEqual([expect.stringContaining('talks to Camunda 8 over its REST API')]);
  });

  test('a self-managed cluster without auth: the address, trailing slashes trimmed', () => {
    expect(loadConfig({ ...base, ENGINE: 'zeebe', ZEEBE_REST_ADDRESS: 'http://orchestration:8080/' }).engine).toEqual({
      kind: 'zeebe',
      restAddress: 'http://orchestration:8080',
      auth: { strategy: 'NONE' },
    });
  });

  test('Camunda SaaS (OAUTH) needs the client id, secret and token URL; each missing one is named', () => {
    expect(problems({ ENGINE: 'zeebe', ZEEBE_REST_ADDRESS: 'https://bru-2.zeebe.camunda.io/abc', CAMUNDA_AUTH_STRATEGY: 'OAUTH' }).sort()).toEqual([
      'CAMUNDA_OAUTH_URL is required with CAMUNDA_AUTH_STRATEGY=OAUTH',
      'ZEEBE_CLIENT_ID is required with CAMUNDA_AUTH_STRATEGY=OAUTH',
      'ZEEBE_CLIENT_SECRET is required with CAMUNDA_AUTH_STRATEGY=OAUTH',
    ]);
    const saas = loadConfig({
      ...base,
      ENGINE: 'zeebe',
      ZEEBE_REST_ADDRESS: 'https://bru-2.zeebe.camunda.io/abc',
      CAMUNDA_AUTH_STRATEGY: 'oauth',
      ZEEBE_CLIENT_ID: 'cid',
      ZEEBE_CLIENT_SECRET: 'secret',
      CAMUNDA_OAUTH_URL: 'https://login.cloud.camunda.io/oauth/token',
      ZEEBE_TOKEN_AUDIENCE: 'zeebe.camunda.io',
    });
    expect(saas.engine).toEqual({
      kind: 'zeebe',
      restAddress: 'https://bru-2.zeebe.camunda.io/abc',
      auth: {
        strategy: 'OAUTH',
        clientId: 'cid',
        clientSecret: 'secret',
        oauthUrl: 'https://login.cloud.camunda.io/oauth/token',
        audience: 'zeebe.camunda.io',
        scope: undefined,
      },
    });
  });

  test('BASIC needs a user name and password', () => {
    expect(
      problems({ ENGINE: 'zeebe', ZEEBE_REST_ADDRESS: 'http://localhost:8080', CAMUNDA_AUTH_STRATEGY: 'BASIC', CAMUNDA_BASIC_AUTH_USERNAME: 'demo' }),
    ).toEqual(['CAMUNDA_BASIC_AUTH_PASSWORD is required with CAMUNDA_AUTH_STRATEGY=BASIC']);
  });

  test('an unknown engine or auth strategy is refused by name', () => {
    expect(problems({ ENGINE: 'temporal' })).toEqual([expect.stringMatching(/^ENGINE /)]);
    expect(problems({ ENGINE: 'zeebe', ZEEBE_REST_ADDRESS: 'http://localhost:8080', CAMUNDA_AUTH_STRATEGY: 'KERBEROS' })).toEqual([
      'CAMUNDA_AUTH_STRATEGY must be NONE, OAUTH or BASIC',
    ]);
    expect(problems({ ENGINE: 'zeebe', ZEEBE_REST_ADDRESS: 'localhost:8080' })).toEqual([
      expect.stringMatching(/^ZEEBE_REST_ADDRESS must be an http\(s\):\/\/ URL/),
    ]);
  });
});

describe('roles', () => {
  test('api and workers run as separate processes, so they need a shared PostgreSQL and Redis', () => {
    for (const role of ['api', 'workers']) {
      const found = problems({ ROLE: role });
      expect(found).toHaveLength(2);
      expect(found[0]).toMatch(new RegExp(`^DATABASE_URL is required for the ${role} role`));
      expect(found[1]).toMatch(new RegExp(`^REDIS_URL is required for the ${role} role`));
    }
    const shared = loadConfig({ ...base, ROLE: 'workers', DATABASE_URL: 'postgresql://u:p@db:5432/saga', REDIS_URL: 'redis://redis:6379' });
    expect(shared.role).toBe('workers');
  });

  test('worker and shutdown settings have defaults and bounds', () => {
    const c = loadConfig(base);
    expect(c.workers).toEqual({ concurrency: 16, jobTimeoutMs: 30_000 });
    expect(c.shutdownGraceMs).toBe(25_000);
    expect(c.deployOnStart).toBe(true);
    expect(problems({ WORKER_CONCURRENCY: '0' })).toEqual([expect.stringMatching(/^WORKER_CONCURRENCY /)]);
    expect(problems({ DEPLOY_ON_START: 'maybe' })).toEqual([expect.stringMatching(/^DEPLOY_ON_START /)]);
  });
});
