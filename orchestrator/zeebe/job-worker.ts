// A job worker on Camunda 8: long-polls the REST job activation endpoint for one
// task type, runs the handler, and answers with exactly one of complete, fail
// or a BPMN error.
// Why REST job workers, and why this loop: docs/decisions/0003-rest-job-workers.md
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../infra/logger.js';
import { answerOf, type Job, type JobAction, type JobWorker, type WorkerOptions } from '../engine.js';
import { logIncidentRaised } from '../incident-log.js';
import { WakeableSleep } from '../wakeable-sleep.js';
import type { ZeebeApi } from './client.js';
import { toEngineError } from './errors.js';

export type ZeebeWorkerOptions = {
  logger: Logger;
  tenantIds?: string[];
  /** Server-side long-poll duration of one activation request (ms). */
  pollTimeoutMs?: number;
  /** Extra time the client waits past the long poll before it cancels the request (ms). */
  requestMarginMs?: number;
  /** Pause after an activation that returned no jobs (ms); guards against a gateway that does not long-poll. */
  idlePollIntervalMs?: number;
  /** Back-off after failed activations: full jitter over initialMs · 2ⁿ, capped at maxMs. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** For tests: the jitter source. */
  random?: () => number;
};

type ActivatedJob = Awaited<ReturnType<ZeebeApi['activateJobs']>>['jobs'][number];
type Activation = ReturnType<ZeebeApi['activateJobs']>;

/** Zeebe's custom headers are strings; the REST API types them loosely. */
function headers(raw: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return out;
}

/** The REST API's activated job as the engine port's Job. */
export function toJob(raw: ActivatedJob): Job {
  return {
    key: String(raw.jobKey),
    type: raw.type,
    processInstanceKey: String(raw.processInstanceKey),
    bpmnProcessId: raw.processDefinitionId,
    processDefinitionKey: String(raw.processDefinitionKey),
    elementId: raw.elementId,
    elementInstanceKey: String(raw.elementInstanceKey),
    customHeaders: headers(raw.customHeaders),
    variables: (raw.variables ?? {}) as Job['variables'],
    retries: raw.retries,
    deadline: new Date(raw.deadline),
    worker: raw.worker,
  };
}

/** The retries a failure leaves: as answered, else one fewer than the job had (never below 0). */
function retriesOf(job: Job, action: Extract<JobAction, { action: 'fail' }>): number {
  return Math.max(0, Math.trunc(action.retries ?? job.retries - 1));
}

export class ZeebeJobWorker implements JobWorker {
  readonly taskType: string;
  private readonly max: number;
  private readonly timeoutMs: number;
  private readonly name: string;
  private readonly log: Logger;
  /** For incident lines, which name the task type themselves. */
  private readonly incidentLog: Logger;
  private readonly pollTimeoutMs: number;
  private readonly requestMarginMs: number;
  private readonly idlePollIntervalMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly random: () => number;
  private inFlight = 0;
  private closed = false;
  private failures = 0;
  private activation: Activation | undefined;
  private readonly pause = new WakeableSleep();
  private readonly loop: Promise<void>;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    /** `activation` long-polls; `commands` answers jobs (kept apart so long polls never queue answers behind them). */
    private readonly clients: { activation: Pick<ZeebeApi, 'activateJobs'>; commands: Pick<ZeebeApi, 'completeJob' | 'failJob' | 'throwJobError'> },
    private readonly options: WorkerOptions,
    private readonly settings: ZeebeWorkerOptions,
  ) {
    this.taskType = options.taskType;
    this.max = options.maxJobsToActivate ?? 32;
    this.timeoutMs = options.timeout ?? 30_000;
    this.name = options.workerName ?? `${options.taskType}-${randomUUID().slice(0, 8)}`;
    this.log = settings.logger.child({ component: 'zeebe-worker', worker: this.name, taskType: this.taskType });
    this.incidentLog = settings.logger.child({ component: 'zeebe-worker', worker: this.name });
    this.pollTimeoutMs = settings.pollTimeoutMs ?? 20_000;
    this.requestMarginMs = settings.requestMarginMs ?? 10_000;
    this.idlePollIntervalMs = settings.idlePollIntervalMs ?? 100;
    this.backoffInitialMs = settings.backoff?.initialMs ?? 250;
    this.backoffMaxMs = settings.backoff?.maxMs ?? 30_000;
    this.random = settings.random ?? Math.random;
    this.loop = this.run();
  }

  get workerName(): string {
    return this.name;
  }

  onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  /** Full jitter (AWS architecture blog): spreads the workers of many processes after a gateway comes back. */
  private backoffMs(): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(this.random() * ceiling);
  }

  private async activate(capacity: number): Promise<ActivatedJob[]> {
    const activation = this.clients.activation.activateJobs({
      type: this.taskType,
      worker: this.name,
      maxJobsToActivate: capacity,
      timeout: this.timeoutMs,
      requestTimeout: this.pollTimeoutMs,
      ...(this.settings.tenantIds ? { tenantIds: this.settings.tenantIds } : {}),
    });
    this.activation = activation;
    // The gateway answers a long poll by requestTimeout; silence past the margin is a dead connection.
    let expired = false;
    const deadline = setTimeout(() => {
      expired = true;
      activation.cancel();
    }, this.pollTimeoutMs + this.requestMarginMs);
    try {
      return (await activation).jobs ?? [];
    } catch (err) {
      if (expired) throw new Error(`no answer to the job activation within ${this.pollTimeoutMs + this.requestMarginMs} ms; reconnecting`, { cause: err });
      throw err;
    } finally {
      clearTimeout(deadline);
      this.activation = undefined;
    }
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const capacity = this.max - this.inFlight;
      if (capacity <= 0) {
        await this.pause.sleep(this.pollTimeoutMs); // woken when a handler finishes
        continue;
      }
      const started = Date.now();
      let jobs: ActivatedJob[];
      try {
        jobs = await this.activate(capacity);
      } catch (err) {
        if (this.closed) break;
        this.failures++;
        const delay = this.backoffMs();
        const e = toEngineError(err, 'job activation');
        const what = e.code === 'RESOURCE_EXHAUSTED' ? 'the cluster signals back-pressure' : 'job activation failed';
        // The first failure and then every tenth: a long outage should not flood the log.
        if (this.failures === 1 || this.failures % 10 === 0)
          this.log.warn({ err: e.message, code: e.code, failures: this.failures, retryInMs: delay }, `${what}; polling again after a back-off`);
        await this.pause.sleep(delay);
        continue;
      }
      if (this.failures > 0) this.log.info({ failures: this.failures }, 'job activation works again');
      this.failures = 0;
      for (const raw of jobs) void this.handle(raw);
      if (jobs.length === 0 && Date.now() - started < this.idlePollIntervalMs) await this.pause.sleep(this.idlePollIntervalMs);
    }
  }

  private async handle(raw: ActivatedJob): Promise<void> {
    this.inFlight++;
    const job = toJob(raw);
    const log = this.log.child({ jobKey: job.key, processInstanceKey: job.processInstanceKey, elementId: job.elementId });
    const action = await answerOf(this.options.handler, job, (err) => log.warn({ err }, 'job handler threw; failing the job'));
    try {
      await this.answer(job, action);
      // Accepted: a failure with no retries left is an incident now (Zeebe raises it; Operate shows it).
      if (action.action === 'fail' && retriesOf(job, action) === 0) {
        logIncidentRaised(this.incidentLog, {
          processInstanceKey: job.processInstanceKey,
          bpmnProcessId: job.bpmnProcessId,
          elementId: job.elementId,
          taskType: job.type,
          jobKey: job.key,
          errorType: 'JOB_NO_RETRIES',
          errorMessage: action.errorMessage,
          variables: job.variables,
        });
      }
    } catch (err) {
      const e = toEngineError(err, `answering job ${job.key}`);
      // NOT_FOUND: the job's lock expired and it was answered elsewhere, or its element was left (at-least-once).
      if (e.code === 'NOT_FOUND') log.debug({ err: e.message }, 'job answer not accepted');
      else log.error({ err: e.message, code: e.code }, 'could not answer the job; Zeebe offers it again when its lock expires');
    } finally {
      this.inFlight--;
      this.pause.wake();
    }
  }

  private async answer(job: Job, action: JobAction): Promise<void> {
    const { commands } = this.clients;
    if (action.action === 'complete') {
      await commands.completeJob({ jobKey: job.key, variables: action.variables ?? {} });
    } else if (action.action === 'fail') {
      await commands.failJob({
        jobKey: job.key,
        errorMessage: action.errorMessage,
        retries: retriesOf(job, action),
        // The port and the REST API both count the back-off in milliseconds.
        retryBackOff: Math.max(0, Math.trunc(action.retryBackOffMs ?? 0)),
      });
    } else {
      await commands.throwJobError({
        jobKey: job.key,
        errorCode: action.errorCode,
        ...(action.errorMessage !== undefined ? { errorMessage: action.errorMessage } : {}),
        ...(action.variables ? { variables: action.variables } : {}),
      });
    }
  }

  /** Stops polling (an activation in flight is cancelled), then lets running handlers answer, for at most the grace time. */
  async close(): Promise<void> {
    if (this.closed) return this.loop;
    this.closed = true;
    this.activation?.cancel();
    this.pause.wake();
    await this.loop;
    const giveUpAt = Date.now() + (this.options.closeGraceMs ?? this.timeoutMs);
    while (this.inFlight > 0 && Date.now() < giveUpAt) await new Promise((r) => setTimeout(r, 10));
    if (this.inFlight > 0)
      this.log.warn({ inFlight: this.inFlight }, 'closed with handlers still running; Zeebe offers their jobs again when their locks expire');
    for (const fn of this.closeListeners) fn();
  }
}
