// SQL of engine_process_definitions: the deployed versions of each process, with their XML.
import type { SqlSession } from '../../../infra/database.js';

export type DefinitionRow = { bpmn_process_id: string; version: number; xml: string };
export type NewDefinition = {
  key: string;
  bpmnProcessId: string;
  version: number;
  checksum: string;
  resourceName: string;
  xml: string;
  messageStartNames: string[];
  /** The names of its signal start events, in their order (evaluated at deploy). */
  signalStartNames: string[];
};

/** One deployment at a time: a lock held until the transaction ends. */
export function lockDeployments(tx: SqlSession): Promise<unknown> {
  return tx.query(`SELECT pg_advisory_xact_lock(72311506)`);
}

export async function latestVersion(tx: SqlSession, bpmnProcessId: string): Promise<{ key: string; version: number; checksum: string } | undefined> {
  const [latest] = await tx.query<{ key: string; version: number; checksum: string }>(
    `SELECT key::text, version, checksum FROM engine_process_definitions WHERE bpmn_process_id = $1 ORDER BY version DESC LIMIT 1`,
    [bpmnProcessId],
  );
  return latest;
}

export function insertDefinition(tx: SqlSession, d: NewDefinition): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_process_definitions (key, bpmn_process_id, version, checksum, resource_name, xml, message_start_names, signal_start_names)
     VALUES ($1::bigint, $2, $3, $4, $5, $6, $7::text[], $8::text[])`,
    [d.key, d.bpmnProcessId, d.version, d.checksum, d.resourceName, d.xml, d.messageStartNames, d.signalStartNames],
  );
}

export async function definitionByKey(sql: SqlSession, key: string): Promise<DefinitionRow | undefined> {
  const [row] = await sql.query<DefinitionRow>(`SELECT bpmn_process_id, version, xml FROM engine_process_definitions WHERE key = $1::bigint`, [key]);
  return row;
}

/** The latest version of each of these processes (those deployed). */
export function latestVersions(tx: SqlSession, bpmnProcessIds: string[]): Promise<{ key: string; bpmn_process_id: string; version: number }[]> {
  return tx.query<{ key: string; bpmn_process_id: string; version: number }>(
    `SELECT DISTINCT ON (bpmn_process_id) key::text, bpmn_process_id, version FROM engine_process_definitions
     WHERE bpmn_process_id = ANY($1::text[]) ORDER BY bpmn_process_id, version DESC`,
    [bpmnProcessIds],
  );
}

export async function keyOfVersion(tx: SqlSession, bpmnProcessId: string, version: number): Promise<string | undefined> {
  const [row] = await tx.query<{ key: string }>(`SELECT key::text FROM engine_process_definitions WHERE bpmn_process_id = $1 AND version = $2`, [
    bpmnProcessId,
    version,
  ]);
  return row?.key;
}

/** The latest version of each process, where it has a message start event for this message. */
export function latestWithMessageStart(tx: SqlSession, messageName: string): Promise<{ key: string; bpmn_process_id: string }[]> {
  return tx.query<{ key: string; bpmn_process_id: string }>(
    `SELECT key::text, bpmn_process_id FROM (
       SELECT DISTINCT ON (bpmn_process_id) key, bpmn_process_id, message_start_names FROM engine_process_definitions ORDER BY bpmn_process_id, version DESC) d
     WHERE $1 = ANY(d.message_start_names)`,
    [messageName],
  );
}
