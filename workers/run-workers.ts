// Registers the saga's workers on an engine. Each job gets a log line carrying
// the order id and process instance key, so one order's story can be grepped, and
// is counted (duration, failures, retries) here rather than in the engine: the
// same workers run on the embedded engine and on Camunda 8.
import type { Engine, JobAction, JobWorker } from '../orchestrator/engine.js';
import { answerFailure } from './failure-policy.js';
import type { JobOutcome, OrderVariables, SagaWorker, WorkerDeps } from './saga-worker.js';

export type RunWorkersOptions = {
  /** Jobs per worker in the handler at once. */
  maxJobsToActivate?: number;
  /** Lock per job (ms): a job not answered by then is offered again. */
  timeoutMs?: number;
  /** On close, how long running handlers may still answer their jobs (ms). */
  closeGraceMs?: number;
};

const OUTCOMES: Record<JobAction['action'], JobOutcome> = { complete: 'complete', fail: 'fail', error: 'bpmn_error' };

function describe(answer: JobAction): Record<string, unknown> {
  if (answer.action === 'complete') return { answer: 'complete' };
  if (answer.action === 'error') return { answer: 'bpmn-error', errorCode: answer.errorCode };
  return { answer: 'fail', retriesLeft: answer.retries, retryBackOffMs: answer.retryBackOffMs, error: answer.errorMessage };
}

export function runWorkers(engine: Engine, workers: readonly SagaWorker[], deps: WorkerDeps, options: RunWorkersOptions = {}): JobWorker[] {
  return workers.map((worker) =>
    engine.createWorker<OrderVariables>({
      taskType: worker.taskType,
      maxJobsToActivate: options.maxJobsToActivate ?? 16,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.closeGraceMs !== undefined ? { closeGraceMs: options.closeGraceMs } : {}),
      handler: async (job) => {
        const log = deps.logger.child({ orderId: job.variables.orderId, processInstanceKey: job.processInstanceKey, jobKey: job.key, taskType: job.type });
        const started = performance.now();
        let answer: JobAction;
        try {
          answer = await worker.handle(job, { ...deps, logger: log });
        } catch (err) {
          answer = answerFailure(job, err, deps.retryBackoffMs);
        }
        const elapsed = performance.now() - started;
        const ms = Math.round(elapsed * 10) / 10;
        // The engine's rule when a failure names no retries: one fewer than the job had.
        const retriesLeft = answer.action === 'fail' ? (answer.retries ?? job.retries - 1) : undefined;
        deps.metrics?.jobAnswered(job.type, OUTCOMES[answer.action], elapsed / 1000, retriesLeft);
        // A failed attempt is a warning, the last one too: the incident it raises is logged once at
        // error by the engine that raised it, after it did (orchestrator/incident-log.ts).
        if (answer.action === 'fail') log.warn({ ...describe(answer), ms }, `job ${job.type} failed`);
        else log.info({ ...describe(answer), ms }, `job ${job.type} done`);
        return answer;
      },
    }),
  );
}
