// Deployed process definitions and decisions: deployment (a new version only for a changed
// resource; BPMN and DMN files of one call in one transaction) and the parsed models,
// cached by key (a definition never changes once deployed).
import { createHash } from 'node:crypto';
import type { SqlSession } from '../../infra/database.js';
import { EngineError, isDecisionResource, type Deployment, type DeployResource } from '../engine.js';
import { DeployedDecisions, parseDmnResources, type DeployedDecision } from './dmn/deployed-decisions.js';
import type { KeyAllocator } from './keys.js';
import { parseModels, type Model } from './model.js';
import { signalStartNames } from './signals.js';
import {
  definitionByKey,
  insertDefinition,
  keyOfVersion,
  latestVersion,
  latestVersions,
  latestWithMessageStart,
  lockDeployments,
} from './store/definitions.js';
import type { TransactionRunner } from './transactions.js';

export type Definition = { key: string; bpmnProcessId: string; version: number; model: Model };
export type { DeployedDecision };

export class Definitions {
  private readonly cache = new Map<string, Definition>();
  private readonly decisions: DeployedDecisions;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly keys: KeyAllocator,
    /** A new version was inserted, in the deployment's transaction (start-timers.ts schedules its timer start events). */
    private readonly versionDeployed?: (tx: SqlSession, def: Definition) => Promise<void>,
  ) {
    this.decisions = new DeployedDecisions(keys);
  }

  /** BPMN and DMN (`*.dmn`) files; the processes as the list, the decisions beside it. */
  async deploy(resources: DeployResource[]): Promise<Deployment> {
    // Parse everything first: a deployment with one bad file deploys nothing.
    const [parsed, dmn] = await Promise.all([
      Promise.all(resources.filter((r) => !isDecisionResource(r)).map(async (r) => ({ resource: r, models: await parseModels(r.xml) }))),
      parseDmnResources(resources.filter(isDecisionResource)),
    ]);
    return this.transactions.run(async (tx) => {
      await lockDeployments(tx);
      const out: Deployment = [];
      for (const { resource, models } of parsed) {
        for (const model of models) {
          const checksum = createHash('sha256').update(`${model.bpmnProcessId}\n${resource.xml}`).digest('hex');
          const latest = await latestVersion(tx, model.bpmnProcessId);
          // Zeebe: redeploying an unchanged resource creates no new version.
          if (latest && latest.checksum === checksum) {
            out.push({
              bpmnProcessId: model.bpmnProcessId,
              version: latest.version,
              processDefinitionKey: latest.key,
              resourceName: resource.name,
              isNew: false,
            });
            continue;
          }
          const key = await this.keys.take(tx);
          const version = (latest?.version ?? 0) + 1;
          const messageStartNames = model.root.messageStarts.map((id) => model.nodes.get(id)?.message?.name ?? '');
          await insertDefinition(tx, {
            key,
            bpmnProcessId: model.bpmnProcessId,
            version,
            checksum,
            resourceName: resource.name,
            xml: resource.xml,
            messageStartNames,
            signalStartNames: signalStartNames(model),
          });
          const def = { key, bpmnProcessId: model.bpmnProcessId, version, model };
          this.cache.set(key, def);
          await this.versionDeployed?.(tx, def);
          out.push({ bpmnProcessId: model.bpmnProcessId, version, processDefinitionKey: key, resourceName: resource.name, isNew: true });
        }
      }
      if (dmn.length > 0) out.decisions = await this.decisions.deploy(tx, dmn);
      return out;
    });
  }

  /** The latest version of a decision with its DMN file parsed (business rule tasks), or undefined when it is not deployed. */
  decision(tx: SqlSession, decisionId: string): Promise<DeployedDecision | undefined> {
    return this.decisions.latest(tx, decisionId);
  }

  async get(tx: SqlSession, key: string): Promise<Definition> {
    const cached = this.cache.get(key);
    if (cached) return cached;
    const row = await definitionByKey(tx, key);
    if (!row) throw new EngineError('NOT_FOUND', `process definition ${key} does not exist`);
    const model = (await parseModels(row.xml)).find((m) => m.bpmnProcessId === row.bpmn_process_id);
    if (!model) throw new EngineError('NOT_FOUND', `process ${row.bpmn_process_id} is not in definition ${key}`);
    const def = { key, bpmnProcessId: row.bpmn_process_id, version: row.version, model };
    this.cache.set(key, def);
    return def;
  }

  /** The latest version's key of each of these processes (those deployed), by process id. */
  async latestKeys(tx: SqlSession, bpmnProcessIds: string[]): Promise<Map<string, string>> {
    return new Map((await latestVersions(tx, bpmnProcessIds)).map((r) => [r.bpmn_process_id, r.key]));
  }

  /** The key of one version of a process, if it is deployed. */
  keyOf(tx: SqlSession, bpmnProcessId: string, version: number): Promise<string | undefined> {
    return keyOfVersion(tx, bpmnProcessId, version);
  }

  /** The latest version of each process that has a message start event for this message. */
  withMessageStart(tx: SqlSession, messageName: string): Promise<{ key: string; bpmn_process_id: string }[]> {
    return latestWithMessageStart(tx, messageName);
  }
}
