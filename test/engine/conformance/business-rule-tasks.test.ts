// Conformance: business rule tasks evaluating DMN decisions. Rules from Zeebe's docs
// ("Business rule tasks": zeebe:calledDecision with decisionId and resultVariable, the
// latest deployed version; incidents CALLED_DECISION_ERROR and DECISION_EVALUATION_ERROR).
import { describe, expect, test } from '@jest/globals';
import { complete } from '../../../orchestrator/engine.js';
import { EngineOperations } from '../../../orchestrator/embedded/operations.js';
import { dmn, table } from '../dmn/support.js';
import { bpmn, conformanceSuite, embeddedTest, engineLabel, flow, task, waitForEnd, waitForIncidents } from '../support.js';

const suite = conformanceSuite();
const workers = suite.workers;

/** start → decide (business rule task) → after (a job that sees the result) → end. */
const process = (id: string, decisionId: string, mi = '') =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>
     <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="${decisionId}" resultVariable="route"/></bpmn:extensionElements>${mi}</bpmn:businessRuleTask>
     ${task('after', `${id}-after`)}<bpmn:endEvent id="e"/>${flow('f0', 's', 'decide')}${flow('f1', 'decide', 'after')}${flow('f2', 'after', 'e')}`,
  );

/** Shipments above `limit` need approval; the reminder period depends on the value. */
const routing = (decisionId: string, limit: number, hitPolicy = 'FIRST') =>
  dmn(
    `${decisionId}-drg`,
    table(decisionId, {
      hitPolicy,
      inputs: ['value'],
      outputs: ['approval', 'remindAfter'],
      rules: [
        [[`> ${limit}`], ['true', '"PT4H"']],
        [['-'], ['false', '"PT24H"']],
      ],
    }),
  );

const deploy = (xml: { bpmn?: string; dmn?: string }, id: string) =>
  suite.h.engine.deploy([...(xml.dmn ? [{ name: `${id}.dmn`, xml: xml.dmn }] : []), ...(xml.bpmn ? [{ name: `${id}.bpmn`, xml: xml.bpmn }] : [])]);

describe(`business rule tasks (${engineLabel})`, () => {
  test('the task evaluates the called decision and completes with its result in resultVariable', async () => {
    await deploy({ dmn: routing('brt-route', 100), bpmn: process('brt', 'brt-route') }, 'brt');
    const seen: unknown[] = [];
    workers.add('brt-after', async (job) => (seen.push(job.variables.route), complete()));
    const big = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt', variables: { value: 250 } });
    const small = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt', variables: { value: 20 } });
    expect((await waitForEnd(suite.h, big.processInstanceKey)).variables.route).toEqual({ approval: true, remindAfter: 'PT4H' });
    expect((await waitForEnd(suite.h, small.processInstanceKey)).variables.route).toEqual({ approval: false, remindAfter: 'PT24H' });
    expect(seen).toHaveLength(2);
  });

  test('an analyst redeploys a changed table: the next instance evaluates the latest version, without a process change', async () => {
    await deploy({ dmn: routing('brt-v-route', 100), bpmn: process('brt-v', 'brt-v-route') }, 'brt-v');
    workers.add('brt-v-after', async () => complete());
    const before = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-v', variables: { value: 150 } });
    expect((await waitForEnd(suite.h, before.processInstanceKey)).variables.route).toMatchObject({ approval: true });
    await deploy({ dmn: routing('brt-v-route', 200) }, 'brt-v');
    const after = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-v', variables: { value: 150 } });
    expect((await waitForEnd(suite.h, after.processInstanceKey)).variables.route).toMatchObject({ approval: false });
  });

  test('a decision that is not deployed raises CALLED_DECISION_ERROR; deployed and resolved, the task evaluates it', async () => {
    await deploy({ bpmn: process('brt-missing', 'brt-missing-route') }, 'brt-missing');
    workers.add('brt-missing-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-missing', variables: { value: 5 } });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'CALLED_DECISION_ERROR', element_id: 'decide' });
    expect(incident!.error_message).toContain('brt-missing-route');
    await deploy({ dmn: routing('brt-missing-route', 1) }, 'brt-missing');
    await suite.h.engine.resolveIncident(incident!.key);
    expect((await waitForEnd(suite.h, processInstanceKey)).variables.route).toMatchObject({ approval: true });
  });

  test('a decision that fails to evaluate raises DECISION_EVALUATION_ERROR naming the decision and the rules', async () => {
    // UNIQUE with two matching rules is a failed evaluation.
    await deploy({ dmn: routing('brt-fail-route', 100, 'UNIQUE'), bpmn: process('brt-fail', 'brt-fail-route') }, 'brt-fail');
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-fail', variables: { value: 500 } });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'DECISION_EVALUATION_ERROR', element_id: 'decide' });
    expect(incident!.error_message).toContain('brt-fail-route');
    expect(incident!.error_message).toMatch(/r1.*r2/);
  });

  test('a multi-instance business rule task decides once per item, results collected in order', async () => {
    const mi =
      '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=shipments" inputElement="value" outputCollection="routes" outputElement="=route.approval"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>';
    await deploy({ dmn: routing('brt-mi-route', 100), bpmn: process('brt-mi', 'brt-mi-route', mi) }, 'brt-mi');
    workers.add('brt-mi-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-mi', variables: { shipments: [50, 500, 99] } });
    expect((await waitForEnd(suite.h, processInstanceKey)).variables.routes).toEqual([false, true, false]);
  });

  embeddedTest('each evaluation is recorded as Operate shows it: inputs, matched rules, output; a failed one with its failure', async () => {
    await deploy({ dmn: routing('brt-rec-route', 100), bpmn: process('brt-rec', 'brt-rec-route') }, 'brt-rec');
    workers.add('brt-rec-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-rec', variables: { value: 300 } });
    await waitForEnd(suite.h, processInstanceKey);
    const ops = new EngineOperations(suite.h.embedded!.db.sql);
    const [evaluation] = await ops.decisionEvaluations(processInstanceKey);
    expect(evaluation).toMatchObject({
      elementId: 'decide',
      decisionId: 'brt-rec-route',
      decisionVersion: 1,
      decisionType: 'DECISION_TABLE',
      output: { approval: true, remindAfter: 'PT4H' },
      failure: null,
    });
    expect(evaluation!.inputs).toEqual([expect.objectContaining({ value: 300 })]);
    expect(evaluation!.matchedRules).toEqual([expect.objectContaining({ ruleId: 'r1', ruleIndex: 1 })]);

    await deploy({ dmn: routing('brt-recf-route', 100, 'UNIQUE'), bpmn: process('brt-recf', 'brt-recf-route') }, 'brt-recf');
    const failing = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'brt-recf', variables: { value: 300 } });
    await waitForIncidents(suite.h, failing.processInstanceKey);
    const [failed] = await ops.decisionEvaluations(failing.processInstanceKey);
    expect(failed).toMatchObject({ decisionId: 'brt-recf-route', output: null });
    expect(failed!.failure).toContain('more than one rule matched');
  });
});
