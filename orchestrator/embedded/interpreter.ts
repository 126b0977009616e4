// Runs one process instance from one event to its next wait states, in memory,
// over the state loaded for that event. The rules are Zeebe's (docs.camunda.io,
// "BPMN coverage" and each element's page); comments cite the rule where it is subtle.
import type { SqlSession } from '../../infra/database.js';
import type { Variables } from '../engine.js';
import { assignPath, evaluateCondition, evaluateValue, ExpressionError } from './feel.js';
import type { KeyAllocator } from './keys.js';
import type { Model, Node } from './model.js';
import { visibleVariables, type ElementInstance, type InstanceState } from './state.js';
import { firstDue, nextCycleDue, TimerDefinitionError } from './timer-definition.js';

export type Buffered = { key: string; variables: Variables };
export type MessageBuffer = {
  /** The oldest buffered, unexpired message for this subscription not yet correlated to this process id; marks it correlated. */
  take(tx: SqlSession, name: string, correlationKey: string, bpmnProcessId: string): Promise<Buffered | undefined>;
};

const WAITING_TYPES = new Set(['serviceTask', 'sendTask', 'receiveTask', 'subProcess', 'eventBasedGateway', 'intermediateCatchEvent']);

export class Interpreter {
  private readonly scopesToCheck = new Set<string>();
  /** Compensation handlers about to be activated, by their element instance key. */
  private readonly handlerLinks = new Map<string, { throwKey: string; compensates: string; variables: Variables }>();

  constructor(
    private readonly model: Model,
    private readonly s: InstanceState,
    private readonly tx: SqlSession,
    private readonly keys: KeyAllocator,
    private readonly buffer: MessageBuffer,
    private readonly now: Date = new Date(),
  ) {}

  private get root(): string {
    return this.s.instance.key;
  }

  private node(id: string): Node {
    const n = this.model.nodes.get(id);
    if (!n) throw new Error(`element ${id} is not in process ${this.model.bpmnProcessId}`);
    return n;
  }

  // ---- variables ---------------------------------------------------------

  /** Everything visible from a scope: the root, then each enclosing scope's locals, innermost last. */
  variablesAt(scopeKey: string): Variables {
    return visibleVariables(this.s.instance.variables, scopeKey, (k) => this.s.elements.get(k));
  }

  /**
   * Zeebe variable propagation: a variable is set in the nearest scope (from
   * `scopeKey` outwards) that already has it, otherwise in the process instance.
   */
  private propagate(scopeKey: string, vars: Variables): void {
    for (const [name, value] of Object.entries(vars)) {
      let key: string | undefined = scopeKey;
      let done = false;
      while (key && key !== this.root) {
        const ei = this.s.elements.get(key);
        if (!ei) break;
        if (name in ei.variables) {
          ei.variables[name] = value;
          this.s.touch(ei);
          done = true;
          break;
        }
        key = ei.flowScopeKey;
      }
      if (!done) {
        this.s.instance.variables[name] = value;
        this.s.instanceChanged = true;
      }
    }
  }

  /** Output mappings (or, without them, all result variables) go to the element's flow scope. */
  private applyOutputs(node: Node, ei: ElementInstance | undefined, flowScopeKey: string, result: Variables): void {
    if (node.outputs.length === 0) {
      this.propagate(flowScopeKey, result);
      return;
    }
    const context = { ...this.variablesAt(flowScopeKey), ...(ei?.variables ?? {}), ...result };
    const out: Variables = {};
    for (const m of node.outputs) assignPath(out, m.target, evaluateValue(m.source, context));
    this.propagate(flowScopeKey, out);
  }

  private inputs(node: Node, flowScopeKey: string): Variables {
    const local: Variables = {};
    if (node.inputs.length === 0) return local;
    const context = this.variablesAt(flowScopeKey);
    for (const m of node.inputs) assignPath(local, m.target, evaluateValue(m.source, { ...context, ...local }));
    return local;
  }

  // ---- audit and incidents ------------------------------------------------

  private audit(key: string, node: Node, intent: 'ELEMENT_ACTIVATED' | 'ELEMENT_COMPLETED' | 'ELEMENT_TERMINATED'): void {
    this.s.audit.push({ elementInstanceKey: key, elementId: node.id, elementType: node.type, intent });
  }

  private async incident(ei: ElementInstance, errorType: string, errorMessage: string, jobKey?: string): Promise<void> {
    this.s.incidents.push({ key: await this.keys.take(this.tx), elementInstanceKey: ei.key, elementId: ei.elementId, jobKey, errorType, errorMessage });
  }

  private newElement(key: string, node: Node, flowScopeKey: string, variables: Variables = {}): ElementInstance {
    const link = this.handlerLinks.get(key);
    const ei: ElementInstance = {
      key,
      elementId: node.id,
      elementType: node.type,
      flowScopeKey,
      state: 'ACTIVE',
      // A compensation handler sees the variables of the activity it compensates.
      variables: link ? { ...link.variables, ...variables } : variables,
      data: link ? { throwKey: link.throwKey, compensates: link.compensates } : {},
      activatedAt: this.now.toISOString(),
    };
    this.s.put(ei);
    return ei;
  }

  // ---- entry points (one per external event) ------------------------------

  async start(variables: Variables, startEventId?: string): Promise<void> {
    // A message start event passes the message's variables like any start: to the process instance.
    this.s.instance.variables = { ...variables };
    this.audit(this.root, this.model.root, 'ELEMENT_ACTIVATED');
    const start = startEventId ?? this.model.root.startEvents[0];
    if (!start) throw new Error(`process ${this.model.bpmnProcessId} has no none start event`);
    await this.activate(start, this.root);
    await this.settle();
  }

  async jobCompleted(ei: ElementInstance, variables: Variables): Promise<void> {
    const node = this.node(ei.elementId);
    await this.leave(ei, node, variables);
    await this.settle();
  }

  /** A BPMN error from a job: caught by the nearest matching error boundary, else an incident. */
  async jobErrorThrown(ei: ElementInstance, jobKey: string, errorCode: string, errorMessage: string, variables: Variables): Promise<boolean> {
    const caught = await this.throwError(ei, errorCode, variables);
    if (!caught) {
      await this.incident(
        ei,
        'UNHANDLED_ERROR_EVENT',
        `Expected to throw an error event with the code '${errorCode}' with message '${errorMessage}', but it was not caught. No error events are available in the scope.`,
        jobKey,
      );
      // The job is kept (as ERROR_THROWN) so that resolving the incident offers it again.
      const job = this.node(ei.elementId).job;
      this.s.jobs.push({
        key: jobKey,
        elementInstanceKey: ei.key,
        elementId: ei.elementId,
        type: job?.type ?? '',
        retries: 1,
        customHeaders: job?.headers ?? {},
        state: 'ERROR_THROWN',
        errorMessage,
      });
      (ei.data.hosts ??= {}).j = 1;
      this.s.touch(ei);
    }
    await this.settle();
    return caught;
  }

  /** False when the subscription's element was already left (the message then stays free for others). */
  async messageCorrelated(sub: { elementInstanceKey: string; elementId: string }, variables: Variables): Promise<boolean> {
    const host = this.s.elements.get(sub.elementInstanceKey);
    if (!host || host.state !== 'ACTIVE') return false;
    await this.trigger(sub.elementInstanceKey, sub.elementId, variables);
    await this.settle();
    return true;
  }

  async timerFired(timer: {
    key: string;
    elementInstanceKey: string;
    elementId: string;
    repetitionsLeft: number | null;
    interval: string | null;
    dueAt: Date;
    interrupting: boolean;
  }): Promise<void> {
    const target = this.node(timer.elementId);
    const host = this.s.elements.get(timer.elementInstanceKey);
    // A non-interrupting cycle on a boundary fires again while its host is active.
    if (host && target.type === 'boundaryEvent' && !timer.interrupting && timer.interval && (timer.repetitionsLeft === null || timer.repetitionsLeft > 0)) {
      const next = nextCycleDue(timer.interval, timer.dueAt, timer.repetitionsLeft);
      if (next) {
        this.s.timers.push({
          key: await this.keys.take(this.tx),
          elementInstanceKey: host.key,
          elementId: target.id,
          dueAt: next.dueAt,
          repetitionsLeft: next.repetitionsLeft,
          interval: timer.interval,
          interrupting: false,
        });
        (host.data.hosts ??= {}).t = 1;
        this.s.touch(host);
      }
    }
    await this.trigger(timer.elementInstanceKey, timer.elementId, {});
    await this.settle();
  }

  async cancel(): Promise<void> {
    for (const child of this.s.children(this.root)) this.terminate(child);
    for (const ei of [...this.s.elements.values()]) this.s.remove(ei);
    this.audit(this.root, this.model.root, 'ELEMENT_TERMINATED');
    this.s.instance.state = 'TERMINATED';
    this.s.instanceChanged = true;
  }

  /** An incident that was not a job's: retry the step that failed. */
  async retry(ei: ElementInstance): Promise<void> {
    const step = ei.data.retry;
    delete ei.data.retry;
    this.s.touch(ei);
    const node = this.node(ei.elementId);
    if (step === 'activate') {
      const via = ei.data.viaFlow;
      this.s.remove(ei);
      this.s.clearHosted.j.add(ei.key);
      await this.activate(node.id, ei.flowScopeKey, via, ei.key);
    } else if (step === 'leave') {
      await this.leave(ei, node, {});
    }
    await this.settle();
  }

  // ---- activation ---------------------------------------------------------

  /** `retryKey`: re-activating an element stopped by an incident (same key, no second activation record). */
  private async activate(id: string, flowScopeKey: string, viaFlow?: string, retryKey?: string, key?: string): Promise<void> {
    const node = this.node(id);
    key ??= retryKey ?? (await this.keys.take(this.tx));
    if (!retryKey) this.audit(key, node, 'ELEMENT_ACTIVATED');

    let locals: Variables;
    try {
      locals = this.inputs(node, flowScopeKey);
    } catch (err) {
      return this.stuck(key, node, flowScopeKey, 'activate', 'IO_MAPPING_ERROR', (err as Error).message, viaFlow);
    }

    switch (node.type) {
      case 'startEvent':
      case 'intermediateThrowEvent':
        if (node.event === 'compensation') return this.throwCompensation(key, node, flowScopeKey, false);
        return this.completeTransient(key, node, flowScopeKey);
      case 'endEvent':
        return this.end(key, node, flowScopeKey);
      case 'exclusiveGateway':
        return this.exclusive(key, node, flowScopeKey, viaFlow);
      case 'parallelGateway':
        return this.parallel(key, node, flowScopeKey, viaFlow);
      case 'serviceTask':
      case 'sendTask': {
        const ei = this.newElement(key, node, flowScopeKey, locals);
        let retries: number;
        try {
          retries = Number(evaluateValue(node.job!.retries, this.variablesAt(key)));
          if (!Number.isInteger(retries) || retries < 0) throw new ExpressionError(`retries '${node.job!.retries}' is not a whole number`);
        } catch (err) {
          return this.stuckExisting(ei, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
        }
        if (!(await this.openBoundaries(ei, node)) || !this.stillActive(key)) return;
        this.s.jobs.push({
          key: await this.keys.take(this.tx),
          elementInstanceKey: key,
          elementId: node.id,
          type: node.job!.type,
          retries,
          customHeaders: node.job!.headers,
        });
        (ei.data.hosts ??= {}).j = 1;
        return;
      }
      case 'receiveTask':
      case 'intermediateCatchEvent': {
        const ei = this.newElement(key, node, flowScopeKey, locals);
        if (node.type === 'receiveTask' && (!(await this.openBoundaries(ei, node)) || !this.stillActive(key))) return;
        const opened = await this.openEvent(ei, node, node.interrupting, viaFlow);
        if (opened) await this.correlateBuffered(ei, [node]);
        return;
      }
      case 'eventBasedGateway': {
        const ei = this.newElement(key, node, flowScopeKey, locals);
        const targets = node.outgoing.map((f) => this.node(f.target));
        for (const t of targets) if (!(await this.openEvent(ei, t, true, viaFlow))) return;
        await this.correlateBuffered(ei, targets);
        return;
      }
      case 'subProcess': {
        const ei = this.newElement(key, node, flowScopeKey, locals);
        if (!(await this.openBoundaries(ei, node)) || !this.stillActive(key)) return;
        return this.activate(node.startEvents[0] as string, key);
      }
      default:
        throw new Error(`cannot activate ${node.type} ${node.id}`);
    }
  }

  /** False once a buffered message correlated to an interrupting boundary as the element opened it: the element is gone. */
  private stillActive(key: string): boolean {
    return this.s.elements.get(key)?.state === 'ACTIVE';
  }

  /** An element that cannot proceed: kept active with an incident; resolving retries `step`. */
  private async stuck(
    key: string,
    node: Node,
    flowScopeKey: string,
    step: 'activate' | 'leave',
    errorType: string,
    message: string,
    viaFlow?: string,
  ): Promise<void> {
    const ei = this.s.elements.get(key) ?? this.newElement(key, node, flowScopeKey);
    return this.stuckExisting(ei, step, errorType, message, viaFlow);
  }

  private async stuckExisting(ei: ElementInstance, step: 'activate' | 'leave', errorType: string, message: string, viaFlow?: string): Promise<void> {
    ei.data.retry = step;
    if (viaFlow) ei.data.viaFlow = viaFlow;
    this.s.touch(ei);
    await this.incident(ei, errorType, message);
  }

  private async openBoundaries(host: ElementInstance, node: Node): Promise<boolean> {
    const events = node.boundaries.map((b) => this.node(b)).filter((b) => b.event === 'message' || b.event === 'timer');
    for (const b of events) if (!(await this.openEvent(host, b, b.interrupting))) return false;
    if (events.some((b) => b.event === 'message')) await this.correlateBuffered(host, events);
    return true;
  }

  /** Opens the message subscription or timer of `target`, hosted by `host`. False: an incident was raised. */
  private async openEvent(host: ElementInstance, target: Node, interrupting: boolean, viaFlow?: string): Promise<boolean> {
    const vars = this.variablesAt(host.key);
    if (target.event === 'message' && target.message) {
      let correlationKey: unknown;
      try {
        correlationKey = evaluateValue(target.message.correlationKey, vars);
      } catch (err) {
        await this.stuckExisting(host, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
        return false;
      }
      if (typeof correlationKey !== 'string' && typeof correlationKey !== 'number') {
        // Zeebe: the correlation key must evaluate to a string or a number.
        await this.stuckExisting(
          host,
          'activate',
          'EXTRACT_VALUE_ERROR',
          `Failed to extract the correlation key for '${target.message.correlationKey}': The value must be either a string or a number, but was ${correlationKey === undefined ? 'null' : typeof correlationKey}.`,
          viaFlow,
        );
        return false;
      }
      this.s.subscriptions.push({
        key: await this.keys.take(this.tx),
        elementInstanceKey: host.key,
        elementId: target.id,
        messageName: target.message.name,
        correlationKey: String(correlationKey),
        interrupting,
      });
      (host.data.hosts ??= {}).s = 1;
      this.s.touch(host);
      return true;
    }
    if (target.event === 'timer' && target.timer) {
      try {
        const value = evaluateValue(target.timer.expression, vars);
        const spec =
          target.timer.kind === 'duration'
            ? { kind: 'duration' as const, duration: String(value) }
            : target.timer.kind === 'date'
              ? { kind: 'date' as const, date: String(value) }
              : { kind: 'cycle' as const, cycle: String(value) };
        const due = firstDue(spec, this.now);
        this.s.timers.push({
          key: await this.keys.take(this.tx),
          elementInstanceKey: host.key,
          elementId: target.id,
          dueAt: due.dueAt,
          repetitionsLeft: due.repetitionsLeft,
          interval: due.interval,
          interrupting,
        });
        (host.data.hosts ??= {}).t = 1;
        this.s.touch(host);
        return true;
      } catch (err) {
        if (!(err instanceof ExpressionError || err instanceof TimerDefinitionError)) throw err;
        await this.stuckExisting(host, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
        return false;
      }
    }
    return true;
  }

  /** Zeebe: a message published earlier with a TTL correlates when the subscription opens. */
  private async correlateBuffered(host: ElementInstance, targets: Node[]): Promise<void> {
    for (const sub of this.s.subscriptions.filter((x) => x.elementInstanceKey === host.key)) {
      if (!targets.some((t) => t.id === sub.elementId)) continue;
      const msg = await this.buffer.take(this.tx, sub.messageName, sub.correlationKey, this.s.instance.bpmnProcessId);
      if (msg) {
        await this.trigger(host.key, sub.elementId, msg.variables);
        return;
      }
    }
  }

  // ---- event triggers -----------------------------------------------------

  /** A message or timer arrived for `targetId`, hosted by element instance `hostKey`. */
  private async trigger(hostKey: string, targetId: string, variables: Variables): Promise<void> {
    const host = this.s.elements.get(hostKey);
    if (!host || host.state !== 'ACTIVE') return; // already left: a late duplicate changes nothing
    const target = this.node(targetId);
    if (target.type === 'boundaryEvent') return this.triggerBoundary(host, target, variables);
    if (host.elementType === 'eventBasedGateway') {
      // The first event wins; the gateway's other subscriptions and timers are closed.
      const gateway = this.node(host.elementId);
      this.s.remove(host);
      this.audit(host.key, gateway, 'ELEMENT_COMPLETED');
      const key = await this.keys.take(this.tx);
      this.audit(key, target, 'ELEMENT_ACTIVATED');
      if (target.type === 'receiveTask') {
        const ei = this.newElement(key, target, host.flowScopeKey);
        return this.leave(ei, target, variables);
      }
      this.applyOutputs(target, undefined, host.flowScopeKey, variables);
      this.audit(key, target, 'ELEMENT_COMPLETED');
      return this.takeFlows(target, host.flowScopeKey);
    }
    this.s.clearEvents(host);
    return this.leave(host, target, variables);
  }

  private async triggerBoundary(host: ElementInstance, boundary: Node, variables: Variables): Promise<void> {
    if (boundary.interrupting) this.terminate(host);
    const key = await this.keys.take(this.tx);
    this.audit(key, boundary, 'ELEMENT_ACTIVATED');
    this.applyOutputs(boundary, undefined, host.flowScopeKey, variables);
    this.audit(key, boundary, 'ELEMENT_COMPLETED');
    return this.takeFlows(boundary, host.flowScopeKey);
  }

  /** Looks for an error boundary catching `code` from `from` outwards; true when caught. */
  private async throwError(from: ElementInstance, code: string, variables: Variables): Promise<boolean> {
    let ei: ElementInstance | undefined = from;
    while (ei) {
      const node = this.node(ei.elementId);
      const catcher = node.boundaries.map((b) => this.node(b)).find((b) => b.event === 'error' && (b.errorCode === undefined || b.errorCode === code));
      if (catcher) {
        await this.triggerBoundary(ei, catcher, variables);
        return true;
      }
      ei = this.s.elements.get(ei.flowScopeKey);
    }
    return false;
  }

  /** Terminates an element and everything inside it; its jobs, subscriptions and timers go. */
  private terminate(ei: ElementInstance): void {
    for (const child of this.s.children(ei.key)) this.terminate(child);
    for (const done of [...this.s.elements.values()].filter((e) => e.flowScopeKey === ei.key)) this.s.remove(done);
    this.s.remove(ei);
    this.s.resolveIncidentsOf.add(ei.key);
    this.audit(ei.key, this.node(ei.elementId), 'ELEMENT_TERMINATED');
  }

  // ---- leaving elements ----------------------------------------------------

  private async completeTransient(key: string, node: Node, flowScopeKey: string): Promise<void> {
    this.audit(key, node, 'ELEMENT_COMPLETED');
    return this.takeFlows(node, flowScopeKey);
  }

  /** Completes a waiting element: outputs, compensation bookkeeping, then its outgoing flows. */
  private async leave(ei: ElementInstance, node: Node, result: Variables): Promise<void> {
    try {
      this.applyOutputs(node, ei, ei.flowScopeKey, result);
    } catch (err) {
      // Kept locally so that resolving the incident maps the same result again.
      ei.variables = { ...ei.variables, ...result };
      return this.stuckExisting(ei, 'leave', 'IO_MAPPING_ERROR', (err as Error).message);
    }
    this.audit(ei.key, node, 'ELEMENT_COMPLETED');
    const hosts = ei.data.hosts;
    this.s.remove(ei);
    if (node.compensationHandler) {
      // Zeebe 8.5+: a completed activity with a compensation handler can be compensated later.
      this.s.put({ ...ei, state: 'COMPLETED', data: { compensable: true } });
    }
    if (hosts) for (const k of ['j', 's', 't'] as const) if (hosts[k]) this.s.clearHosted[k].add(ei.key);
    if (ei.data.throwKey) return this.compensationHandlerDone(ei);
    return this.takeFlows(node, ei.flowScopeKey);
  }

  private async takeFlows(node: Node, flowScopeKey: string): Promise<void> {
    if (node.outgoing.length === 0) {
      this.scopesToCheck.add(flowScopeKey);
      return;
    }
    for (const flow of node.outgoing) await this.activate(flow.target, flowScopeKey, flow.id);
  }

  private async exclusive(key: string, node: Node, flowScopeKey: string, viaFlow?: string): Promise<void> {
    if (node.outgoing.length === 1 && !node.outgoing[0]!.condition) return this.completeTransient(key, node, flowScopeKey);
    const vars = this.variablesAt(flowScopeKey);
    let chosen: string | undefined;
    try {
      // Zeebe: conditions are evaluated in the order of the outgoing flows; the default flow is taken when none is true.
      chosen = node.outgoing.find((f) => f.id !== node.defaultFlow && f.condition !== undefined && evaluateCondition(f.condition, vars))?.target;
    } catch (err) {
      return this.stuck(key, node, flowScopeKey, 'activate', 'CONDITION_ERROR', (err as Error).message, viaFlow);
    }
    chosen ??= node.outgoing.find((f) => f.id === node.defaultFlow)?.target;
    if (!chosen) {
      return this.stuck(
        key,
        node,
        flowScopeKey,
        'activate',
        'CONDITION_ERROR',
        `Expected at least one condition to evaluate to true, or to have a default flow (gateway ${node.id})`,
        viaFlow,
      );
    }
    if (this.s.elements.has(key)) this.s.remove(this.s.elements.get(key)!);
    this.audit(key, node, 'ELEMENT_COMPLETED');
    const flow = node.outgoing.find((f) => f.target === chosen)!;
    return this.activate(chosen, flowScopeKey, flow.id);
  }

  private async parallel(key: string, node: Node, flowScopeKey: string, viaFlow?: string): Promise<void> {
    if (node.incoming.length <= 1) return this.completeTransient(key, node, flowScopeKey);
    // Join: wait until a token has arrived on every incoming flow (extra tokens on one flow queue up).
    let join = this.s.children(flowScopeKey).find((e) => e.elementId === node.id);
    if (!join) {
      join = this.newElement(key, node, flowScopeKey);
      join.data.arrived = [];
    } else {
      this.audit(join.key, node, 'ELEMENT_ACTIVATED');
    }
    join.data.arrived = [...(join.data.arrived ?? []), viaFlow ?? '?'];
    this.s.touch(join);
    const arrived = join.data.arrived;
    if (!node.incoming.every((f) => arrived.includes(f))) return;
    for (const f of node.incoming) arrived.splice(arrived.indexOf(f), 1);
    if (arrived.length === 0) this.s.remove(join);
    this.audit(join.key, node, 'ELEMENT_COMPLETED');
    return this.takeFlows(node, flowScopeKey);
  }

  private async end(key: string, node: Node, flowScopeKey: string): Promise<void> {
    switch (node.event) {
      case 'terminate': {
        // Zeebe: a terminate end event terminates every element of its flow scope, which then completes.
        for (const child of this.s.children(flowScopeKey)) this.terminate(child);
        this.audit(key, node, 'ELEMENT_COMPLETED');
        this.scopesToCheck.add(flowScopeKey);
        return;
      }
      case 'error': {
        const scope = this.s.elements.get(flowScopeKey);
        const code = node.errorCode ?? '';
        if (scope && (await this.throwError(scope, code, {}))) {
          this.audit(key, node, 'ELEMENT_COMPLETED');
          return;
        }
        return this.stuck(
          key,
          node,
          flowScopeKey,
          'activate',
          'UNHANDLED_ERROR_EVENT',
          `Expected to throw an error event with the code '${code}', but it was not caught.`,
        );
      }
      case 'compensation':
        return this.throwCompensation(key, node, flowScopeKey, true);
      default:
        this.audit(key, node, 'ELEMENT_COMPLETED');
        this.scopesToCheck.add(flowScopeKey);
    }
  }

  // ---- compensation (Zeebe 8.5+) ------------------------------------------

  /**
   * Runs the compensation handlers of the completed activities in scope (all of
   * them, or the one named by activityRef) and waits for them before going on.
   */
  private async throwCompensation(key: string, node: Node, flowScopeKey: string, isEnd: boolean): Promise<void> {
    const inScope = (e: ElementInstance) => flowScopeKey === this.root || e.flowScopeKey === flowScopeKey || this.isInside(e.flowScopeKey, flowScopeKey);
    const done = [...this.s.elements.values()].filter(
      (e) => e.state === 'COMPLETED' && e.data.compensable && inScope(e) && (!node.compensateActivity || e.elementId === node.compensateActivity),
    );
    if (done.length === 0) {
      this.audit(key, node, 'ELEMENT_COMPLETED');
      if (isEnd) this.scopesToCheck.add(flowScopeKey);
      else return this.takeFlows(node, flowScopeKey);
      return;
    }
    const thrower = this.newElement(key, node, flowScopeKey);
    const handlers = await Promise.all(done.map(async (activity) => ({ activity, key: await this.keys.take(this.tx) })));
    thrower.data.waiting = handlers.map((h) => h.key);
    this.s.touch(thrower);
    for (const { activity, key: handlerKey } of handlers) {
      this.s.remove(activity);
      this.handlerLinks.set(handlerKey, { throwKey: thrower.key, compensates: activity.key, variables: activity.variables });
      await this.activate(this.node(activity.elementId).compensationHandler as string, flowScopeKey, undefined, undefined, handlerKey);
    }
  }

  private isInside(scopeKey: string, ancestorKey: string): boolean {
    let key: string | undefined = scopeKey;
    while (key && key !== this.root) {
      if (key === ancestorKey) return true;
      key = this.s.elements.get(key)?.flowScopeKey;
    }
    return false;
  }

  private async compensationHandlerDone(handler: ElementInstance): Promise<void> {
    const thrower = this.s.elements.get(handler.data.throwKey as string);
    if (!thrower?.data.waiting) return;
    thrower.data.waiting = thrower.data.waiting.filter((k) => k !== handler.key);
    this.s.touch(thrower);
    await this.maybeFinishThrow(thrower);
  }

  private async maybeFinishThrow(thrower: ElementInstance): Promise<void> {
    if ((thrower.data.waiting ?? []).length > 0) return;
    const node = this.node(thrower.elementId);
    this.s.remove(thrower);
    this.audit(thrower.key, node, 'ELEMENT_COMPLETED');
    if (node.type === 'endEvent') this.scopesToCheck.add(thrower.flowScopeKey);
    else await this.takeFlows(node, thrower.flowScopeKey);
  }

  // ---- scope completion ---------------------------------------------------

  /** A scope with no active element left completes: a sub-process leaves, the process instance ends. */
  private async settle(): Promise<void> {
    while (this.scopesToCheck.size > 0) {
      const [scopeKey] = this.scopesToCheck;
      this.scopesToCheck.delete(scopeKey as string);
      if (this.s.children(scopeKey as string).length > 0) continue;
      if (scopeKey === this.root) {
        if (this.s.instance.state !== 'ACTIVE') continue;
        this.s.instance.state = 'COMPLETED';
        this.s.instanceChanged = true;
        for (const ei of [...this.s.elements.values()]) this.s.remove(ei);
        this.audit(this.root, this.model.root, 'ELEMENT_COMPLETED');
        continue;
      }
      const scope = this.s.elements.get(scopeKey as string);
      if (scope && scope.state === 'ACTIVE' && WAITING_TYPES.has(scope.elementType)) await this.leave(scope, this.node(scope.elementId), {});
    }
  }
}
