// SQL of engine_jobs: activation with a lock, failure, retries, orphaned locks, and the
// JOB_FAILED line of the audit trail.
import type { SqlSession } from '../../../infra/database.js';
import type { Variables } from '../../engine.js';

export type ActivatedJobRow = {
  key: string;
  process_instance_key: string;
  element_instance_key: string;
  element_id: string;
  bpmn_process_id: string;
  definition_key: string;
  retries: number;
  custom_headers: Record<string, string>;
  deadline: Date;
  /** The process instance's variables. */
  root: Variables;
};

/** Where a job is: its instance and element. */
export type JobPlace = { process_instance_key: string; element_instance_key: string; element_id: string; bpmn_process_id: string };
export type FailedJobRow = JobPlace & { type: string };

/** Activates up to `max` jobs of a type: a lock until now + timeout; an expired lock is taken over. */
export function activateJobs(tx: SqlSession, type: string, max: number, timeoutMs: number, worker: string): Promise<ActivatedJobRow[]> {
  return tx.query<ActivatedJobRow>(
    `WITH picked AS (
       SELECT key FROM engine_jobs
       WHERE type = $1 AND ((state = 'ACTIVATABLE' AND retry_at <= now()) OR (state = 'ACTIVATED' AND deadline < now()))
       ORDER BY key LIMIT $2 FOR UPDATE SKIP LOCKED),
     upd AS (
       UPDATE engine_jobs j SET state = 'ACTIVATED', worker = $4, deadline = now() + $3::int * interval '1 millisecond'
       FROM picked WHERE j.key = picked.key
       RETURNING j.key, j.process_instance_key, j.element_instance_key, j.element_id, j.bpmn_process_id, j.definition_key, j.retries, j.custom_headers, j.deadline)
     SELECT upd.key::text, upd.process_instance_key::text, upd.element_instance_key::text, upd.element_id, upd.bpmn_process_id,
            upd.definition_key::text, upd.retries, upd.custom_headers, upd.deadline, i.variables AS root
     FROM upd JOIN engine_process_instances i ON i.key = upd.process_instance_key ORDER BY upd.key`,
    [type, max, timeoutMs, worker],
  );
}

/** Makes every activated job activatable now, as if its lock had expired; answers how many. */
export async function expireJobLocks(tx: SqlSession): Promise<number> {
  const rows = await tx.query<{ key: string }>(`UPDATE engine_jobs SET deadline = now() WHERE state = 'ACTIVATED' AND deadline > now() RETURNING key::text`);
  return rows.length;
}

/** Fails an activated job: offered again after the back-off with retries left, FAILED without. Undefined when it is not activated. */
export async function failJob(tx: SqlSession, jobKey: string, retries: number, backOffMs: number, errorMessage: string): Promise<FailedJobRow | undefined> {
  const [job] = await tx.query<FailedJobRow>(
    `UPDATE engine_jobs SET retries = $2, state = CASE WHEN $2 > 0 THEN 'ACTIVATABLE' ELSE 'FAILED' END,
       retry_at = now() + $3::int * interval '1 millisecond', error_message = $4, worker = NULL, deadline = NULL
     WHERE key = $1::bigint AND state = 'ACTIVATED'
     RETURNING type, process_instance_key::text, element_instance_key::text, element_id, bpmn_process_id`,
    [jobKey, retries, backOffMs, errorMessage],
  );
  return job;
}

/** Keeps a job failure in the audit trail, so "which step fails most" survives restarts (the ops page counts these). */
export function auditJobFailed(tx: SqlSession, jobKey: string): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_audit (process_instance_key, element_instance_key, definition_key, element_id, element_type, intent)
     SELECT j.process_instance_key, j.element_instance_key, j.definition_key, j.element_id, COALESCE(e.element_type, 'serviceTask'), 'JOB_FAILED'
     FROM engine_jobs j LEFT JOIN engine_element_instances e ON e.key = j.element_instance_key WHERE j.key = $1::bigint`,
    [jobKey],
  );
}

/** False when the job does not exist. */
export async function updateJobRetries(sql: SqlSession, jobKey: string, retries: number): Promise<boolean> {
  const rows = await sql.query(`UPDATE engine_jobs SET retries = $2 WHERE key = $1::bigint RETURNING key`, [jobKey, retries]);
  return rows.length > 0;
}

export async function jobRetries(tx: SqlSession, jobKey: string): Promise<{ retries: number; type: string } | undefined> {
  const [job] = await tx.query<{ retries: number; type: string }>(`SELECT retries, type FROM engine_jobs WHERE key = $1::bigint`, [jobKey]);
  return job;
}

/** Offers a failed job (or one whose BPMN error nobody caught) again, now. */
export function reofferJob(tx: SqlSession, jobKey: string): Promise<unknown> {
  return tx.query(`UPDATE engine_jobs SET state = 'ACTIVATABLE', retry_at = now() WHERE key = $1::bigint AND state IN ('FAILED', 'ERROR_THROWN')`, [jobKey]);
}
