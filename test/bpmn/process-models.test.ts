// The process models as files: loading them from bpmn/, the job types they need, and
// the start-up check that models and workers agree.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';
import { checkWorkerCoverage, loadProcessModels, PROCESS_MODELS_DIR, taskTypesOf, WorkerCoverageError } from '../../orchestrator/process-models.js';
import { bpmn, flow, task } from '../engine/support.js';
import { SAGA_WORKERS } from '../../workers/index.js';

const ORDER_SAGA_TASK_TYPES = [
  'cancel-order',
  'check-payment-status',
  'complete-order',
  'finalize-order',
  'mark-payment-failed',
  'notify-customer',
  'prepare-shipments',
  'reject-order',
  'release-stock',
  'request-payment',
  'reserve-stock',
  'void-payment',
];

async function orderFulfillmentXml(): Promise<string> {
  const file = (await loadProcessModels()).find((r) => r.name === 'order-fulfillment.bpmn');
  if (!file) throw new Error('bpmn/order-fulfillment.bpmn not found');
  return file.xml;
}

describe('loadProcessModels', () => {
  test('finds bpmn/order-fulfillment.bpmn next to the orchestrator, whatever the working directory', async () => {
    expect(PROCESS_MODELS_DIR).toBe(fileURLToPath(new URL('../../bpmn', import.meta.url)));
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      const resources = await loadProcessModels();
      expect(resources.map((r) => r.name)).toContain('order-fulfillment.bpmn');
      const saga = resources.find((r) => r.name === 'order-fulfillment.bpmn');
      expect(saga?.xml).toContain('id="order-fulfillment"');
    } finally {
      process.chdir(cwd);
    }
  });

  test('reads every *.bpmn file of a folder, sorted by name, and nothing else', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'models-'));
    try {
      await writeFile(path.join(dir, 'b.bpmn'), '<b/>');
      await writeFile(path.join(dir, 'a.bpmn'), '<a/>');
      await writeFile(path.join(dir, 'notes.md'), '# not a model');
      expect(await loadProcessModels(dir)).toEqual([
        { name: 'a.bpmn', xml: '<a/>' },
        { name: 'b.bpmn', xml: '<b/>' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a folder without models is a clear error naming the folder', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'models-'));
    try {
      await expect(loadProcessModels(dir)).rejects.toThrow(`No process models (*.bpmn files) in ${dir}`);
      await expect(loadProcessModels(path.join(dir, 'missing'))).rejects.toThrow(`Cannot read the process models folder ${path.join(dir, 'missing')}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('taskTypesOf', () => {
  test('lists exactly the twelve job types of the order process, sorted, each once (the shipment process has its own)', async () => {
    expect(await taskTypesOf(await orderFulfillmentXml())).toEqual(ORDER_SAGA_TASK_TYPES);
  });

  test('includes compensation handlers and tasks inside sub-processes', async () => {
    const xml = bpmn(
      'types',
      `<bpmn:startEvent id="s"/>${task('a', 'type-a')}<bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/>${task('b', 'type-b')}${flow('g1', 'ss', 'b')}</bpmn:subProcess>
       <bpmn:serviceTask id="undo" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="type-undo"/></bpmn:extensionElements></bpmn:serviceTask>
       ${task('a2', 'type-a')}${flow('f0', 's', 'a')}${flow('f1', 'a', 'sub')}${flow('f2', 'sub', 'a2')}`,
    );
    expect(await taskTypesOf(xml)).toEqual(['type-a', 'type-b', 'type-undo']);
  });

  test('a file that is not BPMN is a clear error', async () => {
    await expect(taskTypesOf('not xml at all')).rejects.toThrow(/^Not a BPMN file/);
  });
});

describe('checkWorkerCoverage', () => {
  test('passes when every task type has a worker and every worker a task (order does not matter)', () => {
    expect(() => checkWorkerCoverage(ORDER_SAGA_TASK_TYPES, [...ORDER_SAGA_TASK_TYPES].reverse())).not.toThrow();
  });

  test('names the task types without a worker and the workers without a task', () => {
    let caught: unknown;
    try {
      checkWorkerCoverage(['reserve-stock', 'request-payment', 'void-payment'], ['reserve-stock', 'refund-payment'], 'bpmn/order-fulfillment.bpmn');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WorkerCoverageError);
    const error = caught as WorkerCoverageError;
    expect(error.missingWorkers).toEqual(['request-payment', 'void-payment']);
    expect(error.unusedWorkers).toEqual(['refund-payment']);
    expect(error.message).toBe(
      'The deployed process and the workers disagree: no worker for task type(s) request-payment, void-payment (in bpmn/order-fulfillment.bpmn); no task for worker(s) refund-payment.',
    );
  });

  test('mentions only the side that disagrees', () => {
    expect(() => checkWorkerCoverage(['a', 'b'], ['a'])).toThrow(
      'The deployed process and the workers disagree: no worker for task type(s) b (in bpmn/*.bpmn).',
    );
    expect(() => checkWorkerCoverage(['a'], ['a', 'z'])).toThrow('The deployed process and the workers disagree: no task for worker(s) z.');
  });
});

describe('the shipped model and the shipped workers', () => {
  test('every task type in bpmn/ has a worker in workers/ and every worker a task (start-up would refuse otherwise)', async () => {
    const models = await loadProcessModels();
    const modelTypes = (await Promise.all(models.map((m) => taskTypesOf(m.xml)))).flat();
    expect(() =>
      checkWorkerCoverage(
        modelTypes,
        SAGA_WORKERS.map((w) => w.taskType),
      ),
    ).not.toThrow();
    expect(new Set(SAGA_WORKERS.map((w) => w.taskType)).size).toBe(SAGA_WORKERS.length);
  });
});
