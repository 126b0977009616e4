// Every setting comes from the environment, validated once at start-up. Defaults
// run locally with no set-up: PGlite in ./.data, port 3000 on loopback, a development admin token.
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { addDuration } from './iso-duration.js';
import { DELIVERY_KILL_POINTS, FULFILMENT_KILL_POINTS, KILL_POINTS } from './kill-points.js';

const DEV_ADMIN_TOKEN = 'dev-admin-token';
const DEV_SANDBOX_SECRET = 'whsec_sandbox_development_only';
/** Outside production: an API key with every scope, for the README's first steps (docs/security.md). */
export const DEV_API_KEY = 'osk_dev_local_development_only';
const DEV_CUSTOMER_JWT_SECRET = 'order-saga-development-customer-token-secret';
const DEV_CUSTOMER_JWT_ISSUER = 'order-saga-dev';
const DEV_CUSTOMER_JWT_AUDIENCE = 'order-saga';

/** The secrets that fall back to a value written here when unset outside production, and what that value lets anyone do. */
const DEVELOPMENT_SECRETS = {
  ADMIN_TOKEN: `API keys can be created with the development admin token "${DEV_ADMIN_TOKEN}"`,
  SANDBOX_WEBHOOK_SECRET: `payment webhooks signed with the development secret "${DEV_SANDBOX_SECRET}" are accepted`,
  DEV_API_KEY_ENABLED: `the development API key "${DEV_API_KEY}" holds every scope`,
  CUSTOMER_JWT_SECRET: `customer tokens signed with the development secret "${DEV_CUSTOMER_JWT_SECRET}" are accepted (npm run token)`,
} as const;
type DevelopmentSecret = keyof typeof DEVELOPMENT_SECRETS;
const DEVELOPMENT_STATE: Record<DevelopmentSecret, string> = {
  ADMIN_TOKEN: 'is not set',
  SANDBOX_WEBHOOK_SECRET: 'is not set',
  DEV_API_KEY_ENABLED: 'is not false',
  CUSTOMER_JWT_SECRET: 'is not set (nor CUSTOMER_JWT_JWKS_URL)',
};
const DEVELOPMENT_FIX: Record<DevelopmentSecret, string> = {
  ADMIN_TOKEN: 'set ADMIN_TOKEN',
  SANDBOX_WEBHOOK_SECRET: 'set SANDBOX_WEBHOOK_SECRET',
  DEV_API_KEY_ENABLED: 'set DEV_API_KEY_ENABLED=false (and create keys: docs/security.md)',
  CUSTOMER_JWT_SECRET: "set CUSTOMER_JWT_SECRET or CUSTOMER_JWT_JWKS_URL (your identity provider's)",
};

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether only this machine can connect to a server listening on `host`: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === 'localhost') return true;
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/** An ISO 8601 duration (PT10M) as written and in milliseconds, or a problem. */
function parseIsoDuration(iso: string, ctx: z.RefinementCtx): { iso: string; ms: number } {
  try {
    const ms = addDuration(new Date(0), iso).getTime();
    if (ms > 0) return { iso, ms };
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: `must be a positive ISO 8601 duration such as PT10M (got ${JSON.stringify(iso)})` });
  return z.NEVER;
}

const isoDuration = (fallback: string) => z.string().default(fallback).transform(parseIsoDuration);

/** A duration whose default depends on another setting: undefined when not set. */
const isoDurationOrUnset = z
  .string()
  .optional()
  .transform((iso, ctx) => (iso === undefined || iso.trim() === '' ? undefined : parseIsoDuration(iso, ctx)));

/** One minute, or a quarter of a shorter PAYMENT_TIMEOUT, so that the provider is asked a few times before the deadline. */
export function defaultStatusCheckInterval(paymentTimeoutMs: number): string {
  const ms = Math.min(60_000, Math.max(1, Math.floor(paymentTimeoutMs / 4)));
  return `PT${ms / 1000}S`;
}

const optionalUrl = (pattern: RegExp, message: string) =>
  z
    .string()
    .regex(pattern, message)
    .optional()
    .or(z.literal('').transform(() => undefined));

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Which parts of the system this process runs (`npm start`, `start:api`, `start:workers`). */
export const ROLES = ['all', 'api', 'workers'] as const;
export type Role = (typeof ROLES)[number];

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    // Unset: 0.0.0.0 in production, else 127.0.0.1 (see listenHost).
    HOST: z.string().min(1).optional(),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    DATA_DIR: z.string().min(1).default('./.data'),
    DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    DB_MIGRATE_ON_START: boolean.optional(),
    SEED_DEMO_DATA: boolean.optional(),
    ADMIN_TOKEN: z.string().min(12, 'must be at least 12 characters').optional(),
    // Outside production the development key (DEV_API_KEY) holds every scope unless this is false; never in production.
    DEV_API_KEY_ENABLED: boolean.optional(),
    // Customers' bearer tokens (JWT): an HS256 secret, or the identity provider's JWKS (asymmetric algorithms only), or both.
    CUSTOMER_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (256 bits for HS256)').optional(),
    CUSTOMER_JWT_JWKS_URL: optionalUrl(/^https?:\/\/[^/]+/, 'must be an http(s):// URL'),
    CUSTOMER_JWT_ISSUER: optionalText,
    CUSTOMER_JWT_AUDIENCE: optionalText,
    // Unset outside production: /metrics is open, as Prometheus scrapers expect on a private network.
    METRICS_TOKEN: z
      .string()
      .min(12, 'must be at least 12 characters')
      .optional()
      .or(z.literal('').transform(() => undefined)),
    // Each scrape reads the gauges from the database, the engine and Redis: a scrape within this window reuses the last reading.
    METRICS_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(5000),
    // Requests per minute per credential (or per IP without one), counted in Redis across instances; 0 or RATE_LIMIT_ENABLED=false: no limit.
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(6000),
    RATE_LIMIT_ENABLED: boolean.default(true),
    // Origins whose pages may call the public API from a browser; empty: none.
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((o) => o.trim().replace(/\/+$/, ''))
          .filter((o) => o !== ''),
      )
      .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be comma-separated origins such as https://shop.example.com (scheme and host, no path)'))),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb')
      .default('100kb'),
    IDEMPOTENCY_KEY_TTL: isoDuration('PT24H'),
    // Points a completed order earns per 100 minor units the customer kept (docs/catalogue.md, "Points").
    POINTS_EARNED_PER_100_MINOR: z.coerce.number().int('must be an integer').min(0).max(10_000).default(1),
    // The customer levels listings price for, the first the default (docs/catalogue.md).
    CUSTOMER_LEVELS: z
      .string()
      .default('regular,silver,gold')
      .transform((v) => v.split(',').map((l) => l.trim()))
      .pipe(
        z
          .array(
            z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be comma-separated level names: lower-case letters, digits and dashes, starting with a letter'),
          )
          .min(1)
          .refine((names) => new Set(names).size === names.length, 'must not name a level twice'),
      ),
    PAYMENT_TIMEOUT: isoDuration('PT10M'),
    PAYMENT_MESSAGE_TTL: isoDuration('PT1H'),
    FULFILMENT_DELIVERY_PRESUMED_AFTER: isoDuration('P14D'),
    FULFILMENT_ACCEPTANCE_WINDOW: isoDuration('P7D'),
    FULFILMENT_LINK_VALIDITY: isoDuration('P7D'),
    PAYMENT_STATUS_CHECK_INTERVAL: isoDurationOrUnset,
    PAYMENT_RETRY_BACKOFF_MS: z.coerce.number().int().min(0).max(3_600_000).default(2000),
    PAYMENT_PROVIDER: z.enum(['sandbox']).default('sandbox'),
    SANDBOX_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    SANDBOX_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(1500),
    WEBHOOK_TOLERANCE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
    PUBLIC_URL: optionalUrl(/^https?:\/\/[^/]+/, 'must be an http(s):// URL'),
    REDIS_URL: optionalUrl(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL'),
    REDIS_SERVER_PATH: z.string().min(1).default('redis-server'),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be 1-40 letters, digits, _ or -')
      .default('order-saga'),
    SMTP_URL: optionalUrl(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL'),
    SMTP_FROM: z.string().min(3).default('order-saga <orders@localhost>'),
    RECOVERY_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
    // Events out (docs/events.md): webhook delivery to subscriptions.
    EVENT_DELIVERY_TIMEOUT: isoDuration('PT10S'),
    EVENT_DELIVERY_FIRST_RETRY: isoDuration('PT1M'),
    EVENT_DELIVERY_MAX_RETRY_INTERVAL: isoDuration('PT6H'),
    EVENT_DELIVERY_RETRY_FOR: isoDuration('P3D'),
    EVENT_DELIVERY_POLL_INTERVAL: isoDuration('PT1S'),
    EVENT_SUBSCRIPTION_DISABLE_AFTER: isoDuration('P3D'),
    // Unset: false in production (no webhooks to loopback, private or link-local addresses), true otherwise (local subscribers).
    EVENT_SUBSCRIPTION_ALLOW_PRIVATE: boolean.optional(),
    EVENT_RETENTION: isoDuration('P30D'),
    EVENT_PRUNE_INTERVAL: isoDuration('PT1H'),
    ROLE: z.enum(ROLES).default('all'),
    // Fault injection (infra/kill-points.ts): the process SIGKILLs itself at this point. Tests only.
    FAULT_KILL_AT: z
      .enum([...KILL_POINTS, ...DELIVERY_KILL_POINTS, ...FULFILMENT_KILL_POINTS], {
        message: `must be one of ${[...KILL_POINTS, ...DELIVERY_KILL_POINTS, ...FULFILMENT_KILL_POINTS].join(', ')}`,
      })
      .optional()
      .or(z.literal('').transform(() => undefined)),
    ENGINE: z.enum(['embedded', 'zeebe']).default('embedded'),
    // The embedded engine's audit trail: an ended instance's steps and decision evaluations are kept this many days (fractions allowed).
    ENGINE_AUDIT_RETENTION_DAYS: z
      .string()
      .default('7')
      .transform((v, ctx) => {
        const days = v.trim() === '' ? NaN : Number(v);
        if (Number.isFinite(days) && days >= 0 && days <= 36_500) return days;
        ctx.addIssue({
          code: 'custom',
          message: `must be a number of days, 0 or more (fractions allowed, e.g. 0.5), at most 36500 (got ${JSON.stringify(v)})`,
        });
        return z.NEVER;
      }),
    ENGINE_AUDIT_PRUNE_INTERVAL: isoDuration('PT1H'),
    DEPLOY_ON_START: boolean.default(true),
    // How long deploy at start retries while the engine is unavailable (a Camunda 8 cluster whose partitions have no leader yet).
    DEPLOY_RETRY_FOR: isoDuration('PT2M'),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(16),
    WORKER_JOB_TIMEOUT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(30_000),
    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(25_000),
    // Camunda 8: the variables Camunda's SDKs and Console use, under their own names.
    ZEEBE_REST_ADDRESS: optionalUrl(/^https?:\/\/[^/]+/, 'must be an http(s):// URL such as http://localhost:8080'),
    ZEEBE_GRPC_ADDRESS: optionalText,
    CAMUNDA_AUTH_STRATEGY: z
      .string()
      .optional()
      .transform((v) => (v ?? '').trim().toUpperCase() || 'NONE')
      .pipe(z.enum(['NONE', 'OAUTH', 'BASIC'], { message: 'must be NONE, OAUTH or BASIC' })),
    ZEEBE_CLIENT_ID: optionalText,
    ZEEBE_CLIENT_SECRET: optionalText,
    CAMUNDA_OAUTH_URL: optionalUrl(/^https?:\/\/[^/]+/, 'must be an http(s):// URL'),
    ZEEBE_TOKEN_AUDIENCE: optionalText,
    CAMUNDA_TOKEN_SCOPE: optionalText,
    CAMUNDA_BASIC_AUTH_USERNAME: optionalText,
    CAMUNDA_BASIC_AUTH_PASSWORD: optionalText,
    CAMUNDA_TENANT_ID: optionalText,
    CAMUNDA_OPERATE_BASE_URL: optionalUrl(/^https?:\/\/[^/]+/, 'must be an http(s):// URL'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.ADMIN_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_TOKEN'], message: 'is required in production' });
    }
    if (env.NODE_ENV === 'production' && env.PAYMENT_PROVIDER === 'sandbox' && !env.SANDBOX_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['SANDBOX_WEBHOOK_SECRET'], message: 'is required in production' });
    }
    // A development secret is written in the source: only this machine may use a service that accepts it.
    const host = listenHost(env);
    if (!isLoopbackHost(host)) {
      for (const name of developmentSecretsInUse(env)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${DEVELOPMENT_STATE[name]}: its development value is public (in the source code) and HOST=${host} lets other machines connect; ${DEVELOPMENT_FIX[name]}, or listen on this machine only with HOST=127.0.0.1`,
        });
      }
    }
    if (env.NODE_ENV === 'production' && env.DEV_API_KEY_ENABLED) {
      ctx.addIssue({ code: 'custom', path: ['DEV_API_KEY_ENABLED'], message: 'must not be true in production: the development key is public' });
    }
    const customerTokens = env.CUSTOMER_JWT_SECRET !== undefined || env.CUSTOMER_JWT_JWKS_URL !== undefined;
    if (env.NODE_ENV === 'production' && customerTokens) {
      for (const name of ['CUSTOMER_JWT_ISSUER', 'CUSTOMER_JWT_AUDIENCE'] as const) {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production when customer tokens are configured' });
      }
      if (env.CUSTOMER_JWT_JWKS_URL?.startsWith('http://')) {
        ctx.addIssue({ code: 'custom', path: ['CUSTOMER_JWT_JWKS_URL'], message: 'must be https:// in production (the keys that sign customer tokens)' });
      }
    }
    if (env.NODE_ENV === 'production' && !env.METRICS_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'is required in production (/metrics shows business figures and costs queries)' });
    }
    if (env.PAYMENT_STATUS_CHECK_INTERVAL && env.PAYMENT_STATUS_CHECK_INTERVAL.ms >= env.PAYMENT_TIMEOUT.ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['PAYMENT_STATUS_CHECK_INTERVAL'],
        message: `must be shorter than PAYMENT_TIMEOUT (${env.PAYMENT_TIMEOUT.iso}): otherwise the provider is never asked before the order is cancelled`,
      });
    }
    if (env.EVENT_DELIVERY_FIRST_RETRY.ms > env.EVENT_DELIVERY_MAX_RETRY_INTERVAL.ms) {
      ctx.addIssue({
        code: 'custom',
        path: ['EVENT_DELIVERY_FIRST_RETRY'],
        message: `must not be longer than EVENT_DELIVERY_MAX_RETRY_INTERVAL (${env.EVENT_DELIVERY_MAX_RETRY_INTERVAL.iso})`,
      });
    }
    if (env.ROLE !== 'all') {
      // Separate processes must share one database and one Redis: PGlite and the
      // private redis-server belong to a single process.
      if (!env.DATABASE_URL)
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: `is required for the ${env.ROLE} role (PGlite serves one process; run \`npm start\` for everything in one)`,
        });
      if (!env.REDIS_URL)
        ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: `is required for the ${env.ROLE} role (the private redis-server serves one process)` });
    }
    if (env.ENGINE === 'zeebe') {
      if (!env.ZEEBE_REST_ADDRESS) {
        const hint = env.ZEEBE_GRPC_ADDRESS ? ' (order-saga talks to Camunda 8 over its REST API; ZEEBE_GRPC_ADDRESS alone is not enough)' : '';
        ctx.addIssue({ code: 'custom', path: ['ZEEBE_REST_ADDRESS'], message: `is required with ENGINE=zeebe, e.g. http://localhost:8080${hint}` });
      }
      const need = (name: keyof typeof env, why: string) => {
        if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: `is required ${why}` });
      };
      if (env.CAMUNDA_AUTH_STRATEGY === 'OAUTH') {
        for (const name of ['ZEEBE_CLIENT_ID', 'ZEEBE_CLIENT_SECRET', 'CAMUNDA_OAUTH_URL'] as const) need(name, 'with CAMUNDA_AUTH_STRATEGY=OAUTH');
      }
      if (env.CAMUNDA_AUTH_STRATEGY === 'BASIC') {
        for (const name of ['CAMUNDA_BASIC_AUTH_USERNAME', 'CAMUNDA_BASIC_AUTH_PASSWORD'] as const) need(name, 'with CAMUNDA_AUTH_STRATEGY=BASIC');
      }
    }
  });

export type Config = ReturnType<typeof toConfig>;

type SecretsEnv = {
  NODE_ENV: string;
  ROLE: Role;
  PAYMENT_PROVIDER: string;
  HOST?: string | undefined;
  ADMIN_TOKEN?: string | undefined;
  SANDBOX_WEBHOOK_SECRET?: string | undefined;
  DEV_API_KEY_ENABLED?: boolean | undefined;
  CUSTOMER_JWT_SECRET?: string | undefined;
  CUSTOMER_JWT_JWKS_URL?: string | undefined;
};

function listenHost(env: SecretsEnv): string {
  return env.HOST ?? (env.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1');
}

/**
 * The secrets running on their development value: outside production (where they are required), in the roles
 * that serve the API (the workers role serves neither admin routes nor webhooks).
 */
function developmentSecretsInUse(env: SecretsEnv): DevelopmentSecret[] {
  if (env.NODE_ENV === 'production' || env.ROLE === 'workers') return [];
  const unset: DevelopmentSecret[] = [];
  if (!env.ADMIN_TOKEN) unset.push('ADMIN_TOKEN');
  if (env.PAYMENT_PROVIDER === 'sandbox' && !env.SANDBOX_WEBHOOK_SECRET) unset.push('SANDBOX_WEBHOOK_SECRET');
  if (env.DEV_API_KEY_ENABLED !== false) unset.push('DEV_API_KEY_ENABLED');
  if (!env.CUSTOMER_JWT_SECRET && !env.CUSTOMER_JWT_JWKS_URL) unset.push('CUSTOMER_JWT_SECRET');
  return unset;
}

function toConfig(env: z.infer<typeof schema>) {
  const embedded = env.DATABASE_URL === undefined;
  return {
    env: env.NODE_ENV,
    http: { host: listenHost(env), port: env.PORT, bodyLimit: env.BODY_LIMIT },
    /** Requests per minute per credential or IP; undefined: no limit (RATE_LIMIT_ENABLED=false or RATE_LIMIT_PER_MINUTE=0). */
    rateLimit: { perMinute: env.RATE_LIMIT_ENABLED && env.RATE_LIMIT_PER_MINUTE > 0 ? env.RATE_LIMIT_PER_MINUTE : undefined },
    /** Origins allowed to call the public API from a browser (CORS); empty: none. */
    cors: { origins: env.CORS_ORIGINS },
    logLevel: env.LOG_LEVEL,
    database: embedded
      ? { kind: 'pglite' as const, dataDir: path.resolve(env.DATA_DIR, 'pglite') }
      : { kind: 'postgres' as const, url: env.DATABASE_URL as string, poolSize: env.DB_POOL_SIZE },
    dataDir: path.resolve(env.DATA_DIR),
    // The embedded default sets itself up; a shared PostgreSQL is migrated by
    // `npm run db:migrate` as a deliberate step unless asked otherwise.
    migrateOnStart: env.DB_MIGRATE_ON_START ?? embedded,
    seedDemoData: env.SEED_DEMO_DATA ?? embedded,
    adminToken: env.ADMIN_TOKEN ?? DEV_ADMIN_TOKEN,
    adminTokenIsDefault: env.ADMIN_TOKEN === undefined,
    auth: authConfig(env),
    /** The secrets running on their development value, each with the warning start-up logs (allowed on a loopback HOST only). */
    defaultSecrets: developmentSecretsInUse(env).map((name) => ({ name, warning: `${name} ${DEVELOPMENT_STATE[name]}: ${DEVELOPMENT_SECRETS[name]}` })),
    /** Bearer token (or Basic password) a scraper must send to /metrics; undefined = no authentication (never in production). */
    metricsToken: env.METRICS_TOKEN,
    /** How long a reading of the scrape-time gauges is reused (ms; 0: every scrape reads). */
    metricsCacheMs: env.METRICS_CACHE_MS,
    orders: {
      /** How long an Idempotency-Key names its order (from the order's creation); then it may be used for a new order. */
      idempotencyKeyTtlMs: env.IDEMPOTENCY_KEY_TTL.ms,
    },
    /** The customer levels (CUSTOMER_LEVELS); the first is the default (domain/customers/levels.ts). */
    customerLevels: env.CUSTOMER_LEVELS,
    /** Points a completed order earns per 100 minor units kept; 0: none. */
    pointsEarnedPer100Minor: env.POINTS_EARNED_PER_100_MINOR,
    saga: {
      /** An order unpaid this long after placement is cancelled (ms; the process gets the deadline). */
      paymentTimeoutMs: env.PAYMENT_TIMEOUT.ms,
      /** ISO 8601 duration without a payment result after which the process asks the provider, and again after each answer "pending". */
      paymentStatusCheckInterval: env.PAYMENT_STATUS_CHECK_INTERVAL?.iso ?? defaultStatusCheckInterval(env.PAYMENT_TIMEOUT.ms),
      /** How long payment-result, cancel and shipment messages wait for the process (ms). */
      messageTtlMs: env.PAYMENT_MESSAGE_TTL.ms,
      /** After shipping, how long without a delivery report until a shipment is presumed delivered (ISO 8601). */
      deliveryPresumedAfter: env.FULFILMENT_DELIVERY_PRESUMED_AFTER.iso,
      /** After delivery, how long the customer has to complain before the business's funds are released (ISO 8601). */
      acceptanceWindow: env.FULFILMENT_ACCEPTANCE_WINDOW.iso,
    },
    fulfilment: {
      /** How long the accept/decline links sent to a business stay valid (ms). */
      linkValidityMs: env.FULFILMENT_LINK_VALIDITY.ms,
    },
    payments: {
      provider: env.PAYMENT_PROVIDER,
      retryBackoffMs: env.PAYMENT_RETRY_BACKOFF_MS,
      webhookToleranceSeconds: env.WEBHOOK_TOLERANCE_SECONDS,
      /** Base URL providers call back; defaults to this service's own address once it listens. */
      publicUrl: env.PUBLIC_URL?.replace(/\/+$/, ''),
      sandbox: { webhookSecret: env.SANDBOX_WEBHOOK_SECRET ?? DEV_SANDBOX_SECRET, delayMs: env.SANDBOX_DELAY_MS },
    },
    redis: { url: env.REDIS_URL, serverPath: env.REDIS_SERVER_PATH, prefix: env.QUEUE_PREFIX },
    notifications: { smtpUrl: env.SMTP_URL, from: env.SMTP_FROM },
    recoveryIntervalMs: env.RECOVERY_INTERVAL_MS,
    events: {
      /** How long a subscriber has to answer one delivery (ms). */
      deliveryTimeoutMs: env.EVENT_DELIVERY_TIMEOUT.ms,
      /** The first retry's delay (ms); each next one doubles, up to `maxRetryIntervalMs`. */
      firstRetryMs: env.EVENT_DELIVERY_FIRST_RETRY.ms,
      maxRetryIntervalMs: env.EVENT_DELIVERY_MAX_RETRY_INTERVAL.ms,
      /** How long a delivery is retried before it is given up (ms from its first attempt, or from a replay). */
      retryForMs: env.EVENT_DELIVERY_RETRY_FOR.ms,
      /** How often the dispatcher looks for new events and due deliveries (ms). */
      pollIntervalMs: env.EVENT_DELIVERY_POLL_INTERVAL.ms,
      /** A subscription failing without a success for this long is disabled (ms). */
      disableAfterMs: env.EVENT_SUBSCRIPTION_DISABLE_AFTER.ms,
      /** Finished events older than this are deleted with their delivery log (ms). */
      retentionMs: env.EVENT_RETENTION.ms,
      /** How often the dispatcher prunes (ms). */
      pruneIntervalMs: env.EVENT_PRUNE_INTERVAL.ms,
    },
    eventSubscriptions: {
      /** Webhooks may go to loopback, private, link-local and other non-public addresses (domain/events/address-rules.ts). */
      allowPrivateNetworks: env.EVENT_SUBSCRIPTION_ALLOW_PRIVATE ?? env.NODE_ENV !== 'production',
    },
    role: env.ROLE,
    faultKillAt: env.FAULT_KILL_AT,
    engine: engineConfig(env),
    /** The embedded engine's audit retention (docs/engine.md, "Audit retention"). */
    engineAudit: {
      /** An ended instance's audit rows and decision evaluations are deleted this long after it ended (ms). */
      retentionMs: Math.round(env.ENGINE_AUDIT_RETENTION_DAYS * 86_400_000),
      /** How often the processes that run the engine's timers prune (ms). */
      pruneIntervalMs: env.ENGINE_AUDIT_PRUNE_INTERVAL.ms,
    },
    /** Deploy bpmn/ at start (all and api roles; workers never deploy). */
    deployOnStart: env.DEPLOY_ON_START,
    /** Deploy at start retries an unavailable engine for this long, then the process fails (ISO 8601 and ms). */
    deployRetryFor: env.DEPLOY_RETRY_FOR,
    workers: { concurrency: env.WORKER_CONCURRENCY, jobTimeoutMs: env.WORKER_JOB_TIMEOUT_MS },
    /** How long a stopping process lets in-flight jobs and requests finish. */
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
  };
}

/** How customers and the development key are recognised (api/authenticate.ts). */
export type AuthConfig = {
  /** The development key (DEV_API_KEY), accepted with every scope; undefined in production or when disabled. */
  devApiKey: string | undefined;
  /** Customers' tokens; undefined: customers cannot authenticate (production without CUSTOMER_JWT_*). */
  customerTokens: { secret?: string; jwksUrl?: string; issuer: string; audience: string } | undefined;
};

function authConfig(env: z.infer<typeof schema>): AuthConfig {
  const production = env.NODE_ENV === 'production';
  const devApiKey = !production && env.DEV_API_KEY_ENABLED !== false ? DEV_API_KEY : undefined;
  const configured = env.CUSTOMER_JWT_SECRET !== undefined || env.CUSTOMER_JWT_JWKS_URL !== undefined;
  if (!configured && production) return { devApiKey, customerTokens: undefined };
  return {
    devApiKey,
    customerTokens: {
      ...(configured ? {} : { secret: DEV_CUSTOMER_JWT_SECRET }),
      ...(env.CUSTOMER_JWT_SECRET ? { secret: env.CUSTOMER_JWT_SECRET } : {}),
      ...(env.CUSTOMER_JWT_JWKS_URL ? { jwksUrl: env.CUSTOMER_JWT_JWKS_URL } : {}),
      issuer: env.CUSTOMER_JWT_ISSUER ?? DEV_CUSTOMER_JWT_ISSUER,
      audience: env.CUSTOMER_JWT_AUDIENCE ?? DEV_CUSTOMER_JWT_AUDIENCE,
    },
  };
}

export type ZeebeConfig = {
  kind: 'zeebe';
  restAddress: string;
  auth:
    | { strategy: 'NONE' }
    | { strategy: 'OAUTH'; clientId: string; clientSecret: string; oauthUrl: string; audience?: string; scope?: string }
    | { strategy: 'BASIC'; username: string; password: string };
  tenantId?: string;
  /** Operate's address, for links from this service's pages. */
  operateUrl?: string;
};

export type EngineConfig = { kind: 'embedded' } | ZeebeConfig;

function engineConfig(env: z.infer<typeof schema>): EngineConfig {
  if (env.ENGINE === 'embedded') return { kind: 'embedded' };
  // superRefine has checked every value the strategy needs.
  const auth: ZeebeConfig['auth'] =
    env.CAMUNDA_AUTH_STRATEGY === 'OAUTH'
      ? {
          strategy: 'OAUTH',
          clientId: env.ZEEBE_CLIENT_ID!,
          clientSecret: env.ZEEBE_CLIENT_SECRET!,
          oauthUrl: env.CAMUNDA_OAUTH_URL!,
          audience: env.ZEEBE_TOKEN_AUDIENCE,
          scope: env.CAMUNDA_TOKEN_SCOPE,
        }
      : env.CAMUNDA_AUTH_STRATEGY === 'BASIC'
        ? { strategy: 'BASIC', username: env.CAMUNDA_BASIC_AUTH_USERNAME!, password: env.CAMUNDA_BASIC_AUTH_PASSWORD! }
        : { strategy: 'NONE' };
  return {
    kind: 'zeebe',
    restAddress: env.ZEEBE_REST_ADDRESS!.replace(/\/+$/, ''),
    auth,
    ...(env.CAMUNDA_TENANT_ID ? { tenantId: env.CAMUNDA_TENANT_ID } : {}),
    ...(env.CAMUNDA_OPERATE_BASE_URL ? { operateUrl: env.CAMUNDA_OPERATE_BASE_URL.replace(/\/+$/, '') } : {}),
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'} ${i.message}`));
  }
  return toConfig(parsed.data);
}
