// The driver adapter the Prisma CLI (migrate, db, studio) uses against a real
// PostgreSQL server. Two defects of @prisma/adapter-pg 6.19 are corrected here:
// - migrate reads catalog columns of type `name` (oid 19) and `"char"` (oid 18),
//   which the adapter cannot map (prisma/prisma#27403): they are reported as text;
// - connectToShadowDb() spreads `{ ...config, database }`, but with a
//   connectionString the URL's database wins, so the shadow database would be the
//   main one: the pool config is built from the URL's parts instead.
// Why Prisma 6, offline: docs/decisions/0004-prisma-6-offline.md
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';

const PG_NAME_OID = 19;
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function reportCatalogTypesAsText(result: unknown): unknown {
  const fields = (result as QueryResultLike | undefined)?.fields;
  if (Array.isArray(fields)) {
    for (const field of fields) {
      if (field.dataTypeID === PG_NAME_OID || field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

export function poolConfigFromUrl(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  const sslmode = parsed.searchParams.get('sslmode');
  return {
    host: decodeURIComponent(parsed.hostname) || 'localhost',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    ssl: sslmode && sslmode !== 'disable' ? { rejectUnauthorized: sslmode === 'verify-full' } : undefined,
  };
}

class CatalogSafePool extends pg.Pool {
  constructor(config: pg.PoolConfig) {
    super(config);
    this.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        // pg.Pool#query passes a callback; the adapter's own transactions await a promise.
        const last = args.at(-1);
        if (typeof last === 'function') {
          args[args.length - 1] = (err: unknown, res: unknown) => last(err, reportCatalogTypesAsText(res));
          return query(...args);
        }
        const out = query(...args);
        return out instanceof Promise ? out.then(reportCatalogTypesAsText) : out;
      };
    });
  }
}

export async function migrationAdapterFactory() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL must name the PostgreSQL database to migrate');
  const config = poolConfigFromUrl(url);
  const factory = new PrismaPg(new CatalogSafePool(config), { disposeExternalPool: true });
  // Shadow databases get a pool of their own built from parts, never from the URL.
  const connectToShadowDb = async () => {
    const admin = await factory.connect();
    const database = `prisma_migrate_shadow_db_${globalThis.crypto.randomUUID().replaceAll('-', '')}`;
    await admin.executeScript(`CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg(new CatalogSafePool({ ...config, database }), { disposeExternalPool: true }).connect();
    const dispose = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await dispose();
      await admin.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
      await admin.dispose();
    };
    return shadow;
  };
  return Object.assign(factory, { connectToShadowDb });
}
