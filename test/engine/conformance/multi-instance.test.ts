// Conformance: multi-instance activities. Rules from Zeebe's docs ("Multi-instance":
// sequential vs. parallel, the input collection, completion condition, output
// collection, variable mappings, boundary events; "Compensation" for inner instances).
import { describe, expect, test } from '@jest/globals';
import { bpmnError, complete } from '../../../orchestrator/engine.js';
import { bpmn, conformanceSuite, deploy, engineLabel, heldJobs, eventually, flow, message, task, waitForEnd, waitForIncidents } from '../support.js';
import { waitFor } from '../../support/wait.js';

const suite = conformanceSuite();
const workers = suite.workers;

type LoopOptions = { sequential?: boolean; input?: string; element?: string; output?: string; outputElement?: string; condition?: string };
const loop = (o: LoopOptions) =>
  `<bpmn:multiInstanceLoopCharacteristics${o.sequential ? ' isSequential="true"' : ''}><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="${o.input ?? '=items'}"${o.element ? ` inputElement="${o.element}"` : ''}${o.output ? ` outputCollection="${o.output}"` : ''}${o.outputElement ? ` outputElement="${o.outputElement}"` : ''}/></bpmn:extensionElements>${o.condition ? `<bpmn:completionCondition>${o.condition.replace(/>/g, '&gt;')}</bpmn:completionCondition>` : ''}</bpmn:multiInstanceLoopCharacteristics>`;

const miTask = (id: string, type: string, o: LoopOptions, mappings = '') =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}"/>${mappings}</bpmn:extensionElements>${loop(o)}</bpmn:serviceTask>`;

/** start → the multi-instance activity (plus extra elements) → after → end. */
const around = (id: string, activity: string, extra = '', extraFlows = '', rootElements = '') =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${activity}${task('after', `${id}-after`)}<bpmn:endEvent id="e"/>${extra}
     ${flow('f0', 's', 'mi')}${flow('f1', 'mi', 'after')}${flow('f2', 'after', 'e')}${extraFlows}`,
    rootElements,
  );

describe(`multi-instance (${engineLabel})`, () => {
  test('parallel: one inner instance per item, all created at once, each with its input element and loopCounter; the output collection follows loopCounter, not completion order', async () => {
    await deploy(suite.h.engine, around('mi-par', miTask('mi', 'mi-par-work', { element: 'item', output: 'results', outputElement: '=result' })));
    const seen: { item: unknown; loopCounter: unknown }[] = [];
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    workers.add(
      'mi-par-work',
      async (job) => {
        seen.push({ item: job.variables.item, loopCounter: job.variables.loopCounter });
        if (seen.length === 3) open();
        await gate; // all three run at the same time: parallel
        // The last item finishes first.
        await new Promise((r) => setTimeout(r, 30 * (3 - Number(job.variables.loopCounter))));
        return complete({ result: `done-${String(job.variables.item)}` });
      },
      { maxJobsToActivate: 5 },
    );
    let after: Record<string, unknown> | undefined;
    workers.add('mi-par-after', async (job) => ((after = job.variables), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-par', variables: { items: ['a', 'b', 'c'] } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(seen.sort((x, y) => Number(x.loopCounter) - Number(y.loopCounter))).toEqual([
      { item: 'a', loopCounter: 1 },
      { item: 'b', loopCounter: 2 },
      { item: 'c', loopCounter: 3 },
    ]);
    expect(after?.results).toEqual(['done-a', 'done-b', 'done-c']);
    // The output element's variable and the loop variables are local to the inner instances.
    expect(end.variables).toEqual({ items: ['a', 'b', 'c'], results: ['done-a', 'done-b', 'done-c'] });
  });

  test('sequential: the next inner instance is created only when the previous one completed', async () => {
    await deploy(suite.h.engine, around('mi-seq', miTask('mi', 'mi-seq-work', { sequential: true, element: 'n' })));
    const log: string[] = [];
    let running = 0;
    let overlap = false;
    workers.add(
      'mi-seq-work',
      async (job) => {
        running += 1;
        if (running > 1) overlap = true;
        log.push(`start ${String(job.variables.n)}`);
        await new Promise((r) => setTimeout(r, 20));
        log.push(`end ${String(job.variables.n)}`);
        running -= 1;
        return complete();
      },
      { maxJobsToActivate: 5 },
    );
    workers.add('mi-seq-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-seq', variables: { items: [1, 2, 3] } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(overlap).toBe(false);
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  test('an empty input collection completes the body at once, with an empty output collection', async () => {
    await deploy(suite.h.engine, around('mi-empty', miTask('mi', 'mi-empty-work', { element: 'x', output: 'out', outputElement: '=x' })));
    let ran = 0;
    workers.add('mi-empty-work', async () => (ran++, complete()));
    workers.add('mi-empty-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-empty', variables: { items: [] } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toBe(0);
    expect(end.variables.out).toEqual([]);
  });

  test('an input collection that is not an array raises an incident on the activity; fixed and resolved, the instance goes on', async () => {
    await deploy(suite.h.engine, around('mi-bad', miTask('mi', 'mi-bad-work', { element: 'x' })));
    let ran = 0;
    workers.add('mi-bad-work', async () => (ran++, complete()));
    workers.add('mi-bad-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-bad', variables: { items: 'not-a-list' } });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'EXTRACT_VALUE_ERROR', element_id: 'mi' });
    expect(incident!.error_message).toContain("to be 'ARRAY', but was 'STRING'");
    await suite.h.engine.setVariables({ elementInstanceKey: processInstanceKey, variables: { items: [1, 2] } });
    await suite.h.engine.resolveIncident(incident!.key);
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toBe(2);
  });

  test('completion condition: once true, the inner instances still running are terminated and the body completes', async () => {
    await deploy(suite.h.engine, around('mi-cond', miTask('mi', 'mi-cond-work', { element: 'x', condition: '=numberOfCompletedInstances >= 2' })));
    const slow = heldJobs();
    workers.add('mi-cond-work', async (job) => (job.variables.x === 'slow' ? slow.wait() : complete()), { maxJobsToActivate: 5, timeout: 60_000 });
    workers.add('mi-cond-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-cond', variables: { items: ['a', 'slow', 'b'] } });
    await waitForEnd(suite.h, processInstanceKey);
    slow.release();
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['mi']);
    expect(await suite.h.probe.openJobs(processInstanceKey)).toBe(0);
  });

  test('input mappings are applied to each inner instance, over its input element', async () => {
    await deploy(
      suite.h.engine,
      around('mi-map', miTask('mi', 'mi-map-work', { element: 'line' }, '<zeebe:ioMapping><zeebe:input source="=line.sku" target="sku"/></zeebe:ioMapping>')),
    );
    const skus: unknown[] = [];
    workers.add('mi-map-work', async (job) => (skus.push(job.variables.sku), complete()), { maxJobsToActivate: 5 });
    workers.add('mi-map-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({
      bpmnProcessId: 'mi-map',
      variables: { items: [{ sku: 'A-1' }, { sku: 'B-2' }] },
    });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(skus.sort()).toEqual(['A-1', 'B-2']);
    expect(end.variables).not.toHaveProperty('sku');
  });

  test('an interrupting boundary event on a multi-instance activity terminates the body and every inner instance', async () => {
    await deploy(
      suite.h.engine,
      around(
        'mi-timeout',
        miTask('mi', 'mi-timeout-work', { element: 'x' }),
        `<bpmn:boundaryEvent id="too-late" attachedToRef="mi"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.3S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
         <bpmn:endEvent id="timed-out"/>`,
        flow('f-late', 'too-late', 'timed-out'),
      ),
    );
    const work = heldJobs();
    workers.add('mi-timeout-work', async () => work.wait(), { maxJobsToActivate: 5, timeout: 60_000 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-timeout', variables: { items: [1, 2, 3] } });
    await waitForEnd(suite.h, processInstanceKey);
    work.release();
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(['s', 'too-late', 'timed-out']);
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['mi', 'mi', 'mi', 'mi']);
    expect(await suite.h.probe.openJobs(processInstanceKey)).toBe(0);
  });

  test('a BPMN error from one inner instance is caught by the error boundary of the multi-instance activity', async () => {
    await deploy(
      suite.h.engine,
      around(
        'mi-error',
        miTask('mi', 'mi-error-work', { element: 'x' }),
        `<bpmn:boundaryEvent id="rejected" attachedToRef="mi"><bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent><bpmn:endEvent id="failed"/>`,
        flow('f-err', 'rejected', 'failed'),
      ).replace('</bpmn:definitions>', '<bpmn:error id="err" errorCode="REJECTED"/></bpmn:definitions>'),
    );
    const ok = heldJobs();
    workers.add('mi-error-work', async (job) => (job.variables.x === 'bad' ? bpmnError('REJECTED') : ok.wait()), { maxJobsToActivate: 5, timeout: 60_000 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-error', variables: { items: ['ok', 'bad'] } });
    await waitForEnd(suite.h, processInstanceKey);
    ok.release();
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(['s', 'rejected', 'failed']);
    expect(await suite.h.probe.incidents(processInstanceKey)).toEqual([]);
  });

  test('a multi-instance sub-process runs its inside once per item, each inner instance in its own variable scope', async () => {
    await deploy(
      suite.h.engine,
      around(
        'mi-sub',
        `<bpmn:subProcess id="mi">${loop({ element: 'shipment', output: 'tracking', outputElement: '=number' })}
           <bpmn:startEvent id="ss"/>${task('ship', 'mi-sub-ship')}<bpmn:endEvent id="se"/>${flow('sf0', 'ss', 'ship')}${flow('sf1', 'ship', 'se')}
         </bpmn:subProcess>`,
      ),
    );
    workers.add('mi-sub-ship', async (job) => complete({ number: `T-${String(job.variables.shipment)}` }), { maxJobsToActivate: 5 });
    workers.add('mi-sub-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-sub', variables: { items: ['x', 'y'] } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables.tracking).toEqual(['T-x', 'T-y']);
    expect(end.variables).not.toHaveProperty('number');
  });

  test('a multi-instance receive task opens one subscription per item, its correlation key read in the inner instance', async () => {
    await deploy(
      suite.h.engine,
      around(
        'mi-recv',
        `<bpmn:receiveTask id="mi" messageRef="m-recv">${loop({ element: 'ref' })}</bpmn:receiveTask>`,
        '',
        '',
        message('m-recv', 'mi-recv-msg', '=ref'),
      ),
    );
    workers.add('mi-recv-after', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-recv', variables: { items: ['r1', 'r2'] } });
    await eventually('two subscriptions', () => suite.h.probe.openSubscriptions(processInstanceKey), 2);
    await suite.h.engine.publishMessage({ name: 'mi-recv-msg', correlationKey: 'r2' });
    await eventually('one subscription left', () => suite.h.probe.openSubscriptions(processInstanceKey), 1);
    await suite.h.engine.publishMessage({ name: 'mi-recv-msg', correlationKey: 'r1' });
    await waitForEnd(suite.h, processInstanceKey);
  });

  test('compensation runs the handler once for every completed inner instance, with that instance’s variables', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'mi-comp',
        `<bpmn:startEvent id="s"/>${miTask('mi', 'mi-comp-reserve', { element: 'sku' })}
         <bpmn:boundaryEvent id="undo" attachedToRef="mi"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
         <bpmn:serviceTask id="release" isForCompensation="true"><bpmn:extensionElements><zeebe:taskDefinition type="mi-comp-release"/></bpmn:extensionElements></bpmn:serviceTask>
         <bpmn:intermediateThrowEvent id="compensate"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent><bpmn:endEvent id="e"/>
         ${flow('f0', 's', 'mi')}${flow('f1', 'mi', 'compensate')}${flow('f2', 'compensate', 'e')}
         <bpmn:association id="a1" associationDirection="One" sourceRef="undo" targetRef="release"/>`,
      ),
    );
    const released: unknown[] = [];
    workers.add('mi-comp-reserve', async () => complete(), { maxJobsToActivate: 5 });
    workers.add('mi-comp-release', async (job) => (released.push(job.variables.sku), complete()), { maxJobsToActivate: 5 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-comp', variables: { items: ['A', 'B', 'C'] } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(released.sort()).toEqual(['A', 'B', 'C']);
  });

  test('the instance shows the body and its inner instances while they run', async () => {
    await deploy(suite.h.engine, around('mi-show', miTask('mi', 'mi-show-work', { element: 'x' })));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'mi-show', variables: { items: [1, 2] } });
    // Body + two inner instances carry the activity's id.
    await eventually('body and inner instances active', () => suite.h.probe.activeElements(processInstanceKey), ['mi', 'mi', 'mi']);
    await waitFor('two jobs', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 2);
    await suite.h.engine.cancelProcessInstance(processInstanceKey);
    await waitForEnd(suite.h, processInstanceKey);
    expect(await suite.h.probe.openJobs(processInstanceKey)).toBe(0);
  });
});

describe(`multi-instance deployment (${engineLabel})`, () => {
  test('a multi-instance activity without an inputCollection is refused at deploy, naming the element', async () => {
    const xml = bpmn(
      'mi-no-input',
      `<bpmn:startEvent id="s"/><bpmn:serviceTask id="mi"><bpmn:extensionElements><zeebe:taskDefinition type="x"/></bpmn:extensionElements><bpmn:multiInstanceLoopCharacteristics/></bpmn:serviceTask><bpmn:endEvent id="e"/>${flow('f0', 's', 'mi')}${flow('f1', 'mi', 'e')}`,
    );
    await expect(deploy(suite.h.engine, xml)).rejects.toThrow(/mi/);
  });
});
