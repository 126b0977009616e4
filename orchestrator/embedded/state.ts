// The state of one process instance as loaded for one event, and the changes the
// interpreter makes to it, written back in a handful of batched statements.
import type { SqlSession } from '../../infra/database.js';
import type { Variables } from '../engine.js';

export type ElementData = {
  /** Parallel join: incoming flows that have arrived and wait for the others. */
  arrived?: string[];
  /** A completed activity with a compensation handler, kept until compensated. */
  compensable?: boolean;
  /** Compensation handler: the activity it compensates and the throw event waiting for it. */
  compensates?: string;
  throwKey?: string;
  /** Compensation throw: handler element instances still running. */
  waiting?: string[];
  /** An incident stopped this element; resolving it retries `retry`. */
  retry?: 'activate' | 'leave';
  viaFlow?: string;
  /** Which tables hold rows hosted by this element (jobs, subscriptions, timers). */
  hosts?: { j?: 1; s?: 1; t?: 1 };
};

export type ElementInstance = {
  key: string;
  elementId: string;
  elementType: string;
  flowScopeKey: string;
  state: 'ACTIVE' | 'COMPLETED';
  variables: Variables;
  data: ElementData;
  activatedAt: string;
};

export type InstanceRow = {
  key: string;
  definitionKey: string;
  bpmnProcessId: string;
  version: number;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  variables: Variables;
};

export type NewJob = { key: string; elementInstanceKey: string; elementId: string; type: string; retries: number; customHeaders: Record<string, string> };
export type NewSubscription = { key: string; elementInstanceKey: string; elementId: string; messageName: string; correlationKey: string; interrupting: boolean };
export type NewTimer = { key: string; elementInstanceKey: string; elementId: string; dueAt: Date; repetitionsLeft: number | null; interval?: string; interrupting: boolean };
export type NewIncident = { key: string; elementInstanceKey: string; elementId: string; jobKey?: string; errorType: string; errorMessage: string };
export type AuditRecord = { elementInstanceKey: string; elementId: string; elementType: string; intent: 'ELEMENT_ACTIVATED' | 'ELEMENT_COMPLETED' | 'ELEMENT_TERMINATED' };

export class InstanceState {
  readonly elements = new Map<string, ElementInstance>();
  readonly changed = new Set<string>();
  readonly removed = new Set<string>();
  readonly clearHosted = { j: new Set<string>(), s: new Set<string>(), t: new Set<string>() };
  readonly jobs: NewJob[] = [];
  readonly subscriptions: NewSubscription[] = [];
  readonly timers: NewTimer[] = [];
  readonly incidents: NewIncident[] = [];
  readonly resolveIncidentsOf = new Set<string>();
  readonly audit: AuditRecord[] = [];
  instanceChanged = false;

  constructor(readonly instance: InstanceRow, elements: ElementInstance[], readonly isNew = false) {
    for (const e of elements) this.elements.set(e.key, e);
    if (isNew) this.instanceChanged = true;
  }

  put(ei: ElementInstance): void {
    this.elements.set(ei.key, ei);
    this.changed.add(ei.key);
    this.removed.delete(ei.key);
  }

  touch(ei: ElementInstance): void {
    this.changed.add(ei.key);
  }

  remove(ei: ElementInstance): void {
    this.elements.delete(ei.key);
    this.changed.delete(ei.key);
    this.removed.add(ei.key);
    const hosts = ei.data.hosts ?? {};
    if (hosts.j) this.clearHosted.j.add(ei.key);
    if (hosts.s) this.clearHosted.s.add(ei.key);
    if (hosts.t) this.clearHosted.t.add(ei.key);
    // Rows created for it in this same transaction never reach the database.
    this.removeWhere(this.jobs, (j) => j.elementInstanceKey === ei.key);
    this.removeWhere(this.subscriptions, (x) => x.elementInstanceKey === ei.key);
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === ei.key);
  }

  /** Drops the subscriptions and timers an element hosts (it stays active). */
  clearEvents(ei: ElementInstance): void {
    const hosts = (ei.data.hosts ??= {});
    if (hosts.s) this.clearHosted.s.add(ei.key);
    if (hosts.t) this.clearHosted.t.add(ei.key);
    delete hosts.s;
    delete hosts.t;
    this.touch(ei);
    // Rows created in this same transaction never reached the database.
    this.removeWhere(this.subscriptions, (s) => s.elementInstanceKey === ei.key);
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === ei.key);
  }

  private removeWhere<T>(list: T[], pred: (x: T) => boolean): void {
    for (let i = list.length - 1; i >= 0; i--) if (pred(list[i] as T)) list.splice(i, 1);
  }

  children(scopeKey: string): ElementInstance[] {
    return [...this.elements.values()].filter((e) => e.flowScopeKey === scopeKey && e.state === 'ACTIVE');
  }
}

const TABLE = { j: 'engine_jobs', s: 'engine_message_subscriptions', t: 'engine_timers' } as const;

type InstanceRecord = {
  key: string;
  definition_key: string;
  bpmn_process_id: string;
  version: number;
  state: InstanceRow['state'];
  variables: Variables;
  elements: { key: string; element_id: string; element_type: string; flow_scope_key: string; state: 'ACTIVE' | 'COMPLETED'; variables: Variables; data: ElementData; activated_at: string }[];
};

/** Locks the instance row (every event of one instance runs one at a time) and loads its elements. */
export async function loadInstance(tx: SqlSession, instanceKey: string): Promise<InstanceState | undefined> {
  const [row] = await tx.query<InstanceRecord>(
    `SELECT i.key::text, i.definition_key::text, i.bpmn_process_id, i.version, i.state, i.variables,
       COALESCE((SELECT json_agg(json_build_object('key', e.key::text, 'element_id', e.element_id, 'element_type', e.element_type,
         'flow_scope_key', e.flow_scope_key::text, 'state', e.state, 'variables', e.variables, 'data', e.data, 'activated_at', e.activated_at))
         FROM engine_element_instances e WHERE e.process_instance_key = i.key), '[]'::json) AS elements
     FROM engine_process_instances i WHERE i.key = $1::bigint FOR UPDATE OF i`,
    [instanceKey],
  );
  if (!row) return undefined;
  return new InstanceState(
    { key: row.key, definitionKey: row.definition_key, bpmnProcessId: row.bpmn_process_id, version: row.version, state: row.state, variables: row.variables },
    row.elements.map((e) => ({
      key: e.key,
      elementId: e.element_id,
      elementType: e.element_type,
      flowScopeKey: e.flow_scope_key,
      state: e.state,
      variables: e.variables,
      data: e.data,
      activatedAt: e.activated_at,
    })),
  );
}

const json = (v: unknown) => JSON.stringify(v);

/** Writes every change of one event. Returns the job types that got new jobs (to wake workers). */
export async function saveInstance(tx: SqlSession, s: InstanceState): Promise<{ jobTypes: Set<string>; earliestTimer?: Date }> {
  const i = s.instance;
  if (s.isNew) {
    await tx.query(
      `INSERT INTO engine_process_instances (key, definition_key, bpmn_process_id, version, state, variables, ended_at)
       VALUES ($1::bigint, $2::bigint, $3, $4, $5, $6::jsonb, CASE WHEN $5 = 'ACTIVE' THEN NULL ELSE now() END)`,
      [i.key, i.definitionKey, i.bpmnProcessId, i.version, i.state, json(i.variables)],
    );
  } else if (s.instanceChanged) {
    await tx.query(
      `UPDATE engine_process_instances SET state = $2, variables = $3::jsonb, ended_at = CASE WHEN $2 = 'ACTIVE' THEN NULL ELSE now() END WHERE key = $1::bigint`,
      [i.key, i.state, json(i.variables)],
    );
  }
  for (const k of ['j', 's', 't'] as const) {
    const keys = [...s.clearHosted[k]];
    if (keys.length > 0) await tx.query(`DELETE FROM ${TABLE[k]} WHERE element_instance_key = ANY($1::bigint[])`, [keys]);
  }
  if (s.removed.size > 0) await tx.query(`DELETE FROM engine_element_instances WHERE key = ANY($1::bigint[])`, [[...s.removed]]);
  if (s.resolveIncidentsOf.size > 0) {
    await tx.query(`UPDATE engine_incidents SET state = 'RESOLVED', resolved_at = now() WHERE element_instance_key = ANY($1::bigint[]) AND state = 'ACTIVE'`, [[...s.resolveIncidentsOf]]);
  }
  const upserts = [...s.changed].map((k) => s.elements.get(k)).filter((e): e is ElementInstance => e !== undefined);
  if (upserts.length > 0) {
    await tx.query(
      `INSERT INTO engine_element_instances (key, process_instance_key, element_id, element_type, flow_scope_key, state, variables, data, activated_at)
       SELECT x.key, $2::bigint, x.element_id, x.element_type, x.flow_scope_key, x.state, x.variables, x.data, x.activated_at
       FROM jsonb_to_recordset($1::jsonb) AS x(key bigint, element_id text, element_type text, flow_scope_key bigint, state text, variables jsonb, data jsonb, activated_at timestamptz)
       ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, variables = EXCLUDED.variables, data = EXCLUDED.data`,
      [
        json(upserts.map((e) => ({ key: e.key, element_id: e.elementId, element_type: e.elementType, flow_scope_key: e.flowScopeKey, state: e.state, variables: e.variables, data: e.data, activated_at: e.activatedAt }))),
        i.key,
      ],
    );
  }
  if (s.jobs.length > 0) {
    await tx.query(
      `INSERT INTO engine_jobs (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, definition_key, type, retries, state, custom_headers)
       SELECT x.key, $2::bigint, x.element_instance_key, x.element_id, $3, $4::bigint, x.type, x.retries, 'ACTIVATABLE', x.custom_headers
       FROM jsonb_to_recordset($1::jsonb) AS x(key bigint, element_instance_key bigint, element_id text, type text, retries int, custom_headers jsonb)`,
      [json(s.jobs.map((j) => ({ key: j.key, element_instance_key: j.elementInstanceKey, element_id: j.elementId, type: j.type, retries: j.retries, custom_headers: j.customHeaders }))), i.key, i.bpmnProcessId, i.definitionKey],
    );
  }
  if (s.subscriptions.length > 0) {
    await tx.query(
      `INSERT INTO engine_message_subscriptions (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, message_name, correlation_key, interrupting)
       SELECT x.key, $2::bigint, x.element_instance_key, x.element_id, $3, x.message_name, x.correlation_key, x.interrupting
       FROM jsonb_to_recordset($1::jsonb) AS x(key bigint, element_instance_key bigint, element_id text, message_name text, correlation_key text, interrupting boolean)`,
      [json(s.subscriptions.map((m) => ({ key: m.key, element_instance_key: m.elementInstanceKey, element_id: m.elementId, message_name: m.messageName, correlation_key: m.correlationKey, interrupting: m.interrupting }))), i.key, i.bpmnProcessId],
    );
  }
  if (s.timers.length > 0) {
    await tx.query(
      `INSERT INTO engine_timers (key, process_instance_key, element_instance_key, element_id, due_at, repetitions_left, interval, interrupting)
       SELECT x.key, $2::bigint, x.element_instance_key, x.element_id, x.due_at, x.repetitions_left, x.interval, x.interrupting
       FROM jsonb_to_recordset($1::jsonb) AS x(key bigint, element_instance_key bigint, element_id text, due_at timestamptz, repetitions_left int, interval text, interrupting boolean)`,
      [json(s.timers.map((t) => ({ key: t.key, element_instance_key: t.elementInstanceKey, element_id: t.elementId, due_at: t.dueAt.toISOString(), repetitions_left: t.repetitionsLeft, interval: t.interval ?? null, interrupting: t.interrupting }))), i.key],
    );
  }
  if (s.incidents.length > 0) {
    await tx.query(
      `INSERT INTO engine_incidents (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, job_key, error_type, error_message, state)
       SELECT x.key, $2::bigint, x.element_instance_key, x.element_id, $3, x.job_key, x.error_type, x.error_message, 'ACTIVE'
       FROM jsonb_to_recordset($1::jsonb) AS x(key bigint, element_instance_key bigint, element_id text, job_key bigint, error_type text, error_message text)`,
      [json(s.incidents.map((n) => ({ key: n.key, element_instance_key: n.elementInstanceKey, element_id: n.elementId, job_key: n.jobKey ?? null, error_type: n.errorType, error_message: n.errorMessage }))), i.key, i.bpmnProcessId],
    );
  }
  if (s.audit.length > 0) {
    await tx.query(
      `INSERT INTO engine_audit (process_instance_key, element_instance_key, definition_key, element_id, element_type, intent)
       SELECT $2::bigint, x.element_instance_key, $3::bigint, x.element_id, x.element_type, x.intent
       FROM jsonb_to_recordset($1::jsonb) AS x(element_instance_key bigint, element_id text, element_type text, intent text)`,
      [json(s.audit.map((a) => ({ element_instance_key: a.elementInstanceKey, element_id: a.elementId, element_type: a.elementType, intent: a.intent }))), i.key, i.definitionKey],
    );
  }
  const earliestTimer = s.timers.reduce<Date | undefined>((min, t) => (!min || t.dueAt < min ? t.dueAt : min), undefined);
  return { jobTypes: new Set(s.jobs.map((j) => j.type)), earliestTimer };
}
