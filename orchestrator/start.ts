// Start-up wiring: database (migrated, seeded where configured), then the HTTP API.
// Used by `npm start` and by the tests, so both run exactly the same system.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../api/app.js';
import type { Config } from '../infra/config.js';
import { openDatabase, type Database } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import { applyMigrations, pendingMigrations, MigrationError } from '../infra/migrations.js';
import { seedDemoCatalog } from '../prisma/seed.js';

export type RunningSystem = { db: Database; server: Server; url: string; stop(): Promise<void> };

export async function prepareDatabase(config: Pick<Config, 'database' | 'migrateOnStart' | 'seedDemoData'>, logger: Logger): Promise<Database> {
  const db = await openDatabase(config.database);
  try {
    if (config.migrateOnStart) {
      const applied = await applyMigrations(db.sql);
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    } else {
      const pending = await pendingMigrations(db.sql);
      if (pending.length > 0) {
        throw new MigrationError(`The database is missing migrations ${pending.join(', ')}: run \`npm run db:migrate\` (or set DB_MIGRATE_ON_START=true)`);
      }
    }
    if (config.seedDemoData && (await seedDemoCatalog(db.prisma))) logger.info('seeded the demo catalog');
    return db;
  } catch (err) {
    await db.close();
    throw err;
  }
}

export async function startSystem(config: Config, logger: Logger): Promise<RunningSystem> {
  const db = await prepareDatabase(config, logger);
  const app = createApp({ db, config, logger });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s));
    s.once('error', reject);
  }).catch(async (err) => {
    await db.close();
    throw err;
  });
  const { port } = server.address() as AddressInfo;
  const host = config.http.host === '0.0.0.0' ? '127.0.0.1' : config.http.host;
  return {
    db,
    server,
    url: `http://${host}:${port}`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await db.close();
    },
  };
}
