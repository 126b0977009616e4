// What the job workers of both engines share: count the jobs in the handler, answer
// each with exactly one of complete, fail or BPMN error, take NOT_FOUND on an answer as
// "answered elsewhere", wake the activation loop when room frees, and close gracefully.
// Each engine's worker supplies its activation loop and how an answer reaches its engine.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../infra/logger.js';
import { answerOf, EngineError, type Job, type JobAction, type JobWorker, type WorkerOptions } from './engine.js';
import { WakeableSleep } from './wakeable-sleep.js';

export abstract class BaseJobWorker implements JobWorker {
  readonly taskType: string;
  /** At most this many jobs in the handler at once. */
  protected readonly max: number;
  /** The lock taken at activation (ms). */
  protected readonly timeoutMs: number;
  private readonly name: string;
  protected readonly log: Logger;
  protected inFlight = 0;
  protected closed = false;
  /** The activation loop's pause: woken when a handler frees room and on close. */
  protected readonly pause = new WakeableSleep();
  /** Set by start(), once the adapter's own fields exist. */
  private loop!: Promise<void>;
  private readonly closeListeners: (() => void)[] = [];
  /** The end of close()'s warning about handlers still running: what becomes of their jobs. */
  protected abstract readonly unfinishedJobsNote: string;

  /** `bindings`: log fields of the adapter's own, before the worker's name and task type. */
  protected constructor(
    private readonly options: WorkerOptions,
    logger: Logger,
    bindings: Record<string, unknown> = {},
  ) {
    this.taskType = options.taskType;
    this.max = options.maxJobsToActivate ?? 32;
    this.timeoutMs = options.timeout ?? 30_000;
    this.name = options.workerName ?? `${options.taskType}-${randomUUID().slice(0, 8)}`;
    this.log = logger.child({ ...bindings, worker: this.name, taskType: this.taskType });
  }

  get workerName(): string {
    return this.name;
  }

  onClose(fn: () => void): void {
    this.closeListeners.push(fn);
  }

  /** Called last by the adapter's constructor: its loop reads fields a base constructor cannot see yet. */
  protected start(): void {
    this.loop = this.run();
  }

  /** Activates jobs and hands each to handle() until the worker is closed. */
  protected abstract run(): Promise<void>;

  /** Sends the handler's answer to the engine; rejects with EngineError('NOT_FOUND') for a job the engine no longer has. */
  protected abstract answer(job: Job, action: JobAction): Promise<void>;

  /** Logs an answer the engine did not take (other than NOT_FOUND). */
  protected abstract logUnanswered(err: unknown, log: Logger, job: Job): void;

  /** Ends activation on close: no new activation starts, one waiting is let go. */
  protected abstract stopActivation(): void;

  protected async handle(job: Job): Promise<void> {
    this.inFlight++;
    const log = this.log.child({ jobKey: job.key, processInstanceKey: job.processInstanceKey, elementId: job.elementId });
    const action = await answerOf(this.options.handler, job, (err) => log.warn({ err }, 'job handler threw; failing the job'));
    try {
      await this.answer(job, action);
    } catch (err) {
      // NOT_FOUND: the job's lock expired and another worker answered it, or its element was left. At-least-once: nothing to do.
      if (err instanceof EngineError && err.code === 'NOT_FOUND') log.debug({ err: err.message }, 'job answer not accepted');
      else this.logUnanswered(err, log, job);
    } finally {
      this.inFlight--;
      // Room again: a loop asleep for lack of capacity looks for more work.
      this.pause.wake();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return this.loop;
    this.closed = true;
    this.stopActivation();
    this.pause.wake();
    await this.loop;
    // Graceful: let handlers already running answer their jobs, for at most one lock
    // duration; past that their jobs are offered to other workers anyway.
    const giveUpAt = Date.now() + (this.options.closeGraceMs ?? this.timeoutMs);
    while (this.inFlight > 0 && Date.now() < giveUpAt) await new Promise((r) => setTimeout(r, 5));
    if (this.inFlight > 0) this.log.warn({ inFlight: this.inFlight }, `closed with handlers still running; ${this.unfinishedJobsNote}`);
    for (const fn of this.closeListeners) fn();
  }
}
