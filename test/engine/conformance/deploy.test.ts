// Conformance: deployments. Rules from Zeebe's docs (Deploy resources; BPMN coverage).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { UnsupportedModelError } from '../../../orchestrator/embedded/model.js';
import { bpmn, deploy, embeddedTest, engineLabel, eventually, flow, startEngineUnderTest, task, type ConformanceHarness } from '../support.js';

let h: ConformanceHarness;
beforeAll(async () => {
  h = await startEngineUnderTest();
});
afterAll(async () => {
  await h?.close();
});

const simple = (id: string, type: string) =>
  bpmn(id, `<bpmn:startEvent id="s"/>${task('t', type)}<bpmn:endEvent id="e"/>${flow('f1', 's', 't')}${flow('f2', 't', 'e')}`);

describe(`deployments (${engineLabel})`, () => {
  test('redeploying an unchanged resource creates no new version', async () => {
    const [first] = await deploy(h.engine, simple('dep-same', 'x'));
    const [again] = await deploy(h.engine, simple('dep-same', 'x'));
    expect(first).toMatchObject({ bpmnProcessId: 'dep-same', version: 1, isNew: true });
    expect(again).toEqual({ ...first, isNew: false });
  });

  test('a changed resource becomes the next version; running instances keep the version they started on', async () => {
    await deploy(h.engine, simple('dep-ver', 'old-type'));
    const old = await h.engine.createProcessInstance({ bpmnProcessId: 'dep-ver' });
    const [v2] = await deploy(h.engine, simple('dep-ver', 'new-type'));
    expect(v2).toMatchObject({ version: 2, isNew: true });
    const fresh = await h.engine.createProcessInstance({ bpmnProcessId: 'dep-ver' });
    expect(old.version).toBe(1);
    expect(fresh.version).toBe(2);
    // Each instance waits for a job of the task type its own version names.
    await eventually('the jobs of both instances', () => h.probe.jobsOf('dep-ver'), [
      { type: 'old-type', processInstanceKey: old.processInstanceKey },
      { type: 'new-type', processInstanceKey: fresh.processInstanceKey },
    ]);
    // A specific version can still be started.
    expect((await h.engine.createProcessInstance({ bpmnProcessId: 'dep-ver', version: 1 })).version).toBe(1);
  });

  // The embedded engine's own rule (Zeebe runs these elements).
  embeddedTest('a model with unsupported elements fails to deploy, naming each element id and type, and deploys nothing', async () => {
    const xml = bpmn(
      'dep-bad',
      `<bpmn:startEvent id="s"/><bpmn:userTask id="approve"/><bpmn:intermediateThrowEvent id="jump"><bpmn:linkEventDefinition name="l"/></bpmn:intermediateThrowEvent>
       <bpmn:endEvent id="e"/>${flow('f1', 's', 'approve')}${flow('f2', 'approve', 'jump')}${flow('f3', 'jump', 'e')}`,
    );
    const attempt = deploy(h.engine, xml);
    await expect(attempt).rejects.toBeInstanceOf(UnsupportedModelError);
    await expect(attempt).rejects.toThrow(/approve \(userTask\)/);
    await expect(attempt).rejects.toThrow(/jump \(intermediateThrowEvent\): linkEventDefinition is not supported/);
    const rows = await h.embedded!.db.sql.query(`SELECT 1 FROM engine_process_definitions WHERE bpmn_process_id = 'dep-bad'`);
    expect(rows).toHaveLength(0);
  });

  test('a service task without a job type is refused at deploy time', async () => {
    const xml = bpmn('dep-notype', `<bpmn:startEvent id="s"/><bpmn:serviceTask id="t"/>${flow('f1', 's', 't')}`);
    const attempt = deploy(h.engine, xml);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Names the element, then what is missing (the wording is each engine's own).
    await expect(attempt).rejects.toThrow(/\bt\b[^]*taskDefinition/);
  });

  test('starting an unknown process is NOT_FOUND', async () => {
    await expect(h.engine.createProcessInstance({ bpmnProcessId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
