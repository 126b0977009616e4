// A job worker on Camunda 8: long-polls the REST job activation endpoint for one
// task type and answers jobs through the REST API (the handling itself:
// orchestrator/job-worker-base.ts).
// Why REST job workers, and why this loop: docs/decisions/0003-rest-job-workers.md
import type { Logger } from '../../infra/logger.js';
import type { Job, JobAction, WorkerOptions } from '../engine.js';
import { logIncidentRaised } from '../incident-log.js';
import { BaseJobWorker } from '../job-worker-base.js';
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

export class ZeebeJobWorker extends BaseJobWorker {
  /** For incident lines, which name the task type themselves. */
  private readonly incidentLog: Logger;
  private readonly pollTimeoutMs: number;
  private readonly requestMarginMs: number;
  private readonly idlePollIntervalMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private readonly random: () => number;
  private failures = 0;
  private activation: Activation | undefined;
  protected override readonly unfinishedJobsNote = 'Zeebe offers their jobs again when their locks expire';

  constructor(
    /** `activation` long-polls; `commands` answers jobs (kept apart so long polls never queue answers behind them). */
    private readonly clients: { activation: Pick<ZeebeApi, 'activateJobs'>; commands: Pick<ZeebeApi, 'completeJob' | 'failJob' | 'throwJobError'> },
    options: WorkerOptions,
    private readonly settings: ZeebeWorkerOptions,
  ) {
    super(options, settings.logger, { component: 'zeebe-worker' });
    this.incidentLog = settings.logger.child({ component: 'zeebe-worker', worker: this.workerName });
    this.pollTimeoutMs = settings.pollTimeoutMs ?? 20_000;
    this.requestMarginMs = settings.requestMarginMs ?? 10_000;
    this.idlePollIntervalMs = settings.idlePollIntervalMs ?? 100;
    this.backoffInitialMs = settings.backoff?.initialMs ?? 250;
    this.backoffMaxMs = settings.backoff?.maxMs ?? 30_000;
    this.random = settings.random ?? Math.random;
    this.start();
  }

  /** Full jitter (AWS architecture blog): spreads the workers of many processes after a gateway comes back. */
  private backoffMs(): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(this.failures - 1, 20));
    return Math.round(this.random() * ceiling);
  }

  private async activate(capacity: number): Promise<ActivatedJob[]> {
    const activation = this.clients.activation.activateJobs({
      type: this.taskType,
      worker: this.workerName,
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

  protected override async run(): Promise<void> {
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
      for (const raw of jobs) void this.handle(toJob(raw));
      if (jobs.length === 0 && Date.now() - started < this.idlePollIntervalMs) await this.pause.sleep(this.idlePollIntervalMs);
    }
  }

  /** Rejects with the port's EngineError (NOT_FOUND: answered elsewhere); logs the incident a last failure raises. */
  protected override async answer(job: Job, action: JobAction): Promise<void> {
    const { commands } = this.clients;
    try {
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
    } catch (err) {
      throw toEngineError(err, `answering job ${job.key}`);
    }
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
  }

  protected override logUnanswered(err: unknown, log: Logger, job: Job): void {
    const e = toEngineError(err, `answering job ${job.key}`);
    log.error({ err: e.message, code: e.code }, 'could not answer the job; Zeebe offers it again when its lock expires');
  }

  /** Stops polling: an activation in flight is cancelled. */
  protected override stopActivation(): void {
    this.activation?.cancel();
  }
}
