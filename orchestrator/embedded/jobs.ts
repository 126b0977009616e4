// Job commands: activation for polling workers, answers (complete, BPMN error) batched
// into one transaction, failure (an incident when no retries are left), new retries,
// and reclaiming the locks of a process that died.
import type { EventEmitter } from 'node:events';
import type { SqlSession } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import { EngineError, type Job, type Variables } from '../engine.js';
import { logIncidentRaised, type RaisedIncident } from '../incident-log.js';
import { Batcher, type Pending } from './batcher.js';
import type { InstanceEvents } from './instance-events.js';
import type { JobStreaming } from './job-streaming.js';
import type { KeyAllocator } from './keys.js';
import { visibleVariables, type InstanceState } from './state.js';
import { insertJobIncident } from './store/incidents.js';
import { activeScopes, instanceVariables, loadInstances, lockInstancesOfJobs } from './store/instances.js';
import { activateJobs, auditJobFailed, expireJobLocks, failJob, updateJobRetries } from './store/jobs.js';
import type { TransactionRunner } from './transactions.js';

export type JobAnswer =
  { kind: 'complete'; jobKey: string; variables: Variables } | { kind: 'error'; jobKey: string; errorCode: string; errorMessage: string; variables: Variables };

export type JobsOptions = {
  /** The database runs one transaction at a time (PGlite), so row locks are moot. */
  exclusive: boolean;
  /** Answer transactions in flight at once. */
  maxConcurrent: number;
  sql: SqlSession;
  keys: KeyAllocator;
  transactions: TransactionRunner;
  instances: InstanceEvents;
  streaming: JobStreaming;
  events: EventEmitter;
  log: Logger;
};

export class Jobs {
  private readonly answers: Batcher<JobAnswer, void>;

  constructor(private readonly o: JobsOptions) {
    this.answers = new Batcher<JobAnswer, void>((batch) => this.answerBatch(batch), { maxBatch: 200, maxConcurrent: o.maxConcurrent });
  }

  /** Activates up to `max` jobs of a type: a lock until now + timeout; an expired lock is taken over. */
  async activate(type: string, max: number, timeoutMs: number, worker: string): Promise<Job[]> {
    return this.o.transactions.run(async (tx) => {
      const rows = await activateJobs(tx, type, max, timeoutMs, worker);
      if (rows.length === 0) return [];
      // Local variables (input mappings, sub-process scopes) along each job's scope chain.
      const locals = await activeScopes(tx, [...new Set(rows.map((r) => r.process_instance_key))]);
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

  answer(a: JobAnswer): Promise<void> {
    return this.answers.submit(a);
  }

  /** Answers a batch of jobs in one transaction: lock their instances, claim the jobs, interpret, save. */
  private async answerBatch(batch: Pending<JobAnswer, void>[]): Promise<void> {
    const failed = new Map<Pending<JobAnswer, void>, unknown>();
    await this.o.transactions.event(async (tx) => {
      failed.clear();
      const jobKeys = batch.map((p) => p.command.jobKey);
      // PGlite runs one transaction at a time: nothing can change an instance under us, no lock needed.
      const locked = this.o.exclusive ? undefined : await lockInstancesOfJobs(tx, jobKeys);
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
        const it = await this.o.instances.interpreter(tx, state);
        if (a.kind === 'complete') await it.jobCompleted(ei, a.variables);
        else await it.jobErrorThrown(ei, a.jobKey, a.errorCode, a.errorMessage, a.variables);
        this.o.streaming.pushJobs(tx, state, it);
        touched.add(state);
      }
      await this.o.instances.save(tx, [...touched]);
    });
    for (const p of batch) {
      if (failed.has(p)) p.reject(failed.get(p));
      else p.resolve();
    }
  }

  async fail(jobKey: string, o: { errorMessage: string; retries?: number; retryBackOffMs?: number }): Promise<void> {
    const retries = Math.max(0, Math.trunc(o.retries ?? 0));
    const backOff = Math.max(0, Math.trunc(o.retryBackOffMs ?? 0));
    const { events } = this.o;
    const type = await this.o.transactions.event(async (tx) => {
      const job = await failJob(tx, jobKey, retries, backOff, o.errorMessage);
      if (!job) throw new EngineError('NOT_FOUND', `job ${jobKey} is not activated`);
      await auditJobFailed(tx, jobKey);
      if (retries === 0) {
        // Zeebe: a job failed with no retries left raises an incident; an operator fixes retries and resolves it.
        const incidentKey = await this.o.keys.take(tx);
        const errorMessage = o.errorMessage || 'job failed with no retries left';
        await insertJobIncident(tx, incidentKey, jobKey, job, errorMessage);
        const raised: RaisedIncident = {
          incidentKey,
          processInstanceKey: job.process_instance_key,
          bpmnProcessId: job.bpmn_process_id,
          elementId: job.element_id,
          taskType: job.type,
          jobKey,
          errorType: 'JOB_NO_RETRIES',
          errorMessage,
          // For the alarm's order id (the saga's instances carry `orderId`).
          variables: (await instanceVariables(tx, job.process_instance_key)) ?? {},
        };
        this.o.transactions.afterCommit(tx, () => logIncidentRaised(this.o.log, raised));
      }
      return job.type;
    });
    if (retries > 0) {
      if (backOff > 0) setTimeout(() => events.emit('jobs', type), backOff + 5).unref();
      else events.emit('jobs', type);
    }
  }

  async updateRetries(jobKey: string, retries: number): Promise<void> {
    if (!Number.isInteger(retries) || retries < 1) throw new EngineError('INVALID_ARGUMENT', 'retries must be a whole number of at least 1');
    if (!(await updateJobRetries(this.o.sql, jobKey, retries))) throw new EngineError('NOT_FOUND', `job ${jobKey} does not exist`);
  }

  /**
   * Makes every activated job activatable now, as if its lock had expired. Only
   * for a database no other process can use (PGlite: one process per data
   * directory), at start-up: every lock found then belongs to a process that died,
   * and waiting out its timeout would only delay the orders behind it.
   */
  async expireOrphanedLocks(): Promise<number> {
    if (!this.o.exclusive) throw new EngineError('FAILED_PRECONDITION', 'job locks can be reclaimed only on a database one process owns (PGlite)');
    return this.o.transactions.run((tx) => expireJobLocks(tx));
  }
}
