// SQL of engine_incidents written outside an instance's save: a job out of retries, and resolving.
import type { SqlSession } from '../../../infra/database.js';
import type { JobPlace } from './jobs.js';

export type IncidentRow = { process_instance_key: string; element_instance_key: string; job_key: string | null };

/** A job failed with no retries left (Zeebe: JOB_NO_RETRIES). */
export function insertJobIncident(tx: SqlSession, incidentKey: string, jobKey: string, job: JobPlace, errorMessage: string): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_incidents (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, job_key, error_type, error_message, state)
     VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6::bigint, 'JOB_NO_RETRIES', $7, 'ACTIVE')`,
    [incidentKey, job.process_instance_key, job.element_instance_key, job.element_id, job.bpmn_process_id, jobKey, errorMessage],
  );
}

export async function activeIncident(tx: SqlSession, incidentKey: string): Promise<IncidentRow | undefined> {
  const [inc] = await tx.query<IncidentRow>(
    `SELECT process_instance_key::text, element_instance_key::text, job_key::text FROM engine_incidents WHERE key = $1::bigint AND state = 'ACTIVE'`,
    [incidentKey],
  );
  return inc;
}

export function markIncidentResolved(tx: SqlSession, incidentKey: string): Promise<unknown> {
  return tx.query(`UPDATE engine_incidents SET state = 'RESOLVED', resolved_at = now() WHERE key = $1::bigint`, [incidentKey]);
}
