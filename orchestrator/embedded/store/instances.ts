// SQL of engine_process_instances and engine_element_instances: lock and load instances
// for an event, and write back every change of a batch of events in one statement.
import { insertDecisionEvaluations } from './decisions.js';
import type { SqlSession } from '../../../infra/database.js';
import type { Variables } from '../../engine.js';
import { InstanceState, type ElementData, type InstanceRow } from '../state.js';

type InstanceRecord = {
  key: string;
  definition_key: string;
  bpmn_process_id: string;
  version: number;
  state: InstanceRow['state'];
  variables: Variables;
  parent_pik: string | null;
  parent_eik: string | null;
  root_pik: string | null;
  elements: {
    key: string;
    element_id: string;
    element_type: string;
    flow_scope_key: string;
    state: 'ACTIVE' | 'COMPLETED';
    variables: Variables;
    data: ElementData;
    activated_at: string;
  }[];
};

function toState(row: InstanceRecord): InstanceState {
  return new InstanceState(
    {
      key: row.key,
      definitionKey: row.definition_key,
      bpmnProcessId: row.bpmn_process_id,
      version: row.version,
      state: row.state,
      variables: row.variables,
      parent:
        row.parent_pik && row.parent_eik
          ? { processInstanceKey: row.parent_pik, elementInstanceKey: row.parent_eik, rootProcessInstanceKey: row.root_pik ?? row.parent_pik }
          : undefined,
    },
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

/**
 * Locks the wanted instances and returns those active. `sql` (parameter $1) answers one row
 * per wanted instance — its key, and its root locked with the root's state — in root order. The root of each one's call tree is locked first, in key order, then
 * the wanted instances below a root, in key order: an event on any instance of a call
 * tree holds its root, so a parent and its child (a cancel reaching down, a completion
 * reaching up) are never locked in opposite orders, and concurrent batches queue
 * instead of deadlocking. An instance nobody called is its own root: one statement.
 * Reading happens in a later statement: a read in the locking statement would see the
 * state from before the wait.
 */
async function lockWithRoots(tx: SqlSession, sql: string, param: string[]): Promise<string[]> {
  if (param.length === 0) return [];
  const rows = await tx.query<{ root: string; state: string; key: string }>(sql, [param]);
  const locked = new Set(rows.filter((r) => r.key === r.root && r.state === 'ACTIVE').map((r) => r.key));
  const below = [...new Set(rows.filter((r) => r.key !== r.root).map((r) => r.key))];
  if (below.length === 0) return [...locked];
  const children = await tx.query<{ key: string }>(
    `SELECT key::text FROM engine_process_instances WHERE key = ANY($1::bigint[]) AND state = 'ACTIVE' ORDER BY key FOR UPDATE`,
    [below],
  );
  return [...locked, ...children.map((r) => r.key)];
}

/** Locks these instances (each after the root of its call tree); returns the keys of those active. */
export function lockInstances(tx: SqlSession, keys: string[]): Promise<string[]> {
  return lockWithRoots(
    tx,
    `SELECT i.key::text AS root, i.state, w.key::text AS key
     FROM engine_process_instances w JOIN engine_process_instances i ON i.key = COALESCE(w.root_process_instance_key, w.key)
     WHERE w.key = ANY($1::bigint[]) ORDER BY i.key FOR UPDATE OF i`,
    keys,
  );
}

/**
 * Locks the instances that own these jobs (each after the root of its call tree); returns the keys
 * of those active. A job carries its root, so this is one probe per job and one per instance, as
 * before call activities (a join over the instance first cost the three-task benchmark 9–15 % on
 * PostgreSQL: bench/README.md).
 */
export function lockInstancesOfJobs(tx: SqlSession, jobKeys: string[]): Promise<string[]> {
  return lockWithRoots(
    tx,
    `SELECT i.key::text AS root, i.state, j.process_instance_key::text AS key
     FROM engine_jobs j JOIN engine_process_instances i ON i.key = COALESCE(j.root_process_instance_key, j.process_instance_key)
     WHERE j.key = ANY($1::bigint[]) ORDER BY i.key FOR UPDATE OF i`,
    jobKeys,
  );
}

export type ClaimedJob = { jobKey: string; processInstanceKey: string; elementInstanceKey: string };

/**
 * Loads locked instances with their element instances; in the same statement takes
 * the given activated jobs out of the table (a job is answered once).
 */
export async function loadInstances(
  tx: SqlSession,
  keys: string[] | undefined,
  claimJobKeys: string[] = [],
): Promise<{ states: Map<string, InstanceState>; claimed: Map<string, ClaimedJob> }> {
  // keys undefined: the instances of the claimed jobs (only where nothing else can run meanwhile).
  const [row] = await tx.query<{ instances: InstanceRecord[] | null; claimed: { key: string; pik: string; eik: string }[] | null }>(
    `WITH claimed AS (
       DELETE FROM engine_jobs WHERE key = ANY($2::bigint[]) AND state = 'ACTIVATED'
         AND ($1::bigint[] IS NULL OR process_instance_key = ANY($1::bigint[]))
       RETURNING key, process_instance_key, element_instance_key),
     wanted AS (
       SELECT key FROM engine_process_instances
       WHERE state = 'ACTIVE' AND (key = ANY($1::bigint[]) OR ($1::bigint[] IS NULL AND key IN (SELECT process_instance_key FROM claimed))))
     SELECT
       (SELECT json_agg(json_build_object('key', i.key::text, 'definition_key', i.definition_key::text, 'bpmn_process_id', i.bpmn_process_id,
          'version', i.version, 'state', i.state, 'variables', i.variables, 'parent_pik', i.parent_process_instance_key::text,
          'parent_eik', i.parent_element_instance_key::text, 'root_pik', i.root_process_instance_key::text,
          'elements', COALESCE((SELECT json_agg(json_build_object('key', e.key::text, 'element_id', e.element_id, 'element_type', e.element_type,
             'flow_scope_key', e.flow_scope_key::text, 'state', e.state, 'variables', e.variables, 'data', e.data, 'activated_at', e.activated_at))
             FROM engine_element_instances e WHERE e.process_instance_key = i.key), '[]'::json)))
        FROM engine_process_instances i WHERE i.key IN (SELECT key FROM wanted)) AS instances,
       (SELECT json_agg(json_build_object('key', c.key::text, 'pik', c.process_instance_key::text, 'eik', c.element_instance_key::text)) FROM claimed c) AS claimed`,
    [keys ?? null, claimJobKeys],
  );
  const states = new Map<string, InstanceState>();
  for (const r of row?.instances ?? []) states.set(r.key, toState(r));
  const claimed = new Map<string, ClaimedJob>();
  for (const c of row?.claimed ?? []) {
    claimed.set(c.key, { jobKey: c.key, processInstanceKey: c.pik, elementInstanceKey: c.eik });
    const ei = states.get(c.pik)?.elements.get(c.eik);
    if (ei?.data.hosts) delete ei.data.hosts.j; // its job row is gone already
  }
  return { states, claimed };
}

/** A process instance's variables; undefined for an unknown key. */
export async function instanceVariables(tx: SqlSession, key: string): Promise<Variables | undefined> {
  const [instance] = await tx.query<{ variables: Variables }>(`SELECT variables FROM engine_process_instances WHERE key = $1::bigint`, [key]);
  return instance?.variables;
}

/** The active element instances of these process instances, with their local variables (input mappings, sub-process scopes). */
export function activeScopes(tx: SqlSession, instanceKeys: string[]): Promise<{ key: string; flow_scope_key: string; variables: Variables }[]> {
  return tx.query<{ key: string; flow_scope_key: string; variables: Variables }>(
    `SELECT key::text, flow_scope_key::text, variables FROM engine_element_instances
     WHERE process_instance_key = ANY($1::bigint[]) AND state = 'ACTIVE'`,
    [instanceKeys],
  );
}

/** One data-modifying CTE per kind of change, keyed by the JSON document's field. */
const SAVE_PARTS = {
  newInstances: `INSERT INTO engine_process_instances (key, definition_key, bpmn_process_id, version, state, variables, ended_at,
      parent_process_instance_key, parent_element_instance_key, root_process_instance_key)
    SELECT x.key, x.definition_key, x.bpmn_process_id, x.version, x.state, x.variables, CASE WHEN x.state = 'ACTIVE' THEN NULL ELSE now() END,
      x.parent_pik, x.parent_eik, x.root_pik
    FROM p, jsonb_to_recordset(p.d->'newInstances')
      AS x(key bigint, definition_key bigint, bpmn_process_id text, version int, state text, variables jsonb, parent_pik bigint, parent_eik bigint, root_pik bigint)`,
  changedInstances: `UPDATE engine_process_instances t SET state = x.state, variables = x.variables, ended_at = CASE WHEN x.state = 'ACTIVE' THEN NULL ELSE now() END
    FROM p, jsonb_to_recordset(p.d->'changedInstances') AS x(key bigint, state text, variables jsonb) WHERE t.key = x.key`,
  clearJobs: `DELETE FROM engine_jobs WHERE element_instance_key IN (SELECT jsonb_array_elements_text(d->'clearJobs')::bigint FROM p)`,
  clearSubs: `DELETE FROM engine_message_subscriptions WHERE element_instance_key IN (SELECT jsonb_array_elements_text(d->'clearSubs')::bigint FROM p)`,
  clearTimers: `DELETE FROM engine_timers WHERE element_instance_key IN (SELECT jsonb_array_elements_text(d->'clearTimers')::bigint FROM p)`,
  clearEventsAt: `DELETE FROM engine_message_subscriptions t USING p, jsonb_to_recordset(p.d->'clearEventsAt') AS x(eik bigint, element_id text)
    WHERE t.element_instance_key = x.eik AND t.element_id = x.element_id`,
  clearTimersAt: `DELETE FROM engine_timers t USING p, jsonb_to_recordset(p.d->'clearTimersAt') AS x(eik bigint, element_id text)
    WHERE t.element_instance_key = x.eik AND t.element_id = x.element_id`,
  clearSignals: `DELETE FROM engine_signal_subscriptions WHERE element_instance_key IN (SELECT jsonb_array_elements_text(d->'clearSignals')::bigint FROM p)`,
  clearSignalsAt: `DELETE FROM engine_signal_subscriptions t USING p, jsonb_to_recordset(p.d->'clearSignalsAt') AS x(eik bigint, element_id text)
    WHERE t.element_instance_key = x.eik AND t.element_id = x.element_id`,
  removed: `DELETE FROM engine_element_instances WHERE key IN (SELECT jsonb_array_elements_text(d->'removed')::bigint FROM p)`,
  resolveIncidents: `UPDATE engine_incidents SET state = 'RESOLVED', resolved_at = now()
    WHERE state = 'ACTIVE' AND element_instance_key IN (SELECT jsonb_array_elements_text(d->'resolveIncidents')::bigint FROM p)`,
  elements: `INSERT INTO engine_element_instances (key, process_instance_key, element_id, element_type, flow_scope_key, state, variables, data, activated_at)
    SELECT x.key, x.pik, x.element_id, x.element_type, x.flow_scope_key, x.state, x.variables, x.data, x.activated_at
    FROM p, jsonb_to_recordset(p.d->'elements') AS x(key bigint, pik bigint, element_id text, element_type text, flow_scope_key bigint, state text, variables jsonb, data jsonb, activated_at timestamptz)
    ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, variables = EXCLUDED.variables, data = EXCLUDED.data`,
  jobs: `INSERT INTO engine_jobs (key, process_instance_key, root_process_instance_key, element_instance_key, element_id, bpmn_process_id, definition_key, type, retries, state, custom_headers, error_message, worker, deadline)
    SELECT x.key, x.pik, x.root, x.eik, x.element_id, x.bpid, x.dk, x.type, x.retries, x.state, x.headers, x.error_message, x.worker,
           CASE WHEN x.timeout_ms IS NULL THEN NULL ELSE now() + x.timeout_ms * interval '1 millisecond' END
    FROM p, jsonb_to_recordset(p.d->'jobs') AS x(key bigint, pik bigint, root bigint, eik bigint, element_id text, bpid text, dk bigint, type text, retries int, state text, headers jsonb, error_message text, worker text, timeout_ms int)`,
  subs: `INSERT INTO engine_message_subscriptions (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, message_name, correlation_key, interrupting)
    SELECT x.key, x.pik, x.eik, x.element_id, x.bpid, x.name, x.ck, x.interrupting
    FROM p, jsonb_to_recordset(p.d->'subs') AS x(key bigint, pik bigint, eik bigint, element_id text, bpid text, name text, ck text, interrupting boolean)`,
  signalSubs: `INSERT INTO engine_signal_subscriptions (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, signal_name)
    SELECT x.key, x.pik, x.eik, x.element_id, x.bpid, x.name FROM p, jsonb_to_recordset(p.d->'signalSubs') AS x(key bigint, pik bigint, eik bigint, element_id text, bpid text, name text)`,
  timers: `INSERT INTO engine_timers (key, process_instance_key, element_instance_key, element_id, due_at, repetitions_left, interval, interrupting)
    SELECT x.key, x.pik, x.eik, x.element_id, x.due_at, x.reps, x.interval, x.interrupting
    FROM p, jsonb_to_recordset(p.d->'timers') AS x(key bigint, pik bigint, eik bigint, element_id text, due_at timestamptz, reps int, interval text, interrupting boolean)`,
  incidents: `INSERT INTO engine_incidents (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, job_key, error_type, error_message, state)
    SELECT x.key, x.pik, x.eik, x.element_id, x.bpid, x.job_key, x.type, x.message, 'ACTIVE'
    FROM p, jsonb_to_recordset(p.d->'incidents') AS x(key bigint, pik bigint, eik bigint, element_id text, bpid text, job_key bigint, type text, message text)`,
  audit: `INSERT INTO engine_audit (process_instance_key, element_instance_key, definition_key, element_id, element_type, intent)
    SELECT x.pik, x.eik, x.dk, x.element_id, x.element_type, x.intent
    FROM p, jsonb_to_recordset(p.d->'audit') AS x(pik bigint, dk bigint, eik bigint, element_id text, element_type text, intent text)`,
};

export type SaveResult = { jobTypes: Set<string>; earliestTimer?: Date };

/**
 * Writes every change of every given instance in ONE statement (data-modifying
 * CTEs over one JSON document): a batch of events costs one round trip to save.
 * All CTEs see one snapshot and deletes and inserts never touch the same rows, so
 * their order inside the statement is moot.
 */
export async function saveInstances(tx: SqlSession, states: InstanceState[]): Promise<SaveResult> {
  const d = {
    newInstances: [] as unknown[],
    changedInstances: [] as unknown[],
    clearJobs: [] as string[],
    clearSubs: [] as string[],
    clearTimers: [] as string[],
    clearEventsAt: [] as { eik: string; element_id: string }[],
    clearTimersAt: [] as { eik: string; element_id: string }[],
    clearSignals: [] as string[],
    clearSignalsAt: [] as { eik: string; element_id: string }[],
    removed: [] as string[],
    resolveIncidents: [] as string[],
    elements: [] as unknown[],
    jobs: [] as unknown[],
    subs: [] as unknown[],
    signalSubs: [] as unknown[],
    timers: [] as unknown[],
    incidents: [] as unknown[],
    audit: [] as unknown[],
  };
  const jobTypes = new Set<string>();
  let earliestTimer: Date | undefined;
  for (const s of states) {
    const i = s.instance;
    const pik = i.key;
    const inst = { key: pik, definition_key: i.definitionKey, bpmn_process_id: i.bpmnProcessId, version: i.version, state: i.state, variables: i.variables };
    if (s.isNew)
      d.newInstances.push({
        ...inst,
        parent_pik: i.parent?.processInstanceKey ?? null,
        parent_eik: i.parent?.elementInstanceKey ?? null,
        root_pik: i.parent?.rootProcessInstanceKey ?? null,
      });
    else if (s.instanceChanged) d.changedInstances.push(inst);
    d.clearJobs.push(...s.clearHosted.j);
    d.clearSubs.push(...s.clearHosted.s);
    d.clearTimers.push(...s.clearHosted.t);
    d.clearEventsAt.push(...s.clearedEventsAt);
    d.clearTimersAt.push(...s.clearedEventsAt);
    d.clearSignals.push(...s.clearHosted.g);
    d.clearSignalsAt.push(...s.clearedEventsAt);
    d.removed.push(...s.removed);
    d.resolveIncidents.push(...s.resolveIncidentsOf);
    for (const k of s.changed) {
      const e = s.elements.get(k);
      if (e)
        d.elements.push({
          key: e.key,
          pik,
          element_id: e.elementId,
          element_type: e.elementType,
          flow_scope_key: e.flowScopeKey,
          state: e.state,
          variables: e.variables,
          data: e.data,
          activated_at: e.activatedAt,
        });
    }
    for (const j of s.jobs) {
      d.jobs.push({
        key: j.key,
        pik,
        root: i.parent?.rootProcessInstanceKey ?? null,
        eik: j.elementInstanceKey,
        element_id: j.elementId,
        bpid: i.bpmnProcessId,
        dk: i.definitionKey,
        type: j.type,
        retries: j.retries,
        state: j.state ?? 'ACTIVATABLE',
        headers: j.customHeaders,
        error_message: j.errorMessage ?? null,
        worker: j.worker ?? null,
        timeout_ms: j.timeoutMs ?? null,
      });
      if ((j.state ?? 'ACTIVATABLE') === 'ACTIVATABLE') jobTypes.add(j.type);
    }
    for (const m of s.subscriptions)
      d.subs.push({
        key: m.key,
        pik,
        eik: m.elementInstanceKey,
        element_id: m.elementId,
        bpid: i.bpmnProcessId,
        name: m.messageName,
        ck: m.correlationKey,
        interrupting: m.interrupting,
      });
    for (const g of s.signalSubscriptions)
      d.signalSubs.push({ key: g.key, pik, eik: g.elementInstanceKey, element_id: g.elementId, bpid: i.bpmnProcessId, name: g.signalName });
    for (const t of s.timers) {
      d.timers.push({
        key: t.key,
        pik,
        eik: t.elementInstanceKey,
        element_id: t.elementId,
        due_at: t.dueAt.toISOString(),
        reps: t.repetitionsLeft,
        interval: t.interval ?? null,
        interrupting: t.interrupting,
      });
      if (!earliestTimer || t.dueAt < earliestTimer) earliestTimer = t.dueAt;
    }
    for (const n of s.incidents)
      d.incidents.push({
        key: n.key,
        pik,
        eik: n.elementInstanceKey,
        element_id: n.elementId,
        bpid: i.bpmnProcessId,
        job_key: n.jobKey ?? null,
        type: n.errorType,
        message: n.errorMessage,
      });
    for (const a of s.audit)
      d.audit.push({ pik, dk: i.definitionKey, eik: a.elementInstanceKey, element_id: a.elementId, element_type: a.elementType, intent: a.intent });
  }
  // Only the parts with something to write: PGlite parses and plans every statement
  // anew (no prepared statements), so a smaller statement is a faster one.
  const parts = (Object.keys(SAVE_PARTS) as (keyof typeof SAVE_PARTS)[]).filter((k) => (d[k] as unknown[]).length > 0);
  await insertDecisionEvaluations(
    tx,
    states.flatMap((s) => s.decisionEvaluations),
  );
  if (parts.length === 0) return { jobTypes, earliestTimer };
  await tx.query(`WITH p AS (SELECT $1::jsonb AS d), ${parts.map((k, n) => `w${n} AS (${SAVE_PARTS[k]})`).join(', ')} SELECT 1`, [JSON.stringify(d)]);
  return { jobTypes, earliestTimer };
}
