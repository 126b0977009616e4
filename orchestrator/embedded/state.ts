// The state of one process instance as loaded for one event, and the changes the
// interpreter makes to it (store/instances.ts loads and writes it).
import type { Variables } from '../engine.js';

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
  /** Which tables hold rows hosted by this element (jobs, subscriptions, timers). */
  hosts?: { j?: 1; s?: 1; t?: 1 };
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
  readonly clearHosted = { j: new Set<string>(), s: new Set<string>(), t: new Set<string>() };
  readonly jobs: NewJob[] = [];
  readonly subscriptions: NewSubscription[] = [];
  readonly timers: NewTimer[] = [];
  readonly incidents: NewIncident[] = [];
  readonly resolveIncidentsOf = new Set<string>();
  readonly audit: AuditRecord[] = [];
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
    // Rows created for it in this same transaction never reach the database.
    this.removeWhere(this.jobs, (j) => j.elementInstanceKey === ei.key);
    this.removeWhere(this.subscriptions, (x) => x.elementInstanceKey === ei.key);
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === ei.key);
  }

  /** Drops the subscriptions and timers an element hosts (it stays active). */
  clearEvents(ei: ElementInstance): void {
    const hosts = (ei.data.hosts ??= {});
    if (hosts.s) this.clearHosted.s.add(ei.key);
    if (hosts.t) this.clearHosted.t.add(ei.key);
    delete hosts.s;
    delete hosts.t;
    this.touch(ei);
    // Rows created in this same transaction never reached the database.
    this.removeWhere(this.subscriptions, (s) => s.elementInstanceKey === ei.key);
    this.removeWhere(this.timers, (t) => t.elementInstanceKey === ei.key);
  }

  private removeWhere<T>(list: T[], pred: (x: T) => boolean): void {
    for (let i = list.length - 1; i >= 0; i--) if (pred(list[i] as T)) list.splice(i, 1);
  }

  children(scopeKey: string): ElementInstance[] {
    return [...this.elements.values()].filter((e) => e.flowScopeKey === scopeKey && e.state === 'ACTIVE');
  }
}
