// SQL of engine_start_timers (the timers of timer start events) and engine_message_start_keys
// (which active instances a message start event started under a correlation key).
import type { SqlSession } from '../../../infra/database.js';
import type { Variables } from '../../engine.js';
import { DUE_TIMERS_PER_READ } from './timers.js';

export type StartTimer = {
  key: string;
  processDefinitionKey: string;
  bpmnProcessId: string;
  elementId: string;
  dueAt: Date;
  repetitionsLeft: number | null;
  interval: string | null;
};

export function insertStartTimer(tx: SqlSession, t: StartTimer): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_start_timers (key, process_definition_key, bpmn_process_id, element_id, due_at, repetitions_left, interval)
     VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6, $7)`,
    [t.key, t.processDefinitionKey, t.bpmnProcessId, t.elementId, t.dueAt, t.repetitionsLeft, t.interval],
  );
}

/** Cancels the start timers of every deployed version of a process. */
export function deleteStartTimersOf(tx: SqlSession, bpmnProcessId: string): Promise<unknown> {
  return tx.query(`DELETE FROM engine_start_timers WHERE bpmn_process_id = $1`, [bpmnProcessId]);
}

/** Keys of due start timers, the longest due first. */
export async function dueStartTimers(sql: SqlSession): Promise<string[]> {
  const rows = await sql.query<{ key: string }>(`SELECT key::text FROM engine_start_timers WHERE due_at <= now() ORDER BY due_at LIMIT ${DUE_TIMERS_PER_READ}`);
  return rows.map((r) => r.key);
}

/** When the next start timer is due, if any. */
export async function nextStartTimerDue(sql: SqlSession): Promise<Date | undefined> {
  const [row] = await sql.query<{ due_at: Date | null }>(`SELECT min(due_at) AS due_at FROM engine_start_timers`);
  return row?.due_at ? new Date(row.due_at) : undefined;
}

/** Deletes the start timer and answers it, or undefined when another process fired it (or a deployment cancelled it) meanwhile. */
export async function takeStartTimer(tx: SqlSession, key: string): Promise<StartTimer | undefined> {
  const [row] = await tx.query<{
    process_definition_key: string;
    bpmn_process_id: string;
    element_id: string;
    due_at: Date;
    repetitions_left: number | null;
    interval: string | null;
  }>(
    `DELETE FROM engine_start_timers WHERE key = $1::bigint
     RETURNING process_definition_key::text, bpmn_process_id, element_id, due_at, repetitions_left, interval`,
    [key],
  );
  return (
    row && {
      key,
      processDefinitionKey: row.process_definition_key,
      bpmnProcessId: row.bpmn_process_id,
      elementId: row.element_id,
      dueAt: new Date(row.due_at),
      repetitionsLeft: row.repetitions_left,
      interval: row.interval,
    }
  );
}

/** Held until the transaction ends, per process and correlation key: a message start and the end of the instance it started take turns. */
export function lockStartKey(tx: SqlSession, bpmnProcessId: string, correlationKey: string): Promise<unknown> {
  return tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7212))`, [`${bpmnProcessId}\u001f${correlationKey}`]);
}

/** Whether an instance of the process that a message with this correlation key started is still active. */
export async function isStartKeyActive(tx: SqlSession, bpmnProcessId: string, correlationKey: string): Promise<boolean> {
  const rows = await tx.query(`SELECT 1 FROM engine_message_start_keys WHERE bpmn_process_id = $1 AND correlation_key = $2 LIMIT 1`, [
    bpmnProcessId,
    correlationKey,
  ]);
  return rows.length > 0;
}

export function insertStartKey(tx: SqlSession, processInstanceKey: string, bpmnProcessId: string, correlationKey: string): Promise<unknown> {
  return tx.query(`INSERT INTO engine_message_start_keys (process_instance_key, bpmn_process_id, correlation_key) VALUES ($1::bigint, $2, $3)`, [
    processInstanceKey,
    bpmnProcessId,
    correlationKey,
  ]);
}

/** Frees the correlation keys of these ended instances; answers the keys freed, by process. */
export function deleteStartKeys(tx: SqlSession, processInstanceKeys: string[]): Promise<{ bpmn_process_id: string; correlation_key: string }[]> {
  return tx.query<{ bpmn_process_id: string; correlation_key: string }>(
    `DELETE FROM engine_message_start_keys WHERE process_instance_key = ANY($1::bigint[]) RETURNING bpmn_process_id, correlation_key`,
    [processInstanceKeys],
  );
}

/**
 * The oldest buffered, unexpired message of one of these names and this key not yet
 * correlated to this process id, unless an instance of the process that a message with
 * this key started is still active; marks it correlated.
 */
export async function takeBufferedStartMessage(
  tx: SqlSession,
  names: string[],
  correlationKey: string,
  bpmnProcessId: string,
): Promise<{ name: string; variables: Variables } | undefined> {
  const [row] = await tx.query<{ name: string; variables: Variables }>(
    `UPDATE engine_messages SET correlated_process_ids = array_append(correlated_process_ids, $3)
     WHERE key = (SELECT key FROM engine_messages WHERE name = ANY($1::text[]) AND correlation_key = $2 AND expires_at > now()
                    AND NOT ($3 = ANY(correlated_process_ids))
                    AND NOT EXISTS (SELECT 1 FROM engine_message_start_keys WHERE bpmn_process_id = $3 AND correlation_key = $2)
                  ORDER BY key LIMIT 1 FOR UPDATE)
     RETURNING name, variables`,
    [names, correlationKey, bpmnProcessId],
  );
  return row;
}
