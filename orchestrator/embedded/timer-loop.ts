// The timer loop: fires due timers, each in its own event transaction, every poll
// interval and early for a timer this process created that is due sooner; drops the
// timers of instances no longer active.
import type { SqlSession } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import type { InstanceEvents } from './instance-events.js';
import { dropTimersOfEndedInstances, dueTimers, DUE_TIMERS_PER_READ, takeTimer } from './store/timers.js';
import type { TransactionRunner } from './transactions.js';

const STUCK_PASS_MS = 10_000;

export type TimerLoopOptions = {
  sql: SqlSession;
  transactions: TransactionRunner;
  instances: InstanceEvents;
  log: Logger;
  pollIntervalMs: number;
  /** Poll at all (off for processes that only serve the API). */
  run: boolean;
  /** Timer start events, fired in each pass after the instances' timers (start-timers.ts). */
  startTimers?: { fireDue(stopped: () => boolean): Promise<number> };
};

export class TimerLoop {
  private readonly poll: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private running = false;
  private passStartedAt = 0;
  private stuckReported = false;
  private closed = false;

  constructor(private readonly o: TimerLoopOptions) {
    if (o.run) {
      this.poll = setInterval(() => {
        this.reportStuckPass();
        void this.fireDueTimers();
      }, o.pollIntervalMs);
      this.poll.unref();
    }
  }

  /** A timer due at `at` was created: fires the loop then, if that is before the next wake. */
  timerCreated(at: Date): void {
    if (this.closed || this.poll === undefined) return;
    const t = at.getTime();
    if (t >= this.wakeAt) return;
    if (this.wake) clearTimeout(this.wake);
    this.wakeAt = t;
    this.wake = setTimeout(
      () => {
        this.wakeAt = Infinity;
        void this.fireDueTimers();
      },
      Math.max(0, t - Date.now()) + 2,
    );
    this.wake.unref();
  }

  /** Fires every due timer, each in its own transaction. Safe with several processes: a timer fires once. */
  async fireDueTimers(): Promise<number> {
    if (this.running || this.closed) return 0;
    this.running = true;
    this.passStartedAt = Date.now();
    this.stuckReported = false;
    let fired = 0;
    const { sql, transactions, instances, log } = this.o;
    try {
      for (;;) {
        const due = await dueTimers(sql);
        for (const t of due) {
          if (this.closed) return fired;
          await transactions
            .event((tx) =>
              instances.onInstance(tx, t.process_instance_key, async (it) => {
                const timer = await takeTimer(tx, t.key);
                if (!timer) return; // fired by another process meanwhile
                fired++;
                await it.timerFired(timer);
              }),
            )
            .catch((err) => log.error({ err, timerKey: t.key, processInstanceKey: t.process_instance_key }, 'timer could not fire; it will be retried'));
        }
        if (due.length < DUE_TIMERS_PER_READ) break;
      }
      if (this.o.startTimers) fired += await this.o.startTimers.fireDue(() => this.closed);
      await dropTimersOfEndedInstances(sql);
    } catch (err) {
      if (!this.closed) log.error({ err }, 'timer loop failed; it will run again');
    } finally {
      this.running = false;
    }
    return fired;
  }

  /** A pass that never ends stops every timer of this process: said once per pass, loudly. */
  private reportStuckPass(): void {
    const runningMs = Date.now() - this.passStartedAt;
    if (!this.running || this.stuckReported || runningMs < STUCK_PASS_MS) return;
    this.stuckReported = true;
    this.o.log.error({ runningMs }, 'timer loop: a pass has been running for over 10 s; no timer of this process fires until it ends');
  }

  /** Stops the loop; resolves once a pass under way has ended. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.poll) clearInterval(this.poll);
    if (this.wake) clearTimeout(this.wake);
    while (this.running) await new Promise((r) => setTimeout(r, 5));
  }
}
