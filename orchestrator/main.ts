// `npm start`: the whole system in one process on the configured database.
import { ConfigError, loadConfig } from '../infra/config.js';
import { createLogger } from '../infra/logger.js';
import { startSystem } from './start.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
const logger = createLogger(config.logLevel);

try {
  const system = await startSystem(config, logger);
  logger.info(
    { url: system.url, database: config.database.kind, dataDir: config.database.kind === 'pglite' ? config.database.dataDir : undefined },
    `order-saga listening on ${system.url} (API docs at ${system.url}/docs)`,
  );
  if (config.adminTokenIsDefault) logger.warn('ADMIN_TOKEN is not set: admin routes accept the development token "dev-admin-token"');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: no new jobs, finishing the ones in flight');
    // A dead Redis can keep BullMQ's timers alive for ever; never hang on the way out.
    setTimeout(() => {
      logger.error('shutdown did not finish within 30 s; exiting anyway');
      process.exit(1);
    }, 30_000).unref();
    system.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  logger.fatal({ err }, `order-saga could not start: ${(err as Error).message}`);
  process.exit(1);
}
