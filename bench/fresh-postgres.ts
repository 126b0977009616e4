// A fresh PostgreSQL database for one bench leg, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sleep } from '../test/support/wait.js';

export type FreshDatabase = { name: string; url: string; serverVersion: string; drop(): Promise<void> };

/** A new, empty database on the server of `adminUrl` (a role allowed to CREATE DATABASE). */
export async function freshPostgresDatabase(adminUrl: string, prefix: string): Promise<FreshDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  let serverVersion: string;
  try {
    serverVersion = String((await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?');
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    serverVersion,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
      await c.connect();
      try {
        // An autovacuum worker in the fresh database may refuse FORCE for a while (test/support/database.ts).
        for (let attempt = 1; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
            return;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (attempt >= 20 || (code !== '42501' && code !== '55006')) throw err;
            await sleep(250);
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}
