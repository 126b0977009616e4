// docker-compose.yml as a user meets it: `docker compose up --build` must give the
// api and workers containers an environment the service accepts, pointing at the
// Camunda, PostgreSQL and Redis containers the same file defines, and start things
// in an order that works. No Docker engine here: the file is read and checked
// against the service's own configuration (loadConfig) and the other services.
import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { dependsOn, durationMs, ports, readCompose, readDockerfile, serviceEnvironment, stageEnv, type ComposeFile, type ComposeService } from './support.js';

const compose: ComposeFile = readCompose();
const services = compose.services;
const { stages } = readDockerfile();
/** What the image itself sets (ENV in the runtime stage): NODE_ENV, HOST, PORT. */
const imageEnv = stageEnv(stages[stages.length - 1]!);

// The Orchestration Cluster's ports (camunda/camunda image defaults).
const CAMUNDA_REST_PORT = 8080;
const POSTGRES_PORT = 5432;
const REDIS_PORT = 6379;
const ELASTICSEARCH_PORT = 9200;

function service(name: string): ComposeService {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
}

/** The environment a container of a service built from the Dockerfile gets. */
function envOf(name: string, shellEnv: Record<string, string> = {}): Record<string, string> {
  const s = service(name);
  return serviceEnvironment(s, s.build !== undefined ? imageEnv : {}, shellEnv);
}

function configOf(name: string, shellEnv: Record<string, string> = {}) {
  const env = envOf(name, shellEnv);
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`the ${name} service's environment is refused by the service:\n${err.message}`, { cause: err });
    throw err;
  }
}

/** A URL whose host must be a service of this file; returns that service's name. */
function serviceBehind(url: string): { name: string; port: number; url: URL } {
  const u = new URL(url);
  expect(Object.keys(services)).toContain(u.hostname);
  const defaults: Record<string, number> = { 'http:': 80, 'https:': 443, 'postgresql:': POSTGRES_PORT, 'postgres:': POSTGRES_PORT, 'redis:': REDIS_PORT };
  return { name: u.hostname, port: u.port ? Number(u.port) : defaults[u.protocol]!, url: u };
}

const ROLES = { api: 'api', workers: 'workers' } as const;

describe('docker-compose.yml: the service containers', () => {
  test.each(Object.entries(ROLES))('the %s service is accepted by loadConfig as the %s role on Camunda 8', (name, role) => {
    const config = configOf(name);
    expect(config.role).toBe(role);
    expect(config.env).toBe('production');
    expect(config.engine.kind).toBe('zeebe');
    expect(config.database.kind).toBe('postgres');
    expect(config.redis.url).toBeDefined();
    // Production refuses the development defaults: the file sets its own (demo) values.
    expect(config.adminTokenIsDefault).toBe(false);
  });

  test('both roles are built from this repository and run the same image', () => {
    expect(service('api').build).toBeDefined();
    expect(service('workers').build).toEqual(service('api').build);
    expect(service('workers').image).toBe(service('api').image);
  });

  test('api migrates, seeds and deploys; workers do none of it', () => {
    const api = configOf('api');
    const workers = configOf('workers');
    expect(api.migrateOnStart).toBe(true);
    expect(api.seedDemoData).toBe(true);
    expect(api.deployOnStart).toBe(true);
    expect(workers.migrateOnStart).toBe(false);
  });

  test('ZEEBE_REST_ADDRESS is the REST port of the Camunda orchestration service in this file', () => {
    for (const name of Object.keys(ROLES)) {
      const config = configOf(name);
      if (config.engine.kind !== 'zeebe') throw new Error('not zeebe');
      const target = serviceBehind(config.engine.restAddress);
      const camunda = service(target.name);
      expect(camunda.image).toMatch(/^camunda\/camunda:8\.8\.\d+$/);
      expect(target.port).toBe(CAMUNDA_REST_PORT);
      // The REST port is not moved elsewhere in the container.
      expect(Object.keys(serviceEnvironment(camunda))).not.toContain('SERVER_PORT');
      // The cluster's API is unprotected in this file, so the service sends no credentials;
      // a protected API would need BASIC (or OAUTH) here.
      const unprotected = serviceEnvironment(camunda).CAMUNDA_SECURITY_AUTHENTICATION_UNPROTECTEDAPI === 'true';
      expect(config.engine.auth.strategy).toBe(unprotected ? 'NONE' : 'BASIC');
    }
  });

  test('the Operate link opens Operate where the orchestration service publishes it', () => {
    const config = configOf('api');
    if (config.engine.kind !== 'zeebe') throw new Error('not zeebe');
    const operate = new URL(config.engine.operateUrl ?? '');
    expect(operate.hostname).toMatch(/^(localhost|127\.0\.0\.1)$/);
    expect(operate.pathname).toBe('/operate');
    const published = ports(service('orchestration')).find((p) => p.container === CAMUNDA_REST_PORT);
    expect(published?.host).toBe(Number(operate.port || 80));
  });

  test('DATABASE_URL names the postgres service with the credentials and database it creates', () => {
    for (const name of Object.keys(ROLES)) {
      const url = envOf(name).DATABASE_URL!;
      const target = serviceBehind(url);
      const pg = serviceEnvironment(service(target.name));
      expect(service(target.name).image).toMatch(/^postgres:16(\.|-|$)/);
      expect(target.port).toBe(POSTGRES_PORT);
      expect(decodeURIComponent(target.url.username)).toBe(pg.POSTGRES_USER);
      expect(decodeURIComponent(target.url.password)).toBe(pg.POSTGRES_PASSWORD);
      expect(target.url.pathname.slice(1)).toBe(pg.POSTGRES_DB);
      // Its health check asks the same database as the same user.
      const check = [service(target.name).healthcheck?.test ?? []].flat().join(' ');
      expect(check).toContain(`-U ${pg.POSTGRES_USER}`);
      expect(check).toContain(`-d ${pg.POSTGRES_DB}`);
    }
  });

  test('REDIS_URL names the redis service on the port it listens on', () => {
    for (const name of Object.keys(ROLES)) {
      const target = serviceBehind(envOf(name).REDIS_URL!);
      expect(service(target.name).image).toMatch(/^redis:7(\.|-|$)/);
      expect(target.port).toBe(REDIS_PORT);
      const command = [service(target.name).command ?? []].flat().join(' ');
      const moved = /--port\s+(\d+)/.exec(command);
      if (moved) expect(Number(moved[1])).toBe(REDIS_PORT);
    }
  });

  test('the payment provider calls back the api service on its own port', () => {
    for (const name of Object.keys(ROLES)) {
      const config = configOf(name);
      const target = serviceBehind(config.payments.publicUrl ?? '');
      expect(target.name).toBe('api');
      expect(target.port).toBe(configOf('api').http.port);
    }
  });

  test('api and workers share the secrets and the engine settings', () => {
    const api = envOf('api');
    const workers = envOf('workers');
    for (const key of ['ADMIN_TOKEN', 'SANDBOX_WEBHOOK_SECRET', 'ZEEBE_REST_ADDRESS', 'CAMUNDA_AUTH_STRATEGY', 'DATABASE_URL', 'REDIS_URL', 'PUBLIC_URL']) {
      expect([key, workers[key]]).toEqual([key, api[key]]);
    }
  });

  test('secrets set in the shell (or .env) replace the demo values', () => {
    const shell = { ADMIN_TOKEN: 'a-much-longer-real-token', SANDBOX_WEBHOOK_SECRET: 'whsec_a_real_secret_value' };
    for (const name of Object.keys(ROLES)) {
      const config = configOf(name, shell);
      expect(config.adminToken).toBe(shell.ADMIN_TOKEN);
      expect(config.payments.sandbox.webhookSecret).toBe(shell.SANDBOX_WEBHOOK_SECRET);
    }
  });

  test('the order API is published on port 3000', () => {
    expect(ports(service('api')).map((p) => [p.host, p.container])).toContainEqual([3000, configOf('api').http.port]);
  });

  test('workers publish no fixed host port, so `--scale workers=N` works', () => {
    expect(ports(service('workers')).filter((p) => p.host !== undefined)).toEqual([]);
    expect(service('workers').container_name).toBeUndefined();
  });

  test('a stopping container gets longer than the service needs to finish in-flight jobs', () => {
    for (const name of Object.keys(ROLES)) {
      const config = configOf(name);
      const grace = durationMs(service(name).stop_grace_period ?? '10s'); // Docker's default: 10 s
      // main.ts exits at the latest SHUTDOWN_GRACE_MS + 5 s after SIGTERM.
      expect(grace).toBeGreaterThan(config.shutdownGraceMs + 5_000);
    }
  });
});

describe('docker-compose.yml: start order and health', () => {
  test('every service has a health check', () => {
    for (const [name, s] of Object.entries(services)) {
      const check = s.healthcheck;
      expect([name, check?.disable ?? false]).toEqual([name, false]);
      expect([name, [check?.test ?? []].flat().length > 0]).toEqual([name, true]);
      expect([name, [check?.test].flat()[0]]).not.toEqual([name, 'NONE']);
    }
  });

  test('every dependency exists and is waited for until healthy', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect([name, dep, Object.keys(services).includes(dep)]).toEqual([name, dep, true]);
        expect([name, dep, condition]).toEqual([name, dep, 'service_healthy']);
      }
    }
  });

  test('workers start after api is healthy (so the migrations ran); api after its backends', () => {
    expect(dependsOn(service('workers')).api).toBe('service_healthy');
    const api = dependsOn(service('api'));
    for (const backend of ['orchestration', 'postgres', 'redis']) expect([backend, api[backend]]).toEqual([backend, 'service_healthy']);
  });

  test('Camunda stores Operate and Tasklist data in the elasticsearch service of this file', () => {
    const camunda = serviceEnvironment(service('orchestration'));
    expect(camunda.CAMUNDA_DATA_SECONDARYSTORAGE_TYPE).toBe('elasticsearch');
    const target = serviceBehind(camunda.CAMUNDA_DATA_SECONDARYSTORAGE_ELASTICSEARCH_URL!);
    expect(target.port).toBe(ELASTICSEARCH_PORT);
    expect(dependsOn(service('orchestration'))[target.name]).toBe('service_healthy');
  });

  test('Camunda turns healthy on its readiness endpoint', () => {
    const check = [service('orchestration').healthcheck?.test ?? []].flat().join(' ');
    expect(check).toContain('/dev/tcp/127.0.0.1/9600');
    expect(check).toContain('/actuator/health/readiness');
  });

  test('the web apps have the demo login docs/operations.md gives (demo / demo)', () => {
    const camunda = serviceEnvironment(service('orchestration'));
    expect(camunda.CAMUNDA_SECURITY_AUTHENTICATION_METHOD).toBe('basic');
    expect([camunda.CAMUNDA_SECURITY_INITIALIZATION_USERS_0_USERNAME, camunda.CAMUNDA_SECURITY_INITIALIZATION_USERS_0_PASSWORD]).toEqual(['demo', 'demo']);
  });

  test('every service restarts on failure and keeps its data in named volumes', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, s.restart]).toEqual([name, 'unless-stopped']);
      for (const v of (s.volumes as string[] | undefined) ?? []) {
        const source = String(v).split(':')[0]!;
        expect([name, source, Object.keys(compose.volumes ?? {}).includes(source)]).toEqual([name, source, true]);
      }
    }
    for (const name of ['orchestration', 'elasticsearch', 'postgres', 'redis'])
      expect([name, (service(name).volumes as unknown[] | undefined)?.length ?? 0]).not.toEqual([name, 0]);
  });
});
