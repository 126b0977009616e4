// The embedded engine: the engine port over the project's own database. Every
// external event (start, job answer, message, timer, cancel, incident resolution)
// runs in one transaction that locks the process instance, advances it to its next
// wait states and writes the result; nothing lives only in memory.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Database, SqlSession } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import {
  EngineError,
  type DeployedProcess,
  type DeployResource,
  type Engine,
  type Job,
  type JobWorker,
  type CorrelateMessage,
  type PublishMessage,
  type Variables,
  type WorkerOptions,
  variablesOf,
} from '../engine.js';
import { Interpreter, type MessageBuffer } from './interpreter.js';
import { KeyAllocator } from './keys.js';
import { parseModels, type Model } from './model.js';
import { Batcher, type Pending } from './batcher.js';
import { InstanceState, loadInstances, lockInstances, lockInstancesOfJobs, saveInstances, visibleVariables, type SaveResult } from './state.js';
import { EmbeddedJobWorker } from './job-worker.js';
import { logIncidentRaised, type RaisedIncident } from '../incident-log.js';

export type EmbeddedEngineOptions = {
  logger: Logger;
  /** How often workers look for jobs created by other processes or whose lock expired. */
  jobPollIntervalMs?: number;
  /** How often due timers are looked for (a timer due sooner in this process wakes it earlier). */
  timerPollIntervalMs?: number;
  /** Start the timer loop (off for processes that only serve the API). */
  runTimers?: boolean;
  /** Event transactions in flight at once; PGlite has one connection, so 1 there. */
  maxConcurrentTransactions?: number;
};

type Definition = { key: string; bpmnProcessId: string; version: number; model: Model };
type StartCommand = { bpmnProcessId: string; version?: number; variables: Variables };
type Started = { processInstanceKey: string; bpmnProcessId: string; version: number; processDefinitionKey: string };
type JobAnswer =
  { kind: 'complete'; jobKey: string; variables: Variables } | { kind: 'error'; jobKey: string; errorCode: string; errorMessage: string; variables: Variables };

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_TX_ATTEMPTS = 8;

/** The variables, checked, as a copy of their JSON (what is stored, not the caller's object). */
function plainObject(v: unknown, what: string): Variables {
  return JSON.parse(JSON.stringify(variablesOf(v, what))) as Variables;
}

export class EmbeddedEngine implements Engine {
  readonly kind = 'embedded' as const;
  /** 'jobs' (type) when jobs are created; 'instance' ({key, state}) when an instance ends. */
  readonly events = new EventEmitter();
  private readonly keys: KeyAllocator;
  private readonly definitions = new Map<string, Definition>();
  private readonly workers = new Set<EmbeddedJobWorker>();
  private readonly log: Logger;
  private timerLoop: NodeJS.Timeout | undefined;
  private timerWake: NodeJS.Timeout | undefined;
  private timerWakeAt = Infinity;
  private timersRunning = false;
  private closed = false;
  readonly jobPollIntervalMs: number;
  /** The database runs one transaction at a time (PGlite), so row locks are moot. */
  private readonly exclusive: boolean;
  private readonly timerPollIntervalMs: number;

  constructor(
    private readonly db: Pick<Database, 'sql'> & { kind?: Database['kind'] },
    options: EmbeddedEngineOptions,
  ) {
    this.exclusive = db.kind === 'pglite';
    const concurrent = options.maxConcurrentTransactions ?? (this.exclusive ? 1 : 4);
    this.starts = new Batcher<StartCommand, Started>((batch) => this.startBatch(batch), { maxBatch: 200, maxConcurrent: concurrent });
    this.answers = new Batcher<JobAnswer, void>((batch) => this.answerBatch(batch), { maxBatch: 200, maxConcurrent: concurrent });
    this.log = options.logger.child({ component: 'engine' });
    this.keys = new KeyAllocator();
    this.jobPollIntervalMs = options.jobPollIntervalMs ?? 1_000;
    this.timerPollIntervalMs = options.timerPollIntervalMs ?? 1_000;
    this.events.setMaxListeners(0);
    if (options.runTimers !== false) {
      this.timerLoop = setInterval(() => void this.fireDueTimers(), this.timerPollIntervalMs);
      this.timerLoop.unref();
    }
  }

  // ---- transactions -------------------------------------------------------

  private async inTx<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.sql.transaction(fn);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_TX_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }

  /** Runs one event against one instance: lock, load, interpret, save. */
  private async onInstance<T>(
    tx: SqlSession,
    instanceKey: string,
    run: (it: Interpreter, s: InstanceState) => Promise<T>,
  ): Promise<{ result: T; state: InstanceState } | undefined> {
    // PGlite runs one transaction at a time: nothing can change the instance under us, no lock needed.
    if (!this.exclusive && (await lockInstances(tx, [instanceKey])).length === 0) return undefined;
    const state = (await loadInstances(tx, [instanceKey])).states.get(instanceKey);
    if (!state) return undefined; // not active (any more)
    const it = await this.interpreter(tx, state);
    const result = await run(it, state);
    this.pushJobs(tx, state, it);
    this.afterCommit(tx, [state], await saveInstances(tx, [state]));
    return { result, state };
  }

  private async interpreter(tx: SqlSession, state: InstanceState): Promise<Interpreter> {
    const def = await this.definition(tx, state.instance.definitionKey);
    return new Interpreter(def.model, state, tx, this.keys, this.buffer);
  }

  private pendingNotifications = new WeakMap<SqlSession, (() => void)[]>();

  private afterCommit(tx: SqlSession, states: InstanceState[], saved: SaveResult): void {
    // Incidents the interpreter raised (uncaught BPMN error, mappings, conditions, …), as saved.
    const incidents: RaisedIncident[] = states.flatMap((s) =>
      s.incidents.map((n) => ({
        incidentKey: n.key,
        processInstanceKey: s.instance.key,
        bpmnProcessId: s.instance.bpmnProcessId,
        elementId: n.elementId,
        taskType: n.jobKey ? s.jobs.find((j) => j.key === n.jobKey)?.type : undefined,
        jobKey: n.jobKey,
        errorType: n.errorType,
        errorMessage: n.errorMessage,
        variables: s.instance.variables,
      })),
    );
    this.onCommit(tx, () => {
      for (const type of saved.jobTypes) this.events.emit('jobs', type);
      if (saved.earliestTimer) this.scheduleTimerWake(saved.earliestTimer);
      for (const state of states) if (state.instance.state !== 'ACTIVE') this.events.emit('instance', { key: state.instance.key, state: state.instance.state });
      for (const incident of incidents) logIncidentRaised(this.log, incident);
    });
  }

  /** Runs `fn` once the event transaction `tx` committed (never for an attempt that was rolled back and retried). */
  private onCommit(tx: SqlSession, fn: () => void): void {
    const list = this.pendingNotifications.get(tx) ?? [];
    list.push(fn);
    this.pendingNotifications.set(tx, list);
  }

  /** Like inTx, and then tells workers and timers what the committed transaction created. */
  private async event<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    const attempts: SqlSession[] = [];
    let out: T;
    try {
      out = await this.inTx(async (tx) => {
        attempts.push(tx);
        return fn(tx);
      });
    } catch (err) {
      for (const s of attempts) this.withdrawPushes(s);
      throw err;
    }
    const committed = attempts.at(-1) as SqlSession;
    for (const s of attempts.slice(0, -1)) this.withdrawPushes(s);
    for (const notify of this.pendingNotifications.get(committed) ?? []) notify();
    this.pendingNotifications.delete(committed);
    for (const { worker, job } of this.pendingPushes.get(committed) ?? []) worker.push(job);
    this.pendingPushes.delete(committed);
    return out;
  }

  private readonly pendingPushes = new WeakMap<SqlSession, { worker: EmbeddedJobWorker; job: Job }[]>();
  private readonly localWorkers = new Map<string, EmbeddedJobWorker[]>();

  private withdrawPushes(tx: SqlSession): void {
    for (const { worker } of this.pendingPushes.get(tx) ?? []) worker.withdraw();
    this.pendingPushes.delete(tx);
    this.pendingNotifications.delete(tx);
  }

  /**
   * Job streaming (Zeebe 8.4+ pushes jobs to connected workers): a job created for a
   * type that a worker of this process has room for is activated for it in the same
   * transaction and handed over after commit, with no activation round trip.
   */
  private pushJobs(tx: SqlSession, state: InstanceState, it: Interpreter): void {
    for (const j of state.jobs) {
      if ((j.state ?? 'ACTIVATABLE') !== 'ACTIVATABLE') continue;
      const workers = this.localWorkers.get(j.type);
      const worker = workers?.find((w) => w.offer());
      if (!worker) continue;
      // Round robin between workers of one type.
      workers!.push(workers!.splice(workers!.indexOf(worker), 1)[0]!);
      j.state = 'ACTIVATED';
      j.worker = worker.workerName;
      j.timeoutMs = worker.lockMs;
      const list = this.pendingPushes.get(tx) ?? [];
      list.push({
        worker,
        job: {
          key: j.key,
          type: j.type,
          processInstanceKey: state.instance.key,
          bpmnProcessId: state.instance.bpmnProcessId,
          processDefinitionKey: state.instance.definitionKey,
          elementId: j.elementId,
          elementInstanceKey: j.elementInstanceKey,
          customHeaders: j.customHeaders,
          variables: it.variablesAt(j.elementInstanceKey),
          retries: j.retries,
          deadline: new Date(Date.now() + worker.lockMs),
          worker: worker.workerName,
        },
      });
      this.pendingPushes.set(tx, list);
    }
  }

  /**
   * Serialises a publish and a subscription opening for the same message name and
   * correlation key. Without it, under READ COMMITTED, a publish that finds no
   * subscription yet and a subscription that finds no buffered message yet can
   * both commit, and the message is never correlated (measured: 3 of 40 orders).
   * PGlite runs one transaction at a time, so it needs no lock.
   */
  private async lockCorrelation(tx: SqlSession, name: string, correlationKey: string): Promise<void> {
    if (this.exclusive) return;
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7211))`, [`${name}\u001f${correlationKey}`]);
  }

  private readonly buffer: MessageBuffer = {
    take: async (tx, name, correlationKey, bpmnProcessId) => {
      await this.lockCorrelation(tx, name, correlationKey);
      const [row] = await tx.query<{ key: string; variables: Variables }>(
        `UPDATE engine_messages SET correlated_process_ids = array_append(correlated_process_ids, $3)
         WHERE key = (SELECT key FROM engine_messages WHERE name = $1 AND correlation_key = $2 AND expires_at > now()
                        AND NOT ($3 = ANY(correlated_process_ids)) ORDER BY key LIMIT 1 FOR UPDATE)
         RETURNING key::text, variables`,
        [name, correlationKey, bpmnProcessId],
      );
      return row;
    },
  };

  // ---- definitions --------------------------------------------------------

  private async definition(tx: SqlSession, key: string): Promise<Definition> {
    const cached = this.definitions.get(key);
    if (cached) return cached;
    const [row] = await tx.query<{ bpmn_process_id: string; version: number; xml: string }>(
      `SELECT bpmn_process_id, version, xml FROM engine_process_definitions WHERE key = $1::bigint`,
      [key],
    );
    if (!row) throw new EngineError('NOT_FOUND', `process definition ${key} does not exist`);
    const model = (await parseModels(row.xml)).find((m) => m.bpmnProcessId === row.bpmn_process_id);
    if (!model) throw new EngineError('NOT_FOUND', `process ${row.bpmn_process_id} is not in definition ${key}`);
    const def = { key, bpmnProcessId: row.bpmn_process_id, version: row.version, model };
    this.definitions.set(key, def);
    return def;
  }

  async deploy(resources: DeployResource[]): Promise<DeployedProcess[]> {
    // Parse everything first: a deployment with one bad file deploys nothing.
    const parsed = await Promise.all(resources.map(async (r) => ({ resource: r, models: await parseModels(r.xml) })));
    return this.inTx(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(72311506)`); // one deployment at a time
      const out: DeployedProcess[] = [];
      for (const { resource, models } of parsed) {
        for (const model of models) {
          const checksum = createHash('sha256').update(`${model.bpmnProcessId}\n${resource.xml}`).digest('hex');
          const [latest] = await tx.query<{ key: string; version: number; checksum: string }>(
            `SELECT key::text, version, checksum FROM engine_process_definitions WHERE bpmn_process_id = $1 ORDER BY version DESC LIMIT 1`,
            [model.bpmnProcessId],
          );
          // Zeebe: redeploying an unchanged resource creates no new version.
          if (latest && latest.checksum === checksum) {
            out.push({
              bpmnProcessId: model.bpmnProcessId,
              version: latest.version,
              processDefinitionKey: latest.key,
              resourceName: resource.name,
              isNew: false,
            });
            continue;
          }
          const key = await this.keys.take(tx);
          const version = (latest?.version ?? 0) + 1;
          const messageStartNames = model.root.messageStarts.map((id) => model.nodes.get(id)?.message?.name ?? '');
          await tx.query(
            `INSERT INTO engine_process_definitions (key, bpmn_process_id, version, checksum, resource_name, xml, message_start_names) VALUES ($1::bigint, $2, $3, $4, $5, $6, $7::text[])`,
            [key, model.bpmnProcessId, version, checksum, resource.name, resource.xml, messageStartNames],
          );
          this.definitions.set(key, { key, bpmnProcessId: model.bpmnProcessId, version, model });
          out.push({ bpmnProcessId: model.bpmnProcessId, version, processDefinitionKey: key, resourceName: resource.name, isNew: true });
        }
      }
      return out;
    });
  }

  // ---- instances ----------------------------------------------------------

  async createProcessInstance(o: { bpmnProcessId: string; variables?: Variables; version?: number }) {
    return this.starts.submit({ bpmnProcessId: o.bpmnProcessId, version: o.version, variables: plainObject(o.variables, 'variables') });
  }

  private readonly starts: Batcher<StartCommand, Started>;

  /** Starts a batch of instances in one transaction. */
  private async startBatch(batch: Pending<StartCommand, Started>[]): Promise<void> {
    const outcomes = new Map<Pending<StartCommand, Started>, { ok: Started } | { err: unknown }>();
    await this.event(async (tx) => {
      outcomes.clear();
      const latest = await tx.query<{ key: string; bpmn_process_id: string; version: number }>(
        `SELECT DISTINCT ON (bpmn_process_id) key::text, bpmn_process_id, version FROM engine_process_definitions
         WHERE bpmn_process_id = ANY($1::text[]) ORDER BY bpmn_process_id, version DESC`,
        [[...new Set(batch.map((p) => p.command.bpmnProcessId))]],
      );
      const byId = new Map(latest.map((r) => [r.bpmn_process_id, r.key]));
      const states: InstanceState[] = [];
      for (const p of batch) {
        const { bpmnProcessId, version, variables } = p.command;
        let defKey = byId.get(bpmnProcessId);
        if (version !== undefined) {
          const [row] = await tx.query<{ key: string }>(`SELECT key::text FROM engine_process_definitions WHERE bpmn_process_id = $1 AND version = $2`, [
            bpmnProcessId,
            version,
          ]);
          defKey = row?.key;
        }
        if (!defKey) {
          outcomes.set(p, { err: new EngineError('NOT_FOUND', `no process with id ${bpmnProcessId}${version ? ` and version ${version}` : ''} is deployed`) });
          continue;
        }
        const def = await this.definition(tx, defKey);
        if (def.model.root.startEvents.length === 0) {
          outcomes.set(p, {
            err: new EngineError('INVALID_ARGUMENT', `process ${bpmnProcessId} has no none start event: it is started by publishing its start message`),
          });
          continue;
        }
        const { state, started } = await this.newInstance(tx, def, variables);
        states.push(state);
        outcomes.set(p, { ok: started });
      }
      this.afterCommit(tx, states, await saveInstances(tx, states));
    });
    for (const [p, o] of outcomes) {
      if ('ok' in o) p.resolve(o.ok);
      else p.reject(o.err);
    }
  }

  private async newInstance(tx: SqlSession, def: Definition, variables: Variables, startEventId?: string): Promise<{ state: InstanceState; started: Started }> {
    const key = await this.keys.take(tx);
    const state = new InstanceState(
      { key, definitionKey: def.key, bpmnProcessId: def.bpmnProcessId, version: def.version, state: 'ACTIVE', variables: {} },
      [],
      true,
    );
    const it = new Interpreter(def.model, state, tx, this.keys, this.buffer);
    await it.start(variables, startEventId);
    this.pushJobs(tx, state, it);
    return { state, started: { processInstanceKey: key, bpmnProcessId: def.bpmnProcessId, version: def.version, processDefinitionKey: def.key } };
  }

  async cancelProcessInstance(processInstanceKey: string): Promise<void> {
    const done = await this.event((tx) => this.onInstance(tx, processInstanceKey, (it) => it.cancel()));
    if (!done) throw new EngineError('NOT_FOUND', `no active process instance ${processInstanceKey}`);
  }

  // ---- messages -----------------------------------------------------------

  async publishMessage(m: PublishMessage): Promise<{ key: string }> {
    if (!m.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name');
    const variables = plainObject(m.variables, 'variables');
    const ttl = Math.max(0, m.timeToLive ?? 0);
    const correlationKey = String(m.correlationKey ?? '');
    return this.event(async (tx) => {
      await this.lockCorrelation(tx, m.name, correlationKey);
      if (m.messageId) {
        await tx.query(`DELETE FROM engine_messages WHERE name = $1 AND correlation_key = $2 AND message_id = $3 AND expires_at <= now()`, [
          m.name,
          correlationKey,
          m.messageId,
        ]);
        const dup = await tx.query(`SELECT 1 FROM engine_messages WHERE name = $1 AND correlation_key = $2 AND message_id = $3`, [
          m.name,
          correlationKey,
          m.messageId,
        ]);
        // Zeebe: a message id is unique per name and correlation key while the message is buffered.
        if (dup.length > 0)
          throw new EngineError(
            'ALREADY_EXISTS',
            `a message with name '${m.name}', correlation key '${correlationKey}' and id '${m.messageId}' is already buffered`,
          );
      }
      const key = await this.keys.take(tx);
      const correlated = await this.correlate(tx, m.name, correlationKey, variables);
      if (ttl > 0) {
        await tx.query(
          `INSERT INTO engine_messages (key, name, correlation_key, message_id, variables, expires_at, correlated_process_ids)
           VALUES ($1::bigint, $2, $3, $4, $5::jsonb, now() + $6::int * interval '1 millisecond', $7::text[])`,
          [key, m.name, correlationKey, m.messageId ?? null, JSON.stringify(variables), ttl, [...correlated.keys()]],
        );
      }
      return { key };
    });
  }

  async correlateMessage(m: CorrelateMessage): Promise<{ key: string; processInstanceKey: string }> {
    if (!m.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name');
    const variables = plainObject(m.variables, 'variables');
    const correlationKey = String(m.correlationKey ?? '');
    return this.event(async (tx) => {
      await this.lockCorrelation(tx, m.name, correlationKey);
      const key = await this.keys.take(tx);
      const [processInstanceKey] = (await this.correlate(tx, m.name, correlationKey, variables)).values();
      // Zeebe: NOT_FOUND when no subscription or message start event took the message.
      if (!processInstanceKey) throw new EngineError('NOT_FOUND', `no process instance waits for message '${m.name}' with correlation key '${correlationKey}'`);
      return { key, processInstanceKey };
    });
  }

  /**
   * Hands a message to the subscriptions open now, then to message start events: at most
   * once per BPMN process id (Zeebe). Answers the process instances that took it, by process id.
   */
  private async correlate(tx: SqlSession, name: string, correlationKey: string, variables: Variables): Promise<Map<string, string>> {
    const subs = await tx.query<{ process_instance_key: string; element_instance_key: string; element_id: string; bpmn_process_id: string }>(
      `SELECT process_instance_key::text, element_instance_key::text, element_id, bpmn_process_id FROM engine_message_subscriptions
       WHERE message_name = $1 AND correlation_key = $2 ORDER BY process_instance_key, key`,
      [name, correlationKey],
    );
    const correlated = new Map<string, string>();
    for (const sub of subs) {
      if (correlated.has(sub.bpmn_process_id)) continue;
      const done = await this.onInstance(tx, sub.process_instance_key, (it) =>
        it.messageCorrelated({ elementInstanceKey: sub.element_instance_key, elementId: sub.element_id }, variables),
      );
      if (done?.result) correlated.set(sub.bpmn_process_id, sub.process_instance_key);
    }
    // Message start events of the latest version of each process: each starts one new instance.
    const starters = await tx.query<{ key: string; bpmn_process_id: string }>(
      `SELECT key::text, bpmn_process_id FROM (
         SELECT DISTINCT ON (bpmn_process_id) key, bpmn_process_id, message_start_names FROM engine_process_definitions ORDER BY bpmn_process_id, version DESC) d
       WHERE $1 = ANY(d.message_start_names)`,
      [name],
    );
    for (const starter of starters) {
      if (correlated.has(starter.bpmn_process_id)) continue;
      const def = await this.definition(tx, starter.key);
      const startEvent = def.model.root.messageStarts.find((id) => def.model.nodes.get(id)?.message?.name === name);
      const { state } = await this.newInstance(tx, def, variables, startEvent);
      this.afterCommit(tx, [state], await saveInstances(tx, [state]));
      correlated.set(starter.bpmn_process_id, state.instance.key);
    }
    return correlated;
  }

  // ---- jobs -----------------------------------------------------------------

  /**
   * Makes every activated job activatable now, as if its lock had expired. Only
   * for a database no other process can use (PGlite: one process per data
   * directory), at start-up: every lock found then belongs to a process that died,
   * and waiting out its timeout would only delay the orders behind it.
   */
  async expireOrphanedJobLocks(): Promise<number> {
    if (!this.exclusive) throw new EngineError('FAILED_PRECONDITION', 'job locks can be reclaimed only on a database one process owns (PGlite)');
    const rows = await this.inTx((tx) =>
      tx.query<{ key: string }>(`UPDATE engine_jobs SET deadline = now() WHERE state = 'ACTIVATED' AND deadline > now() RETURNING key::text`),
    );
    return rows.length;
  }

  /** Activates up to `max` jobs of a type: a lock until now + timeout; an expired lock is taken over. */
  async activateJobs(type: string, max: number, timeoutMs: number, worker: string): Promise<Job[]> {
    return this.inTx(async (tx) => {
      const rows = await tx.query<{
        key: string;
        process_instance_key: string;
        element_instance_key: string;
        element_id: string;
        bpmn_process_id: string;
        definition_key: string;
        retries: number;
        custom_headers: Record<string, string>;
        deadline: Date;
        root: Variables;
      }>(
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
      if (rows.length === 0) return [];
      // Local variables (input mappings, sub-process scopes) along each job's scope chain.
      const locals = await tx.query<{ key: string; flow_scope_key: string; variables: Variables }>(
        `SELECT key::text, flow_scope_key::text, variables FROM engine_element_instances
         WHERE process_instance_key = ANY($1::bigint[]) AND state = 'ACTIVE'`,
        [[...new Set(rows.map((r) => r.process_instance_key))]],
      );
      const byKey = new Map(locals.map((l) => [l.key, { variables: l.variables, flowScopeKey: l.flow_scope_key }]));
      return rows.map((r) => {
        return {
          key: r.key,
          type,
          processInstanceKey: r.process_instance_key,
          bpmnProcessId: r.bpmn_process_id,
          processDefinitionKey: r.definition_key,
          elementId: r.element_id,
          elementInstanceKey: r.element_instance_key,
          customHeaders: r.custom_headers,
          variables: visibleVariables(r.root, r.element_instance_key, (k) => byKey.get(k)),
          retries: r.retries,
          deadline: new Date(r.deadline),
          worker,
        };
      });
    });
  }

  private readonly answers: Batcher<JobAnswer, void>;

  async completeJob(jobKey: string, variables?: Variables): Promise<void> {
    return this.answers.submit({ kind: 'complete', jobKey, variables: plainObject(variables, 'variables') });
  }

  async throwJobError(jobKey: string, errorCode: string, errorMessage = '', variables?: Variables): Promise<void> {
    return this.answers.submit({ kind: 'error', jobKey, errorCode, errorMessage, variables: plainObject(variables, 'variables') });
  }

  /** Answers a batch of jobs in one transaction: lock their instances, claim the jobs, interpret, save. */
  private async answerBatch(batch: Pending<JobAnswer, void>[]): Promise<void> {
    const failed = new Map<Pending<JobAnswer, void>, unknown>();
    await this.event(async (tx) => {
      failed.clear();
      const jobKeys = batch.map((p) => p.command.jobKey);
      // PGlite runs one transaction at a time: nothing can change an instance under us, no lock needed.
      const locked = this.exclusive ? undefined : await lockInstancesOfJobs(tx, jobKeys);
      const { states, claimed } = await loadInstances(tx, locked, jobKeys);
      const touched = new Set<InstanceState>();
      for (const p of batch) {
        const a = p.command;
        const c = claimed.get(a.jobKey);
        const state = c && states.get(c.processInstanceKey);
        const ei = c && state?.elements.get(c.elementInstanceKey);
        if (!c || !state || !ei) {
          failed.set(
            p,
            new EngineError(
              'NOT_FOUND',
              `job ${a.jobKey} is not activated (completed, failed, timed out and taken by another worker, or its element was left)`,
            ),
          );
          continue;
        }
        claimed.delete(a.jobKey); // a second answer for the same job in this batch is NOT_FOUND
        const it = await this.interpreter(tx, state);
        if (a.kind === 'complete') await it.jobCompleted(ei, a.variables);
        else await it.jobErrorThrown(ei, a.jobKey, a.errorCode, a.errorMessage, a.variables);
        this.pushJobs(tx, state, it);
        touched.add(state);
      }
      this.afterCommit(tx, [...touched], await saveInstances(tx, [...touched]));
    });
    for (const p of batch) {
      if (failed.has(p)) p.reject(failed.get(p));
      else p.resolve();
    }
  }

  async failJob(jobKey: string, o: { errorMessage: string; retries?: number; retryBackOffMs?: number }): Promise<void> {
    const retries = Math.max(0, Math.trunc(o.retries ?? 0));
    const backOff = Math.max(0, Math.trunc(o.retryBackOffMs ?? 0));
    const type = await this.event(async (tx) => {
      const [job] = await tx.query<{ type: string; process_instance_key: string; element_instance_key: string; element_id: string; bpmn_process_id: string }>(
        `UPDATE engine_jobs SET retries = $2, state = CASE WHEN $2 > 0 THEN 'ACTIVATABLE' ELSE 'FAILED' END,
           retry_at = now() + $3::int * interval '1 millisecond', error_message = $4, worker = NULL, deadline = NULL
         WHERE key = $1::bigint AND state = 'ACTIVATED'
         RETURNING type, process_instance_key::text, element_instance_key::text, element_id, bpmn_process_id`,
        [jobKey, retries, backOff, o.errorMessage],
      );
      if (!job) throw new EngineError('NOT_FOUND', `job ${jobKey} is not activated`);
      // Kept in the audit trail so "which step fails most" survives restarts (the ops page counts these).
      await tx.query(
        `INSERT INTO engine_audit (process_instance_key, element_instance_key, definition_key, element_id, element_type, intent)
         SELECT j.process_instance_key, j.element_instance_key, j.definition_key, j.element_id, COALESCE(e.element_type, 'serviceTask'), 'JOB_FAILED'
         FROM engine_jobs j LEFT JOIN engine_element_instances e ON e.key = j.element_instance_key WHERE j.key = $1::bigint`,
        [jobKey],
      );
      if (retries === 0) {
        // Zeebe: a job failed with no retries left raises an incident; an operator fixes retries and resolves it.
        const incidentKey = await this.keys.take(tx);
        const errorMessage = o.errorMessage || 'job failed with no retries left';
        await tx.query(
          `INSERT INTO engine_incidents (key, process_instance_key, element_instance_key, element_id, bpmn_process_id, job_key, error_type, error_message, state)
           VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6::bigint, 'JOB_NO_RETRIES', $7, 'ACTIVE')`,
          [incidentKey, job.process_instance_key, job.element_instance_key, job.element_id, job.bpmn_process_id, jobKey, errorMessage],
        );
        // For the alarm's order id (the saga's instances carry `orderId`).
        const [instance] = await tx.query<{ variables: Variables }>(`SELECT variables FROM engine_process_instances WHERE key = $1::bigint`, [
          job.process_instance_key,
        ]);
        const raised: RaisedIncident = {
          incidentKey,
          processInstanceKey: job.process_instance_key,
          bpmnProcessId: job.bpmn_process_id,
          elementId: job.element_id,
          taskType: job.type,
          jobKey,
          errorType: 'JOB_NO_RETRIES',
          errorMessage,
          variables: instance?.variables ?? {},
        };
        this.onCommit(tx, () => logIncidentRaised(this.log, raised));
      }
      return job.type;
    });
    if (retries > 0) {
      if (backOff > 0) setTimeout(() => this.events.emit('jobs', type), backOff + 5).unref();
      else this.events.emit('jobs', type);
    }
  }

  async updateJobRetries(o: { jobKey: string; retries: number }): Promise<void> {
    if (!Number.isInteger(o.retries) || o.retries < 1) throw new EngineError('INVALID_ARGUMENT', 'retries must be a whole number of at least 1');
    const rows = await this.db.sql.query(`UPDATE engine_jobs SET retries = $2 WHERE key = $1::bigint RETURNING key`, [o.jobKey, o.retries]);
    if (rows.length === 0) throw new EngineError('NOT_FOUND', `job ${o.jobKey} does not exist`);
  }

  async resolveIncident(incidentKey: string): Promise<void> {
    const wake = await this.event(async (tx) => {
      const [inc] = await tx.query<{ process_instance_key: string; element_instance_key: string; job_key: string | null }>(
        `SELECT process_instance_key::text, element_instance_key::text, job_key::text FROM engine_incidents WHERE key = $1::bigint AND state = 'ACTIVE'`,
        [incidentKey],
      );
      if (!inc) throw new EngineError('NOT_FOUND', `no active incident ${incidentKey}`);
      if (inc.job_key) {
        const [job] = await tx.query<{ retries: number; type: string }>(`SELECT retries, type FROM engine_jobs WHERE key = $1::bigint`, [inc.job_key]);
        if (job && job.retries < 1)
          throw new EngineError('FAILED_PRECONDITION', `job ${inc.job_key} has no retries left: update its retries first, then resolve the incident`);
        await tx.query(`UPDATE engine_incidents SET state = 'RESOLVED', resolved_at = now() WHERE key = $1::bigint`, [incidentKey]);
        await tx.query(`UPDATE engine_jobs SET state = 'ACTIVATABLE', retry_at = now() WHERE key = $1::bigint AND state IN ('FAILED', 'ERROR_THROWN')`, [
          inc.job_key,
        ]);
        return job?.type;
      }
      await tx.query(`UPDATE engine_incidents SET state = 'RESOLVED', resolved_at = now() WHERE key = $1::bigint`, [incidentKey]);
      await this.onInstance(tx, inc.process_instance_key, async (it, s) => {
        const ei = s.elements.get(inc.element_instance_key);
        if (ei?.data.retry) await it.retry(ei);
      });
      return undefined;
    });
    if (wake) this.events.emit('jobs', wake);
  }

  createWorker<V extends Variables = Variables>(o: WorkerOptions<V>): JobWorker {
    if (this.closed) throw new EngineError('UNAVAILABLE', 'the engine is closed');
    const worker = new EmbeddedJobWorker(this, o as unknown as WorkerOptions, this.log);
    this.workers.add(worker);
    const sameType = this.localWorkers.get(worker.taskType) ?? [];
    sameType.push(worker);
    this.localWorkers.set(worker.taskType, sameType);
    worker.onClose(() => {
      this.workers.delete(worker);
      const list = this.localWorkers.get(worker.taskType) ?? [];
      list.splice(list.indexOf(worker), 1);
    });
    return worker;
  }

  // ---- timers ---------------------------------------------------------------

  private scheduleTimerWake(at: Date): void {
    if (this.closed || this.timerLoop === undefined) return;
    const t = at.getTime();
    if (t >= this.timerWakeAt) return;
    if (this.timerWake) clearTimeout(this.timerWake);
    this.timerWakeAt = t;
    this.timerWake = setTimeout(
      () => {
        this.timerWakeAt = Infinity;
        void this.fireDueTimers();
      },
      Math.max(0, t - Date.now()) + 2,
    );
    this.timerWake.unref();
  }

  /** Fires every due timer, each in its own transaction. Safe with several processes: a timer fires once. */
  async fireDueTimers(): Promise<number> {
    if (this.timersRunning || this.closed) return 0;
    this.timersRunning = true;
    let fired = 0;
    try {
      for (;;) {
        const due = await this.db.sql.query<{ key: string; process_instance_key: string }>(
          `SELECT key::text, process_instance_key::text FROM engine_timers WHERE due_at <= now() ORDER BY due_at LIMIT 100`,
        );
        for (const t of due) {
          if (this.closed) return fired;
          await this.event((tx) =>
            this.onInstance(tx, t.process_instance_key, async (it) => {
              const [timer] = await tx.query<{
                element_instance_key: string;
                element_id: string;
                due_at: Date;
                repetitions_left: number | null;
                interval: string | null;
                interrupting: boolean;
              }>(
                `DELETE FROM engine_timers WHERE key = $1::bigint RETURNING element_instance_key::text, element_id, due_at, repetitions_left, interval, interrupting`,
                [t.key],
              );
              if (!timer) return; // fired by another process meanwhile
              fired++;
              await it.timerFired({
                key: t.key,
                elementInstanceKey: timer.element_instance_key,
                elementId: timer.element_id,
                dueAt: new Date(timer.due_at),
                repetitionsLeft: timer.repetitions_left,
                interval: timer.interval,
                interrupting: timer.interrupting,
              });
            }),
          ).catch((err) => this.log.error({ err, timerKey: t.key, processInstanceKey: t.process_instance_key }, 'timer could not fire; it will be retried'));
        }
        if (due.length < 100) break;
      }
      // Timers of instances that are no longer active never fire: drop them.
      await this.db.sql.query(
        `DELETE FROM engine_timers t WHERE t.due_at <= now() AND NOT EXISTS (SELECT 1 FROM engine_process_instances i WHERE i.key = t.process_instance_key AND i.state = 'ACTIVE')`,
      );
    } catch (err) {
      if (!this.closed) this.log.error({ err }, 'timer loop failed; it will run again');
    } finally {
      this.timersRunning = false;
    }
    return fired;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timerLoop) clearInterval(this.timerLoop);
    if (this.timerWake) clearTimeout(this.timerWake);
    await Promise.all([...this.workers].map((w) => w.close()));
    while (this.timersRunning) await new Promise((r) => setTimeout(r, 5));
  }
}
