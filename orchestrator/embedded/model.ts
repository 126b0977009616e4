// Turns a BPMN file (bpmn-moddle + zeebe-bpmn-moddle) into the small graph the
// interpreter walks. Anything the embedded engine cannot run is refused here, at
// deploy time, naming each element's id and type.
import { createRequire } from 'node:module';
import { BpmnModdle } from 'bpmn-moddle';
import { EngineError } from '../engine.js';

const zeebeDescriptor = createRequire(import.meta.url)('zeebe-bpmn-moddle/resources/zeebe.json') as object;

export type Mapping = { source: string; target: string };
export type EventKind = 'none' | 'message' | 'timer' | 'error' | 'terminate' | 'compensation';
export type TimerDef = { kind: 'duration' | 'date' | 'cycle'; expression: string };

export type Flow = { id: string; source: string; target: string; condition?: string };

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
  timer?: TimerDef;
  errorCode?: string; // error events; undefined on a catch = catch all
  compensateActivity?: string; // compensation throw: activityRef
  job?: { type: string; retries: string; headers: Record<string, string> };
  inputs: Mapping[];
  outputs: Mapping[];
  boundaries: string[];
  attachedTo?: string;
  interrupting: boolean;
  isForCompensation: boolean;
  compensationHandler?: string; // activities with a compensation boundary
  startEvents: string[]; // processes and sub-processes: their none start events
  messageStarts: string[];
  timerStarts: string[]; // processes: their timer start events (timeDate or timeCycle)
};

export type Model = { bpmnProcessId: string; name?: string; nodes: Map<string, Node>; flows: Map<string, Flow>; root: Node };

type Moddle = { $type: string; id: string; name?: string; [k: string]: unknown };

const ACTIVITIES = new Set(['serviceTask', 'sendTask', 'receiveTask', 'subProcess']);
const SUPPORTED = new Set([
  'startEvent',
  'endEvent',
  'serviceTask',
  'sendTask',
  'receiveTask',
  'exclusiveGateway',
  'parallelGateway',
  'eventBasedGateway',
  'intermediateCatchEvent',
  'intermediateThrowEvent',
  'boundaryEvent',
  'subProcess',
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

function eventKind(el: Moddle, problems: UnsupportedModelError['problems']): Pick<Node, 'event' | 'message' | 'timer' | 'errorCode' | 'compensateActivity'> {
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
    interrupting: el.cancelActivity !== false,
    isForCompensation: el.isForCompensation === true,
    startEvents: [],
    messageStarts: [],
    timerStarts: [],
  };
  if (type === 'serviceTask' || type === 'sendTask') {
    if (!taskDef?.type) problems.push({ elementId: el.id, type, reason: 'missing zeebe:taskDefinition type' });
    node.job = {
      type: String(taskDef?.type ?? ''),
      retries: String(taskDef?.retries ?? '3'),
      headers: Object.fromEntries(((headers?.values as { key: string; value: string }[] | undefined) ?? []).map((h) => [h.key, h.value])),
    };
  }
  if (type === 'sendTask' && !taskDef) problems.push({ elementId: el.id, type, reason: 'send tasks need a zeebe:taskDefinition (job worker)' });
  if (type === 'receiveTask') {
    const msg = el.messageRef as Moddle | undefined;
    const sub = msg && ext(msg, 'zeebe:Subscription');
    if (!msg?.name) problems.push({ elementId: el.id, type, reason: 'receive task without a message' });
    node.event = 'message';
    node.message = { name: String(msg?.name ?? ''), correlationKey: String(sub?.correlationKey ?? '') };
  }
  if (type === 'intermediateThrowEvent' && !['none', 'compensation'].includes(node.event)) {
    problems.push({ elementId: el.id, type, reason: `${node.event} throw events are not supported` });
  }
  if (type === 'intermediateCatchEvent' && !['message', 'timer'].includes(node.event)) {
    problems.push({ elementId: el.id, type, reason: `${node.event} catch events are not supported` });
  }
  if (type === 'boundaryEvent' && !['message', 'timer', 'error', 'compensation'].includes(node.event)) {
    problems.push({ elementId: el.id, type, reason: `${node.event} boundary events are not supported` });
  }
  if (type === 'endEvent' && node.event === 'message') problems.push({ elementId: el.id, type, reason: 'message end events are not supported' });
  if (type === 'startEvent' && !['none', 'message', 'timer'].includes(node.event))
    problems.push({ elementId: el.id, type, reason: `${node.event} start events are not supported` });
  // Zeebe: a timer start event has a time date or a time cycle, never a duration.
  if (type === 'startEvent' && node.timer?.kind === 'duration')
    problems.push({ elementId: el.id, type, reason: 'a timer start event needs a timeDate or timeCycle, not a timeDuration' });
  if (el.loopCharacteristics) problems.push({ elementId: el.id, type, reason: 'multi-instance / loops are not supported' });
  if (type === 'subProcess' && el.triggeredByEvent)
    problems.push({ elementId: el.id, type: 'eventSubProcess', reason: 'event sub-processes are not supported' });
  return node;
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
      (node.event === 'message' ? scope.messageStarts : node.event === 'timer' ? scope.timerStarts : scope.startEvents).push(node.id);
    if (node.type === 'subProcess') compileScope(el, node, model, problems);
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
    for (const scope of [root, ...[...model.nodes.values()].filter((n) => n.type === 'subProcess')]) {
      if (scope.startEvents.length + scope.messageStarts.length + scope.timerStarts.length === 0)
        problems.push({ elementId: scope.id, type: scope.type, reason: 'no start event' });
      if (scope.type === 'subProcess' && scope.messageStarts.length + scope.timerStarts.length > 0)
        problems.push({ elementId: scope.id, type: scope.type, reason: 'an embedded sub-process starts only at a none start event' });
      if (scope.type === 'subProcess' && scope.startEvents.length !== 1)
        problems.push({ elementId: scope.id, type: scope.type, reason: 'an embedded sub-process needs exactly one none start event' });
    }
    return model;
  });
  if (problems.length > 0) throw new UnsupportedModelError(problems);
  return models;
}
