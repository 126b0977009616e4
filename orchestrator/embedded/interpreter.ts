// Runs one process instance from one event to its next wait states, in memory,
// over the state loaded for that event. The rules are Zeebe's (docs.camunda.io,
// "BPMN coverage" and each element's page); comments cite the rule where it is subtle.
import type { SqlSession } from '../../infra/database.js';
import type { Variables } from '../engine.js';
import { assignPath, evaluateCondition, evaluateValue, ExpressionError } from './feel.js';
import type { KeyAllocator } from './keys.js';
import type { Flow, Model, Node } from './model.js';
import { visibleVariables, type ElementInstance, type EscalatedError, type InstanceState } from './state.js';
import { firstDue, nextCycleDue, TimerDefinitionError } from './timer-definition.js';
import { DecisionEvaluationError, evaluateDecision, type DecisionResult } from './dmn/evaluate.js';
import type { DeployedDecision } from './dmn/deployed-decisions.js';
import { evaluationRecords } from './dmn/records.js';
import { loopLocals, MULTI_INSTANCE_BODY, readCollection } from './multi-instance.js';
import { signalNameOf } from './signals.js';

export type Buffered = { key: string; variables: Variables };
export type MessageBuffer = {
  /** The oldest buffered, unexpired message for this subscription not yet correlated to this process id; marks it correlated. */
  take(tx: SqlSession, name: string, correlationKey: string, bpmnProcessId: string): Promise<Buffered | undefined>;
};

/** The deployed decisions business rule tasks evaluate (definitions.ts). */
export type DecisionSource = { decision(tx: SqlSession, decisionId: string): Promise<DeployedDecision | undefined> };

const WAITING_TYPES = new Set(['serviceTask', 'sendTask', 'receiveTask', 'subProcess', 'eventSubProcess', 'eventBasedGateway', 'intermediateCatchEvent']);

export class Interpreter {
  private readonly scopesToCheck = new Set<string>();
  /** Compensation handlers about to be activated, by their element instance key. */
  private readonly handlerLinks = new Map<string, { throwKey: string; compensates: string; variables: Variables }>();
  /** Multi-instance inner instances about to be activated: their loop variables (inputElement, loopCounter, outputElement). */
  private readonly loopSeeds = new Map<string, Variables>();

  constructor(
    private readonly model: Model,
    private readonly s: InstanceState,
    private readonly tx: SqlSession,
    private readonly keys: KeyAllocator,
    private readonly buffer: MessageBuffer,
    private readonly decisions: DecisionSource,
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

  /**
   * Zeebe: without output mappings the result merges from the element instance outwards
   * (a local variable of that name takes it); output mappings merge into the flow scope,
   * or into the element's own scope when it is a multi-instance inner instance.
   */
  private applyOutputs(node: Node, ei: ElementInstance | undefined, flowScopeKey: string, result: Variables): void {
    if (node.outputs.length === 0) {
      this.propagate(ei?.key ?? flowScopeKey, result);
      return;
    }
    const context = { ...this.variablesAt(flowScopeKey), ...(ei?.variables ?? {}), ...result };
    const out: Variables = {};
    for (const m of node.outputs) assignPath(out, m.target, evaluateValue(m.source, context));
    this.propagate(ei && this.isInner(ei) ? ei.key : flowScopeKey, out);
  }

  private inputs(node: Node, flowScopeKey: string, seed: Variables = {}): Variables {
    const local: Variables = {};
    if (node.inputs.length === 0) return local;
    const context = { ...this.variablesAt(flowScopeKey), ...seed };
    for (const m of node.inputs) assignPath(local, m.target, evaluateValue(m.source, { ...context, ...local }));
    return local;
  }

  // ---- audit and incidents ------------------------------------------------

  private audit(key: string, node: Node, intent: 'ELEMENT_ACTIVATED' | 'ELEMENT_COMPLETED' | 'ELEMENT_TERMINATED', elementType = node.type): void {
    this.s.audit.push({ elementInstanceKey: key, elementId: node.id, elementType, intent });
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
    // Zeebe: the event sub-processes' start events open as the process is activated.
    await this.openEventSubProcesses(this.root, this.model.root);
    await this.activate(start, this.root);
    await this.correlateBuffered(this.root, this.eventSubProcessStarts(this.model.root));
    await this.settle();
  }

  async jobCompleted(ei: ElementInstance, variables: Variables): Promise<void> {
    const node = this.node(ei.elementId);
    await this.leave(ei, node, variables);
    await this.settle();
  }

  /** A BPMN error from a job: caught by the nearest matching error boundary, else (above a call activity, else) an incident. */
  async jobErrorThrown(ei: ElementInstance, jobKey: string, errorCode: string, errorMessage: string, variables: Variables): Promise<boolean> {
    const caught = await this.throwError(ei, errorCode, variables);
    if (!caught) {
      await this.notCaughtHere({
        code: errorCode,
        message: errorMessage,
        variables,
        thrower: { key: ei.key, elementId: ei.elementId, flowScopeKey: ei.flowScopeKey },
        jobKey,
      });
    }
    await this.settle();
    return caught;
  }

  // ---- call activities (call-activities.ts drives these across instances) ----

  /** The called process is deployed: the call activity opens its boundary events and waits for child `childKey`. False when it got no further (an incident, or a boundary event took it at once). */
  async callActivityReady(ei: ElementInstance, childKey: string): Promise<boolean> {
    const ready = (await this.openBoundaries(ei, this.node(ei.elementId))) && this.stillActive(ei.key);
    if (ready) {
      ei.data.called = childKey;
      this.s.touch(ei);
    }
    await this.settle();
    return ready;
  }

  /** The called process is not deployed (or has no none start event): an incident on the call activity; resolving it activates it again. */
  async calledElementMissing(ei: ElementInstance, message: string, viaFlow?: string): Promise<void> {
    await this.stuckExisting(ei, 'activate', 'CALLED_ELEMENT_ERROR', message, viaFlow);
    await this.settle();
  }

  /**
   * The child completed. Zeebe: its variables are the call activity's result, as a job's
   * (then its output mappings); without propagateAllChildVariables only what the output
   * mappings take from them.
   */
  async calledProcessCompleted(ei: ElementInstance, childVariables: Variables): Promise<void> {
    const node = this.node(ei.elementId);
    delete ei.data.called;
    this.s.touch(ei);
    await this.leave(ei, node, node.call?.propagateAllChildVariables || node.outputs.length > 0 ? childVariables : {});
    await this.settle();
  }

  /** An error a child instance did not catch, thrown at its call activity `ei`: true when an error boundary here caught it. */
  async childErrorThrown(ei: ElementInstance, code: string, variables: Variables): Promise<boolean> {
    const caught = await this.throwError(ei, code, variables);
    await this.settle();
    return caught;
  }

  /** An error that nothing in the call activities above this child instance caught either. */
  async errorNotCaught(e: EscalatedError): Promise<void> {
    await this.uncaught(e);
    await this.settle();
  }

  /** Zeebe: an error nothing caught is an incident where it was thrown. */
  private async uncaught(e: EscalatedError): Promise<void> {
    if (e.jobKey === undefined) {
      return this.stuck(
        e.thrower.key,
        this.node(e.thrower.elementId),
        e.thrower.flowScopeKey,
        'activate',
        'UNHANDLED_ERROR_EVENT',
        `Expected to throw an error event with the code '${e.code}', but it was not caught.`,
      );
    }
    const ei = this.s.elements.get(e.thrower.key);
    if (!ei) return;
    await this.incident(
      ei,
      'UNHANDLED_ERROR_EVENT',
      `Expected to throw an error event with the code '${e.code}' with message '${e.message}', but it was not caught. No error events are available in the scope.`,
      e.jobKey,
    );
    // The job is kept (as ERROR_THROWN) so that resolving the incident offers it again.
    const job = this.node(ei.elementId).job;
    this.s.jobs.push({
      key: e.jobKey,
      elementInstanceKey: ei.key,
      elementId: ei.elementId,
      type: job?.type ?? '',
      retries: 1,
      customHeaders: job?.headers ?? {},
      state: 'ERROR_THROWN',
      errorMessage: e.message,
    });
    (ei.data.hosts ??= {}).j = 1;
    this.s.touch(ei);
  }

  /** Zeebe: an error nothing in a child instance caught goes to its call activity (call-activities.ts); elsewhere it is an incident. */
  private async notCaughtHere(e: EscalatedError): Promise<void> {
    if (this.s.instance.parent) this.s.escalatedErrors.push(e);
    else await this.uncaught(e);
  }

  /** False when the subscription's element was already left (the message then stays free for others). */
  async messageCorrelated(sub: { elementInstanceKey: string; elementId: string }, variables: Variables): Promise<boolean> {
    if (!this.scopeActive(sub.elementInstanceKey)) return false;
    await this.trigger(sub.elementInstanceKey, sub.elementId, variables);
    await this.settle();
    return true;
  }

  /** A broadcast signal reaches these subscriptions of this instance, oldest first; a host already left (by an earlier one too) is skipped. */
  async signalReceived(subs: { elementInstanceKey: string; elementId: string }[], variables: Variables): Promise<void> {
    for (const sub of subs) {
      if (this.scopeActive(sub.elementInstanceKey)) await this.trigger(sub.elementInstanceKey, sub.elementId, structuredClone(variables));
    }
    await this.settle();
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
    // A non-interrupting cycle on a boundary or an event sub-process fires again while its host is active.
    const repeats = target.type === 'boundaryEvent' || this.isEventSubProcessStart(target);
    if (
      this.scopeActive(timer.elementInstanceKey) &&
      repeats &&
      !timer.interrupting &&
      timer.interval &&
      (timer.repetitionsLeft === null || timer.repetitionsLeft > 0)
    ) {
      const next = nextCycleDue(timer.interval, timer.dueAt, timer.repetitionsLeft);
      if (next) {
        this.s.timers.push({
          key: await this.keys.take(this.tx),
          elementInstanceKey: timer.elementInstanceKey,
          elementId: target.id,
          dueAt: next.dueAt,
          repetitionsLeft: next.repetitionsLeft,
          interval: timer.interval,
          interrupting: false,
        });
        if (host) {
          (host.data.hosts ??= {}).t = 1;
          this.s.touch(host);
        }
      }
    }
    await this.trigger(timer.elementInstanceKey, timer.elementId, {});
    await this.settle();
  }

  async cancel(): Promise<void> {
    this.closeRootEvents();
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
      if (this.isInner(ei)) this.loopSeeds.set(ei.key, { ...ei.variables });
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
    if (node.loop && !this.isBodyOf(flowScopeKey, node)) return this.activateBody(node, flowScopeKey, viaFlow, retryKey);
    key ??= retryKey ?? (await this.keys.take(this.tx));
    if (!retryKey) this.audit(key, node, 'ELEMENT_ACTIVATED');

    let locals: Variables;
    try {
      const seed = this.loopSeeds.get(key) ?? {};
      locals = { ...seed, ...this.inputs(node, flowScopeKey, seed) };
    } catch (err) {
      return this.stuck(key, node, flowScopeKey, 'activate', 'IO_MAPPING_ERROR', (err as Error).message, viaFlow);
    }
    if (node.event === 'signal' && (node.type === 'intermediateThrowEvent' || node.type === 'endEvent'))
      return this.throwSignal(key, node, flowScopeKey, locals, viaFlow);

    switch (node.type) {
      case 'startEvent':
      case 'intermediateThrowEvent':
        if (node.event === 'compensation') return this.throwCompensation(key, node, flowScopeKey, false);
        if (node.event === 'escalation') return this.throwEscalation(key, node, flowScopeKey, false);
        return this.completeTransient(key, node, flowScopeKey);
      case 'endEvent':
        return this.end(key, node, flowScopeKey);
      case 'exclusiveGateway':
        return this.exclusive(key, node, flowScopeKey, viaFlow);
      case 'parallelGateway':
        return this.parallel(key, node, flowScopeKey, viaFlow);
      case 'inclusiveGateway':
        // A resolved incident retries the fork: the join had fired already.
        return node.incoming.length > 1 && !retryKey
          ? this.inclusiveJoin(key, node, flowScopeKey, viaFlow)
          : this.inclusiveFork(key, node, flowScopeKey, viaFlow);
      case 'manualTask':
      case 'task': {
        // Zeebe: a manual task and an undefined task are passed through.
        const ei = this.newElement(key, node, flowScopeKey, locals);
        if (!(await this.openBoundaries(ei, node)) || !this.stillActive(key)) return;
        return this.leave(ei, node, {});
      }
      case 'scriptTask':
      case 'businessRuleTask':
      case 'serviceTask':
      case 'sendTask': {
        if (node.script) return this.runScript(key, node, flowScopeKey, locals, viaFlow);
        // A business rule task with a task definition is a job, like a service task.
        if (node.decision) return this.evaluateBusinessRule(key, node, flowScopeKey, locals, viaFlow);
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
        if (!(await this.openEventSubProcesses(key, node))) return;
        await this.activate(node.startEvents[0] as string, key);
        if (this.stillActive(key)) await this.correlateBuffered(key, this.eventSubProcessStarts(node));
        return;
      }
      case 'eventSubProcess': {
        // Only when an incident on its input mappings is resolved: the trigger's variables were applied already.
        this.newElement(key, node, flowScopeKey, locals);
        return this.activate(node.trigger as string, key);
      }
      case 'callActivity': {
        const ei = this.newElement(key, node, flowScopeKey, locals);
        let processId: unknown;
        try {
          processId = evaluateValue(node.call!.processId, this.variablesAt(key));
        } catch (err) {
          return this.stuckExisting(ei, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
        }
        if (typeof processId !== 'string' || processId === '') {
          const was = processId === undefined ? 'null' : JSON.stringify(processId);
          return this.stuckExisting(
            ei,
            'activate',
            'EXTRACT_VALUE_ERROR',
            `Expected the called process id '${node.call!.processId}' to be a string, but was ${was}.`,
            viaFlow,
          );
        }
        // Zeebe: the child gets every variable visible here, or with propagateAllParentVariables="false" the input mappings' alone.
        const variables = node.call!.propagateAllParentVariables ? this.variablesAt(key) : { ...ei.variables };
        // call-activities.ts looks the process up and starts the child (then callActivityReady), or raises the incident.
        this.s.calls.push({ elementInstanceKey: key, processId, variables, viaFlow });
        return;
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
    const ei = this.s.elements.get(key) ?? this.newElement(key, node, flowScopeKey, { ...this.loopSeeds.get(key) });
    return this.stuckExisting(ei, step, errorType, message, viaFlow);
  }

  private async stuckExisting(ei: ElementInstance, step: 'activate' | 'leave', errorType: string, message: string, viaFlow?: string): Promise<void> {
    ei.data.retry = step;
    if (viaFlow) ei.data.viaFlow = viaFlow;
    this.s.touch(ei);
    await this.incident(ei, errorType, message);
  }

  private async openBoundaries(host: ElementInstance, node: Node): Promise<boolean> {
    // Zeebe: the boundary events of a multi-instance activity belong to its body, not to the inner instances.
    if (this.isInner(host)) return true;
    const events = node.boundaries.map((b) => this.node(b)).filter((b) => b.event === 'message' || b.event === 'timer' || b.event === 'signal');
    for (const b of events) if (!(await this.openEvent(host, b, b.interrupting))) return false;
    if (events.some((b) => b.event === 'message')) await this.correlateBuffered(host, events);
    return true;
  }

  /** Opens the message subscription or timer of `target`, hosted by `host`. False: an incident was raised. */
  private async openEvent(host: ElementInstance, target: Node, interrupting: boolean, viaFlow?: string): Promise<boolean> {
    const failure = await this.openEventAt(host.key, target, interrupting, this.variablesAt(host.key));
    if (failure) {
      await this.stuckExisting(host, 'activate', 'EXTRACT_VALUE_ERROR', failure, viaFlow);
      return false;
    }
    const table = target.event === 'message' ? 's' : target.event === 'timer' ? 't' : target.event === 'signal' ? 'g' : undefined;
    if (table) {
      (host.data.hosts ??= {})[table] = 1;
      this.s.touch(host);
    }
    return true;
  }

  /** Adds the subscription or timer row of `target` hosted by `hostKey`; the reason when its expression fails. */
  private async openEventAt(hostKey: string, target: Node, interrupting: boolean, vars: Variables): Promise<string | undefined> {
    if (target.event === 'message' && target.message) {
      let correlationKey: unknown;
      try {
        correlationKey = evaluateValue(target.message.correlationKey, vars);
      } catch (err) {
        return (err as Error).message;
      }
      if (typeof correlationKey !== 'string' && typeof correlationKey !== 'number') {
        // Zeebe: the correlation key must evaluate to a string or a number.
        return `Failed to extract the correlation key for '${target.message.correlationKey}': The value must be either a string or a number, but was ${correlationKey === undefined ? 'null' : typeof correlationKey}.`;
      }
      this.s.subscriptions.push({
        key: await this.keys.take(this.tx),
        elementInstanceKey: hostKey,
        elementId: target.id,
        messageName: target.message.name,
        correlationKey: String(correlationKey),
        interrupting,
      });
      return undefined;
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
          elementInstanceKey: hostKey,
          elementId: target.id,
          dueAt: due.dueAt,
          repetitionsLeft: due.repetitionsLeft,
          interval: due.interval,
          interrupting,
        });
        return undefined;
      } catch (err) {
        if (!(err instanceof ExpressionError || err instanceof TimerDefinitionError)) throw err;
        return (err as Error).message;
      }
    }
    if (target.event === 'signal' && target.signal) {
      const name = signalNameOf(target, vars);
      if (name.failure !== undefined) return name.failure;
      this.s.signalSubscriptions.push({ key: await this.keys.take(this.tx), elementInstanceKey: hostKey, elementId: target.id, signalName: name.value });
    }
    return undefined;
  }

  /** Zeebe: a message published earlier with a TTL correlates when the subscription opens. */
  private async correlateBuffered(host: ElementInstance | string, targets: Node[]): Promise<void> {
    const hostKey = typeof host === 'string' ? host : host.key;
    for (const sub of this.s.subscriptions.filter((x) => x.elementInstanceKey === hostKey)) {
      if (!targets.some((t) => t.id === sub.elementId)) continue;
      const msg = await this.buffer.take(this.tx, sub.messageName, sub.correlationKey, this.s.instance.bpmnProcessId);
      if (msg) {
        await this.trigger(hostKey, sub.elementId, msg.variables);
        // An interrupting event sub-process closed the scope's other subscriptions; a non-interrupting one leaves them open.
        if (typeof host !== 'string') return;
      }
    }
  }

  // ---- event triggers -----------------------------------------------------

  /** A message or timer arrived for `targetId`, hosted by element instance `hostKey`. */
  private async trigger(hostKey: string, targetId: string, variables: Variables): Promise<void> {
    const target = this.node(targetId);
    if (this.isEventSubProcessStart(target)) {
      if (this.scopeActive(hostKey)) await this.triggerEventSubProcess(hostKey, target, variables);
      return;
    }
    const host = this.s.elements.get(hostKey);
    if (!host || host.state !== 'ACTIVE') return; // already left: a late duplicate changes nothing
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
    let cameFrom: ElementInstance | undefined;
    const catches = (n: Node) => n.event === 'error' && (n.errorCode === undefined || n.errorCode === code);
    while (ei) {
      const node = this.node(ei.elementId);
      // Inside a scope, its error event sub-processes come first (not for an error thrown inside one of them).
      const handler = cameFrom?.elementType === 'eventSubProcess' ? undefined : this.eventSubProcessStarts(node).find(catches);
      if (handler) {
        await this.triggerEventSubProcess(ei.key, handler, variables);
        return true;
      }
      const catcher = this.isInner(ei)
        ? undefined
        : node.boundaries.map((b) => this.node(b)).find((b) => b.event === 'error' && (b.errorCode === undefined || b.errorCode === code));
      if (catcher) {
        await this.triggerBoundary(ei, catcher, variables);
        return true;
      }
      cameFrom = ei;
      ei = this.s.elements.get(ei.flowScopeKey);
    }
    return cameFrom?.elementType === 'eventSubProcess' ? false : this.catchErrorAtRoot(code, variables);
  }

  /** An error event sub-process of the process itself catching `code`; true when one did. */
  private async catchErrorAtRoot(code: string, variables: Variables): Promise<boolean> {
    const handler = this.eventSubProcessStarts(this.model.root).find((n) => n.event === 'error' && (n.errorCode === undefined || n.errorCode === code));
    if (!handler) return false;
    await this.triggerEventSubProcess(this.root, handler, variables);
    return true;
  }

  /** Terminates an element and everything inside it; its jobs, subscriptions and timers go. */
  private terminate(ei: ElementInstance): void {
    for (const child of this.s.children(ei.key)) this.terminate(child);
    for (const done of [...this.s.elements.values()].filter((e) => e.flowScopeKey === ei.key)) this.s.remove(done);
    this.s.remove(ei);
    this.s.resolveIncidentsOf.add(ei.key);
    this.audit(ei.key, this.node(ei.elementId), 'ELEMENT_TERMINATED', ei.elementType);
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
    const inner = this.isInner(ei);
    let loopEnd: { element: unknown; done: boolean } | undefined;
    if (inner) {
      try {
        loopEnd = this.loopEnd(ei, node);
      } catch (err) {
        return this.stuckExisting(ei, 'leave', 'EXTRACT_VALUE_ERROR', (err as Error).message);
      }
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
    if (loopEnd) return this.innerCompleted(ei, node, loopEnd);
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
    if (!chosen) return this.noFlowTaken(key, node, flowScopeKey, viaFlow);
    if (this.s.elements.has(key)) this.s.remove(this.s.elements.get(key)!);
    this.audit(key, node, 'ELEMENT_COMPLETED');
    const flow = node.outgoing.find((f) => f.target === chosen)!;
    return this.activate(chosen, flowScopeKey, flow.id);
  }

  /** Zeebe: a gateway with no true condition and no default flow stops with an incident. */
  private noFlowTaken(key: string, node: Node, flowScopeKey: string, viaFlow?: string): Promise<void> {
    const message = `Expected at least one condition to evaluate to true, or to have a default flow (gateway ${node.id})`;
    return this.stuck(key, node, flowScopeKey, 'activate', 'CONDITION_ERROR', message, viaFlow);
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
        if (scope ? await this.throwError(scope, code, {}) : await this.catchErrorAtRoot(code, {})) {
          this.audit(key, node, 'ELEMENT_COMPLETED');
          return;
        }
        return this.notCaughtHere({ code, message: '', variables: {}, thrower: { key, elementId: node.id, flowScopeKey } });
      }
      case 'compensation':
        return this.throwCompensation(key, node, flowScopeKey, true);
      case 'escalation':
        return this.throwEscalation(key, node, flowScopeKey, true);
      default:
        this.audit(key, node, 'ELEMENT_COMPLETED');
        this.scopesToCheck.add(flowScopeKey);
    }
  }

  // ---- script tasks (FEEL) ------------------------------------------------------

  /** Zeebe: a script task with zeebe:script evaluates its FEEL expression and completes with the value in resultVariable. */
  private async runScript(key: string, node: Node, flowScopeKey: string, locals: Variables, viaFlow?: string): Promise<void> {
    const ei = this.newElement(key, node, flowScopeKey, locals);
    if (!(await this.openBoundaries(ei, node)) || !this.stillActive(key)) return;
    let value: unknown;
    try {
      value = evaluateValue(node.script!.expression, this.variablesAt(key));
    } catch (err) {
      return this.stuckExisting(ei, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
    }
    return this.leave(ei, node, { [node.script!.resultVariable]: value ?? null });
  }

  // ---- business rule tasks (DMN) ---------------------------------------------

  /**
   * Zeebe: the engine evaluates the called decision (its latest version) over the
   * variables in scope and completes the task with the result in resultVariable. No
   * such decision: CALLED_DECISION_ERROR; a failed evaluation: DECISION_EVALUATION_ERROR.
   * Either way the evaluation is recorded, as Operate shows it.
   */
  private async evaluateBusinessRule(key: string, node: Node, flowScopeKey: string, locals: Variables, viaFlow?: string): Promise<void> {
    const ei = this.newElement(key, node, flowScopeKey, locals);
    if (!(await this.openBoundaries(ei, node)) || !this.stillActive(key)) return;
    const called = node.decision!;
    const vars = this.variablesAt(key);
    let decisionId: string;
    try {
      decisionId = String(evaluateValue(called.decisionId, vars));
    } catch (err) {
      return this.stuckExisting(ei, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
    }
    const deployed = await this.decisions.decision(this.tx, decisionId);
    if (!deployed) {
      return this.stuckExisting(
        ei,
        'activate',
        'CALLED_DECISION_ERROR',
        `Expected to evaluate decision '${decisionId}', but no decision found for id '${decisionId}'`,
        viaFlow,
      );
    }
    let outcome: DecisionResult | DecisionEvaluationError;
    try {
      outcome = evaluateDecision(deployed.drg, deployed.decisionId, vars);
    } catch (err) {
      if (!(err instanceof DecisionEvaluationError)) throw err;
      outcome = err;
    }
    for (const row of evaluationRecords(deployed, outcome, { processInstanceKey: this.root, elementInstanceKey: key, elementId: node.id }))
      this.s.decisionEvaluations.push({ key: await this.keys.take(this.tx), ...row });
    if (outcome instanceof DecisionEvaluationError) return this.stuckExisting(ei, 'activate', 'DECISION_EVALUATION_ERROR', outcome.message, viaFlow);
    return this.leave(ei, node, { [called.resultVariable]: outcome.output });
  }

  // ---- inclusive gateways -----------------------------------------------------

  /** Zeebe: every outgoing flow whose condition is true is taken; none true, the default flow; no default, an incident. */
  private async inclusiveFork(key: string, node: Node, flowScopeKey: string, viaFlow?: string): Promise<void> {
    if (node.outgoing.length === 1 && !node.outgoing[0]!.condition) return this.completeTransient(key, node, flowScopeKey);
    const vars = this.variablesAt(flowScopeKey);
    let taken: Flow[];
    try {
      taken = node.outgoing.filter((f) => f.id !== node.defaultFlow && f.condition !== undefined && evaluateCondition(f.condition, vars));
    } catch (err) {
      return this.stuck(key, node, flowScopeKey, 'activate', 'CONDITION_ERROR', (err as Error).message, viaFlow);
    }
    if (taken.length === 0) taken = node.outgoing.filter((f) => f.id === node.defaultFlow);
    if (taken.length === 0) return this.noFlowTaken(key, node, flowScopeKey, viaFlow);
    if (this.s.elements.has(key)) this.s.remove(this.s.elements.get(key)!);
    this.audit(key, node, 'ELEMENT_COMPLETED');
    for (const flow of taken) await this.activate(flow.target, flowScopeKey, flow.id);
  }

  /** A joining inclusive gateway waits, like a parallel join, but only for the incoming flows a token in its scope can still reach. */
  private async inclusiveJoin(key: string, node: Node, flowScopeKey: string, viaFlow?: string): Promise<void> {
    let join = this.s.children(flowScopeKey).find((e) => e.elementId === node.id);
    if (!join) {
      join = this.newElement(key, node, flowScopeKey);
      join.data.arrived = [];
    }
    join.data.arrived = [...(join.data.arrived ?? []), viaFlow ?? '?'];
    this.s.touch(join);
    // Checked once this event has moved every token it moves (settle): a branch taken in the same step must count.
  }

  /** Fires the waiting inclusive joins no other token can reach any more; true when one fired. */
  private async releaseInclusiveJoins(): Promise<boolean> {
    for (const join of [...this.s.elements.values()]) {
      if (join.elementType !== 'inclusiveGateway' || join.state !== 'ACTIVE' || !join.data.arrived) continue;
      const node = this.node(join.elementId);
      const arrived = join.data.arrived;
      const missing = node.incoming.filter((f) => !arrived.includes(f));
      const others = this.s.children(join.flowScopeKey).filter((e) => e.key !== join.key);
      if (missing.length > 0 && others.some((e) => this.canReach(e.elementId, new Set(missing)))) continue;
      for (const f of node.incoming) if (arrived.includes(f)) arrived.splice(arrived.indexOf(f), 1);
      const key = join.key;
      if (arrived.length === 0) this.s.remove(join);
      else this.s.touch(join);
      await this.inclusiveFork(arrived.length === 0 ? key : await this.keys.take(this.tx), node, join.flowScopeKey);
      return true;
    }
    return false;
  }

  /** Whether a token at `fromId` can still take one of `flows` (following outgoing flows and boundary events). */
  private canReach(fromId: string, flows: Set<string>): boolean {
    const seen = new Set<string>();
    const queue = [fromId];
    while (queue.length > 0) {
      const n = this.node(queue.pop() as string);
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      for (const f of n.outgoing) {
        if (flows.has(f.id)) return true;
        queue.push(f.target);
      }
      queue.push(...n.boundaries);
    }
    return false;
  }

  // ---- signals ------------------------------------------------------------------

  /**
   * Zeebe: a signal throw event (intermediate or end) broadcasts its signal, with its local
   * variables (its input mappings') as the signal's variables, and goes on. The broadcast
   * reaches the other instances once this step is saved, in its transaction (signals.ts).
   */
  private async throwSignal(key: string, node: Node, flowScopeKey: string, locals: Variables, viaFlow?: string): Promise<void> {
    const name = signalNameOf(node, { ...this.variablesAt(flowScopeKey), ...locals });
    if (name.failure !== undefined) return this.stuck(key, node, flowScopeKey, 'activate', 'EXTRACT_VALUE_ERROR', name.failure, viaFlow);
    this.s.signals.push({ name: name.value, variables: locals, openedBefore: this.s.signalSubscriptions.map((x) => x.key) });
    this.audit(key, node, 'ELEMENT_COMPLETED');
    if (node.type === 'endEvent') this.scopesToCheck.add(flowScopeKey);
    else await this.takeFlows(node, flowScopeKey);
  }

  // ---- escalation ---------------------------------------------------------------

  /**
   * Zeebe: an escalation goes from the thrower's scope outwards to the first escalation
   * event sub-process or boundary event catching its code. An interrupting catch ends
   * the thrower's flow; a non-interrupting one, or none at all, lets it go on.
   */
  private async throwEscalation(key: string, node: Node, flowScopeKey: string, isEnd: boolean): Promise<void> {
    const code = node.escalationCode ?? '';
    this.audit(key, node, 'ELEMENT_COMPLETED');
    const caught = await this.catchEscalation(flowScopeKey, code);
    if (caught === 'interrupting') return;
    // Not caught here: a child instance passes it to its call activity (call-activities.ts), after going on.
    if (!caught && this.s.instance.parent) this.s.escalations.push(code);
    if (isEnd) this.scopesToCheck.add(flowScopeKey);
    else await this.takeFlows(node, flowScopeKey);
  }

  /** An escalation a child instance did not catch, thrown at its call activity `ei`: true when caught here. */
  async childEscalationThrown(ei: ElementInstance, code: string): Promise<boolean> {
    const caught = await this.catchEscalation(ei.key, code);
    if (!caught && this.s.instance.parent) this.s.escalations.push(code);
    await this.settle();
    return caught !== false;
  }

  /** The first escalation event sub-process or boundary event from `startKey` outwards catching `code`, triggered. */
  private async catchEscalation(startKey: string, code: string): Promise<'interrupting' | 'non-interrupting' | false> {
    const catches = (n: Node) => n.event === 'escalation' && (n.escalationCode === undefined || n.escalationCode === code);
    let scopeKey = startKey;
    let cameFrom: ElementInstance | undefined;
    for (;;) {
      const scope = scopeKey === this.root ? undefined : this.s.elements.get(scopeKey);
      const scopeNode = scope ? this.node(scope.elementId) : this.model.root;
      const handler = cameFrom?.elementType === 'eventSubProcess' ? undefined : this.eventSubProcessStarts(scopeNode).find(catches);
      if (handler) {
        await this.triggerEventSubProcess(scopeKey, handler, {});
        return handler.interrupting ? 'interrupting' : 'non-interrupting';
      }
      if (!scope) return false;
      const boundary = this.isInner(scope) ? undefined : scopeNode.boundaries.map((b) => this.node(b)).find(catches);
      if (boundary) {
        await this.triggerBoundary(scope, boundary, {});
        return boundary.interrupting ? 'interrupting' : 'non-interrupting';
      }
      cameFrom = scope;
      scopeKey = scope.flowScopeKey;
    }
  }

  // ---- event sub-processes ----------------------------------------------------

  private isEventSubProcessStart(node: Node): boolean {
    return node.type === 'startEvent' && this.model.nodes.get(node.scopeId)?.type === 'eventSubProcess';
  }

  private eventSubProcessStarts(scope: Node): Node[] {
    return scope.eventSubProcesses.map((id) => this.node(this.node(id).trigger as string));
  }

  /** The process instance, or an element instance, still active. */
  private scopeActive(key: string): boolean {
    return key === this.root ? this.s.instance.state === 'ACTIVE' : this.s.elements.get(key)?.state === 'ACTIVE';
  }

  /** Opens the message and timer start events of a scope's event sub-processes, hosted by the scope. False: an incident was raised. */
  private async openEventSubProcesses(scopeKey: string, scope: Node): Promise<boolean> {
    const starts = this.eventSubProcessStarts(scope).filter((n) => n.event === 'message' || n.event === 'timer' || n.event === 'signal');
    const host = this.s.elements.get(scopeKey);
    for (const start of starts) {
      if (host) {
        if (!(await this.openEvent(host, start, start.interrupting))) return false;
        continue;
      }
      // The process instance is no element instance: a start it cannot open is an incident on the instance.
      const failure = await this.openEventAt(scopeKey, start, start.interrupting, this.s.instance.variables);
      if (failure) {
        this.s.incidents.push({
          key: await this.keys.take(this.tx),
          elementInstanceKey: scopeKey,
          elementId: start.id,
          errorType: 'EXTRACT_VALUE_ERROR',
          errorMessage: failure,
        });
      }
    }
    return true;
  }

  private closeRootEvents(): void {
    const starts = this.eventSubProcessStarts(this.model.root).map((n) => n.id);
    if (starts.length > 0) this.s.clearEventsAt(this.root, starts);
  }

  /**
   * Zeebe: an interrupting event sub-process terminates everything else in its scope and
   * closes the scope's other event sub-process starts; a non-interrupting one runs beside
   * them. Either way the scope completes only once the event sub-process has.
   */
  private async triggerEventSubProcess(scopeKey: string, start: Node, variables: Variables): Promise<void> {
    const esp = this.node(start.scopeId);
    const scopeNode = scopeKey === this.root ? this.model.root : this.node(this.s.elements.get(scopeKey)!.elementId);
    if (start.interrupting) {
      for (const child of this.s.children(scopeKey)) this.terminate(child);
      this.s.clearEventsAt(
        scopeKey,
        this.eventSubProcessStarts(scopeNode).map((n) => n.id),
      );
    }
    const key = await this.keys.take(this.tx);
    this.audit(key, esp, 'ELEMENT_ACTIVATED');
    let locals: Variables;
    try {
      locals = this.inputs(esp, scopeKey);
    } catch (err) {
      return this.stuck(key, esp, scopeKey, 'activate', 'IO_MAPPING_ERROR', (err as Error).message);
    }
    this.newElement(key, esp, scopeKey, locals);
    const startKey = await this.keys.take(this.tx);
    this.audit(startKey, start, 'ELEMENT_ACTIVATED');
    this.applyOutputs(start, undefined, key, variables);
    this.audit(startKey, start, 'ELEMENT_COMPLETED');
    return this.takeFlows(start, key);
  }

  // ---- multi-instance -------------------------------------------------------

  private isBodyOf(key: string, node: Node): boolean {
    const ei = this.s.elements.get(key);
    return ei?.elementType === MULTI_INSTANCE_BODY && ei.elementId === node.id;
  }

  /** An inner instance of a multi-instance activity: its flow scope is the activity's body. */
  private isInner(ei: ElementInstance): boolean {
    return this.isBodyOf(ei.flowScopeKey, this.node(ei.elementId));
  }

  /**
   * Zeebe: the body evaluates inputCollection (an array, else an incident), opens the
   * activity's boundary events, and creates one inner instance per item: all at once
   * (parallel) or one after the other (sequential). An empty collection completes it.
   */
  private async activateBody(node: Node, flowScopeKey: string, viaFlow?: string, retryKey?: string): Promise<void> {
    const loop = node.loop!;
    const key = retryKey ?? (await this.keys.take(this.tx));
    if (!retryKey) this.audit(key, node, 'ELEMENT_ACTIVATED', MULTI_INSTANCE_BODY);
    const body: ElementInstance = {
      key,
      elementId: node.id,
      elementType: MULTI_INSTANCE_BODY,
      flowScopeKey,
      state: 'ACTIVE',
      variables: {},
      data: {},
      activatedAt: this.now.toISOString(),
    };
    this.s.put(body);
    let items: unknown[];
    try {
      items = readCollection(loop.inputCollection, this.variablesAt(flowScopeKey));
    } catch (err) {
      return this.stuckExisting(body, 'activate', 'EXTRACT_VALUE_ERROR', (err as Error).message, viaFlow);
    }
    if (!(await this.openBoundaries(body, node)) || !this.stillActive(key)) return;
    const mi = { n: items.length, next: 0, completed: 0, terminated: 0, items: loop.sequential ? items : undefined };
    body.data.mi = mi;
    // Zeebe 8.x: the output collection is a local variable of the body, one null per item, filled in by loopCounter.
    if (loop.outputCollection) body.variables[loop.outputCollection] = items.map(() => null);
    this.s.touch(body);
    if (items.length === 0) return this.leaveBody(body, node);
    const first = loop.sequential ? 1 : items.length;
    for (let i = 0; i < first; i++) {
      mi.next = i + 1;
      await this.activateInner(node, body, i, items[i]);
      if (!this.stillActive(key)) return;
    }
  }

  private async activateInner(node: Node, body: ElementInstance, index: number, item: unknown): Promise<void> {
    const key = await this.keys.take(this.tx);
    this.loopSeeds.set(key, loopLocals(node.loop!, index, item));
    await this.activate(node.id, body.key, undefined, undefined, key);
  }

  /** Evaluated as an inner instance completes, in its scope: its output element, and the completion condition. */
  private loopEnd(inner: ElementInstance, node: Node): { element: unknown; done: boolean } {
    const loop = node.loop!;
    const body = this.s.elements.get(inner.flowScopeKey)!;
    const mi = body.data.mi!;
    const vars = this.variablesAt(inner.key);
    const element = loop.outputElement ? evaluateValue(loop.outputElement, vars) : undefined;
    if (!loop.completionCondition) return { element, done: false };
    const active = this.s.children(body.key).length;
    // Zeebe: the counters seen by the completion condition, this instance counted as completed.
    const counters = {
      numberOfInstances: mi.n,
      numberOfActiveInstances: active - 1,
      numberOfCompletedInstances: mi.completed + 1,
      numberOfTerminatedInstances: mi.terminated,
    };
    return { element, done: evaluateCondition(loop.completionCondition, { ...vars, ...counters }) };
  }

  private async innerCompleted(inner: ElementInstance, node: Node, end: { element: unknown; done: boolean }): Promise<void> {
    const loop = node.loop!;
    const body = this.s.elements.get(inner.flowScopeKey)!;
    const mi = body.data.mi!;
    mi.completed += 1;
    if (loop.outputCollection) {
      const collected = [...((body.variables[loop.outputCollection] as unknown[] | undefined) ?? [])];
      collected[Number(inner.variables.loopCounter) - 1] = end.element ?? null;
      body.variables[loop.outputCollection] = collected;
    }
    this.s.touch(body);
    if (end.done) {
      // Zeebe: a satisfied completion condition terminates the inner instances still running.
      for (const other of this.s.children(body.key)) {
        this.terminate(other);
        mi.terminated += 1;
      }
      return this.leaveBody(body, node);
    }
    if (loop.sequential && mi.next < mi.n) {
      const index = mi.next;
      mi.next += 1;
      return this.activateInner(node, body, index, mi.items?.[index]);
    }
    if (mi.next >= mi.n && this.s.children(body.key).length === 0) return this.leaveBody(body, node);
  }

  /** The body completes: its output collection goes to its flow scope; compensable inner instances stay in that scope. */
  private async leaveBody(body: ElementInstance, node: Node): Promise<void> {
    const loop = node.loop!;
    if (loop.outputCollection) this.propagate(body.flowScopeKey, { [loop.outputCollection]: body.variables[loop.outputCollection] });
    for (const done of [...this.s.elements.values()].filter((e) => e.flowScopeKey === body.key && e.state === 'COMPLETED')) {
      done.flowScopeKey = body.flowScopeKey;
      this.s.touch(done);
    }
    this.audit(body.key, node, 'ELEMENT_COMPLETED', MULTI_INSTANCE_BODY);
    this.s.remove(body);
    return this.takeFlows(node, body.flowScopeKey);
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
    do await this.settleScopes();
    while (await this.releaseInclusiveJoins());
  }

  private async settleScopes(): Promise<void> {
    while (this.scopesToCheck.size > 0) {
      const [scopeKey] = this.scopesToCheck;
      this.scopesToCheck.delete(scopeKey as string);
      if (this.s.children(scopeKey as string).length > 0) continue;
      if (scopeKey === this.root) {
        if (this.s.instance.state !== 'ACTIVE') continue;
        this.s.instance.state = 'COMPLETED';
        this.s.instanceChanged = true;
        this.closeRootEvents();
        for (const ei of [...this.s.elements.values()]) this.s.remove(ei);
        this.audit(this.root, this.model.root, 'ELEMENT_COMPLETED');
        continue;
      }
      const scope = this.s.elements.get(scopeKey as string);
      if (scope && scope.state === 'ACTIVE' && WAITING_TYPES.has(scope.elementType)) await this.leave(scope, this.node(scope.elementId), {});
    }
  }
}
