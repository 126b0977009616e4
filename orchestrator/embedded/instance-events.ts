// One event against process instances, inside an event transaction: lock and load the
// instance, interpret, hand its new jobs to local workers, do what it asked of the other
// instances of its call tree (call-activities.ts), save, deliver the signals it threw
// (signals.ts); once the transaction committed, tell workers, the timer loop and
// listeners what it created or ended.
import type { EventEmitter } from 'node:events';
import type { SqlSession } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import type { Variables } from '../engine.js';
import { logIncidentRaised, type RaisedIncident } from '../incident-log.js';
import { CallActivities } from './call-activities.js';
import type { Definition, Definitions } from './definitions.js';
import { Interpreter, type MessageBuffer } from './interpreter.js';
import type { JobStreaming } from './job-streaming.js';
import type { KeyAllocator } from './keys.js';
import { InstanceState, type ParentLink } from './state.js';
import { loadInstances, lockInstances, saveInstances, type SaveResult } from './store/instances.js';
import type { TransactionRunner } from './transactions.js';

export type Started = { processInstanceKey: string; bpmnProcessId: string; version: number; processDefinitionKey: string };

export type InstanceEventsOptions = {
  /** The database runs one transaction at a time (PGlite), so row locks are moot. */
  exclusive: boolean;
  keys: KeyAllocator;
  definitions: Definitions;
  transactions: TransactionRunner;
  streaming: JobStreaming;
  buffer: MessageBuffer;
  /** The engine's: 'jobs' (type) when jobs are created; 'instance' ({key, state}) when an instance ends. */
  events: EventEmitter;
  /** A timer was created: the timer loop wakes for it if it is due before the next poll. */
  timerCreated: (dueAt: Date) => void;
  /** Instances of a process with a message start event ended, in the event transaction (message-starts.ts). */
  messageStartedEnded?: (tx: SqlSession, states: InstanceState[]) => Promise<void>;
  /** A throw event broadcast a signal, its thrower saved: deliver it in the event transaction, not to the subscriptions in `exclude` (signals.ts). */
  signalThrown?: (tx: SqlSession, signal: { name: string; variables: Variables }, exclude: ReadonlySet<string>) => Promise<void>;
  log: Logger;
};

export class InstanceEvents {
  private readonly calls: CallActivities;

  constructor(private readonly o: InstanceEventsOptions) {
    this.calls = new CallActivities({
      keys: o.keys,
      definitions: o.definitions,
      load: (tx, key) => this.load(tx, key),
      interpreter: (tx, state) => this.interpreter(tx, state),
      startChild: async (tx, def, variables, key, parent) => (await this.newInstance(tx, def, variables, undefined, { key, parent })).state,
      pushJobs: (tx, state, it) => o.streaming.pushJobs(tx, state, it),
    });
  }

  /** Locks (after the root of its call tree) and loads an active instance; undefined when it is not active (any more). */
  private async load(tx: SqlSession, instanceKey: string): Promise<InstanceState | undefined> {
    // PGlite runs one transaction at a time: nothing can change the instance under us, no lock needed.
    if (!this.o.exclusive && (await lockInstances(tx, [instanceKey])).length === 0) return undefined;
    return (await loadInstances(tx, [instanceKey])).states.get(instanceKey);
  }

  /** Runs one event against one instance: lock, load, interpret, save. Undefined when the instance is not active (any more). */
  async onInstance<T>(
    tx: SqlSession,
    instanceKey: string,
    run: (it: Interpreter, s: InstanceState) => Promise<T>,
  ): Promise<{ result: T; state: InstanceState } | undefined> {
    const state = await this.load(tx, instanceKey);
    if (!state) return undefined;
    const it = await this.interpreter(tx, state);
    const result = await run(it, state);
    this.o.streaming.pushJobs(tx, state, it);
    await this.save(tx, [state]);
    return { result, state };
  }

  async interpreter(tx: SqlSession, state: InstanceState): Promise<Interpreter> {
    const def = await this.o.definitions.get(tx, state.instance.definitionKey);
    return new Interpreter(def.model, state, tx, this.o.keys, this.o.buffer, this.o.definitions);
  }

  /** Starts an instance of `def` (at its none start event, or at `startEventId`; `child`: a call activity's); the caller saves it. */
  async newInstance(
    tx: SqlSession,
    def: Definition,
    variables: Variables,
    startEventId?: string,
    child?: { key: string; parent: ParentLink },
  ): Promise<{ state: InstanceState; started: Started }> {
    const key = child?.key ?? (await this.o.keys.take(tx));
    const state = new InstanceState(
      { key, definitionKey: def.key, bpmnProcessId: def.bpmnProcessId, version: def.version, state: 'ACTIVE', variables: {}, parent: child?.parent },
      [],
      true,
    );
    const it = new Interpreter(def.model, state, tx, this.o.keys, this.o.buffer, this.o.definitions);
    await it.start(variables, startEventId);
    this.o.streaming.pushJobs(tx, state, it);
    return { state, started: { processInstanceKey: key, bpmnProcessId: def.bpmnProcessId, version: def.version, processDefinitionKey: def.key } };
  }

  /** Does what the instances asked of the others of their call trees, writes every change; announces them once the event transaction committed. */
  async save(tx: SqlSession, given: InstanceState[]): Promise<void> {
    const states = await this.calls.settle(tx, given);
    this.announce(tx, states, await saveInstances(tx, states));
    await this.ended(tx, states);
    await this.broadcastThrown(tx, states);
  }

  /**
   * Delivers the signals these instances threw, now that they are saved: a thrower catches its
   * own signal on a subscription it had open, but not on one its step opened after the throw.
   */
  private async broadcastThrown(tx: SqlSession, states: InstanceState[]): Promise<void> {
    if (!this.o.signalThrown) return;
    for (const s of states) {
      for (let thrown = s.signals.shift(); thrown; thrown = s.signals.shift()) {
        const before = new Set(thrown.openedBefore);
        const exclude = new Set(s.signalSubscriptions.map((x) => x.key).filter((k) => !before.has(k)));
        await this.o.signalThrown(tx, { name: thrown.name, variables: thrown.variables }, exclude);
      }
    }
  }

  /** Hands the instances that ended and have a message start event to `messageStartedEnded`. */
  private async ended(tx: SqlSession, states: InstanceState[]): Promise<void> {
    if (!this.o.messageStartedEnded) return;
    const ended: InstanceState[] = [];
    for (const s of states) {
      if (s.instance.state === 'ACTIVE') continue;
      if ((await this.o.definitions.get(tx, s.instance.definitionKey)).model.root.messageStarts.length > 0) ended.push(s);
    }
    if (ended.length > 0) await this.o.messageStartedEnded(tx, ended);
  }

  private announce(tx: SqlSession, states: InstanceState[], saved: SaveResult): void {
    // Incidents the interpreter raised (uncaught BPMN error, mappings, conditions, …), as saved.
    const incidents: RaisedIncident[] = states.flatMap((s) =>
      s.incidents.map((n) => ({
        incidentKey: n.key,
        processInstanceKey: s.instance.key,
        bpmnProcessId: s.instance.bpmnProcessId,
        elementId: n.elementId,
        taskType: n.jobKey ? s.jobs.find((j) => j.key === n.jobKey)?.type : undefined,
        jobKey: n.jobKey,
        errorType: n.errorType,
        errorMessage: n.errorMessage,
        variables: s.instance.variables,
      })),
    );
    const { events, timerCreated, log } = this.o;
    this.o.transactions.afterCommit(tx, () => {
      for (const type of saved.jobTypes) events.emit('jobs', type);
      if (saved.earliestTimer) timerCreated(saved.earliestTimer);
      for (const state of states) if (state.instance.state !== 'ACTIVE') events.emit('instance', { key: state.instance.key, state: state.instance.state });
      for (const incident of incidents) logIncidentRaised(log, incident);
    });
  }
}
