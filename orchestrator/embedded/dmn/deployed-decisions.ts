// Deployed DMN files as Zeebe versions them: a file is a version of its decision
// requirements graph (DRG, the file's definitions id); a changed file (checksum) makes a
// new DRG version and a new version of every decision in it; an unchanged one makes none.
// The parsed DRGs are cached by DRG key (a deployed version never changes).
import { createHash } from 'node:crypto';
import type { SqlSession } from '../../../infra/database.js';
import { EngineError, type DeployedDecisionDefinition, type DeployResource } from '../../engine.js';
import type { KeyAllocator } from '../keys.js';
import {
  decisionRequirementsXml,
  decisionsOfRequirements,
  insertDecision,
  insertDecisionRequirements,
  latestDecision,
  latestDecisionRequirements,
  latestDecisionVersions,
  type DecisionRow,
} from '../store/decisions.js';
import type { ParsedDecisions } from './drg.js';
import { parseDecisions } from './parse.js';

/** The latest version of a decision, with its DRG parsed. */
export type DeployedDecision = {
  key: string;
  decisionId: string;
  version: number;
  decisionName?: string;
  decisionRequirementsKey: string;
  drg: ParsedDecisions;
  /** Key and version of each decision of the same DRG version, by decision id: the records of required decisions name them. */
  drgVersions: ReadonlyMap<string, { key: string; version: number }>;
};

export type ParsedDmnResource = { resource: DeployResource; drg: ParsedDecisions };

type CachedDrg = { drg: ParsedDecisions; versions: Map<string, { key: string; version: number; decisionName?: string }> };

const versionsOf = (rows: DecisionRow[]) =>
  new Map(rows.map((r) => [r.decision_id, { key: r.key, version: r.version, ...(r.decision_name ? { decisionName: r.decision_name } : {}) }]));

/** Parses every DMN resource of a deployment; refuses two files with one DRG id or one decision id (Zeebe: ids are unique per deployment). */
export async function parseDmnResources(resources: DeployResource[]): Promise<ParsedDmnResource[]> {
  const parsed = await Promise.all(resources.map(async (resource) => ({ resource, drg: await parseDecisions(resource.xml, resource.name) })));
  const drgIn = new Map<string, string>();
  const decisionIn = new Map<string, string>();
  for (const { resource, drg } of parsed) {
    const other = drgIn.get(drg.id);
    if (other) throw new EngineError('INVALID_ARGUMENT', `The decision requirements id '${drg.id}' is in both ${other} and ${resource.name}`);
    drgIn.set(drg.id, resource.name);
    for (const id of drg.decisions.keys()) {
      const otherFile = decisionIn.get(id);
      if (otherFile) throw new EngineError('INVALID_ARGUMENT', `The decision id '${id}' is in both ${otherFile} and ${resource.name}`);
      decisionIn.set(id, resource.name);
    }
  }
  return parsed;
}

export class DeployedDecisions {
  private readonly drgs = new Map<string, CachedDrg>();

  constructor(private readonly keys: KeyAllocator) {}

  /** Deploys parsed DMN files in the deployment's transaction (its deployment lock held). */
  async deploy(tx: SqlSession, files: ParsedDmnResource[]): Promise<DeployedDecisionDefinition[]> {
    const out: DeployedDecisionDefinition[] = [];
    for (const { resource, drg } of files) {
      const checksum = createHash('sha256').update(resource.xml).digest('hex');
      const latest = await latestDecisionRequirements(tx, drg.id);
      const entry = (d: { decisionId: string; key: string; version: number; decisionName?: string }, drgKey: string, isNew: boolean) => ({
        decisionId: d.decisionId,
        ...(d.decisionName ? { decisionName: d.decisionName } : {}),
        version: d.version,
        decisionDefinitionKey: d.key,
        decisionRequirementsId: drg.id,
        decisionRequirementsKey: drgKey,
        resourceName: resource.name,
        isNew,
      });
      // Zeebe: redeploying an unchanged DMN file creates no new version.
      if (latest && latest.checksum === checksum) {
        for (const [decisionId, v] of versionsOf(await decisionsOfRequirements(tx, latest.key))) out.push(entry({ decisionId, ...v }, latest.key, false));
        continue;
      }
      const drgKey = await this.keys.take(tx);
      await insertDecisionRequirements(tx, {
        key: drgKey,
        decisionRequirementsId: drg.id,
        version: (latest?.version ?? 0) + 1,
        name: drg.name,
        checksum,
        resourceName: resource.name,
        xml: resource.xml,
      });
      const before = await latestDecisionVersions(tx, [...drg.decisions.keys()]);
      const versions: CachedDrg['versions'] = new Map();
      for (const decision of drg.decisions.values()) {
        const v = { key: await this.keys.take(tx), version: (before.get(decision.id) ?? 0) + 1, ...(decision.name ? { decisionName: decision.name } : {}) };
        await insertDecision(tx, {
          key: v.key,
          decisionId: decision.id,
          version: v.version,
          decisionName: decision.name,
          decisionRequirementsKey: drgKey,
          decisionRequirementsId: drg.id,
        });
        versions.set(decision.id, v);
        out.push(entry({ decisionId: decision.id, ...v }, drgKey, true));
      }
      this.drgs.set(drgKey, { drg, versions });
    }
    return out;
  }

  /** The latest version of a decision, or undefined when none is deployed. */
  async latest(sql: SqlSession, decisionId: string): Promise<DeployedDecision | undefined> {
    const row = await latestDecision(sql, decisionId);
    if (!row) return undefined;
    const { drg, versions } = await this.drg(sql, row.decision_requirements_key);
    return {
      key: row.key,
      decisionId,
      version: row.version,
      ...(row.decision_name ? { decisionName: row.decision_name } : {}),
      decisionRequirementsKey: row.decision_requirements_key,
      drg,
      drgVersions: versions,
    };
  }

  private async drg(sql: SqlSession, drgKey: string): Promise<CachedDrg> {
    const cached = this.drgs.get(drgKey);
    if (cached) return cached;
    const xml = await decisionRequirementsXml(sql, drgKey);
    if (xml === undefined) throw new EngineError('NOT_FOUND', `decision requirements ${drgKey} do not exist`);
    const loaded = { drg: await parseDecisions(xml), versions: versionsOf(await decisionsOfRequirements(sql, drgKey)) };
    this.drgs.set(drgKey, loaded);
    return loaded;
  }
}
