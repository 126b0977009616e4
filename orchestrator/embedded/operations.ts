// What operators ask of the embedded engine: which instances are where, how long
// each step takes, what is stuck. The ops page and the API read these; on Camunda 8
// the same questions are answered by Operate.
import type { SqlSession } from '../../infra/database.js';

export type InstanceSummary = { key: string; bpmnProcessId: string; version: number; state: string; startedAt: string; endedAt: string | null };
export type ElementCount = { elementId: string; count: number };
export type ElementDuration = { elementId: string; completed: number; p50Ms: number; p95Ms: number };
export type IncidentView = {
  key: string; processInstanceKey: string; bpmnProcessId: string; elementId: string; elementInstanceKey: string;
  jobKey: string | null; errorType: string; errorMessage: string; state: string; createdAt: string;
};
export type AuditEntry = { elementId: string; elementType: string; intent: string; elementInstanceKey: string; at: string };

export class EngineOperations {
  constructor(private readonly sql: SqlSession) {}

  async instances(o: { state?: string; bpmnProcessId?: string; limit?: number } = {}): Promise<InstanceSummary[]> {
    const rows = await this.sql.query<{ key: string; bpmn_process_id: string; version: number; state: string; started_at: Date; ended_at: Date | null }>(
      `SELECT key::text, bpmn_process_id, version, state, started_at, ended_at FROM engine_process_instances
       WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR bpmn_process_id = $2) ORDER BY key DESC LIMIT $3`,
      [o.state ?? null, o.bpmnProcessId ?? null, o.limit ?? 100],
    );
    return rows.map((r) => ({ key: r.key, bpmnProcessId: r.bpmn_process_id, version: r.version, state: r.state, startedAt: new Date(r.started_at).toISOString(), endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null }));
  }

  async countByState(processDefinitionKey: string): Promise<Record<string, number>> {
    const rows = await this.sql.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM engine_process_instances WHERE definition_key = $1::bigint GROUP BY state`,
      [processDefinitionKey],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /** Tokens waiting at each element now (active element instances of active instances). */
  async activeTokens(processDefinitionKey: string): Promise<ElementCount[]> {
    return (
      await this.sql.query<{ element_id: string; n: number }>(
        `SELECT e.element_id, count(*)::int AS n FROM engine_element_instances e JOIN engine_process_instances i ON i.key = e.process_instance_key
         WHERE i.definition_key = $1::bigint AND i.state = 'ACTIVE' AND e.state = 'ACTIVE' AND e.element_type <> 'subProcess'
         GROUP BY e.element_id ORDER BY e.element_id`,
        [processDefinitionKey],
      )
    ).map((r) => ({ elementId: r.element_id, count: r.n }));
  }

  /** Time from activation to completion per element, p50 and p95, over completed element instances. */
  async elementDurations(processDefinitionKey: string): Promise<ElementDuration[]> {
    const rows = await this.sql.query<{ element_id: string; n: number; p50: number; p95: number }>(
      `SELECT a.element_id, count(*)::int AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.at - a.at) * 1000) AS p50,
              percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM c.at - a.at) * 1000) AS p95
       FROM engine_audit a JOIN engine_audit c ON c.element_instance_key = a.element_instance_key AND c.intent = 'ELEMENT_COMPLETED'
       WHERE a.definition_key = $1::bigint AND a.intent = 'ELEMENT_ACTIVATED' AND a.element_type <> 'process'
       GROUP BY a.element_id ORDER BY a.element_id`,
      [processDefinitionKey],
    );
    return rows.map((r) => ({ elementId: r.element_id, completed: r.n, p50Ms: Math.round(Number(r.p50)), p95Ms: Math.round(Number(r.p95)) }));
  }

  async incidents(o: { state?: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: string } = {}): Promise<IncidentView[]> {
    const rows = await this.sql.query<{
      key: string; process_instance_key: string; bpmn_process_id: string; element_id: string; element_instance_key: string;
      job_key: string | null; error_type: string; error_message: string; state: string; created_at: Date;
    }>(
      `SELECT key::text, process_instance_key::text, bpmn_process_id, element_id, element_instance_key::text, job_key::text, error_type, error_message, state, created_at
       FROM engine_incidents WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR process_instance_key = $2::bigint) ORDER BY key`,
      [o.state ?? 'ACTIVE', o.processInstanceKey ?? null],
    );
    return rows.map((r) => ({
      key: r.key, processInstanceKey: r.process_instance_key, bpmnProcessId: r.bpmn_process_id, elementId: r.element_id, elementInstanceKey: r.element_instance_key,
      jobKey: r.job_key, errorType: r.error_type, errorMessage: r.error_message, state: r.state, createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** One instance's path through the diagram, step by step. */
  async history(processInstanceKey: string): Promise<AuditEntry[]> {
    const rows = await this.sql.query<{ element_id: string; element_type: string; intent: string; element_instance_key: string; at: Date }>(
      `SELECT element_id, element_type, intent, element_instance_key::text, at FROM engine_audit WHERE process_instance_key = $1::bigint ORDER BY id`,
      [processInstanceKey],
    );
    return rows.map((r) => ({ elementId: r.element_id, elementType: r.element_type, intent: r.intent, elementInstanceKey: r.element_instance_key, at: new Date(r.at).toISOString() }));
  }
}
