// Call activities across process instances (Zeebe: "Call activities"): what one
// instance's event asks of the others in its call tree, done in the same transaction
// before anything is saved — a call activity starts its child instance, a terminated
// call activity terminates its child, a completed child completes its call activity,
// and a BPMN error nothing in a child caught goes to the call activities above it.
// One transaction: a crash never leaves a call activity without its child, nor a
// completed child with its call activity still waiting. Locks: every event on a call
// tree locks the tree's root first (store/instances.ts), so the instances this loads
// are never locked in another order by another transaction.
import type { SqlSession } from '../../infra/database.js';
import { EngineError, type Variables } from '../engine.js';
import type { Definition, Definitions } from './definitions.js';
import type { Interpreter } from './interpreter.js';
import type { KeyAllocator } from './keys.js';
import type { InstanceRow, InstanceState, ParentLink } from './state.js';

export type CallActivitiesOptions = {
  keys: KeyAllocator;
  definitions: Definitions;
  /** Locks (after the root of its call tree) and loads an instance; undefined when it is not active. */
  load(tx: SqlSession, key: string): Promise<InstanceState | undefined>;
  interpreter(tx: SqlSession, state: InstanceState): Promise<Interpreter>;
  /** Starts instance `key` of `def` at its none start event, as the child of `parent`. */
  startChild(tx: SqlSession, def: Definition, variables: Variables, key: string, parent: ParentLink): Promise<InstanceState>;
  /** Hands the instance's new jobs to this process's workers (job streaming). */
  pushJobs(tx: SqlSession, state: InstanceState, it: Interpreter): void;
};

/** Zeebe refuses to cancel a child instance: only its root can be cancelled. */
export function refuseChildCancel(instance: InstanceRow): void {
  if (!instance.parent) return;
  throw new EngineError(
    'FAILED_PRECONDITION',
    `Expected to cancel a process instance with key '${instance.key}', but it is created by a parent process instance. Cannot cancel child process instance '${instance.key}' of root process instance '${instance.parent.rootProcessInstanceKey}'.`,
  );
}

/** Whether an instance has cross-instance work left (most have none: the cheap check on every save). */
function hasWork(s: InstanceState): boolean {
  return (
    s.calls.length > 0 ||
    s.childrenToTerminate.length > 0 ||
    s.escalatedErrors.length > 0 ||
    s.escalations.length > 0 ||
    (s.instance.parent !== undefined && s.instance.state === 'COMPLETED')
  );
}

export class CallActivities {
  constructor(private readonly o: CallActivitiesOptions) {}

  /**
   * Does the cross-instance work of these instances and of every instance it reaches,
   * until none is left. Answers every instance to save: the given ones, then those it
   * started or changed.
   */
  async settle(tx: SqlSession, given: InstanceState[]): Promise<InstanceState[]> {
    if (!given.some(hasWork)) return given;
    const run = new Cascade(this.o, tx, given);
    await run.drain();
    return run.states();
  }
}

/** One settle: the instances it has loaded (each once) and those with work left. */
class Cascade {
  private readonly byKey = new Map<string, InstanceState>();
  private readonly interpreters = new Map<InstanceState, Interpreter>();
  private readonly queue: InstanceState[];
  /** Children whose completion reached their call activity already. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly o: CallActivitiesOptions,
    private readonly tx: SqlSession,
    given: InstanceState[],
  ) {
    for (const s of given) this.byKey.set(s.instance.key, s);
    this.queue = [...given];
  }

  states(): InstanceState[] {
    return [...this.byKey.values()];
  }

  async drain(): Promise<void> {
    for (let s = this.queue.shift(); s; s = this.queue.shift()) {
      if (!hasWork(s)) continue;
      await this.startChildren(s);
      await this.terminateChildren(s);
      // Before the completion: an escalation end event reaches the call activity before the child's end completes it.
      await this.passEscalations(s);
      await this.reportCompletion(s);
      await this.escalateErrors(s);
    }
    for (const [s, it] of this.interpreters) this.o.pushJobs(this.tx, s, it);
  }

  private async it(s: InstanceState): Promise<Interpreter> {
    let it = this.interpreters.get(s);
    if (!it) {
      it = await this.o.interpreter(this.tx, s);
      this.interpreters.set(s, it);
    }
    return it;
  }

  private async get(key: string): Promise<InstanceState | undefined> {
    let s = this.byKey.get(key);
    if (!s) {
      s = await this.o.load(this.tx, key);
      if (s) this.byKey.set(key, s);
    }
    return s;
  }

  /** Zeebe: the latest version of the called process, at its none start event; else an incident on the call activity. */
  private async startChildren(s: InstanceState): Promise<void> {
    for (let call = s.calls.shift(); call; call = s.calls.shift()) {
      const ei = s.elements.get(call.elementInstanceKey);
      if (ei?.state !== 'ACTIVE') continue;
      const it = await this.it(s);
      const latest = (await this.o.definitions.latestKeys(this.tx, [call.processId])).get(call.processId);
      const def = latest === undefined ? undefined : await this.o.definitions.get(this.tx, latest);
      if (!def) {
        await it.calledElementMissing(ei, `Expected process with BPMN process id '${call.processId}' to be deployed, but not found.`, call.viaFlow);
        continue;
      }
      if (def.model.root.startEvents.length === 0) {
        await it.calledElementMissing(ei, `Expected process with BPMN process id '${call.processId}' to have a none start event, but not found.`, call.viaFlow);
        continue;
      }
      const childKey = await this.o.keys.take(this.tx);
      // Zeebe opens the call activity's boundary events before it creates the child.
      if (!(await it.callActivityReady(ei, childKey))) continue;
      const root = s.instance.parent?.rootProcessInstanceKey ?? s.instance.key;
      const child = await this.o.startChild(this.tx, def, structuredClone(call.variables), childKey, {
        processInstanceKey: s.instance.key,
        elementInstanceKey: ei.key,
        rootProcessInstanceKey: root,
      });
      this.byKey.set(childKey, child);
      this.queue.push(child);
    }
  }

  /** A call activity that was terminated (boundary event, cancel, terminate end event…) terminates its child, and so on down. */
  private async terminateChildren(s: InstanceState): Promise<void> {
    for (let key = s.childrenToTerminate.shift(); key; key = s.childrenToTerminate.shift()) {
      const child = await this.get(key);
      if (child?.instance.state !== 'ACTIVE') continue;
      await (await this.it(child)).cancel();
      this.queue.push(child);
    }
  }

  /** A completed child completes its call activity with its variables. */
  private async reportCompletion(s: InstanceState): Promise<void> {
    const link = s.instance.parent;
    if (!link || s.instance.state !== 'COMPLETED' || this.reported.has(s.instance.key)) return;
    this.reported.add(s.instance.key);
    const parent = await this.get(link.processInstanceKey);
    const ca = parent?.elements.get(link.elementInstanceKey);
    if (!parent || ca?.state !== 'ACTIVE' || ca.data.called !== s.instance.key) return;
    await (await this.it(parent)).calledProcessCompleted(ca, s.instance.variables);
    this.queue.push(parent);
  }

  /**
   * Zeebe: an error a child did not catch is thrown at its call activity, whose boundary
   * events (and those of the scopes around it) may catch it, and so on up the call tree;
   * if nothing catches it, the incident is raised in the child, where it was thrown.
   */
  /**
   * Zeebe: an escalation a child did not catch goes on at its call activity (its boundary
   * events, then the scopes around it), up the call tree; uncaught anywhere, it is no incident.
   * The child has gone on already; an interrupting catch above terminates it with its call activity.
   */
  private async passEscalations(s: InstanceState): Promise<void> {
    // One level at a time: the parent passes on what it does not catch (its own escalations, drained in turn).
    for (let code = s.escalations.shift(); code !== undefined; code = s.escalations.shift()) {
      const link = s.instance.parent;
      const parent = link && (await this.get(link.processInstanceKey));
      const ca = link && parent?.elements.get(link.elementInstanceKey);
      if (!parent || ca?.state !== 'ACTIVE') continue;
      await (await this.it(parent)).childEscalationThrown(ca, code);
      this.queue.push(parent);
    }
  }

  private async escalateErrors(s: InstanceState): Promise<void> {
    for (let error = s.escalatedErrors.shift(); error; error = s.escalatedErrors.shift()) {
      if (s.instance.state !== 'ACTIVE') continue;
      let caught = false;
      for (let link = s.instance.parent; link && !caught;) {
        const parent = await this.get(link.processInstanceKey);
        const ca = parent?.elements.get(link.elementInstanceKey);
        if (!parent || ca?.state !== 'ACTIVE') break;
        caught = await (await this.it(parent)).childErrorThrown(ca, error.code, error.variables);
        if (caught) this.queue.push(parent);
        link = parent.instance.parent;
      }
      if (!caught) await (await this.it(s)).errorNotCaught(error);
    }
  }
}
