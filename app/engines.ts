// The engine the configuration names, with what the rest of the system reads
// from it: where an order's process is (inspector), what is stuck (incidents)
// and what its decisions said (decisions). Embedded: our own tables. Zeebe:
// Camunda 8's REST API.
import type { EngineConfig } from '../infra/config.js';
import type { Database } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import { EmbeddedEngine } from '../orchestrator/embedded/embedded-engine.js';
import { ElementCatalog } from '../orchestrator/embedded/element-catalog.js';
import { EngineOperations } from '../orchestrator/embedded/operations.js';
import { EmbeddedProcessInspector } from '../orchestrator/embedded/process-inspector.js';
import type { Engine } from '../orchestrator/engine.js';
import type { DecisionSource, IncidentSource, ProcessInspector } from '../orchestrator/process-inspector.js';

export type { IncidentSource };

export type EngineParts = {
  engine: Engine;
  inspector: ProcessInspector;
  incidents: IncidentSource;
  /** The decisions a process instance's business rule tasks evaluated (the ops API). */
  decisions: DecisionSource;
  /** Embedded only: the engine itself and the operator queries behind the ops page. */
  embedded?: { engine: EmbeddedEngine; operations: EngineOperations };
  /** Answers when the engine can take commands (readiness). */
  ping(): Promise<void>;
};

/**
 * `db`: the project's database; the embedded engine keeps its state there (Zeebe does not need it).
 * `audit`: the embedded engine's audit retention (Config['engineAudit']); the engine's defaults when not given.
 * The Zeebe parts are loaded only when configured: @camunda8/sdk takes about a second to load,
 * which every embedded start (and every service a test starts) would pay for nothing.
 */
export async function openEngine(
  config: EngineConfig,
  db: Database | undefined,
  logger: Logger,
  o: { runTimers?: boolean; audit?: { retentionMs: number; pruneIntervalMs: number } } = {},
): Promise<EngineParts> {
  if (config.kind === 'embedded') {
    if (!db) throw new Error('the embedded engine needs the database');
    const engine = new EmbeddedEngine(db, {
      logger,
      ...(o.runTimers === false ? { runTimers: false } : {}),
      ...(o.audit ? { auditRetentionMs: o.audit.retentionMs, auditPruneIntervalMs: o.audit.pruneIntervalMs } : {}),
    });
    const elements = new ElementCatalog(db.sql);
    const operations = new EngineOperations(db.sql, elements);
    return {
      engine,
      inspector: new EmbeddedProcessInspector(db, elements),
      incidents: operations,
      decisions: operations,
      embedded: { engine, operations },
      ping: () => db.ping(),
    };
  }
  const { openZeebeEngine } = await import('./zeebe-engine-parts.js');
  return openZeebeEngine(config, logger);
}
