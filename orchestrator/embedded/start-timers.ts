// Timer start events (Zeebe): deploying a version schedules a timer for each of its timer
// start events and cancels those of the older versions; each firing starts a new instance
// at that start event, and a cycle schedules its next repetition. The timers are rows, so
// they survive a restart, and each fires once across processes (take, then fire).
import type { SqlSession } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import type { Definition, Definitions } from './definitions.js';
import { evaluateValue } from './feel.js';
import type { InstanceEvents } from './instance-events.js';
import type { KeyAllocator } from './keys.js';
import { UnsupportedModelError, type TimerDef } from './model.js';
import { deleteStartTimersOf, dueStartTimers, insertStartTimer, nextStartTimerDue, takeStartTimer } from './store/start-events.js';
import { DUE_TIMERS_PER_READ } from './store/timers.js';
import { firstDue, nextCycleDue } from './timer-definition.js';
import type { TransactionRunner } from './transactions.js';

export type StartTimersOptions = {
  sql: SqlSession;
  keys: KeyAllocator;
  definitions: Definitions;
  transactions: TransactionRunner;
  instances: InstanceEvents;
  /** A start timer was created: the timer loop wakes for it if it is due before the next poll. */
  timerCreated: (dueAt: Date) => void;
  log: Logger;
};

/** When a timer start event first fires: its definition is evaluated without variables (there is no instance yet). */
function firstStartDue(timer: TimerDef, now: Date) {
  const value = String(evaluateValue(timer.expression, {}));
  return firstDue(timer.kind === 'date' ? { kind: 'date', date: value } : { kind: 'cycle', cycle: value }, now);
}

export class StartTimers {
  constructor(private readonly o: StartTimersOptions) {}

  /** A new version of a process was deployed (in `tx`): the older versions' start timers are cancelled, this one's scheduled. */
  async versionDeployed(tx: SqlSession, def: Definition): Promise<void> {
    await deleteStartTimersOf(tx, def.bpmnProcessId);
    const now = new Date();
    for (const elementId of def.model.root.timerStarts) {
      const timer = def.model.nodes.get(elementId)?.timer;
      if (!timer) continue;
      let due: ReturnType<typeof firstDue>;
      try {
        due = firstStartDue(timer, now);
      } catch (err) {
        throw new UnsupportedModelError([{ elementId, type: 'startEvent', reason: (err as Error).message }]);
      }
      await insertStartTimer(tx, {
        key: await this.o.keys.take(tx),
        processDefinitionKey: def.key,
        bpmnProcessId: def.bpmnProcessId,
        elementId,
        dueAt: due.dueAt,
        repetitionsLeft: due.repetitionsLeft,
        interval: due.interval ?? null,
      });
    }
  }

  /** When the next start timer is due (the timer loop wakes then). */
  nextDue(): Promise<Date | undefined> {
    return nextStartTimerDue(this.o.sql);
  }

  /** Fires every due start timer, each in its own transaction; stops early once `stopped` says so. */
  async fireDue(stopped: () => boolean): Promise<number> {
    let fired = 0;
    for (;;) {
      const due = await dueStartTimers(this.o.sql);
      for (const key of due) {
        if (stopped()) return fired;
        const started = await this.o.transactions
          .event((tx) => this.fire(tx, key))
          .catch((err) => {
            this.o.log.error({ err, timerKey: key }, 'timer start event could not fire; it will be retried');
            return false;
          });
        if (started) fired++;
      }
      if (due.length < DUE_TIMERS_PER_READ) return fired;
    }
  }

  /** Starts an instance at the timer's start event; false when another process fired it (or a deployment cancelled it) meanwhile. */
  private async fire(tx: SqlSession, key: string): Promise<boolean> {
    const timer = await takeStartTimer(tx, key);
    if (!timer) return false;
    const def = await this.o.definitions.get(tx, timer.processDefinitionKey);
    const { state } = await this.o.instances.newInstance(tx, def, {}, timer.elementId);
    await this.o.instances.save(tx, [state]);
    const next = timer.interval && timer.repetitionsLeft !== 0 ? nextCycleDue(timer.interval, timer.dueAt, timer.repetitionsLeft) : undefined;
    if (next) {
      await insertStartTimer(tx, { ...timer, key: await this.o.keys.take(tx), dueAt: next.dueAt, repetitionsLeft: next.repetitionsLeft });
      this.o.transactions.afterCommit(tx, () => this.o.timerCreated(next.dueAt));
    }
    return true;
  }
}
