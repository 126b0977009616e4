import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { complete } from '../../orchestrator/engine.js';
import { completedElements, startEngine, waitForEnd, type EngineHarness } from './support.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await startEngine();
});
afterAll(async () => {
  await h.close();
});

test('three service tasks run in order and the instance completes', async () => {
  await h.engine.deploy([{ name: 'three-tasks.bpmn', xml: await readFile('bench/fixtures/three-tasks.bpmn', 'utf8') }]);
  const seen: string[] = [];
  for (const t of ['bench-a', 'bench-b', 'bench-c']) {
    h.engine.createWorker({
      taskType: t,
      handler: async (job) => {
        seen.push(job.type);
        return complete({ [t]: true });
      },
    });
  }
  const { processInstanceKey } = await h.engine.createProcessInstance({ bpmnProcessId: 'bench-three-tasks', variables: { orderId: 'o-1' } });
  const row = await waitForEnd(h, processInstanceKey);
  expect(row.state).toBe('COMPLETED');
  expect(row.variables).toEqual({ orderId: 'o-1', 'bench-a': true, 'bench-b': true, 'bench-c': true });
  expect(seen).toEqual(['bench-a', 'bench-b', 'bench-c']);
  expect(await completedElements(h, processInstanceKey)).toEqual(expect.arrayContaining(['task-a', 'task-b', 'task-c']));
});
