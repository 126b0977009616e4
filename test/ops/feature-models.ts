// The process models the ops page's BPMN-feature tests deploy, with their diagrams (bpmn-js
// draws only what has shapes): "Ship order" packs its items in a parallel multi-instance
// service task, routes the shipment with a business rule task (a DMN table), hands it to a
// carrier through a call activity (the "Book carrier" process) and escalates on a message
// in a non-interrupting event sub-process.
import { dmn, table } from '../engine/dmn/support.js';

export const MAIN = 'ops-ship-order';
export const CHILD = 'ops-book-carrier';
export const DECISION = 'ops-route';
export const ESCALATE_MESSAGE = 'ops-escalate';
/** Job types: the multi-instance task's items, the event sub-process's task, the called process's task. */
export const JOBS = { pack: 'ops-pack', notify: 'ops-notify', book: 'ops-book' };

type Box = { x: number; y: number; w: number; h: number };
const shape = (id: string, b: Box, expanded = false) =>
  `<bpmndi:BPMNShape id="${id}_di" bpmnElement="${id}"${expanded ? ' isExpanded="true"' : ''}><dc:Bounds x="${b.x}" y="${b.y}" width="${b.w}" height="${b.h}"/></bpmndi:BPMNShape>`;
const edge = (id: string, points: [number, number][]) =>
  `<bpmndi:BPMNEdge id="${id}_di" bpmnElement="${id}">${points.map(([x, y]) => `<di:waypoint x="${x}" y="${y}"/>`).join('')}</bpmndi:BPMNEdge>`;
const flow = (id: string, from: string, to: string) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"/>`;
const serviceTask = (id: string, name: string, type: string, extra = '') =>
  `<bpmn:serviceTask id="${id}" name="${name}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" retries="1"/></bpmn:extensionElements>${extra}</bpmn:serviceTask>`;

function definitions(id: string, processId: string, name: string, body: string, diagram: string, rootElements = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="${id}" targetNamespace="http://order-saga.test">
  <bpmn:process id="${processId}" name="${name}" isExecutable="true">${body}</bpmn:process>${rootElements}
  <bpmndi:BPMNDiagram id="${id}-diagram"><bpmndi:BPMNPlane id="${id}-plane" bpmnElement="${processId}">${diagram}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

const PACK_ITEMS =
  '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>';

/** start → Pack items (parallel, one job per item) → Route shipment (DMN) → Hand to carrier (calls CHILD) → end; Escalate beside them. */
export const shipOrder = definitions(
  'defs-ship-order',
  MAIN,
  'Ship order',
  `<bpmn:startEvent id="s" name="Order ready"/>
   ${serviceTask('pack', 'Pack items', JOBS.pack, PACK_ITEMS)}
   <bpmn:businessRuleTask id="route" name="Route shipment"><bpmn:extensionElements><zeebe:calledDecision decisionId="${DECISION}" resultVariable="carrier"/></bpmn:extensionElements></bpmn:businessRuleTask>
   <bpmn:callActivity id="ship" name="Hand to carrier"><bpmn:extensionElements><zeebe:calledElement processId="${CHILD}" propagateAllChildVariables="false"/></bpmn:extensionElements></bpmn:callActivity>
   <bpmn:endEvent id="e" name="Shipped"/>
   ${flow('f1', 's', 'pack')}${flow('f2', 'pack', 'route')}${flow('f3', 'route', 'ship')}${flow('f4', 'ship', 'e')}
   <bpmn:subProcess id="escalate" name="Escalate" triggeredByEvent="true">
     <bpmn:startEvent id="esc-start" name="Customer complains" isInterrupting="false"><bpmn:messageEventDefinition messageRef="m-escalate"/></bpmn:startEvent>
     ${serviceTask('esc-notify', 'Notify supervisor', JOBS.notify)}
     <bpmn:endEvent id="esc-end" name="Notified"/>
     ${flow('g1', 'esc-start', 'esc-notify')}${flow('g2', 'esc-notify', 'esc-end')}
   </bpmn:subProcess>`,
  [
    shape('s', { x: 112, y: 102, w: 36, h: 36 }),
    shape('pack', { x: 200, y: 80, w: 100, h: 80 }),
    shape('route', { x: 360, y: 80, w: 100, h: 80 }),
    shape('ship', { x: 520, y: 80, w: 100, h: 80 }),
    shape('e', { x: 682, y: 102, w: 36, h: 36 }),
    edge('f1', [
      [148, 120],
      [200, 120],
    ]),
    edge('f2', [
      [300, 120],
      [360, 120],
    ]),
    edge('f3', [
      [460, 120],
      [520, 120],
    ]),
    edge('f4', [
      [620, 120],
      [682, 120],
    ]),
    shape('escalate', { x: 180, y: 240, w: 420, h: 160 }, true),
    shape('esc-start', { x: 222, y: 302, w: 36, h: 36 }),
    shape('esc-notify', { x: 330, y: 280, w: 100, h: 80 }),
    shape('esc-end', { x: 512, y: 302, w: 36, h: 36 }),
    edge('g1', [
      [258, 320],
      [330, 320],
    ]),
    edge('g2', [
      [430, 320],
      [512, 320],
    ]),
  ].join(''),
  `<bpmn:message id="m-escalate" name="${ESCALATE_MESSAGE}"><bpmn:extensionElements><zeebe:subscription correlationKey="=orderRef"/></bpmn:extensionElements></bpmn:message>`,
);

/** The called process: start → Book carrier → end. */
export const bookCarrier = definitions(
  'defs-book-carrier',
  CHILD,
  'Book carrier',
  `<bpmn:startEvent id="cs"/>${serviceTask('book', 'Book carrier', JOBS.book)}<bpmn:endEvent id="ce"/>${flow('h1', 'cs', 'book')}${flow('h2', 'book', 'ce')}`,
  [
    shape('cs', { x: 112, y: 102, w: 36, h: 36 }),
    shape('book', { x: 200, y: 80, w: 100, h: 80 }),
    shape('ce', { x: 362, y: 102, w: 36, h: 36 }),
    edge('h1', [
      [148, 120],
      [200, 120],
    ]),
    edge('h2', [
      [300, 120],
      [362, 120],
    ]),
  ].join(''),
);

/** Parcels up to 10 kg, freight above; a hit policy UNIQUE that two rules break above 1000 kg (a failed evaluation). */
export const routing = dmn(
  'ops-routing',
  table(DECISION, {
    name: 'Route shipment',
    hitPolicy: 'UNIQUE',
    inputs: ['weight'],
    outputs: ['carrier'],
    rules: [
      [['<= 10'], ['"parcel"']],
      [['> 10'], ['"freight"']],
      [['> 1000'], ['"ship"']],
    ],
  }),
);
