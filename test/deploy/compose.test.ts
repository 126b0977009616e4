// docker-compose.yml as a user meets it: `docker compose up --build` must give the
// api and workers containers an environment the service accepts, pointing at the
// Camunda, PostgreSQL and Redis containers the same file defines, and start things
// in an order that works; and it must not start at all until the user has set the
// secrets. No Docker engine here: the file is read and checked against the service's
// own configuration (loadConfig) and the other services, and Compose itself (when
// installed) loads it with and without the secrets.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../infra/config.js';
import {
  COMPOSE_FILE,
  ROOT,
  composeCommand,
  dependsOn,
  durationMs,
  ports,
  readCompose,
  readDockerfile,
  requiredVariables,
  serviceEnvironment,
  stageEnv,
  type ComposeFile,
  type ComposeService,
} from './support.js';

const compose: ComposeFile = readCompose();
const services = compose.services;
const composeText = readFileSync(COMPOSE_FILE, 'utf8');
/** The secrets the file requires from the shell or .env. */
const required = requiredVariables(composeText);
/** What a user's .env holds: a random value for each (hex, as the documented one-liner makes). */
const secrets: Record<string, string> = Object.fromEntries(required.map((name) => [name, randomBytes(32).toString('hex')]));
const without = (name: string) => Object.fromEntries(Object.entries(secrets).filter(([key]) => key !== name));
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

/** The environment a container of a service built from the Dockerfile gets (with the user's secrets set). */
function envOf(name: string, shellEnv: Record<string, string> = secrets): Record<string, string> {
  const s = service(name);
  return serviceEnvironment(s, s.build !== undefined ? imageEnv : {}, shellEnv);
}

function configOf(name: string, shellEnv: Record<string, string> = secrets) {
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
    // Production refuses the development defaults: the secrets come from the user.
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
      const pg = serviceEnvironment(service(target.name), {}, secrets);
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
    for (const key of [
      'ADMIN_TOKEN',
      'SANDBOX_WEBHOOK_SECRET',
      'METRICS_TOKEN',
      'ZEEBE_REST_ADDRESS',
      'CAMUNDA_AUTH_STRATEGY',
      'DATABASE_URL',
      'REDIS_URL',
      'PUBLIC_URL',
    ]) {
      expect([key, workers[key]]).toEqual([key, api[key]]);
    }
  });

  test('the secrets set in the shell (or .env) are the ones the service uses', () => {
    for (const name of Object.keys(ROLES)) {
      const config = configOf(name);
      expect(config.adminToken).toBe(secrets.ADMIN_TOKEN);
      expect(config.payments.sandbox.webhookSecret).toBe(secrets.SANDBOX_WEBHOOK_SECRET);
      expect(config.metricsToken).toBe(secrets.METRICS_TOKEN);
      if (config.database.kind !== 'postgres') throw new Error('not postgres');
      expect(decodeURIComponent(new URL(config.database.url).password)).toBe(secrets.POSTGRES_PASSWORD);
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

// Checked by reading Camunda's lightweight 8.8 compose (camunda/camunda-distributions,
// docker-compose/versions/camunda-8.8 at the revision the orchestration service's comment
// names): what a single machine needs to start, and what a rootless engine accepts.
describe('docker-compose.yml: the orchestration cluster as Camunda 8.8 compose runs it', () => {
  /** The 8.8 patch Camunda's compose pins at the revision compared with (its .env, CAMUNDA_VERSION). */
  const OFFICIAL_PATCH = 36;

  test("the Camunda image is an 8.8 patch no older than the one Camunda's own compose pins (earlier ones mishandle job long polls)", () => {
    const tag = /^camunda\/camunda:8\.8\.(\d+)$/.exec(service('orchestration').image ?? '');
    expect(tag).not.toBeNull();
    expect(Number(tag![1])).toBeGreaterThanOrEqual(OFFICIAL_PATCH);
  });

  test('the file names the Camunda compose file and revision it was compared with', () => {
    expect(composeText).toMatch(/camunda\/camunda-distributions,\s*#?\s*docker-compose\/versions\/camunda-8\.8\/docker-compose\.yaml/);
    expect(composeText).toMatch(/revision\s*#?\s*[0-9a-f]{40}/);
  });

  test('the Camunda JVM has no heap cap: one JVM runs broker, Operate, Tasklist, Identity and the exporter', () => {
    const camunda = serviceEnvironment(service('orchestration'));
    for (const key of ['JAVA_TOOL_OPTIONS', 'JAVA_OPTS', 'JAVA_OPTIONS']) expect([key, camunda[key] ?? '']).not.toEqual([key, expect.stringMatching(/-Xmx/)]);
  });

  test('single-node Elasticsearch: Camunda creates its indices with no replicas', () => {
    expect(serviceEnvironment(service('elasticsearch'))['discovery.type']).toBe('single-node');
    expect(serviceEnvironment(service('orchestration')).CAMUNDA_DATABASE_INDEX_NUMBEROFREPLICAS).toBe('0');
  });

  test('no memory locking: rootless Docker and Podman refuse memlock ulimits', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, (s.ulimits as Record<string, unknown> | undefined)?.memlock]).toEqual([name, undefined]);
      expect([name, serviceEnvironment(s, {}, secrets)['bootstrap.memory_lock']]).toEqual([name, undefined]);
    }
  });
});

/** The one-liner that writes .env with a random value for each secret, as a file gives it. */
function oneLinerIn(file: string): string {
  const line = readFileSync(path.join(ROOT, file), 'utf8')
    .split('\n')
    .find((l) => l.includes('openssl rand') && l.includes('> .env'));
  if (!line) throw new Error(`${file} gives no command that writes .env`);
  return line.replace(/^\s*#?\s*/, '');
}

const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

const composeCli = composeCommand();
const withCompose = composeCli || process.env.CI ? test : test.skip;
const composeNote = composeCli ? `${composeCli.cmd} ${composeCli.prefix.join(' ')}`.trim() : 'skipped: no docker compose or docker-compose installed';

/** `compose config -q` with this env file only: nothing from this shell, no .env of the checkout. */
function composeConfigWith(envFile: string): { ok: boolean; output: string } {
  if (!composeCli)
    throw new Error('neither `docker compose` nor `docker-compose` is installed (Debian: apt-get install --no-install-recommends docker-compose)');
  const run = spawnSync(composeCli.cmd, [...composeCli.prefix, '--env-file', envFile, '-f', COMPOSE_FILE, 'config', '-q'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() },
  });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

/** `compose config -q` with exactly these variables. */
function composeConfig(vars: Record<string, string>): { ok: boolean; output: string } {
  const envFile = path.join(tempDir('saga-compose-'), 'test.env');
  writeFileSync(
    envFile,
    Object.entries(vars)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  return composeConfigWith(envFile);
}

/** The message Compose ends with when `name` is missing: the file's own `${name:?…}` text. */
const refusalNaming = (name: string) => new RegExp(`set ${name} in \\.env, see \\.env\\.example$`);

describe('docker-compose.yml: secrets', () => {
  const SECRETS = ['ADMIN_TOKEN', 'METRICS_TOKEN', 'POSTGRES_PASSWORD', 'SANDBOX_WEBHOOK_SECRET'];

  test('ADMIN_TOKEN, SANDBOX_WEBHOOK_SECRET, METRICS_TOKEN and the PostgreSQL password are required variables', () => {
    expect([...required].sort()).toEqual(SECRETS);
    const requiredValue = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);
    for (const name of Object.keys(ROLES)) {
      const env = service(name).environment as Record<string, string>;
      for (const key of ['ADMIN_TOKEN', 'SANDBOX_WEBHOOK_SECRET', 'METRICS_TOKEN'])
        expect([name, key, env[key]]).toEqual([name, key, expect.stringMatching(requiredValue(key))]);
      expect(new URL(env.DATABASE_URL!.replace(/\$\{[^}]+\}/, 'x')).password).toBe('x');
      expect(env.DATABASE_URL).toMatch(/^postgresql:\/\/saga:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:/);
    }
    expect((service('postgres').environment as Record<string, string>).POSTGRES_PASSWORD).toMatch(requiredValue('POSTGRES_PASSWORD'));
  });

  test('no secret default is left in the file', () => {
    expect(composeText).not.toMatch(/change[-_]?me/i);
    // No fallback (${NAME:-…} or ${NAME-…}) for anything named like a secret.
    expect([...composeText.matchAll(/\$\{(\w*(?:TOKEN|SECRET|PASSWORD|KEY)\w*):?-/g)].map((m) => m[1])).toEqual([]);
    // Every secret the service containers and the database get is one the user set.
    for (const name of [...Object.keys(ROLES), 'postgres']) {
      const env = serviceEnvironment(service(name), {}, secrets);
      const values = Object.entries(env).filter(([key]) => /TOKEN|SECRET|PASSWORD/.test(key));
      expect(values.length).toBeGreaterThan(0);
      for (const [key, value] of values) expect([name, key, Object.values(secrets).includes(value)]).toEqual([name, key, true]);
    }
  });

  test('without a secret, unset or empty, the environment cannot be made (the message names it)', () => {
    for (const name of required) {
      expect(() => envOf('api', without(name))).toThrow(`required variable ${name} is missing a value`);
      expect(() => envOf('workers', { ...secrets, [name]: '' })).toThrow(`required variable ${name} is missing a value`);
    }
    expect(() => serviceEnvironment(service('postgres'), {}, without('POSTGRES_PASSWORD'))).toThrow('required variable POSTGRES_PASSWORD');
  });

  withCompose(`Compose refuses the file without the secrets, naming each one missing, unset or empty (${composeNote})`, () => {
    const none = composeConfig({});
    expect(none.ok).toBe(false);
    expect(none.output).toMatch(/set (ADMIN_TOKEN|SANDBOX_WEBHOOK_SECRET|METRICS_TOKEN|POSTGRES_PASSWORD) in \.env, see \.env\.example$/);
    for (const name of required) {
      for (const vars of [without(name), { ...secrets, [name]: '' }]) {
        const { ok, output } = composeConfig(vars);
        expect([name, ok]).toEqual([name, false]);
        expect(output).toMatch(refusalNaming(name));
      }
    }
  });

  withCompose(`Compose accepts the file with them (${composeNote})`, () => {
    const { ok, output } = composeConfig(secrets);
    expect([ok, output]).toEqual([true, expect.any(String)]);
  });

  test('.env.example lists each secret with no value; .env stays out of git and of the image build', () => {
    const example = readFileSync(path.join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(example.map((l) => l.split('=')[0]).sort()).toEqual(SECRETS);
    for (const line of example) expect(line).toMatch(/^[A-Z_]+=$/);
    const lines = (file: string) => readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    expect(lines('.gitignore')).toContain('.env');
    expect(lines('.dockerignore')).toContain('.env');
  });

  test.each(['docs/operations.md', '.env.example', 'docker-compose.yml'])(
    'the .env one-liner in %s writes a private .env with a random value for each secret, and never overwrites one',
    (file) => {
      const command = oneLinerIn(file);
      const dir = tempDir('saga-dotenv-');
      const run = spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8' });
      expect([run.status, run.stderr]).toEqual([0, '']);
      const dotenv = path.join(dir, '.env');
      expect((statSync(dotenv).mode & 0o777).toString(8)).toBe('600');
      const written = readFileSync(dotenv, 'utf8');
      const vars = Object.fromEntries(
        written
          .trim()
          .split('\n')
          .map((l) => l.split('=') as [string, string]),
      );
      expect(Object.keys(vars).sort()).toEqual(SECRETS);
      for (const value of Object.values(vars)) expect(value).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(Object.values(vars)).size).toBe(SECRETS.length);
      for (const name of Object.keys(ROLES)) expect(configOf(name, vars).adminToken).toBe(vars.ADMIN_TOKEN);
      if (composeCli) {
        const { ok, output } = composeConfigWith(dotenv);
        expect([ok, output]).toEqual([true, expect.any(String)]);
      }

      // Run again: a new POSTGRES_PASSWORD would no longer open the existing database.
      expect(spawnSync('sh', ['-c', command], { cwd: dir, encoding: 'utf8' }).status).not.toBe(0);
      expect(readFileSync(dotenv, 'utf8')).toBe(written);
    },
  );
});
