// SQL of the decision tables: engine_decision_requirements (each deployed version of a DMN
// file, with its XML), engine_decision_definitions (each version of each decision in it) and
// engine_decision_evaluations (each decision a business rule task evaluated).
import type { SqlSession } from '../../../infra/database.js';

export type NewDecisionRequirements = {
  key: string;
  decisionRequirementsId: string;
  version: number;
  name?: string;
  checksum: string;
  resourceName: string;
  xml: string;
};
export type NewDecision = {
  key: string;
  decisionId: string;
  version: number;
  decisionName?: string;
  decisionRequirementsKey: string;
  decisionRequirementsId: string;
};
/** A deployed decision's version row, with its DRG's key and version. */
export type DecisionRow = { key: string; decision_id: string; version: number; decision_name: string | null; decision_requirements_key: string };
export type DecisionRequirementsRow = { key: string; decision_requirements_id: string; version: number; resource_name: string; checksum: string };

export type DecisionEvaluationRow = {
  key: string;
  processInstanceKey: string;
  elementInstanceKey: string;
  elementId: string;
  decisionKey: string;
  decisionId: string;
  decisionVersion: number;
  decisionType: 'DECISION_TABLE' | 'LITERAL_EXPRESSION';
  inputs: unknown[];
  matchedRules: unknown[];
  /** null also for a failed decision. */
  output: unknown;
  failure: string | null;
};

/** The latest version of a DRG, if one is deployed. */
export async function latestDecisionRequirements(tx: SqlSession, decisionRequirementsId: string): Promise<DecisionRequirementsRow | undefined> {
  const [row] = await tx.query<DecisionRequirementsRow>(
    `SELECT key::text, decision_requirements_id, version, resource_name, checksum FROM engine_decision_requirements
     WHERE decision_requirements_id = $1 ORDER BY version DESC LIMIT 1`,
    [decisionRequirementsId],
  );
  return row;
}

export function insertDecisionRequirements(tx: SqlSession, r: NewDecisionRequirements): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_decision_requirements (key, decision_requirements_id, version, name, checksum, resource_name, xml) VALUES ($1::bigint, $2, $3, $4, $5, $6, $7)`,
    [r.key, r.decisionRequirementsId, r.version, r.name ?? null, r.checksum, r.resourceName, r.xml],
  );
}

/** The latest version number of each of these decisions (those deployed), by decision id. */
export async function latestDecisionVersions(tx: SqlSession, decisionIds: string[]): Promise<Map<string, number>> {
  const rows = await tx.query<{ decision_id: string; version: number }>(
    `SELECT decision_id, max(version)::int AS version FROM engine_decision_definitions WHERE decision_id = ANY($1::text[]) GROUP BY decision_id`,
    [decisionIds],
  );
  return new Map(rows.map((r) => [r.decision_id, r.version]));
}

export function insertDecision(tx: SqlSession, d: NewDecision): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_decision_definitions (key, decision_id, version, decision_name, decision_requirements_key, decision_requirements_id) VALUES ($1::bigint, $2, $3, $4, $5::bigint, $6)`,
    [d.key, d.decisionId, d.version, d.decisionName ?? null, d.decisionRequirementsKey, d.decisionRequirementsId],
  );
}

const DECISION_COLUMNS = `key::text, decision_id, version, decision_name, decision_requirements_key::text`;

/** The decisions of one DRG version, each with its own version. */
export function decisionsOfRequirements(sql: SqlSession, decisionRequirementsKey: string): Promise<DecisionRow[]> {
  return sql.query<DecisionRow>(`SELECT ${DECISION_COLUMNS} FROM engine_decision_definitions WHERE decision_requirements_key = $1::bigint ORDER BY key`, [
    decisionRequirementsKey,
  ]);
}

/** The latest version of a decision, if it is deployed. */
export async function latestDecision(sql: SqlSession, decisionId: string): Promise<DecisionRow | undefined> {
  const [row] = await sql.query<DecisionRow>(
    `SELECT ${DECISION_COLUMNS} FROM engine_decision_definitions WHERE decision_id = $1 ORDER BY version DESC LIMIT 1`,
    [decisionId],
  );
  return row;
}

export async function decisionRequirementsXml(sql: SqlSession, key: string): Promise<string | undefined> {
  const [row] = await sql.query<{ xml: string }>(`SELECT xml FROM engine_decision_requirements WHERE key = $1::bigint`, [key]);
  return row?.xml;
}

/** Records the decisions one business rule task evaluated, in one statement. */
export async function insertDecisionEvaluations(tx: SqlSession, rows: DecisionEvaluationRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO engine_decision_evaluations
       (key, process_instance_key, element_instance_key, element_id, decision_key, decision_id, decision_version, decision_type, inputs, matched_rules, output, failure)
     SELECT x.key, x.pik, x.eik, x.element_id, x.dk, x.decision_id, x.version, x.type, x.inputs, x.matched_rules, x.output, x.failure
     FROM jsonb_to_recordset($1::jsonb) AS x(key bigint, pik bigint, eik bigint, element_id text, dk bigint, decision_id text, version int,
       type text, inputs jsonb, matched_rules jsonb, output jsonb, failure text)`,
    [
      JSON.stringify(
        rows.map((r) => ({
          key: r.key,
          pik: r.processInstanceKey,
          eik: r.elementInstanceKey,
          element_id: r.elementId,
          dk: r.decisionKey,
          decision_id: r.decisionId,
          version: r.decisionVersion,
          type: r.decisionType,
          inputs: r.inputs,
          matched_rules: r.matchedRules,
          output: r.output ?? null,
          failure: r.failure,
        })),
      ),
    ],
  );
}
