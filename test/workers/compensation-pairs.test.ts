// The steps the workers declare with their undo (COMPENSATION_PAIRS in
// workers/index.ts) against bpmn/order-fulfillment.bpmn. The model has no
// compensation events: the sub-process Secure payment is left by interrupting
// boundary events, each followed by explicit undo tasks (docs/decisions/0001).
// So nothing in the engine runs an undo by itself, and this test is what keeps
// the declared pairs and the model's paths in step:
//   1. for every pair whose step runs inside Secure payment, every path out of a
//      boundary event of Secure payment (but Out of stock) runs the undo before it ends;
//   2. every task on those paths is the undo of a declared pair, or one that ends
//      the order (workers/order-outcome.ts, workers/notify-customer.ts).
// Out of stock needs no undo: reserve-stock holds all the stock or none, and no
// payment was requested yet.
import { createRequire } from 'node:module';
import { describe, expect, test } from '@jest/globals';
import { BpmnModdle } from 'bpmn-moddle';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { COMPENSATION_PAIRS } from '../../workers/index.js';
import { NOTIFY_TASK_TYPES } from '../../workers/notify-customer.js';
import { ORDER_OUTCOME_TASK_TYPES } from '../../workers/order-outcome.js';

const SCOPE = 'SecurePayment';
/** The boundary whose path needs no undo (see above). */
const NO_UNDO_NEEDED = 'OutOfStock';

type Element = {
  $type: string;
  id: string;
  flowElements?: Element[];
  extensionElements?: { values?: { $type: string; type?: string }[] };
  attachedToRef?: Element;
  sourceRef?: Element;
  targetRef?: Element;
};

/** A task on a path: its element id and its job type. */
type Step = { id: string; taskType: string };
/** The paths out of one boundary event, each the tasks from the event to its end. */
type Exit = { boundary: string; paths: { tasks: Step[]; end: string }[] };
type SagaModel = { stepsInScope: Set<string>; exits: Exit[] };
type Pair = { do: string; undo: string };

const zeebe = createRequire(import.meta.url)('zeebe-bpmn-moddle/resources/zeebe.json') as object;

const taskTypeOf = (el: Element) => el.extensionElements?.values?.find((v) => v.$type === 'zeebe:TaskDefinition')?.type;
const elementsIn = (container: Element): Element[] => (container.flowElements ?? []).flatMap((el) => [el, ...elementsIn(el)]);

/** The task types inside Secure payment and every path out of its boundary events. */
async function readSagaModel(xml: string): Promise<SagaModel> {
  const definitions = (await new BpmnModdle({ zeebe }).fromXML(xml)).rootElement as { rootElements: Element[] };
  const processes = definitions.rootElements.filter((r) => r.$type === 'bpmn:Process');
  const parent = [...processes, ...processes.flatMap(elementsIn)].find((c) => c.flowElements?.some((el) => el.id === SCOPE));
  const scope = parent?.flowElements?.find((el) => el.id === SCOPE);
  if (!parent || !scope) throw new Error(`no sub-process ${SCOPE} in the model`);
  const flows = (parent.flowElements ?? []).filter((el) => el.$type === 'bpmn:SequenceFlow');

  const pathsFrom = (node: Element, tasks: Step[], seen: Set<string>): Exit['paths'] => {
    const next = flows.filter((f) => f.sourceRef === node).map((f) => f.targetRef as Element);
    if (node.$type === 'bpmn:EndEvent' || next.length === 0) return [{ tasks, end: node.id }];
    return next
      .filter((el) => !seen.has(el.id))
      .flatMap((el) => {
        const type = taskTypeOf(el);
        return pathsFrom(el, type ? [...tasks, { id: el.id, taskType: type }] : tasks, new Set([...seen, el.id]));
      });
  };
  const boundaries = (parent.flowElements ?? []).filter((el) => el.$type === 'bpmn:BoundaryEvent' && el.attachedToRef?.id === SCOPE);
  return {
    stepsInScope: new Set(elementsIn(scope).flatMap((el) => taskTypeOf(el) ?? [])),
    exits: boundaries.map((b) => ({ boundary: b.id, paths: pathsFrom(b, [], new Set([b.id])) })),
  };
}

/** What disagrees between the declared pairs and the model; empty when they agree. */
function compensationGaps(model: SagaModel, pairs: readonly Pair[], endingTaskTypes: readonly string[]): string[] {
  const gaps: string[] = [];
  const undos = new Set(pairs.map((p) => p.undo));
  for (const { boundary, paths } of model.exits) {
    for (const { tasks, end } of paths) {
      if (boundary !== NO_UNDO_NEEDED) {
        for (const pair of pairs.filter((p) => model.stepsInScope.has(p.do))) {
          if (!tasks.some((t) => t.taskType === pair.undo)) gaps.push(`${boundary} → ${end}: no ${pair.undo}, the undo of ${pair.do}`);
        }
      }
      for (const t of tasks) {
        if (!undos.has(t.taskType) && !endingTaskTypes.includes(t.taskType)) {
          gaps.push(`${boundary} → ${end}: ${t.id} (${t.taskType}) is neither the undo of a declared pair nor a task that ends the order`);
        }
      }
    }
  }
  return gaps;
}

const DECLARED: Pair[] = COMPENSATION_PAIRS.map((p) => ({ do: p.do.taskType, undo: p.undo.taskType }));
const ENDINGS: string[] = [...Object.values(ORDER_OUTCOME_TASK_TYPES), ...Object.values(NOTIFY_TASK_TYPES)];

async function shippedXml(): Promise<string> {
  const file = (await loadProcessModels()).find((r) => r.name === 'order-fulfillment.bpmn');
  if (!file) throw new Error('bpmn/order-fulfillment.bpmn not found');
  return file.xml;
}

/** The model without the task `id`: its incoming flow goes straight to where the task led. */
function withoutTask(xml: string, id: string): string {
  const outgoing = new RegExp(`<bpmn:sequenceFlow id="[^"]+" sourceRef="${id}" targetRef="([^"]+)"[^>]*/>`).exec(xml);
  if (!outgoing) throw new Error(`no single outgoing flow of ${id}`);
  const task = new RegExp(`<bpmn:serviceTask id="${id}"[\\s\\S]*?</bpmn:serviceTask>`);
  return xml.replace(outgoing[0], '').replace(task, '').replace(`targetRef="${id}"`, `targetRef="${outgoing[1]}"`);
}

describe('the declared undo of each step and bpmn/order-fulfillment.bpmn', () => {
  test('every path out of Secure payment (but Out of stock) runs the undo of every step inside it, and runs no undo that is not declared', async () => {
    const model = await readSagaModel(await shippedXml());
    // Not vacuous: the boundaries the check walks, and a path out of each.
    expect(model.exits.map((e) => e.boundary)).toEqual(expect.arrayContaining(['CancellationRequested', 'PaymentTimedOut', 'PaymentDeclined', NO_UNDO_NEEDED]));
    for (const exit of model.exits) expect(exit.paths.length).toBeGreaterThan(0);
    expect(DECLARED.filter((p) => !model.stepsInScope.has(p.do))).toEqual([]);
    expect(compensationGaps(model, DECLARED, ENDINGS)).toEqual([]);
  });

  test('a pair no longer declared: its undo on every path out is reported', async () => {
    const model = await readSagaModel(await shippedXml());
    for (const removed of DECLARED) {
      const gaps = compensationGaps(
        model,
        DECLARED.filter((p) => p !== removed),
        ENDINGS,
      );
      const undoOnTheWayOut = model.exits.flatMap((e) => e.paths.flatMap((p) => p.tasks)).filter((t) => t.taskType === removed.undo);
      expect(undoOnTheWayOut.length).toBeGreaterThan(0);
      expect(gaps).toEqual(undoOnTheWayOut.map((t) => expect.stringContaining(`${t.id} (${removed.undo}) is neither the undo of a declared pair`)));
    }
  });

  test('an undo task deleted from one path out: that path, and only that one, is reported', async () => {
    const xml = await shippedXml();
    const model = await readSagaModel(xml);
    const exits = model.exits.filter((e) => e.boundary !== NO_UNDO_NEEDED);
    let tried = 0;
    for (const pair of DECLARED) {
      for (const exit of exits) {
        const path = exit.paths[0];
        const undo = path?.tasks.find((t) => t.taskType === pair.undo);
        if (!path || !undo) throw new Error(`no ${pair.undo} after ${exit.boundary}`);
        const edited = await readSagaModel(withoutTask(xml, undo.id));
        expect(compensationGaps(edited, DECLARED, ENDINGS)).toEqual([`${exit.boundary} → ${path.end}: no ${pair.undo}, the undo of ${pair.do}`]);
        tried++;
      }
    }
    expect(tried).toBe(DECLARED.length * exits.length);
  });
});
