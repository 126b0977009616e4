// The credential commands as a user runs them: `npm run token` (a customer token for
// development) and `npm run keys` (API keys straight in the database). Each runs the
// command of its package.json script, minus npm, as a child process; what it made is
// checked with the service's own verifiers.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { decodeJwt } from 'jose';
import { customerTokenVerifier } from '../../api/customer-tokens.js';
import { verifyApiKey } from '../../domain/access/api-keys.js';
import { loadConfig } from '../../infra/config.js';
import { openDatabase, type Database } from '../../infra/database.js';
import { databaseKind, onPostgres } from '../support/database.js';
import { databaseEnv } from '../support/service-process.js';
import { testNodeFlags } from '../support/node-flags.js';

const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;

// Nothing of the shell running the tests decides where the commands look or what they sign with.
const base: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn' };
for (const name of ['CUSTOMER_JWT_SECRET', 'CUSTOMER_JWT_JWKS_URL', 'CUSTOMER_JWT_ISSUER', 'CUSTOMER_JWT_AUDIENCE', 'DATABASE_URL', 'DATA_DIR'])
  delete base[name];

type Run = { code: number | null; stdout: string; stderr: string };

/** `npm run <script> -- <args>`: the script's command (node --import tsx app/…) with `env` on top of `base`. */
function run(script: 'token' | 'keys', args: string[], env: Record<string, string> = {}): Promise<Run> {
  const [node, ...nodeArgs] = (scripts[script] as string).split(' ');
  expect(node).toBe('node');
  const child = spawn(process.execPath, [...testNodeFlags(), ...nodeArgs, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run token', () => {
  const JWT_LINE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/;
  const verifierFor = (env: Record<string, string>) => customerTokenVerifier(loadConfig({ ...base, ...env }).auth.customerTokens)!;

  test("prints only the token, which the service's verifier (development configuration) takes as that customer, for 1 hour by default", async () => {
    const before = Math.floor(Date.now() / 1000);
    const { code, stdout } = await run('token', ['cust-1']);
    expect(code).toBe(0);
    expect(stdout).toMatch(JWT_LINE);
    const token = stdout.trim();
    expect(await verifierFor({})(token)).toEqual({ kind: 'customer', customerId: 'cust-1' });
    const { iat, exp, sub } = decodeJwt(token);
    expect(sub).toBe('cust-1');
    expect(iat).toBeGreaterThanOrEqual(before);
    expect(exp! - iat!).toBe(3600);
  });

  test('--expires-in PT1S gives exp = iat + 1, signed with the configured CUSTOMER_JWT_SECRET, issuer and audience', async () => {
    const env = { CUSTOMER_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!', CUSTOMER_JWT_ISSUER: 'test-idp', CUSTOMER_JWT_AUDIENCE: 'test-shop' };
    const { code, stdout } = await run('token', ['cust-2', '--expires-in', 'PT1S'], env);
    expect(code).toBe(0);
    const token = stdout.trim();
    const { iat, exp, iss, aud } = decodeJwt(token);
    expect(exp! - iat!).toBe(1);
    expect({ iss, aud }).toEqual({ iss: 'test-idp', aud: 'test-shop' });
    // Within the verifier's clock tolerance it still verifies, with this configuration only.
    expect(await verifierFor(env)(token)).toEqual({ kind: 'customer', customerId: 'cust-2' });
    expect(await verifierFor({})(token)).toEqual({ refused: expect.stringMatching(/signature does not verify|"iss" claim/) });
  });

  test("NODE_ENV=production is refused (exit 2): there the shop's identity provider issues customer tokens", async () => {
    const { code, stdout, stderr } = await run('token', ['cust-1'], { NODE_ENV: 'production' });
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain("NODE_ENV=production. In production the shop's identity provider issues customer tokens");
  });

  test('customer tokens by JWKS only (no secret) are refused (exit 2): tokens come from your identity provider', async () => {
    const { code, stdout, stderr } = await run('token', ['cust-1'], { CUSTOMER_JWT_JWKS_URL: 'https://idp.example/.well-known/jwks.json' });
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain('customer tokens come from your identity provider (CUSTOMER_JWT_JWKS_URL is set, CUSTOMER_JWT_SECRET is not)');
  });

  test('a missing customer id, or one over 100 characters, is refused (exit 2) with the usage', async () => {
    const [missing, tooLong] = await Promise.all([run('token', []), run('token', ['c'.repeat(101)])]);
    expect({ code: missing.code, stdout: missing.stdout }).toEqual({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('The customer id is missing.\nUsage: npm run token -- <customerId>');
    expect({ code: tooLong.code, stdout: tooLong.stdout }).toEqual({ code: 2, stdout: '' });
    expect(tooLong.stderr).toContain('The customer id must be at most 100 characters (it has 101).');
  });
});

describe(`npm run keys (${databaseKind})`, () => {
  let env: Record<string, string>;
  let keyA: { id: string; token: string };
  let keyB: { id: string; token: string };

  beforeAll(async () => {
    env = await databaseEnv();
  });
  afterAll(async () => {
    if (env?.DATA_DIR) await rm(env.DATA_DIR, { recursive: true, force: true });
  });

  /** The database the commands use, opened by the test (closed again: PGlite admits one process). */
  async function withDatabase<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    const db = await openDatabase(loadConfig({ ...base, ...env }).database);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  }

  // osk_<32 hex digits>_<43 base64url characters>: the secret itself may contain '_'.
  const secretOf = (token: string) => token.slice('osk_'.length + 32 + 1);

  test('create prints the token once, last on its own line (--json: the whole key), and it authenticates with the scopes given', async () => {
    const a = await run('keys', ['create', '--name', 'shop backend', '--scope', 'orders:read', '--scope', 'orders:write'], env);
    expect(a.code).toBe(0);
    const lines = a.stdout.trimEnd().split('\n');
    const token = lines.at(-1) as string;
    expect(token).toMatch(/^osk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(a.stdout.split(token)).toHaveLength(2); // once
    const id = /^([0-9a-f-]{36}) {2}shop backend {2}orders:read,orders:write {2}/m.exec(a.stdout)?.[1] as string;
    keyA = { id, token };

    const b = await run(
      'keys',
      ['create', '--name', 'acme', '--scope', 'shipments:read', '--business', 'default', '--expires-at', '2099-01-01T00:00:00Z', '--json'],
      env,
    );
    expect(b.code).toBe(0);
    const created = JSON.parse(b.stdout) as { id: string; token: string };
    expect(created).toEqual({
      id: expect.any(String),
      name: 'acme',
      scopes: ['shipments:read'],
      businessId: 'default',
      createdAt: expect.any(String),
      expiresAt: '2099-01-01T00:00:00.000Z',
      revokedAt: null,
      token: expect.stringMatching(/^osk_/),
    });
    keyB = created;

    await withDatabase(async (db) => {
      expect(await verifyApiKey(db.prisma, keyA.token)).toEqual({
        kind: 'key',
        keyId: keyA.id,
        scopes: new Set(['orders:read', 'orders:write']),
        businessId: null,
      });
      expect(await verifyApiKey(db.prisma, keyB.token)).toEqual({ kind: 'key', keyId: keyB.id, scopes: new Set(['shipments:read']), businessId: 'default' });
    });
  });

  test('list shows every key over all pages (100 newer ones first), and no secret', async () => {
    await withDatabase(async (db) => {
      const bulk = Array.from({ length: 100 }, (_, i) => ({
        id: randomUUID(),
        name: `bulk ${i}`,
        tokenHash: randomBytes(32).toString('hex'),
        scopes: ['ops'],
      }));
      await db.prisma.apiKey.createMany({ data: bulk });
    });
    const { code, stdout, stderr } = await run('keys', ['list'], env);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +SCOPES +BUSINESS +CREATED +EXPIRES +REVOKED$/);
    expect(lines).toHaveLength(1 + 102);
    expect(lines.at(-2)).toMatch(new RegExp(`^${keyB.id} +acme +shipments:read +default +\\S+ +2099-01-01T00:00:00.000Z +-$`));
    expect(lines.at(-1)).toMatch(new RegExp(`^${keyA.id} +shop backend +orders:read,orders:write +- +\\S+ +- +-$`));
    for (const key of [keyA, keyB]) expect(stdout + stderr).not.toContain(secretOf(key.token));
    expect(stdout).not.toContain('osk_');
  });

  (onPostgres ? test.skip : test)(
    'while another process holds the embedded database it refuses: stop the service first, or use POST /admin/api-keys',
    async () => {
      const { code, stdout, stderr } = await withDatabase(() => run('keys', ['list'], env));
      expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
      expect(stderr).toMatch(/is in use by process \d+[^]*stop the service first, or use POST \/admin\/api-keys/);
    },
  );

  test("revoke prints the key with its revocation time; from then on verifyApiKey says 'revoked' (the other key still works)", async () => {
    const { code, stdout } = await run('keys', ['revoke', keyB.id], env);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^${keyB.id} +acme +shipments:read +default +\\S+ +2099-01-01T00:00:00.000Z +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`, 'm'));
    await withDatabase(async (db) => {
      expect(await verifyApiKey(db.prisma, keyB.token)).toBe('revoked');
      expect(await verifyApiKey(db.prisma, keyA.token)).toMatchObject({ kind: 'key', keyId: keyA.id });
    });
  });

  test("refused input exits 2 naming the field: a business's key with orders:write (scopes[0]), an unknown business, an unknown scope, an unknown id", async () => {
    // The unknown scope is refused before the database opens: it can run beside a command that opens it.
    const [business, unknownScope] = await Promise.all([
      run('keys', ['create', '--name', 'acme writer', '--business', 'default', '--scope', 'orders:write'], env),
      run('keys', ['create', '--name', 'x', '--scope', 'orders:delete'], env),
    ]);
    expect({ code: business.code, stdout: business.stdout }).toEqual({ code: 2, stdout: '' });
    expect(business.stderr).toContain("scopes[0] (--scope): a business's key may hold only shipments:read, shipments:write");
    const unknownBusiness = await run('keys', ['create', '--name', 'nobody', '--business', 'no-such-business', '--scope', 'shipments:read'], env);
    expect({ code: unknownBusiness.code, stdout: unknownBusiness.stdout }).toEqual({ code: 2, stdout: '' });
    expect(unknownBusiness.stderr).toContain('businessId (--business): is not a business (see GET /businesses)');

    expect({ code: unknownScope.code, stdout: unknownScope.stdout }).toEqual({ code: 2, stdout: '' });
    expect(unknownScope.stderr).toMatch(/scopes\[0\] \(--scope\): must be one of orders:read, /);

    const unknownId = await run('keys', ['revoke', '00000000-0000-4000-8000-000000000000'], env);
    expect({ code: unknownId.code, stdout: unknownId.stdout }).toEqual({ code: 2, stdout: '' });
    expect(unknownId.stderr).toContain('id: API key 00000000-0000-4000-8000-000000000000 does not exist');
  });
});
