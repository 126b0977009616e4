// A job worker of the embedded engine: activates jobs of one type in batches and
// answers them through the engine (the handling itself: orchestrator/job-worker-base.ts).
// It is woken the moment this process creates a job of its type, and polls for jobs
// made by other processes or whose lock expired.
import type { Logger } from '../../infra/logger.js';
import type { Job, JobAction, WorkerOptions } from '../engine.js';
import { BaseJobWorker } from '../job-worker-base.js';
import type { EmbeddedEngine } from './embedded-engine.js';

export class EmbeddedJobWorker extends BaseJobWorker {
  /** Jobs promised to this worker by transactions not yet committed. */
  private reserved = 0;
  protected override readonly unfinishedJobsNote = 'their jobs will be re-offered when their locks expire';
  private readonly onJobs = (type: string) => {
    if (type !== this.taskType) return;
    this.pause.wake({ remember: true });
  };

  constructor(
    private readonly engine: EmbeddedEngine,
    options: WorkerOptions,
    logger: Logger,
  ) {
    super(options, logger);
    engine.events.on('jobs', this.onJobs);
    this.start();
  }

  get lockMs(): number {
    return this.timeoutMs;
  }

  /** Job streaming: takes a job at creation if there is room (the push follows after commit). */
  offer(): boolean {
    if (this.closed || this.inFlight + this.reserved >= this.max) return false;
    this.reserved++;
    return true;
  }

  push(job: Job): void {
    this.reserved--;
    void this.handle(job);
  }

  withdraw(): void {
    this.reserved--;
  }

  protected override async run(): Promise<void> {
    while (!this.closed) {
      const capacity = this.max - this.inFlight - this.reserved;
      if (capacity <= 0) {
        await this.pause.sleep(this.engine.jobPollIntervalMs);
        continue;
      }
      let jobs: Job[];
      try {
        jobs = await this.engine.activateJobs(this.taskType, capacity, this.timeoutMs, this.workerName);
      } catch (err) {
        if (this.closed) break;
        this.log.error({ err }, 'job activation failed; retrying');
        await this.pause.sleep(Math.min(this.engine.jobPollIntervalMs, 1_000));
        continue;
      }
      for (const job of jobs) void this.handle(job);
      if (jobs.length < capacity) await this.pause.sleep(this.engine.jobPollIntervalMs);
    }
  }

  /** Not async: handle() awaits the engine's own promise, no extra step per job. */
  protected override answer(job: Job, action: JobAction): Promise<void> {
    if (action.action === 'complete') return this.engine.completeJob(job.key, action.variables);
    if (action.action === 'fail')
      return this.engine.failJob(job.key, {
        errorMessage: action.errorMessage,
        retries: action.retries ?? job.retries - 1,
        retryBackOffMs: action.retryBackOffMs,
      });
    return this.engine.throwJobError(job.key, action.errorCode, action.errorMessage, action.variables);
  }

  protected override logUnanswered(err: unknown, log: Logger): void {
    if (!this.closed) log.error({ err }, 'could not answer the job; it will be offered again after its lock expires');
  }

  protected override stopActivation(): void {
    this.engine.events.off('jobs', this.onJobs);
  }
}
