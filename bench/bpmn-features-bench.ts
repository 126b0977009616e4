// Figures for the BPMN features of issue 15, measured on the same database and in the
// same run as the three-task figure (bench/engine.ts prints them beside it): a parallel
// multi-instance task over 10 items, and a business rule task evaluating a DMN table
// (plus the table's pure evaluation rate, without the engine).
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import type { Database } from '../infra/database.js';
import { parseDecisions } from '../orchestrator/embedded/dmn/parse.js';
import { evaluateDecision } from '../orchestrator/embedded/dmn/evaluate.js';
import { EmbeddedEngine } from '../orchestrator/embedded/embedded-engine.js';
import { complete } from '../orchestrator/engine.js';
import { EndTracker } from './embedded-engine-bench.js';

export type FeatureFigures = {
  multiInstance: { instances: number; innerPerInstance: number; instancesPerSecond: number; innerInstancesPerSecond: number };
  businessRule: { instances: number; instancesPerSecond: number; rules: number };
  dmnEvaluation: { evaluations: number; evaluationsPerSecond: number; rules: number };
};

const INNER = 10;
const RULES = 20;

const wrap = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${id}" targetNamespace="http://order-saga.bench">
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;

const MI_BPMN = wrap(
  'bench-mi',
  `<bpmn:startEvent id="s"/>
   <bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="bench-mi-item"/></bpmn:extensionElements>
     <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item" outputCollection="out" outputElement="=item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
   </bpmn:serviceTask><bpmn:endEvent id="e"/>
   <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="each"/><bpmn:sequenceFlow id="f1" sourceRef="each" targetRef="e"/>`,
);

const BRT_BPMN = wrap(
  'bench-brt',
  `<bpmn:startEvent id="s"/>
   <bpmn:businessRuleTask id="route"><bpmn:extensionElements><zeebe:calledDecision decisionId="bench-routing" resultVariable="routing"/></bpmn:extensionElements></bpmn:businessRuleTask>
   <bpmn:endEvent id="e"/>
   <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="route"/><bpmn:sequenceFlow id="f1" sourceRef="route" targetRef="e"/>`,
);

/** A FIRST table of RULES rules over three inputs (value band, country, flagged), as an analyst would write one. */
const ROUTING_DMN = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="bench-drg" name="bench" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="bench-routing" name="Routing">
    <decisionTable id="t" hitPolicy="FIRST">
      <input id="i1"><inputExpression id="e1"><text>value</text></inputExpression></input>
      <input id="i2"><inputExpression id="e2"><text>country</text></inputExpression></input>
      <input id="i3"><inputExpression id="e3"><text>flagged</text></inputExpression></input>
      <output id="o1" name="approval"/><output id="o2" name="remindAfter"/>
      ${Array.from(
        { length: RULES - 1 },
        (_, r) =>
          `<rule id="r${r + 1}"><inputEntry id="r${r + 1}a"><text>[${r * 100}..${r * 100 + 99}]</text></inputEntry><inputEntry id="r${r + 1}b"><text>"${r % 2 ? 'DE' : 'FR'}"</text></inputEntry><inputEntry id="r${r + 1}c"><text>false</text></inputEntry><outputEntry id="r${r + 1}x"><text>${r > 10}</text></outputEntry><outputEntry id="r${r + 1}y"><text>"PT${r + 1}H"</text></outputEntry></rule>`,
      ).join('\n      ')}
      <rule id="r${RULES}"><inputEntry id="rza"><text>-</text></inputEntry><inputEntry id="rzb"><text>-</text></inputEntry><inputEntry id="rzc"><text>-</text></inputEntry><outputEntry id="rzx"><text>true</text></outputEntry><outputEntry id="rzy"><text>"PT24H"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>`;

/** Runs `total` instances of `bpmnProcessId`, `concurrency` in flight; instances per second from the first create to the last end. */
async function throughput(
  engine: EmbeddedEngine,
  ends: EndTracker,
  bpmnProcessId: string,
  total: number,
  concurrency: number,
  variables: (i: number) => Record<string, unknown>,
) {
  let next = 0;
  const started = performance.now();
  const run = async () => {
    while (next < total) {
      const i = next++;
      const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId, variables: variables(i) });
      const end = await ends.wait(processInstanceKey, 120_000);
      if (end.state !== 'COMPLETED') throw new Error(`${bpmnProcessId} instance ${processInstanceKey} ended ${end.state}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, run));
  return total / ((performance.now() - started) / 1000);
}

export async function runFeatureFigures(db: Database, o: { instances: number; concurrency: number; log: (line: string) => void }): Promise<FeatureFigures> {
  const engine = new EmbeddedEngine(db, { logger: pino({ level: 'silent' }) });
  const ends = new EndTracker(engine);
  try {
    await engine.deploy([
      { name: 'bench-mi.bpmn', xml: MI_BPMN },
      { name: 'bench-brt.bpmn', xml: BRT_BPMN },
      { name: 'bench-routing.dmn', xml: ROUTING_DMN },
    ]);
    engine.createWorker({ taskType: 'bench-mi-item', maxJobsToActivate: 64, handler: async () => complete() });
    const items = Array.from({ length: INNER }, (_, i) => i);
    const miInstances = Math.max(10, Math.round(o.instances / INNER));
    o.log(`  multi-instance: ${miInstances} instances × ${INNER} parallel inner instances (${o.concurrency} in flight)`);
    const mi = await throughput(engine, ends, 'bench-mi', miInstances, o.concurrency, () => ({ items }));
    o.log(`  business rule task: ${o.instances} instances, a ${RULES}-rule FIRST table`);
    const brt = await throughput(engine, ends, 'bench-brt', o.instances, o.concurrency, (i) => ({
      value: (i * 37) % 2100,
      country: i % 2 ? 'DE' : 'FR',
      flagged: false,
    }));
    const drg = await parseDecisions(ROUTING_DMN);
    const evaluations = 2_000;
    const t0 = performance.now();
    for (let i = 0; i < evaluations; i++) evaluateDecision(drg, 'bench-routing', { value: (i * 37) % 2100, country: i % 2 ? 'DE' : 'FR', flagged: false });
    const perSecond = evaluations / ((performance.now() - t0) / 1000);
    return {
      multiInstance: { instances: miInstances, innerPerInstance: INNER, instancesPerSecond: mi, innerInstancesPerSecond: mi * INNER },
      businessRule: { instances: o.instances, instancesPerSecond: brt, rules: RULES },
      dmnEvaluation: { evaluations, evaluationsPerSecond: perSecond, rules: RULES },
    };
  } finally {
    await engine.close();
  }
}

/** Lines for the report: each figure, and its ratio to the three-task rate measured in the same run (jobs per second for the multi-instance one). */
export function featureReport(f: FeatureFigures, threeTasksPerSecond: number): string {
  const r = (x: number) => `${x.toFixed(2)}×`;
  return [
    `multi-instance (${f.multiInstance.innerPerInstance} parallel inner): ${f.multiInstance.instancesPerSecond.toFixed(1)} instances/s = ${f.multiInstance.innerInstancesPerSecond.toFixed(0)} inner jobs/s; jobs/s vs three-task ${r(f.multiInstance.innerInstancesPerSecond / (threeTasksPerSecond * 3))}`,
    `business rule task (${f.businessRule.rules}-rule DMN table): ${f.businessRule.instancesPerSecond.toFixed(1)} instances/s; vs three-task instances/s ${r(f.businessRule.instancesPerSecond / threeTasksPerSecond)}`,
    `DMN evaluation alone: ${f.dmnEvaluation.evaluationsPerSecond.toFixed(0)} evaluations/s (${(1000 / f.dmnEvaluation.evaluationsPerSecond).toFixed(2)} ms each)`,
  ].join('\n');
}
