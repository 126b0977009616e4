// The embedded engine: the engine port over the project's own database. Every
// external event (start, job answer, message, timer, cancel, incident resolution)
// runs in one transaction that locks the process instance, advances it to its next
// wait states and writes the result; nothing lives only in memory. This class checks
// the port's arguments and wires the parts (docs/engine.md, "Where the code lives").
import { EventEmitter } from 'node:events';
import type { Database } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import {
  EngineError,
  type BroadcastSignal,
  type CorrelateMessage,
  type DeployedProcess,
  type DeployResource,
  type Engine,
  type Job,
  type JobWorker,
  type PublishMessage,
  type Variables,
  type WorkerOptions,
  variablesOf,
} from '../engine.js';
import { AUDIT_PRUNE_BATCH, AuditPruner, DEFAULT_AUDIT_PRUNE_INTERVAL_MS, DEFAULT_AUDIT_RETENTION_MS } from './audit-retention.js';
import { refuseChildCancel } from './call-activities.js';
import { Definitions } from './definitions.js';
import { Incidents } from './incidents.js';
import { InstanceEvents, type InstanceEventsOptions, type Started } from './instance-events.js';
import { JobStreaming } from './job-streaming.js';
import { EmbeddedJobWorker } from './job-worker.js';
import { Jobs } from './jobs.js';
import { KeyAllocator } from './keys.js';
import { MessageStarts } from './message-starts.js';
import { messageBuffer, Messages } from './messages.js';
import { Signals } from './signals.js';
import { StartTimers } from './start-timers.js';
import type { PruneResult } from './store/audit.js';
import { Starts } from './starts.js';
import { TimerLoop } from './timer-loop.js';
import { TransactionRunner } from './transactions.js';
import { ScopeVariables } from './variables.js';

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
  /** How long an ended instance's audit rows and decision evaluations are kept (ms; default 7 days, ENGINE_AUDIT_RETENTION_DAYS). */
  auditRetentionMs?: number;
  /** How often the audit trail is pruned where the timer loop runs (ms; default 1 h, ENGINE_AUDIT_PRUNE_INTERVAL). */
  auditPruneIntervalMs?: number;
  /** Instances pruned per transaction (default 100). */
  auditPruneBatch?: number;
};

/** The variables, checked, as a copy of their JSON (what is stored, not the caller's object). */
function plainObject(v: unknown, what: string): Variables {
  return JSON.parse(JSON.stringify(variablesOf(v, what))) as Variables;
}

export class EmbeddedEngine implements Engine {
  readonly kind = 'embedded' as const;
  /** 'jobs' (type) when jobs are created; 'instance' ({key, state}) when an instance ends. */
  readonly events = new EventEmitter();
  readonly jobPollIntervalMs: number;
  private readonly log: Logger;
  private readonly transactions: TransactionRunner;
  private readonly definitions: Definitions;
  private readonly instances: InstanceEvents;
  private readonly streaming: JobStreaming;
  private readonly starts: Starts;
  private readonly messages: Messages;
  private readonly jobs: Jobs;
  private readonly incidents: Incidents;
  private readonly timers: TimerLoop;
  private readonly variables: ScopeVariables;
  private readonly startTimers: StartTimers;
  private readonly messageStarts: MessageStarts;
  private readonly signals: Signals;
  private readonly auditPruner: AuditPruner;
  private closed = false;

  constructor(db: Pick<Database, 'sql'> & { kind?: Database['kind'] }, options: EmbeddedEngineOptions) {
    // The database runs one transaction at a time (PGlite), so row locks are moot.
    const exclusive = db.kind === 'pglite';
    const maxConcurrent = options.maxConcurrentTransactions ?? (exclusive ? 1 : 4);
    this.log = options.logger.child({ component: 'engine' });
    this.jobPollIntervalMs = options.jobPollIntervalMs ?? 1_000;
    this.events.setMaxListeners(0);
    const { events, log } = this;
    const keys = new KeyAllocator();
    const transactions = new TransactionRunner(db.sql);
    // Called once the parts below exist: deploy schedules timer start events, an ended instance frees its start message's key.
    const definitions = new Definitions(transactions, keys, (tx, def) => this.startTimers.versionDeployed(tx, def));
    const messageStartedEnded: InstanceEventsOptions['messageStartedEnded'] = (tx, states) => this.messageStarts.ended(tx, states);
    const signalThrown: InstanceEventsOptions['signalThrown'] = (tx, signal, exclude) => this.signals.deliver(tx, signal, exclude);
    const streaming = new JobStreaming(transactions);
    const buffer = messageBuffer(exclusive);
    // Called after a commit only, once the timer loop below exists.
    const timerCreated = (at: Date) => this.timers.timerCreated(at);
    const instances = new InstanceEvents({
      exclusive,
      keys,
      definitions,
      transactions,
      streaming,
      buffer,
      events,
      timerCreated,
      messageStartedEnded,
      signalThrown,
      log,
    });
    this.transactions = transactions;
    this.definitions = definitions;
    this.streaming = streaming;
    this.instances = instances;
    this.starts = new Starts({ maxConcurrent, definitions, transactions, instances });
    this.messageStarts = new MessageStarts({ exclusive, definitions, instances });
    this.messages = new Messages({ exclusive, keys, definitions, transactions, instances, starts: this.messageStarts });
    this.signals = new Signals({ exclusive, keys, definitions, transactions, instances, streaming });
    this.jobs = new Jobs({ exclusive, maxConcurrent, sql: db.sql, keys, transactions, instances, streaming, events, log });
    this.incidents = new Incidents({ transactions, instances, events });
    this.variables = new ScopeVariables({ transactions, instances });
    const pollIntervalMs = options.timerPollIntervalMs ?? 1_000;
    this.startTimers = new StartTimers({ sql: db.sql, keys, definitions, transactions, instances, timerCreated, log });
    this.timers = new TimerLoop({ sql: db.sql, transactions, instances, log, pollIntervalMs, run: options.runTimers !== false, startTimers: this.startTimers });
    this.auditPruner = new AuditPruner({
      transactions,
      log,
      retentionMs: options.auditRetentionMs ?? DEFAULT_AUDIT_RETENTION_MS,
      intervalMs: options.auditPruneIntervalMs ?? DEFAULT_AUDIT_PRUNE_INTERVAL_MS,
      batch: options.auditPruneBatch ?? AUDIT_PRUNE_BATCH,
      run: options.runTimers !== false,
    });
  }

  async deploy(resources: DeployResource[]): Promise<DeployedProcess[]> {
    const deployed = await this.definitions.deploy(resources);
    // The timer loop wakes for a timer start event due before its next poll.
    const due = deployed.some((d) => d.isNew) ? await this.startTimers.nextDue() : undefined;
    if (due) this.timers.timerCreated(due);
    return deployed;
  }

  async createProcessInstance(o: { bpmnProcessId: string; variables?: Variables; version?: number }): Promise<Started> {
    return this.starts.start({ bpmnProcessId: o.bpmnProcessId, version: o.version, variables: plainObject(o.variables, 'variables') });
  }

  async cancelProcessInstance(processInstanceKey: string): Promise<void> {
    const done = await this.transactions.event((tx) =>
      this.instances.onInstance(tx, processInstanceKey, (it, s) => {
        refuseChildCancel(s.instance);
        return it.cancel();
      }),
    );
    if (!done) throw new EngineError('NOT_FOUND', `no active process instance ${processInstanceKey}`);
  }

  async publishMessage(m: PublishMessage): Promise<{ key: string }> {
    if (!m.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name');
    const variables = plainObject(m.variables, 'variables');
    const ttlMs = Math.max(0, m.timeToLive ?? 0);
    return this.messages.publish({ name: m.name, correlationKey: String(m.correlationKey ?? ''), variables, messageId: m.messageId, ttlMs });
  }

  async correlateMessage(m: CorrelateMessage): Promise<{ key: string; processInstanceKey: string }> {
    if (!m.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name');
    const variables = plainObject(m.variables, 'variables');
    return this.messages.correlateNow({ name: m.name, correlationKey: String(m.correlationKey ?? ''), variables });
  }

  async broadcastSignal(s: BroadcastSignal): Promise<{ key: string }> {
    if (typeof s?.signalName !== 'string' || s.signalName === '') throw new EngineError('INVALID_ARGUMENT', 'a signal needs a name (signalName)');
    return this.signals.broadcast({ name: s.signalName, variables: plainObject(s.variables, 'variables') });
  }

  /**
   * Makes every activated job activatable now, as if its lock had expired: at start-up,
   * on a database only this process can use (PGlite); FAILED_PRECONDITION otherwise.
   */
  expireOrphanedJobLocks(): Promise<number> {
    return this.jobs.expireOrphanedLocks();
  }

  /** Activates up to `max` jobs of a type: a lock until now + timeout; an expired lock is taken over. */
  activateJobs(type: string, max: number, timeoutMs: number, worker: string): Promise<Job[]> {
    return this.jobs.activate(type, max, timeoutMs, worker);
  }

  async completeJob(jobKey: string, variables?: Variables): Promise<void> {
    return this.jobs.answer({ kind: 'complete', jobKey, variables: plainObject(variables, 'variables') });
  }

  async throwJobError(jobKey: string, errorCode: string, errorMessage = '', variables?: Variables): Promise<void> {
    return this.jobs.answer({ kind: 'error', jobKey, errorCode, errorMessage, variables: plainObject(variables, 'variables') });
  }

  failJob(jobKey: string, o: { errorMessage: string; retries?: number; retryBackOffMs?: number }): Promise<void> {
    return this.jobs.fail(jobKey, o);
  }

  updateJobRetries(o: { jobKey: string; retries: number }): Promise<void> {
    return this.jobs.updateRetries(o.jobKey, o.retries);
  }

  resolveIncident(incidentKey: string): Promise<void> {
    return this.incidents.resolve(incidentKey);
  }

  async setVariables(o: { elementInstanceKey: string; variables: Variables; local?: boolean }): Promise<void> {
    return this.variables.set(String(o.elementInstanceKey), plainObject(o.variables, 'variables'), o.local === true);
  }

  createWorker<V extends Variables = Variables>(o: WorkerOptions<V>): JobWorker {
    if (this.closed) throw new EngineError('UNAVAILABLE', 'the engine is closed');
    const worker = new EmbeddedJobWorker(this, o as unknown as WorkerOptions, this.log);
    this.streaming.add(worker);
    return worker;
  }

  /** Fires every due timer, each in its own transaction. Safe with several processes: a timer fires once. */
  fireDueTimers(): Promise<number> {
    return this.timers.fireDueTimers();
  }

  /**
   * Deletes the audit rows and decision evaluations of the instances that ended more than the
   * retention ago, folding their visits and job failures into the ops page's rollup (what the
   * periodic pruner does). Safe with several processes: each instance is pruned once.
   */
  pruneAudit(): Promise<PruneResult> {
    return this.auditPruner.prune();
  }

  async close(): Promise<void> {
    this.closed = true;
    const timersStopped = this.timers.close();
    const prunerStopped = this.auditPruner.close();
    await this.streaming.close();
    await timersStopped;
    await prunerStopped;
  }
}
