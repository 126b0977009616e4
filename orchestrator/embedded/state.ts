// The state of one process instance as loaded for one event, and the changes the
// interpreter makes to it (store/instances.ts loads and writes it).
import type { Variables } from '../engine.js';
import type { DecisionEvaluationRow } from './store/decisions.js';

export type ElementData = {
  /** Parallel join: incoming flows that have arrived and wait for the others. */
  arrived?: string[];
  /** A completed activity with a compensation handler, kept until compensated. */
  compensable?: boolean;
  /** Compensation handler: the activity it compensates and the throw event waiting for it. */
  compensates?: string;
  throwKey?: string;
  /** Compensation throw: handler element instances still running. */
  waiting?: string[];
  /** An incident stopped this element; resolving it retries `retry`. */
  retry?: 'activate' | 'leave';
  viaFlow?: string;
  /** Multi-instance body: instances in all, the next to create, completed and terminated ones; sequential bodies keep the collection. */
  mi?: { n: number; next: number; completed: number; terminated: number; items?: unknown[] };
  /** Which tables hold rows hosted by this element (jobs, message subscriptions, timers, signal subscriptions). */
  hosts?: { j?: 1; s?: 1; t?: 1; g?: 1 };
  /** Call activity: the key of the child process instance it started and waits for. */
  called?: string;
};

export type ElementInstance = {
  key: string;
  elementId: string;
  elementType: string;
  flowScopeKey: string;
  state: 'ACTIVE' | 'COMPLETED';
  variables: Variables;
  data: ElementData;
  activatedAt: string;
};

export type InstanceRow = {
  key: string;
  definitionKey: string;
  bpmnProcessId: string;
  version: number;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  variables: Variables;
  /** Started by a call activity: its process instance and element instance, and the root of the call tree. */
  parent?: ParentLink;
};

export type ParentLink = { processInstanceKey: string; elementInstanceKey: string; rootProcessInstanceKey: string };
/** A call activity asks for a child instance of the latest version of `processId` (call-activities.ts starts it). */
export type NewCall = { elementInstanceKey: string; processId: string; variables: Variables; viaFlow?: string };
/**
 * A BPMN error that nothing in a child instance caught: it goes to the call activity
 * that started the instance (call-activities.ts), and if nothing catches it there either
 * it is an incident where it was thrown (`thrower`, with the job it came from, if any).
 */
export type EscalatedError = {
  code: string;
  message: string;
  variables: Variables;
  thrower: { key: string; elementId: string; flowScopeKey: string };
  jobKey?: string;
};

export type NewJob = {
  key: string;
  elementInstanceKey: string;
  elementId: string;
  type: string;
  retries: number;
  customHeaders: Record<string, string>;
  /** Default ACTIVATABLE; ERROR_THROWN keeps a job whose BPMN error nobody caught, for the incident. */
  state?: 'ACTIVATABLE' | 'ERROR_THROWN' | 'ACTIVATED';
  errorMessage?: string;
  /** Pushed to a worker of this process at creation (Zeebe job streaming): its name and lock. */
  worker?: string;
  timeoutMs?: number;
};
export type NewSubscription = {
  key: string;
  elementInstanceKey: string;
  elementId: string;
  messageName: string;
  correlationKey: string;
  interrupting: boolean;
};
export type NewSignalSubscription = { key: string; elementInstanceKey: string; elementId: string; signalName: string };
/** A signal a throw event broadcast, delivered once the thrower's step is saved (signals.ts); `openedBefore`: its own subscriptions opened this step before the throw. */
export type ThrownSignal = { name: string; variables: Variables; openedBefore: string[] };
export type NewTimer = {
  key: string;
  elementInstanceKey: string;
  elementId: string;
  dueAt: Date;
  repetitionsLeft: number | null;
  interval?: string;
  interrupting: boolean;
};
export type NewIncident = { key: string; elementInstanceKey: string; elementId: string; jobKey?: string; errorType: string; errorMessage: string };
export type AuditRecord = {
  elementInstanceKey: string;
  elementId: string;
  elementType: string;
  intent: 'ELEMENT_ACTIVATED' | 'ELEMENT_COMPLETED' | 'ELEMENT_TERMINATED';
};

/**
 * The variables visible from an element instance: the process instance's, then each
 * enclosing scope's local ones, innermost last (Zeebe variable scopes). `scope` looks
 * up an element instance; the walk stops at the first key it does not know.
 */
export function visibleVariables(
  root: Variables,
  fromKey: string,
  scope: (key: string) => { variables: Variables; flowScopeKey: string } | undefined,
): Variables {
  const chain: Variables[] = [];
  for (let s = scope(fromKey); s; s = scope(s.flowScopeKey)) chain.unshift(s.variables);
  return Object.assign({}, root, ...chain);
}

export class InstanceState {
  readonly elements = new Map<string, ElementInstance>();
  readonly changed = new Set<string>();
  readonly removed = new Set<string>();
  readonly clearHosted = { j: new Set<string>(), s: new Set<string>(), t: new Set<string>(), g: new Set<string>() };
  readonly clearedEventsAt: { eik: string; element_id: string }[] = [];
  readonly jobs: NewJob[] = [];
  readonly subscriptions: NewSubscription[] = [];
  readonly signalSubscriptions: NewSignalSubscription[] = [];
  /** Signals thrown in this step, in order. */
  readonly signals: ThrownSignal[] = [];
  readonly timers: NewTimer[] = [];
  readonly incidents: NewIncident[] = [];
  readonly resolveIncidentsOf = new Set<string>();
  readonly audit: AuditRecord[] = [];
  /** Decisions evaluated by business rule tasks (engine_decision_evaluations). */
  readonly decisionEvaluations: DecisionEvaluationRow[] = [];
  /** Cross-instance work for call-activities.ts: children to start, children to terminate, errors for the parent. */
  readonly calls: NewCall[] = [];
  readonly childrenToTerminate: string[] = [];
  readonly escalatedErrors: EscalatedError[] = [];
  /** Escalation codes nothing in this (child) instance caught: call-activities.ts passes them to the call activity above. */
  readonly escalations: string[] = [];
  instanceChanged = false;

  constructor(
    readonly instance: InstanceRow,
    elements: ElementInstance[],
    readonly isNew = false,
  ) {
    for (const e of elements) this.elements.set(e.key, e);
    if (isNew) this.instanceChanged = true;
  }

  put(ei: ElementInstance): void {
    this.elements.set(ei.key, ei);
    this.changed.add(ei.key);
    this.removed.delete(ei.key);
  }

  touch(ei: ElementInstance): void {
    this.changed.add(ei.key);
  }

  remove(ei: ElementInstance): void {
    this.elements.delete(ei.key);
    this.changed.delete(ei.key);
    this.removed.add(ei.key);
    const hosts = ei.data.hosts ?? {};
    if (hosts.j) this.clearHosted.j.add(ei.key);
    if (hosts.s) this.clearHosted.s.add(ei.key);
    if (hosts.t) this.clearHosted.t.add(ei.key);
    if (hosts.g) this.clearHosted.g.add(ei.key);
    // Rows created for it in this same transaction never reach the database.
    this.removeWhere(this.jobs, (j) => j.elementInstanceKey === ei.key);
    this.removeWhere(this.subscriptions, (x) => x.elementInstanceKey === ei.key);
    this.removeWhere(this.signalSubscriptions, (x) => x.elementInstanceKey === ei.key);
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === ei.key);
    this.removeWhere(this.calls, (c) => c.elementInstanceKey === ei.key);
    // A call activity that goes before its child completed takes the child with it.
    if (ei.data.called) this.childrenToTerminate.push(ei.data.called);
  }

  /** Drops the subscriptions and timers an element hosts (it stays active). */
  clearEvents(ei: ElementInstance): void {
    const hosts = (ei.data.hosts ??= {});
    if (hosts.s) this.clearHosted.s.add(ei.key);
    if (hosts.t) this.clearHosted.t.add(ei.key);
    if (hosts.g) this.clearHosted.g.add(ei.key);
    delete hosts.s;
    delete hosts.t;
    delete hosts.g;
    this.touch(ei);
    // Rows created in this same transaction never reached the database.
    this.removeWhere(this.subscriptions, (s) => s.elementInstanceKey === ei.key);
    this.removeWhere(this.signalSubscriptions, (s) => s.elementInstanceKey === ei.key);
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === ei.key);
  }

  /** Drops the subscriptions and timers of these elements (event sub-process starts) hosted by `hostKey`; other rows it hosts stay. */
  clearEventsAt(hostKey: string, elementIds: string[]): void {
    for (const elementId of elementIds) this.clearedEventsAt.push({ eik: hostKey, element_id: elementId });
    this.removeWhere(this.subscriptions, (x) => x.elementInstanceKey === hostKey && elementIds.includes(x.elementId));
    this.removeWhere(this.signalSubscriptions, (x) => x.elementInstanceKey === hostKey && elementIds.includes(x.elementId));
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === hostKey && elementIds.includes(t.elementId));
  }

  private removeWhere<T>(list: T[], pred: (x: T) => boolean): void {
    for (let i = list.length - 1; i >= 0; i--) if (pred(list[i] as T)) list.splice(i, 1);
  }

  children(scopeKey: string): ElementInstance[] {
    return [...this.elements.values()].filter((e) => e.flowScopeKey === scopeKey && e.state === 'ACTIVE');
  }
}
