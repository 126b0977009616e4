// Deploys the process models to the engine and says what became of each: a new
// version, or the same version again (an unchanged file makes no new version, on
// both engines). Instances already running stay on the version they started on.
import type { Logger } from '../infra/logger.js';
import type { Deployment, DeployResource, Engine } from './engine.js';

export async function deployModels(engine: Engine, models: DeployResource[], logger: Logger): Promise<Deployment> {
  const deployed = await engine.deploy(models);
  for (const d of deployed) {
    logger.info(
      { bpmnProcessId: d.bpmnProcessId, version: d.version, processDefinitionKey: d.processDefinitionKey, resource: d.resourceName, isNew: d.isNew },
      d.isNew ? `deployed ${d.bpmnProcessId} as version ${d.version}` : `${d.bpmnProcessId} is unchanged (version ${d.version})`,
    );
  }
  for (const d of deployed.decisions ?? []) {
    logger.info(
      { decisionId: d.decisionId, version: d.version, decisionDefinitionKey: d.decisionDefinitionKey, resource: d.resourceName, isNew: d.isNew },
      d.isNew ? `deployed decision ${d.decisionId} as version ${d.version}` : `decision ${d.decisionId} is unchanged (version ${d.version})`,
    );
  }
  return deployed;
}
