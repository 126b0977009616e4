// A job worker of the embedded engine: activates jobs of one type in batches, runs
// the handler, and answers with exactly one of complete, fail or BPMN error. It is
// woken the moment this process creates a job of its type, and polls for jobs made
// by other processes or whose lock expired.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../infra/logger.js';
import { answerOf, EngineError, type Job, type JobWorker, type WorkerOptions } from '../engine.js';
import { WakeableSleep } from '../wakeable-sleep.js';
import type { EmbeddedEngine } from './embedded-engine.js';

export class EmbeddedJobWorker implements JobWorker {
  readonly taskType: string;
  private readonly max: number;
  private readonly timeout: number;
  private readonly name: string;
  private readonly log: Logger;
  private inFlight = 0;
  /** Jobs promised to this worker by transactions not yet committed. */
  private reserved = 0;
  private closed = false;
  private readonly pause = new WakeableSleep();
  private readonly loop: Promise<void>;
  private readonly closeListeners: (() => void)[] = [];
  private readonly onJobs = (type: string) => {
    if (type !== this.taskType) return;
    this.pause.wake({ remember: true });
  };

  constructor(
    private readonly engine: EmbeddedEngine,
    private readonly options: WorkerOptions,
    logger: Logger,
  ) {
    this.taskType = options.taskType;
    this.max = options.maxJobsToActivate ?? 32;
    this.timeout = options.timeout ?? 30_000;
    this.name = options.workerName ?? `${options.taskType}-${randomUUID().slice(0, 8)}`;
    this.log = logger.child({ worker: this.name, taskType: this.taskType });
    engine.events.on('jobs', this.onJobs);
    this.loop = this.run();
  }

  get workerName(): string {
    return this.name;
  }

  get lockMs(): number {
    return this.timeout;
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

  onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const capacity = this.max - this.inFlight - this.reserved;
      if (capacity <= 0) {
        await this.pause.sleep(this.engine.jobPollIntervalMs);
        continue;
      }
      let jobs: Job[];
      try {
        jobs = await this.engine.activateJobs(this.taskType, capacity, this.timeout, this.name);
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

  private async handle(job: Job): Promise<void> {
    this.inFlight++;
    const log = this.log.child({ jobKey: job.key, processInstanceKey: job.processInstanceKey, elementId: job.elementId });
    const action = await answerOf(this.options.handler, job, (err) => log.warn({ err }, 'job handler threw; failing the job'));
    try {
      if (action.action === 'complete') await this.engine.completeJob(job.key, action.variables);
      else if (action.action === 'fail')
        await this.engine.failJob(job.key, {
          errorMessage: action.errorMessage,
          retries: action.retries ?? job.retries - 1,
          retryBackOffMs: action.retryBackOffMs,
        });
      else await this.engine.throwJobError(job.key, action.errorCode, action.errorMessage, action.variables);
    } catch (err) {
      // NOT_FOUND: the job timed out and another worker answered it, or its element was left. At-least-once: nothing to do.
      if (err instanceof EngineError && err.code === 'NOT_FOUND') log.debug({ err: err.message }, 'job answer not accepted');
      else if (!this.closed) log.error({ err }, 'could not answer the job; it will be offered again after its lock expires');
    } finally {
      this.inFlight--;
      // Room again: a loop asleep for lack of capacity looks for more work.
      this.pause.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return this.loop;
    this.closed = true;
    this.engine.events.off('jobs', this.onJobs);
    this.pause.wake();
    await this.loop;
    // Graceful: let handlers already running answer their jobs, for at most one lock
    // duration; past that their jobs are offered to other workers anyway.
    const giveUpAt = Date.now() + (this.options.closeGraceMs ?? this.timeout);
    while (this.inFlight > 0 && Date.now() < giveUpAt) await new Promise((r) => setTimeout(r, 5));
    if (this.inFlight > 0)
      this.log.warn({ inFlight: this.inFlight }, 'closed with handlers still running; their jobs will be re-offered when their locks expire');
    for (const fn of this.closeListeners) fn();
  }
}
