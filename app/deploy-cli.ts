// `npm run deploy`: deploys every model in bpmn/ to the configured engine (the
// embedded one in the project's database, or the Camunda 8 cluster) and prints
// the version each process now has. A changed file becomes a new version that new
// orders start on; instances already running finish on the version they began.
// The service deploys at start as well (DEPLOY_ON_START); this is for deploying
// without a restart, e.g. from CI, or to a cluster no instance of the service runs on.
import { ConfigError, loadConfig, type Config } from '../infra/config.js';
import type { Database } from '../infra/database.js';
import { createLogger } from '../infra/logger.js';
import { deployModels } from '../orchestrator/deploy.js';
import { openEngine } from './engines.js';
import { loadProcessModels } from '../orchestrator/process-models.js';
import { prepareDatabase } from './start.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  throw err;
}
// Progress goes to stderr as JSON lines; the result to stdout, one line per process.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);

let db: Database | undefined;
let exitCode = 0;
try {
  const models = await loadProcessModels();
  if (config.engine.kind === 'embedded') db = await prepareDatabase({ ...config, seedDemoData: false }, logger);
  const { engine } = await openEngine(config.engine, db, logger, { runTimers: false });
  try {
    const deployed = await deployModels(engine, models, logger);
    const where = config.engine.kind === 'zeebe' ? `Camunda 8 at ${config.engine.restAddress}` : `the embedded engine (${config.database.kind})`;
    console.log(`Deployed ${models.map((m) => `bpmn/${m.name}`).join(', ')} to ${where}:`);
    for (const d of deployed) {
      console.log(`  ${d.bpmnProcessId}  version ${d.version}  ${d.isNew ? 'NEW' : 'unchanged'}  (key ${d.processDefinitionKey}, from ${d.resourceName})`);
    }
    for (const d of deployed.decisions ?? []) {
      console.log(
        `  decision ${d.decisionId}  version ${d.version}  ${d.isNew ? 'NEW' : 'unchanged'}  (key ${d.decisionDefinitionKey}, from ${d.resourceName})`,
      );
    }
  } finally {
    await engine.close();
  }
} catch (err) {
  const message = (err as Error).message;
  const hint =
    (err as Error).name === 'DatabaseLockedError'
      ? '\nThe embedded database belongs to a running service: stop it first, or just restart it (it deploys at start).'
      : '';
  console.error(`Deploy failed: ${message}${hint}`);
  exitCode = 1;
} finally {
  await db?.close();
}
process.exit(exitCode);
