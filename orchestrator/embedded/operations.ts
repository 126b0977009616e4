// What operators ask of the embedded engine: which instances are where, how long
// each step takes, what is stuck. The ops page and the API read these; on Camunda 8
// the same questions are answered by Operate.
import type { SqlSession } from '../../infra/database.js';
import type {
  AuditEntry,
  CalledInstance,
  DecisionEvaluationView,
  DecisionInput,
  DecisionMatchedRule,
  DefinitionSummary,
  ElementInfo,
  ElementStats,
  IncidentView,
  InstanceOfDefinition,
  ProcessOperations,
} from '../process-inspector.js';
import { ElementCatalog } from './element-catalog.js';
import { MULTI_INSTANCE_BODY } from './multi-instance.js';
import { bucketOf, quantileOf } from './store/audit.js';

// The read side's types are the port's (orchestrator/process-inspector.ts); re-exported for the embedded engine's callers.
export type { AuditEntry, CalledInstance, DecisionEvaluationView, DefinitionSummary, IncidentView, ElementStats, InstanceOfDefinition };

export type InstanceSummary = { key: string; bpmnProcessId: string; version: number; state: string; startedAt: string; endedAt: string | null };
export type ElementCount = { elementId: string; count: number };
export type ElementDuration = { elementId: string; completed: number; p50Ms: number; p95Ms: number };

/**
 * Where an active element instance stands: a token of the process (`token`), a multi-instance
 * body (`body`: one per instance of the activity) or one of the body's inner instances (`inner`).
 */
type TokenKind = 'token' | 'body' | 'inner';
type Waiting = { bpmnProcessId: string; elementId: string; kind: TokenKind; count: number; since: Date };
/** Completed visits of an element: a multi-instance activity's bodies and inner instances apart (`body`). */
type Visits = ElementDuration & { body: boolean };
/** An element's visits (with their duration histogram) and job failures: the rollup of pruned instances plus the audit rows kept. */
type Figures = { visits: Visits[]; jobFailures: Map<string, number> };

const KEY = /^[0-9]{1,19}$/;
const iso = (v: Date | string) => new Date(v).toISOString();

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
   * Active element instances of active instances per process and element, by kind (a token,
   * a multi-instance body, an inner instance), and since when the oldest waits. Scopes are
   * not waiting points, except a multi-instance sub-process's inner instances (its items).
   * One version's, or every version's when no key is given.
   */
  private async waiting(processDefinitionKey?: string): Promise<Waiting[]> {
    const rows = await this.sql.query<{ bpmn_process_id: string; element_id: string; kind: TokenKind; n: number; since: Date }>(
      `SELECT i.bpmn_process_id, e.element_id,
              CASE WHEN e.element_type = '${MULTI_INSTANCE_BODY}' THEN 'body' WHEN s.element_type = '${MULTI_INSTANCE_BODY}' THEN 'inner' ELSE 'token' END AS kind,
              count(*)::int AS n, min(e.activated_at) AS since
       FROM engine_element_instances e JOIN engine_process_instances i ON i.key = e.process_instance_key
       LEFT JOIN engine_element_instances s ON s.key = e.flow_scope_key
       WHERE ($1::bigint IS NULL OR i.definition_key = $1::bigint) AND i.state = 'ACTIVE' AND e.state = 'ACTIVE' AND e.element_type <> 'process'
         AND (e.element_type <> 'subProcess' OR s.element_type = '${MULTI_INSTANCE_BODY}')
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [processDefinitionKey ?? null],
    );
    return rows.map((r) => ({ bpmnProcessId: r.bpmn_process_id, elementId: r.element_id, kind: r.kind, count: r.n, since: new Date(r.since) }));
  }

  /** Tokens waiting at each element of one version now (a multi-instance activity's: its bodies). */
  async activeTokens(processDefinitionKey: string): Promise<ElementCount[]> {
    return (await this.waiting(processDefinitionKey)).filter((w) => w.kind !== 'inner').map((w) => ({ elementId: w.elementId, count: w.count }));
  }

  /**
   * Completed visits per element and kind, with p50 and p95 of their time from activation to
   * completion; a multi-instance activity's bodies apart from its inner instances; and job
   * failures per element. Elements entered but never left are listed with no visits: they tell
   * which activities run as multi-instance before any body completes.
   *
   * One statement, so one snapshot: the rollup of pruned instances (engine_element_stats) plus
   * the audit rows still kept, whose durations go into the same log-scale buckets; p50/p95 are
   * read from the merged histogram (docs/engine.md, "Audit retention": within ~4.4 %), so
   * the figures do not move when rows are pruned.
   */
  private async figures(processDefinitionKey: string): Promise<Figures> {
    const rows = await this.sql.query<{ kind: 'visit' | 'failed'; element_id: string; body: boolean; bucket: number | null; n: number }>(
      `WITH live AS (
         SELECT a.element_id, a.element_type = '${MULTI_INSTANCE_BODY}' AS body,
                CASE WHEN c.at IS NULL THEN NULL ELSE ${bucketOf('c.at - a.at')} END AS bucket
         FROM engine_audit a LEFT JOIN engine_audit c ON c.element_instance_key = a.element_instance_key AND c.intent = 'ELEMENT_COMPLETED'
         WHERE a.definition_key = $1::bigint AND a.intent = 'ELEMENT_ACTIVATED' AND a.element_type <> 'process'
       )
       SELECT 'visit' AS kind, element_id, body, bucket, count(*)::float8 AS n FROM live GROUP BY element_id, body, bucket
       UNION ALL
       SELECT 'visit', s.element_id, s.body, h.key::int, h.value::float8 FROM engine_element_stats s CROSS JOIN LATERAL jsonb_each_text(s.histogram) h
       WHERE s.definition_key = $1::bigint
       UNION ALL
       SELECT 'visit', element_id, body, NULL, 0 FROM engine_element_stats WHERE definition_key = $1::bigint
       UNION ALL
       SELECT 'failed', element_id, body, NULL, job_failures::float8 FROM engine_element_stats WHERE definition_key = $1::bigint AND job_failures > 0
       UNION ALL
       SELECT 'failed', element_id, element_type = '${MULTI_INSTANCE_BODY}', NULL, count(*)::float8 FROM engine_audit
       WHERE definition_key = $1::bigint AND intent = 'JOB_FAILED' GROUP BY 2, 3`,
      [processDefinitionKey],
    );
    const byKind = new Map<string, { elementId: string; body: boolean; histogram: Map<number, number> }>();
    const jobFailures = new Map<string, number>();
    for (const r of rows) {
      const n = Number(r.n);
      if (r.kind === 'failed') {
        jobFailures.set(r.element_id, (jobFailures.get(r.element_id) ?? 0) + n);
        continue;
      }
      const id = `${r.body ? 1 : 0}${r.element_id}`;
      let v = byKind.get(id);
      if (!v) byKind.set(id, (v = { elementId: r.element_id, body: r.body, histogram: new Map() }));
      if (r.bucket !== null) v.histogram.set(r.bucket, (v.histogram.get(r.bucket) ?? 0) + n);
    }
    const visits = [...byKind.values()]
      .sort((a, b) => (a.elementId < b.elementId ? -1 : a.elementId > b.elementId ? 1 : Number(a.body) - Number(b.body)))
      .map((v) => ({
        elementId: v.elementId,
        body: v.body,
        completed: [...v.histogram.values()].reduce((a, n) => a + n, 0),
        p50Ms: Math.round(quantileOf(v.histogram, 0.5) ?? 0),
        p95Ms: Math.round(quantileOf(v.histogram, 0.95) ?? 0),
      }));
    return { visits, jobFailures };
  }

  /** Time from activation to completion per element, p50 and p95, over completed visits (a multi-instance activity's: its bodies'). */
  async elementDurations(processDefinitionKey: string): Promise<ElementDuration[]> {
    const { visits } = await this.figures(processDefinitionKey);
    const multiInstance = new Set(visits.filter((v) => v.body).map((v) => v.elementId));
    return visits.filter((v) => v.completed > 0 && v.body === multiInstance.has(v.elementId)).map(({ body: _, ...d }) => d);
  }

  async incidents(o: { state?: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: string } = {}): Promise<IncidentView[]> {
    const rows = await this.sql.query<{
      key: string;
      process_instance_key: string;
      root_process_instance_key: string | null;
      bpmn_process_id: string;
      element_id: string;
      element_instance_key: string;
      job_key: string | null;
      error_type: string;
      error_message: string;
      state: string;
      created_at: Date;
    }>(
      `SELECT i.key::text, i.process_instance_key::text, p.root_process_instance_key::text, i.bpmn_process_id, i.element_id, i.element_instance_key::text,
              i.job_key::text, i.error_type, i.error_message, i.state, i.created_at
       FROM engine_incidents i LEFT JOIN engine_process_instances p ON p.key = i.process_instance_key
       WHERE ($1::text IS NULL OR i.state = $1) AND ($2::bigint IS NULL OR i.process_instance_key = $2::bigint) ORDER BY i.key`,
      [o.state ?? 'ACTIVE', o.processInstanceKey ?? null],
    );
    return rows.map((r) => ({
      key: r.key,
      processInstanceKey: r.process_instance_key,
      ...(r.root_process_instance_key ? { rootProcessInstanceKey: r.root_process_instance_key } : {}),
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
   * took (p50/p95), how often its jobs failed and the incidents it raised; a
   * multi-instance activity's inner instances apart from its bodies, and the child
   * instances a call activity runs. Only elements with something to report are listed.
   */
  async elementStats(processDefinitionKey: string): Promise<ElementStats[]> {
    const [waiting, { visits, jobFailures }, children, incidents] = await Promise.all([
      this.waiting(processDefinitionKey),
      this.figures(processDefinitionKey),
      this.sql.query<{ element_id: string; n: number }>(
        `SELECT ca.element_id, count(*)::int AS n
         FROM engine_process_instances c JOIN engine_element_instances ca ON ca.key = c.parent_element_instance_key
         JOIN engine_process_instances p ON p.key = c.parent_process_instance_key
         WHERE p.definition_key = $1::bigint AND c.state = 'ACTIVE' GROUP BY ca.element_id`,
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
        e = {
          elementId,
          waiting: 0,
          oldestWaitingSince: null,
          completed: 0,
          p50Ms: null,
          p95Ms: null,
          inner: null,
          childInstancesRunning: 0,
          jobFailures: 0,
          incidentsOpen: 0,
          incidentsTotal: 0,
        };
        byId.set(elementId, e);
      }
      return e;
    };
    // A body, active or ever entered, marks its activity as multi-instance: the rest of its numbers are inner instances.
    const multiInstance = new Set([...waiting.filter((w) => w.kind === 'body'), ...visits.filter((v) => v.body)].map((x) => x.elementId));
    for (const id of multiInstance) entry(id).inner = { waiting: 0, completed: 0 };
    for (const w of waiting) {
      const e = entry(w.elementId);
      if (w.kind === 'inner') e.inner = { ...(e.inner ?? { completed: 0 }), waiting: w.count };
      else Object.assign(e, { waiting: w.count, oldestWaitingSince: w.since.toISOString() });
    }
    for (const v of visits) {
      if (v.completed === 0) continue;
      const e = entry(v.elementId);
      if (!v.body && multiInstance.has(v.elementId)) e.inner = { ...(e.inner ?? { waiting: 0 }), completed: v.completed };
      else Object.assign(e, { completed: v.completed, p50Ms: v.p50Ms, p95Ms: v.p95Ms });
    }
    for (const c of children) entry(c.element_id).childInstancesRunning = c.n;
    for (const [elementId, n] of jobFailures) entry(elementId).jobFailures = n;
    for (const i of incidents) Object.assign(entry(i.element_id), { incidentsOpen: i.open, incidentsTotal: i.total });
    return [...byId.values()].sort((a, b) => a.elementId.localeCompare(b.elementId));
  }

  /** Tokens waiting now per process and element, over all versions (for metrics; a multi-instance activity's: its bodies). */
  async waitingByElement(): Promise<{ bpmnProcessId: string; elementId: string; count: number }[]> {
    return (await this.waiting()).filter((w) => w.kind !== 'inner').map((w) => ({ bpmnProcessId: w.bpmnProcessId, elementId: w.elementId, count: w.count }));
  }

  /** Which version an instance runs on, and which call activity started it; undefined when the engine does not know the key. */
  async instance(processInstanceKey: string): Promise<InstanceOfDefinition | undefined> {
    const [r] = await this.sql.query<{
      key: string;
      definition_key: string;
      bpmn_process_id: string;
      version: number;
      state: string;
      started_at: Date;
      ended_at: Date | null;
      parent_pik: string | null;
      parent_eik: string | null;
      root_pik: string | null;
      parent_bpmn_process_id: string | null;
      parent_element_id: string | null;
      audit_pruned_at: Date | null;
    }>(
      // The call activity's element id from the audit trail: its element instance row is gone once it completed.
      `SELECT i.key::text, i.definition_key::text, i.bpmn_process_id, i.version, i.state, i.started_at, i.ended_at,
              i.parent_process_instance_key::text AS parent_pik, i.parent_element_instance_key::text AS parent_eik,
              i.root_process_instance_key::text AS root_pik, p.bpmn_process_id AS parent_bpmn_process_id, i.audit_pruned_at,
              (SELECT a.element_id FROM engine_audit a WHERE a.process_instance_key = i.parent_process_instance_key
                 AND a.element_instance_key = i.parent_element_instance_key LIMIT 1) AS parent_element_id
       FROM engine_process_instances i LEFT JOIN engine_process_instances p ON p.key = i.parent_process_instance_key
       WHERE i.key = $1::bigint`,
      [processInstanceKey],
    );
    return (
      r && {
        key: r.key,
        definitionKey: r.definition_key,
        bpmnProcessId: r.bpmn_process_id,
        version: r.version,
        state: r.state,
        startedAt: iso(r.started_at),
        endedAt: r.ended_at ? iso(r.ended_at) : null,
        parent:
          r.parent_pik && r.parent_eik
            ? { processInstanceKey: r.parent_pik, elementInstanceKey: r.parent_eik, elementId: r.parent_element_id, bpmnProcessId: r.parent_bpmn_process_id }
            : null,
        rootProcessInstanceKey: r.root_pik ?? r.parent_pik ?? r.key,
        auditPrunedAt: r.audit_pruned_at ? iso(r.audit_pruned_at) : null,
      }
    );
  }

  /** The instances the instance's call activities started, oldest first, each with its call activity. */
  async calledInstances(processInstanceKey: string): Promise<CalledInstance[]> {
    const rows = await this.sql.query<{
      key: string;
      bpmn_process_id: string;
      version: number;
      definition_key: string;
      state: string;
      started_at: Date;
      ended_at: Date | null;
      parent_eik: string;
      element_id: string | null;
    }>(
      `SELECT c.key::text, c.bpmn_process_id, c.version, c.definition_key::text, c.state, c.started_at, c.ended_at, c.parent_element_instance_key::text AS parent_eik,
              (SELECT a.element_id FROM engine_audit a WHERE a.process_instance_key = c.parent_process_instance_key
                 AND a.element_instance_key = c.parent_element_instance_key LIMIT 1) AS element_id
       FROM engine_process_instances c WHERE c.parent_process_instance_key = $1::bigint ORDER BY c.started_at, c.key`,
      [processInstanceKey],
    );
    return rows.map((r) => ({
      processInstanceKey: r.key,
      bpmnProcessId: r.bpmn_process_id,
      version: r.version,
      definitionKey: r.definition_key,
      state: r.state,
      startedAt: iso(r.started_at),
      endedAt: r.ended_at ? iso(r.ended_at) : null,
      elementId: r.element_id,
      elementInstanceKey: r.parent_eik,
    }));
  }

  /** One instance's path through the diagram, step by step; empty once the audit retention pruned it (instance().auditPrunedAt). */
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

  /** The decisions an instance's business rule tasks evaluated, oldest first (required decisions before the one they served). */
  async decisionEvaluations(processInstanceKey: string): Promise<DecisionEvaluationView[]> {
    const rows = await this.sql.query<{
      key: string;
      element_id: string;
      element_instance_key: string;
      decision_key: string;
      decision_id: string;
      decision_name: string | null;
      decision_version: number;
      decision_type: string;
      inputs: DecisionInput[];
      matched_rules: DecisionMatchedRule[];
      output: unknown;
      failure: string | null;
      evaluated_at: Date;
    }>(
      `SELECT e.key::text, e.element_id, e.element_instance_key::text, e.decision_key::text, e.decision_id, d.decision_name, e.decision_version, e.decision_type,
              e.inputs, e.matched_rules, e.output, e.failure, e.evaluated_at
       FROM engine_decision_evaluations e LEFT JOIN engine_decision_definitions d ON d.key = e.decision_key
       WHERE e.process_instance_key = $1::bigint ORDER BY e.evaluated_at, e.key`,
      [processInstanceKey],
    );
    return rows.map((r) => ({
      key: r.key,
      elementId: r.element_id,
      elementInstanceKey: r.element_instance_key,
      decisionKey: r.decision_key,
      decisionId: r.decision_id,
      decisionName: r.decision_name,
      decisionVersion: r.decision_version,
      decisionType: r.decision_type,
      inputs: r.inputs,
      matchedRules: r.matched_rules,
      output: r.output,
      failure: r.failure,
      evaluatedAt: iso(r.evaluated_at),
    }));
  }

  /** The ops API's decisions of an instance: undefined for an instance the engine does not know. */
  async decisionsOf(processInstanceKey: string): Promise<DecisionEvaluationView[] | undefined> {
    if (!KEY.test(processInstanceKey) || !(await this.instance(processInstanceKey))) return undefined;
    return this.decisionEvaluations(processInstanceKey);
  }
}
