// Turns a BPMN file (bpmn-moddle + zeebe-bpmn-moddle) into the small graph the
// interpreter walks. Anything the embedded engine cannot run is refused here, at
// deploy time, naming each element's id and type.
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import { EngineError } from '../engine.js';

const zeebeDescriptor = createRequire(import.meta.url)('zeebe-bpmn-moddle/resources/zeebe.json') as object;

export type Mapping = { source: string; target: string };
export type EventKind = 'none' | 'message' | 'timer' | 'error' | 'terminate' | 'compensation' | 'escalation' | 'signal';
export type TimerDef = { kind: 'duration' | 'date' | 'cycle'; expression: string };

export type Flow = { id: string; source: string; target: string; condition?: string };

/** zeebe:loopCharacteristics of a multi-instance activity. */
export type Loop = {
  sequential: boolean;
  inputCollection: string;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: string;
  completionCondition?: string;
};

export type Node = {
  id: string;
  name?: string;
  type: string; // bpmn type without prefix, e.g. serviceTask
  scopeId: string; // id of the process or sub-process that holds it
  incoming: string[];
  outgoing: Flow[];
  defaultFlow?: string;
  event: EventKind;
  message?: { name: string; correlationKey: string };
  escalationCode?: string; // escalation events; undefined on a catch = catch all
  signal?: string; // signal events: the signal's name (static, or a FEEL expression on a throw)
  decision?: { decisionId: string; resultVariable: string }; // business rule tasks evaluated by the engine
  script?: { expression: string; resultVariable: string }; // script tasks evaluated by the engine (FEEL)
  timer?: TimerDef;
  errorCode?: string; // error events; undefined on a catch = catch all
  compensateActivity?: string; // compensation throw: activityRef
  job?: { type: string; retries: string; headers: Record<string, string> };
  call?: CalledElement; // call activities
  inputs: Mapping[];
  outputs: Mapping[];
  boundaries: string[];
  attachedTo?: string;
  interrupting: boolean;
  isForCompensation: boolean;
  compensationHandler?: string; // activities with a compensation boundary
  startEvents: string[]; // processes and sub-processes: their none start events
  eventSubProcesses: string[]; // processes and sub-processes: the event sub-processes they hold
  trigger?: string; // event sub-processes: their start event
  messageStarts: string[];
  timerStarts: string[]; // processes: their timer start events (timeDate or timeCycle)
  signalStarts: string[]; // processes: their signal start events
  loop?: Loop; // multi-instance activities
};

/** zeebe:calledElement of a call activity; `processId` is a static id or a FEEL expression. */
export type CalledElement = { processId: string; propagateAllChildVariables: boolean; propagateAllParentVariables: boolean };

export type Model = { bpmnProcessId: string; name?: string; nodes: Map<string, Node>; flows: Map<string, Flow>; root: Node };

type Moddle = { $type: string; id: string; name?: string; [k: string]: unknown };

const ACTIVITIES = new Set(['serviceTask', 'sendTask', 'receiveTask', 'subProcess', 'callActivity', 'businessRuleTask', 'scriptTask', 'manualTask', 'task']);
const SUPPORTED = new Set([
  'startEvent',
  'endEvent',
  'serviceTask',
  'sendTask',
  'businessRuleTask',
  'scriptTask',
  'manualTask',
  'task',
  'receiveTask',
  'exclusiveGateway',
  'parallelGateway',
  'inclusiveGateway',
  'eventBasedGateway',
  'intermediateCatchEvent',
  'intermediateThrowEvent',
  'boundaryEvent',
  'subProcess',
  'callActivity',
]);

export class UnsupportedModelError extends EngineError {
  constructor(readonly problems: { elementId: string; type: string; reason: string }[]) {
    super('INVALID_ARGUMENT', `The embedded engine cannot run this model:\n${problems.map((p) => `  - ${p.elementId} (${p.type}): ${p.reason}`).join('\n')}`);
    this.name = 'UnsupportedModelError';
  }
}

const local = (t: string) => {
  const name = t.replace(/^bpmn:/, '');
  return name.charAt(0).toLowerCase() + name.slice(1);
};
const ext = (el: Moddle, type: string): Moddle | undefined =>
  ((el.extensionElements as { values?: Moddle[] } | undefined)?.values ?? []).find((v) => v.$type === type);

function eventKind(
  el: Moddle,
  problems: UnsupportedModelError['problems'],
): Pick<Node, 'event' | 'message' | 'timer' | 'errorCode' | 'compensateActivity' | 'escalationCode' | 'signal'> {
  const defs = (el.eventDefinitions as Moddle[] | undefined) ?? [];
  if (defs.length === 0) return { event: 'none' };
  if (defs.length > 1) problems.push({ elementId: el.id, type: local(el.$type), reason: 'multiple event definitions are not supported' });
  const def = defs[0] as Moddle;
  switch (def.$type) {
    case 'bpmn:MessageEventDefinition': {
      const msg = def.messageRef as Moddle | undefined;
      const sub = msg && ext(msg, 'zeebe:Subscription');
      if (!msg?.name) problems.push({ elementId: el.id, type: local(el.$type), reason: 'message event without a message name' });
      return { event: 'message', message: { name: String(msg?.name ?? ''), correlationKey: String(sub?.correlationKey ?? '') } };
    }
    case 'bpmn:TimerEventDefinition': {
      const body = (k: string) => (def[k] as { body?: string } | undefined)?.body;
      const kind =
        body('timeDuration') !== undefined ? 'duration' : body('timeDate') !== undefined ? 'date' : body('timeCycle') !== undefined ? 'cycle' : undefined;
      if (!kind) {
        problems.push({ elementId: el.id, type: local(el.$type), reason: 'timer without timeDuration, timeDate or timeCycle' });
        return { event: 'timer' };
      }
      const key = kind === 'duration' ? 'timeDuration' : kind === 'date' ? 'timeDate' : 'timeCycle';
      return { event: 'timer', timer: { kind, expression: String(body(key)).trim() } };
    }
    case 'bpmn:ErrorEventDefinition': {
      const code = (def.errorRef as Moddle | undefined)?.errorCode as string | undefined;
      return { event: 'error', errorCode: code };
    }
    case 'bpmn:EscalationEventDefinition': {
      const code = (def.escalationRef as Moddle | undefined)?.escalationCode as string | undefined;
      return { event: 'escalation', escalationCode: code };
    }
    case 'bpmn:SignalEventDefinition': {
      const name = (def.signalRef as Moddle | undefined)?.name as string | undefined;
      if (!name) problems.push({ elementId: el.id, type: local(el.$type), reason: 'signal event without a signal name' });
      return { event: 'signal', signal: name ?? '' };
    }
    case 'bpmn:TerminateEventDefinition':
      return { event: 'terminate' };
    case 'bpmn:CompensateEventDefinition':
      return { event: 'compensation', compensateActivity: (def.activityRef as Moddle | undefined)?.id };
    default:
      problems.push({ elementId: el.id, type: local(el.$type), reason: `${local(def.$type)} is not supported` });
      return { event: 'none' };
  }
}

function compileNode(el: Moddle, scopeId: string, problems: UnsupportedModelError['problems']): Node {
  const type = local(el.$type);
  if (!SUPPORTED.has(type)) problems.push({ elementId: el.id, type, reason: 'element type not supported by the embedded engine' });
  const taskDef = ext(el, 'zeebe:TaskDefinition');
  const headers = ext(el, 'zeebe:TaskHeaders');
  const io = ext(el, 'zeebe:IoMapping');
  const node: Node = {
    id: el.id,
    name: el.name,
    type,
    scopeId,
    incoming: [], // from the sequence flows' targetRef: <bpmn:incoming> children are optional in BPMN
    outgoing: [],
    defaultFlow: (el.default as Moddle | undefined)?.id,
    ...eventKind(el, problems),
    inputs: ((io?.inputParameters as Mapping[] | undefined) ?? []).map((m) => ({ source: m.source, target: m.target })),
    outputs: ((io?.outputParameters as Mapping[] | undefined) ?? []).map((m) => ({ source: m.source, target: m.target })),
    boundaries: [],
    attachedTo: (el.attachedToRef as Moddle | undefined)?.id,
    // Boundary events: cancelActivity; start events of event sub-processes: isInterrupting (both default true).
    interrupting: el.cancelActivity !== false && el.isInterrupting !== false,
    isForCompensation: el.isForCompensation === true,
    startEvents: [],
    eventSubProcesses: [],
    messageStarts: [],
    timerStarts: [],
    signalStarts: [],
  };
  const job = () => ({
    type: String(taskDef?.type ?? ''),
    retries: String(taskDef?.retries ?? '3'),
    headers: Object.fromEntries(((headers?.values as { key: string; value: string }[] | undefined) ?? []).map((h) => [h.key, h.value])),
  });
  if (type === 'serviceTask' || type === 'sendTask') {
    if (!taskDef?.type) problems.push({ elementId: el.id, type, reason: 'missing zeebe:taskDefinition type' });
    node.job = job();
  }
  // Zeebe: a business rule task evaluates a DMN decision (zeebe:calledDecision) or, with a task definition, is a job.
  if (type === 'businessRuleTask' && taskDef) {
    node.job = job();
  } else if (type === 'businessRuleTask') {
    const called = ext(el, 'zeebe:CalledDecision');
    if (!called?.decisionId || !called.resultVariable)
      problems.push({ elementId: el.id, type, reason: 'a business rule task needs zeebe:calledDecision with a decisionId and a resultVariable' });
    node.decision = { decisionId: String(called?.decisionId ?? ''), resultVariable: String(called?.resultVariable ?? '') };
  }
  // Zeebe: a script task evaluates a FEEL expression (zeebe:script) into resultVariable or, with a task definition, is a job.
  if (type === 'scriptTask' && taskDef) {
    node.job = job();
  } else if (type === 'scriptTask') {
    const script = ext(el, 'zeebe:Script');
    if (!script?.expression || !script.resultVariable)
      problems.push({ elementId: el.id, type, reason: 'a script task needs zeebe:script with an expression and a resultVariable, or a zeebe:taskDefinition' });
    node.script = { expression: String(script?.expression ?? ''), resultVariable: String(script?.resultVariable ?? '') };
  }
  if (type === 'sendTask' && !taskDef) problems.push({ elementId: el.id, type, reason: 'send tasks need a zeebe:taskDefinition (job worker)' });
  if (type === 'callActivity') {
    const called = ext(el, 'zeebe:CalledElement');
    const processId = String(called?.processId ?? '').trim();
    if (!processId) problems.push({ elementId: el.id, type, reason: 'missing zeebe:calledElement processId' });
    // Zeebe 8.8's bindingType: only 'latest' (the default) here; 'deployment' and 'versionTag' need deployment records this engine does not keep.
    const binding = String(called?.bindingType ?? 'latest');
    if (binding !== 'latest') problems.push({ elementId: el.id, type, reason: `bindingType '${binding}' is not supported (only 'latest')` });
    node.call = {
      processId,
      propagateAllChildVariables: called?.propagateAllChildVariables !== false,
      propagateAllParentVariables: called?.propagateAllParentVariables !== false,
    };
  }
  if (type === 'receiveTask') {
    const msg = el.messageRef as Moddle | undefined;
    const sub = msg && ext(msg, 'zeebe:Subscription');
    if (!msg?.name) problems.push({ elementId: el.id, type, reason: 'receive task without a message' });
    node.event = 'message';
    node.message = { name: String(msg?.name ?? ''), correlationKey: String(sub?.correlationKey ?? '') };
  }
  if (type === 'intermediateThrowEvent' && !['none', 'compensation', 'escalation', 'signal'].includes(node.event)) {
    problems.push({ elementId: el.id, type, reason: `${node.event} throw events are not supported` });
  }
  if (type === 'intermediateCatchEvent' && !['message', 'timer', 'signal'].includes(node.event)) {
    problems.push({ elementId: el.id, type, reason: `${node.event} catch events are not supported` });
  }
  if (type === 'boundaryEvent' && !['message', 'timer', 'error', 'compensation', 'escalation', 'signal'].includes(node.event)) {
    problems.push({ elementId: el.id, type, reason: `${node.event} boundary events are not supported` });
  }
  if (type === 'endEvent' && node.event === 'message') problems.push({ elementId: el.id, type, reason: 'message end events are not supported' });
  if (type === 'startEvent' && !['none', 'message', 'timer', 'error', 'escalation', 'signal'].includes(node.event))
    problems.push({ elementId: el.id, type, reason: `${node.event} start events are not supported` });
  if (el.loopCharacteristics) node.loop = compileLoop(el, type, problems);
  if (type === 'subProcess' && el.triggeredByEvent) node.type = 'eventSubProcess';
  return node;
}

const MULTI_INSTANCE_TYPES = new Set([
  'serviceTask',
  'sendTask',
  'receiveTask',
  'subProcess',
  'callActivity',
  'businessRuleTask',
  'scriptTask',
  'manualTask',
  'task',
]);

function compileLoop(el: Moddle, type: string, problems: UnsupportedModelError['problems']): Loop | undefined {
  const lc = el.loopCharacteristics as Moddle;
  if (lc.$type !== 'bpmn:MultiInstanceLoopCharacteristics') {
    problems.push({ elementId: el.id, type, reason: 'standard loops are not supported (Zeebe runs multi-instance only)' });
    return undefined;
  }
  if (!MULTI_INSTANCE_TYPES.has(type)) problems.push({ elementId: el.id, type, reason: `a ${type} cannot be multi-instance` });
  if (el.isForCompensation === true) problems.push({ elementId: el.id, type, reason: 'a multi-instance compensation handler is not supported' });
  const z = ext(lc, 'zeebe:LoopCharacteristics');
  const text = (k: string) => (typeof z?.[k] === 'string' && (z[k] as string).trim() !== '' ? (z[k] as string).trim() : undefined);
  const loop: Loop = {
    sequential: lc.isSequential === true,
    inputCollection: text('inputCollection') ?? '',
    inputElement: text('inputElement'),
    outputCollection: text('outputCollection'),
    outputElement: text('outputElement'),
    completionCondition: (lc.completionCondition as { body?: string } | undefined)?.body?.trim() || undefined,
  };
  // Zeebe's deploy-time rules for zeebe:loopCharacteristics.
  if (!loop.inputCollection) problems.push({ elementId: el.id, type, reason: 'multi-instance without a zeebe:loopCharacteristics inputCollection' });
  if (!!loop.outputCollection !== !!loop.outputElement)
    problems.push({ elementId: el.id, type, reason: 'multi-instance outputCollection and outputElement must be set together' });
  return loop;
}

function compileScope(container: Moddle, scope: Node, model: Model, problems: UnsupportedModelError['problems']): void {
  const elements = (container.flowElements as Moddle[] | undefined) ?? [];
  for (const el of elements) {
    if (el.$type === 'bpmn:SequenceFlow') {
      const cond = (el.conditionExpression as { body?: string } | undefined)?.body;
      model.flows.set(el.id, { id: el.id, source: (el.sourceRef as Moddle).id, target: (el.targetRef as Moddle).id, condition: cond?.trim() });
      continue;
    }
    if (['bpmn:DataObjectReference', 'bpmn:DataStoreReference', 'bpmn:DataObject'].includes(el.$type)) continue;
    const node = compileNode(el, scope.id, problems);
    model.nodes.set(node.id, node);
    if (node.type === 'startEvent')
      if (scope.type === 'eventSubProcess') scope.trigger = node.id;
      else
        (node.event === 'message'
          ? scope.messageStarts
          : node.event === 'timer'
            ? scope.timerStarts
            : node.event === 'signal'
              ? scope.signalStarts
              : scope.startEvents
        ).push(node.id);
    if (node.type === 'eventSubProcess') scope.eventSubProcesses.push(node.id);
    if (node.type === 'subProcess' || node.type === 'eventSubProcess') compileScope(el, node, model, problems);
  }
  // Compensation handlers are linked to their boundary event by an association.
  for (const art of (container.artifacts as Moddle[] | undefined) ?? []) {
    if (art.$type !== 'bpmn:Association') continue;
    const from = model.nodes.get((art.sourceRef as Moddle).id);
    const to = model.nodes.get((art.targetRef as Moddle).id);
    if (from?.event === 'compensation' && from.type === 'boundaryEvent' && to?.isForCompensation && from.attachedTo) {
      const host = model.nodes.get(from.attachedTo);
      if (host) host.compensationHandler = to.id;
    }
  }
}

/**
 * Zeebe: the signal events one element subscribes to at once have distinct names: a process's
 * signal start events, an activity's boundary events, a scope's event sub-process starts, the
 * events after an event-based gateway.
 */
function duplicateSignalNames(model: Model, problems: UnsupportedModelError['problems']): void {
  const node = (id: string) => model.nodes.get(id);
  for (const host of [model.root, ...model.nodes.values()]) {
    const groups = [
      host === model.root ? host.signalStarts : [],
      host.boundaries,
      host.eventSubProcesses.map((id) => node(id)?.trigger ?? ''),
      host.type === 'eventBasedGateway' ? host.outgoing.map((f) => f.target) : [],
    ];
    for (const ids of groups) {
      const names = ids.flatMap((id) => (node(id)?.event === 'signal' && node(id)?.signal ? [node(id)?.signal as string] : []));
      for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i)))
        problems.push({ elementId: host.id, type: host.type, reason: `Multiple signal event definitions with the same name '${name}' are not allowed.` });
    }
  }
}

export async function parseModels(xml: string): Promise<Model[]> {
  const moddle = new BpmnModdle({ zeebe: zeebeDescriptor });
  let definitions: Moddle;
  try {
    definitions = (await moddle.fromXML(xml)).rootElement as unknown as Moddle;
  } catch (err) {
    throw new EngineError('INVALID_ARGUMENT', `Not a BPMN file: ${(err as Error).message}`);
  }
  const processes = ((definitions.rootElements as Moddle[] | undefined) ?? []).filter((e) => e.$type === 'bpmn:Process' && e.isExecutable !== false);
  if (processes.length === 0) throw new EngineError('INVALID_ARGUMENT', 'The file has no executable process');
  const problems: UnsupportedModelError['problems'] = [];
  const models = processes.map((proc) => {
    const root: Node = { ...compileNode({ ...proc, $type: 'bpmn:SubProcess' }, '', []), type: 'process' };
    const model: Model = { bpmnProcessId: proc.id, name: proc.name, nodes: new Map(), flows: new Map(), root };
    compileScope(proc, root, model, problems);
    for (const flow of model.flows.values()) {
      model.nodes.get(flow.source)?.outgoing.push(flow);
      model.nodes.get(flow.target)?.incoming.push(flow.id);
    }
    for (const node of model.nodes.values()) {
      if (node.attachedTo) model.nodes.get(node.attachedTo)?.boundaries.push(node.id);
      if (node.type === 'boundaryEvent' && !ACTIVITIES.has(model.nodes.get(node.attachedTo ?? '')?.type ?? '')) {
        problems.push({ elementId: node.id, type: node.type, reason: 'boundary events must be attached to a task or sub-process' });
      }
    }
    for (const scope of [...model.nodes.values()].filter((n) => n.type === 'eventSubProcess')) {
      const start = scope.trigger ? model.nodes.get(scope.trigger) : undefined;
      if (
        !start ||
        !['message', 'timer', 'error', 'escalation', 'signal'].includes(start.event) ||
        scope.startEvents.length + scope.messageStarts.length + scope.timerStarts.length > 0
      )
        problems.push({
          elementId: scope.id,
          type: scope.type,
          reason: 'an event sub-process needs exactly one start event, with a message, timer, error, escalation or signal trigger',
        });
      // Zeebe: an error start event always interrupts.
      if (start?.event === 'error' && !start.interrupting)
        problems.push({ elementId: start.id, type: start.type, reason: 'an error start event must be interrupting' });
    }
    duplicateSignalNames(model, problems);
    for (const scope of [root, ...[...model.nodes.values()].filter((n) => n.type === 'subProcess')]) {
      for (const id of scope.startEvents)
        if (['error', 'escalation'].includes(model.nodes.get(id)?.event ?? ''))
          problems.push({ elementId: id, type: 'startEvent', reason: `an ${model.nodes.get(id)?.event} start event belongs in an event sub-process` });
      // Zeebe: a timer start event of a process has a time date or a time cycle, never a duration.
      for (const id of scope.timerStarts)
        if (model.nodes.get(id)?.timer?.kind === 'duration')
          problems.push({ elementId: id, type: 'startEvent', reason: 'a timer start event needs a timeDate or timeCycle, not a timeDuration' });
      if (scope.startEvents.length + scope.messageStarts.length + scope.timerStarts.length + scope.signalStarts.length === 0)
        problems.push({ elementId: scope.id, type: scope.type, reason: 'no start event' });
      if (scope.type === 'subProcess' && scope.messageStarts.length + scope.timerStarts.length + scope.signalStarts.length > 0)
        problems.push({ elementId: scope.id, type: scope.type, reason: 'an embedded sub-process starts only at a none start event' });
      if (scope.type === 'subProcess' && scope.startEvents.length !== 1)
        problems.push({ elementId: scope.id, type: scope.type, reason: 'an embedded sub-process needs exactly one none start event' });
    }
    return model;
  });
  if (problems.length > 0) throw new UnsupportedModelError(problems);
  return models;
}
