// The engine parts on Camunda 8 (Zeebe), behind app/engines.ts's openEngine, which loads
// this module only when ENGINE=zeebe.
import type { ZeebeConfig } from '../infra/config.js';
import type { Logger } from '../infra/logger.js';
import { connectZeebe } from '../orchestrator/zeebe/client.js';
import { ZeebeDecisions } from '../orchestrator/zeebe/decision-instances.js';
import { ZeebeIncidents, ZeebeProcessInspector } from '../orchestrator/zeebe/process-inspector.js';
import { ZeebeEngine } from '../orchestrator/zeebe/zeebe-engine.js';
import type { EngineParts } from './engines.js';

export function openZeebeEngine(config: ZeebeConfig, logger: Logger): EngineParts {
  const connection = connectZeebe(config);
  const engine = new ZeebeEngine(
    { commands: connection.commands, activation: connection.activation },
    { logger, ...(config.tenantId ? { tenantId: config.tenantId } : {}), onClose: () => connection.close() },
  );
  return {
    engine,
    inspector: new ZeebeProcessInspector(connection.commands),
    incidents: new ZeebeIncidents(connection.commands),
    decisions: new ZeebeDecisions(connection.commands),
    ping: () => engine.ping(),
  };
}
