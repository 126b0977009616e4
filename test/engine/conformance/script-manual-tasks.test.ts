// Conformance: script tasks (zeebe:script, a FEEL expression the engine evaluates),
// manual tasks and undefined tasks (passed through). Rules from Zeebe's docs ("Script
// tasks", "Manual tasks", "Undefined tasks").
import { describe, expect, test } from '@jest/globals';
import { bpmn, conformanceSuite, deploy, engineLabel, flow, waitForEnd, waitForIncidents } from '../support.js';

const suite = conformanceSuite();

const scripted = (id: string, expression: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/><bpmn:scriptTask id="sum"><bpmn:extensionElements><zeebe:script expression="${expression}" resultVariable="total"/></bpmn:extensionElements></bpmn:scriptTask>
     <bpmn:manualTask id="check"/><bpmn:task id="noop"/><bpmn:endEvent id="e"/>
     ${flow('f0', 's', 'sum')}${flow('f1', 'sum', 'check')}${flow('f2', 'check', 'noop')}${flow('f3', 'noop', 'e')}`,
  );

describe(`script, manual and undefined tasks (${engineLabel})`, () => {
  test('a script task evaluates its FEEL expression and completes with the value in resultVariable', async () => {
    await deploy(suite.h.engine, scripted('st-sum', '=sum(for l in lines return l.qty * l.price)'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({
      bpmnProcessId: 'st-sum',
      variables: {
        lines: [
          { qty: 2, price: 5 },
          { qty: 1, price: 7 },
        ],
      },
    });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables.total).toBe(17);
    // The manual and undefined tasks were passed through.
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(['s', 'sum', 'check', 'noop', 'e']);
  });

  test('a script task whose expression fails raises an incident on the task', async () => {
    await deploy(suite.h.engine, scripted('st-bad', '=sum('));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'st-bad' });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'EXTRACT_VALUE_ERROR', element_id: 'sum' });
  });
});
