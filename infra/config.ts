// Every setting comes from the environment, validated once at start-up. Defaults
// run locally with no set-up: PGlite in ./.data, port 3000, a development admin token.
import path from 'node:path';
import { z } from 'zod';

const DEV_ADMIN_TOKEN = 'dev-admin-token';

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().min(1).default('0.0.0.0'),
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
    BODY_LIMIT: z.string().regex(/^\d+(b|kb|mb)$/i, 'must look like 100kb').default('100kb'),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && !env.ADMIN_TOKEN) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_TOKEN'], message: 'is required in production' });
    }
  });

export type Config = ReturnType<typeof toConfig>;

function toConfig(env: z.infer<typeof schema>) {
  const embedded = env.DATABASE_URL === undefined;
  return {
    env: env.NODE_ENV,
    http: { host: env.HOST, port: env.PORT, bodyLimit: env.BODY_LIMIT },
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
