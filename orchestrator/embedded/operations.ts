// What operators ask of the embedded engine: which instances are where, how long
// each step takes, what is stuck. The ops page and the API read these; on Camunda 8
// the same questions are answered by Operate.
import type { SqlSession } from '../../infra/database.js';
import type { AuditEntry, DefinitionSummary, ElementInfo, ElementStats, IncidentView, InstanceOfDefinition, ProcessOperations } from '../process-inspector.js';
import { ElementCatalog } from './element-catalog.js';

// The read side's types are the port's (orchestrator/process-inspector.ts); re-exported for the embedded engine's callers.
export type { AuditEntry, DefinitionSummary, IncidentView, ElementStats, InstanceOfDefinition };

export type InstanceSummary = { key: string; bpmnProcessId: string; version: number; state: string; startedAt: string; endedAt: string | null };
export type ElementCount = { elementId: string; count: number };
export type ElementDuration = { elementId: string; completed: number; p50Ms: number; p95Ms: number };

export class EngineOperations implements ProcessOperations {
  constructor(
    private readonly sql: SqlSession,
    private readonly catalog = new ElementCatalog(sql),
  ) {}

  /** Each element of a deployed version: its name and BPMN type; undefined for an unknown key. */
  elements(processDefinitionKey: string): Promise<Map<string, ElementInfo> | undefined> {
    return this.catalog.of(processDefinitionKey);
  }

  async instances(o: { state?: string; bpmnProcessId?: string; limit?: number } = {}): Promise<InstanceSummary[]> {
    const rows = await this.sql.query<{ key: string; bpmn_process_id: string; version: number; state: string; started_at: Date; ended_at: Date | null }>(
      `SELECT key::text, bpmn_process_id, version, state, started_at, ended_at FROM engine_process_instances
       WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR bpmn_process_id = $2) ORDER BY key DESC LIMIT $3`,
      [o.state ?? null, o.bpmnProcessId ?? null, o.limit ?? 100],
    );
    return rows.map((r) => ({
      key: r.key,
      bpmnProcessId: r.bpmn_process_id,
      version: r.version,
      state: r.state,
      startedAt: new Date(r.started_at).toISOString(),
      endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
    }));
  }

  async countByState(processDefinitionKey: string): Promise<Record<string, number>> {
    const rows = await this.sql.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM engine_process_instances WHERE definition_key = $1::bigint GROUP BY state`,
      [processDefinitionKey],
    );
    return Object.fromEntries(rows.map((r) => [r.state, r.n]));
  }

  /**
   * Tokens waiting now per process and element (active element instances of active
   * instances; scopes are not waiting points), and since when the oldest waits.
   * One version's, or every version's when no key is given.
   */
  private async waiting(processDefinitionKey?: string): Promise<{ bpmnProcessId: string; elementId: string; count: number; since: Date }[]> {
    const rows = await this.sql.query<{ bpmn_process_id: string; element_id: string; n: number; since: Date }>(
      `SELECT i.bpmn_process_id, e.element_id, count(*)::int AS n, min(e.activated_at) AS since
       FROM engine_element_instances e JOIN engine_process_instances i ON i.key = e.process_instance_key
       WHERE ($1::bigint IS NULL OR i.definition_key = $1::bigint) AND i.state = 'ACTIVE' AND e.state = 'ACTIVE' AND e.element_type NOT IN ('process', 'subProcess')
       GROUP BY i.bpmn_process_id, e.element_id ORDER BY i.bpmn_process_id, e.element_id`,
      [processDefinitionKey ?? null],
    );
    return rows.map((r) => ({ bpmnProcessId: r.bpmn_process_id, elementId: r.element_id, count: r.n, since: new Date(r.since) }));
  }

  /** Tokens waiting at each element of one version now. */
  async activeTokens(processDefinitionKey: string): Promise<ElementCount[]> {
    return (await this.waiting(processDefinitionKey)).map((w) => ({ elementId: w.elementId, count: w.count }));
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
      key: string;
      process_instance_key: string;
      bpmn_process_id: string;
      element_id: string;
      element_instance_key: string;
      job_key: string | null;
      error_type: string;
      error_message: string;
      state: string;
      created_at: Date;
    }>(
      `SELECT key::text, process_instance_key::text, bpmn_process_id, element_id, element_instance_key::text, job_key::text, error_type, error_message, state, created_at
       FROM engine_incidents WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint IS NULL OR process_instance_key = $2::bigint) ORDER BY key`,
      [o.state ?? 'ACTIVE', o.processInstanceKey ?? null],
    );
    return rows.map((r) => ({
      key: r.key,
      processInstanceKey: r.process_instance_key,
      bpmnProcessId: r.bpmn_process_id,
      elementId: r.element_id,
      elementInstanceKey: r.element_instance_key,
      jobKey: r.job_key,
      errorType: r.error_type,
      errorMessage: r.error_message,
      state: r.state,
      createdAt: new Date(r.created_at).toISOString(),
    }));
  }

  /** Open incidents, counted (order_saga_incidents_open). */
  async openCount(): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine_incidents WHERE state = 'ACTIVE'`);
    return row?.n ?? 0;
  }

  /** Every deployed version, newest first within each process, with its instances by state. */
  async definitions(): Promise<DefinitionSummary[]> {
    const rows = await this.sql.query<{
      key: string;
      bpmn_process_id: string;
      version: number;
      resource_name: string;
      deployed_at: Date;
      counts: Record<string, number> | null;
    }>(
      `SELECT d.key::text, d.bpmn_process_id, d.version, d.resource_name, d.deployed_at,
              (SELECT jsonb_object_agg(c.state, c.n) FROM (SELECT state, count(*)::int AS n FROM engine_process_instances WHERE definition_key = d.key GROUP BY state) c) AS counts
       FROM engine_process_definitions d ORDER BY d.bpmn_process_id, d.version DESC`,
    );
    return rows.map((r) => ({
      key: r.key,
      bpmnProcessId: r.bpmn_process_id,
      version: r.version,
      resourceName: r.resource_name,
      deployedAt: new Date(r.deployed_at).toISOString(),
      instances: r.counts ?? {},
    }));
  }

  /** One deployed version with its BPMN XML (diagram included), or undefined. */
  async definitionXml(processDefinitionKey: string): Promise<{ key: string; bpmnProcessId: string; version: number; xml: string } | undefined> {
    const [row] = await this.sql.query<{ key: string; bpmn_process_id: string; version: number; xml: string }>(
      `SELECT key::text, bpmn_process_id, version, xml FROM engine_process_definitions WHERE key = $1::bigint`,
      [processDefinitionKey],
    );
    return row && { key: row.key, bpmnProcessId: row.bpmn_process_id, version: row.version, xml: row.xml };
  }

  /**
   * Per element of one version: what waits there now, how long completed visits
   * took (p50/p95), how often its jobs failed and the incidents it raised. Only
   * elements with something to report are listed.
   */
  async elementStats(processDefinitionKey: string): Promise<ElementStats[]> {
    const [waiting, durations, failures, incidents] = await Promise.all([
      this.waiting(processDefinitionKey),
      this.elementDurations(processDefinitionKey),
      this.sql.query<{ element_id: string; n: number }>(
        `SELECT element_id, count(*)::int AS n FROM engine_audit WHERE definition_key = $1::bigint AND intent = 'JOB_FAILED' GROUP BY element_id`,
        [processDefinitionKey],
      ),
      this.sql.query<{ element_id: string; open: number; total: number }>(
        `SELECT n.element_id, count(*) FILTER (WHERE n.state = 'ACTIVE')::int AS open, count(*)::int AS total
         FROM engine_incidents n JOIN engine_process_instances i ON i.key = n.process_instance_key
         WHERE i.definition_key = $1::bigint GROUP BY n.element_id`,
        [processDefinitionKey],
      ),
    ]);
    const byId = new Map<string, ElementStats>();
    const entry = (elementId: string): ElementStats => {
      let e = byId.get(elementId);
      if (!e) {
        e = { elementId, waiting: 0, oldestWaitingSince: null, completed: 0, p50Ms: null, p95Ms: null, jobFailures: 0, incidentsOpen: 0, incidentsTotal: 0 };
        byId.set(elementId, e);
      }
      return e;
    };
    for (const w of waiting) Object.assign(entry(w.elementId), { waiting: w.count, oldestWaitingSince: w.since.toISOString() });
    for (const d of durations) Object.assign(entry(d.elementId), { completed: d.completed, p50Ms: d.p50Ms, p95Ms: d.p95Ms });
    for (const f of failures) entry(f.element_id).jobFailures = f.n;
    for (const i of incidents) Object.assign(entry(i.element_id), { incidentsOpen: i.open, incidentsTotal: i.total });
    return [...byId.values()].sort((a, b) => a.elementId.localeCompare(b.elementId));
  }

  /** Tokens waiting now per process and element, over all versions (for metrics). */
  async waitingByElement(): Promise<{ bpmnProcessId: string; elementId: string; count: number }[]> {
    return (await this.waiting()).map((w) => ({ bpmnProcessId: w.bpmnProcessId, elementId: w.elementId, count: w.count }));
  }

  /** Which version an instance runs on, or undefined when the engine does not know the key. */
  async instance(processInstanceKey: string): Promise<InstanceOfDefinition | undefined> {
    const [r] = await this.sql.query<{
      key: string;
      definition_key: string;
      bpmn_process_id: string;
      version: number;
      state: string;
      started_at: Date;
      ended_at: Date | null;
    }>(`SELECT key::text, definition_key::text, bpmn_process_id, version, state, started_at, ended_at FROM engine_process_instances WHERE key = $1::bigint`, [
      processInstanceKey,
    ]);
    return (
      r && {
        key: r.key,
        definitionKey: r.definition_key,
        bpmnProcessId: r.bpmn_process_id,
        version: r.version,
        state: r.state,
        startedAt: new Date(r.started_at).toISOString(),
        endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
      }
    );
  }

  /** One instance's path through the diagram, step by step. */
  async history(processInstanceKey: string): Promise<AuditEntry[]> {
    const rows = await this.sql.query<{ element_id: string; element_type: string; intent: string; element_instance_key: string; at: Date }>(
      `SELECT element_id, element_type, intent, element_instance_key::text, at FROM engine_audit WHERE process_instance_key = $1::bigint ORDER BY id`,
      [processInstanceKey],
    );
    return rows.map((r) => ({
      elementId: r.element_id,
      elementType: r.element_type,
      intent: r.intent,
      elementInstanceKey: r.element_instance_key,
      at: new Date(r.at).toISOString(),
    }));
  }
}
