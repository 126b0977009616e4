// `npm start` (everything in one process), `npm run start:api` and
// `npm run start:workers`: the role comes from the first argument, else ROLE.
import { ConfigError, loadConfig, ROLES, type Config, type Role } from '../infra/config.js';
import { createLogger } from '../infra/logger.js';
import { startSystem } from './start.js';

const arg = process.argv[2];
if (arg !== undefined && !(ROLES as readonly string[]).includes(arg)) {
  console.error(`Unknown role ${JSON.stringify(arg)}: use one of ${ROLES.join(', ')} (or no argument for all).`);
  process.exit(2);
}

let config: Config;
try {
  config = loadConfig({ ...process.env, ...(arg ? { ROLE: arg as Role } : {}) });
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
  const what = config.role === 'workers' ? 'order-saga workers' : 'order-saga';
  logger.info(
    {
      role: config.role,
      engine: config.engine.kind,
      url: system.url,
      database: config.database.kind,
      dataDir: config.database.kind === 'pglite' ? config.database.dataDir : undefined,
    },
    config.role === 'workers' ? `${what} running (health on ${system.url}/health)` : `${what} listening on ${system.url} (API docs at ${system.url}/docs)`,
  );
  // Allowed on a loopback HOST only (the configuration refuses any other): say so at every start all the same.
  for (const secret of config.defaultSecrets) logger.warn({ variable: secret.name }, secret.warning);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: no new jobs or requests, finishing the ones in flight');
    // A dead Redis or engine can keep timers alive for ever; never hang on the way out.
    setTimeout(() => {
      logger.error(`shutdown did not finish within ${config.shutdownGraceMs + 5_000} ms; exiting anyway`);
      process.exit(1);
    }, config.shutdownGraceMs + 5_000).unref();
    system.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
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
