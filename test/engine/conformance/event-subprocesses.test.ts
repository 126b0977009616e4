// Conformance: event sub-processes. Rules from Zeebe's docs ("Event subprocesses":
// interrupting and non-interrupting, message, timer and error start events, variables,
// lifecycle within the containing scope).
import { describe, expect, test } from '@jest/globals';
import { bpmnError, complete } from '../../../orchestrator/engine.js';
import { bpmn, conformanceSuite, deploy, engineLabel, heldJobs, eventually, flow, message, task, waitForEnd } from '../support.js';
import { waitFor } from '../../support/wait.js';

const suite = conformanceSuite();
const workers = suite.workers;

type Trigger = { message?: string; timer?: string; cycle?: string; error?: string };
const trigger = (t: Trigger) =>
  t.message
    ? `<bpmn:messageEventDefinition messageRef="${t.message}"/>`
    : t.timer
      ? `<bpmn:timerEventDefinition><bpmn:timeDuration>${t.timer}</bpmn:timeDuration></bpmn:timerEventDefinition>`
      : t.cycle
        ? `<bpmn:timerEventDefinition><bpmn:timeCycle>${t.cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>`
        : `<bpmn:errorEventDefinition${t.error ? ` errorRef="${t.error}"` : ''}/>`;

/** An event sub-process: its start event (`<id>-start`), one task, an end event. */
const esp = (id: string, t: Trigger, o: { interrupting?: boolean; taskType: string; mappings?: string }) =>
  `<bpmn:subProcess id="${id}" triggeredByEvent="true">${o.mappings ? `<bpmn:extensionElements>${o.mappings}</bpmn:extensionElements>` : ''}
     <bpmn:startEvent id="${id}-start" isInterrupting="${o.interrupting === false ? 'false' : 'true'}">${trigger(t)}</bpmn:startEvent>
     ${task(`${id}-task`, o.taskType)}<bpmn:endEvent id="${id}-end"/>
     ${flow(`${id}-f0`, `${id}-start`, `${id}-task`)}${flow(`${id}-f1`, `${id}-task`, `${id}-end`)}
   </bpmn:subProcess>`;

/** start → work (a job) → end, with event sub-processes beside it. */
const withWork = (id: string, espXml: string, rootElements = '') =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${task('work', `${id}-work`)}<bpmn:endEvent id="e"/>${flow('f0', 's', 'work')}${flow('f1', 'work', 'e')}${espXml}`,
    rootElements,
  );

describe(`event sub-processes (${engineLabel})`, () => {
  test('an interrupting message event sub-process terminates the rest of its scope; the process completes when it does', async () => {
    await deploy(
      suite.h.engine,
      withWork('esp-int', esp('cancel', { message: 'm-cancel' }, { taskType: 'esp-int-undo' }), message('m-cancel', 'esp-int-cancel', '=orderId')),
    );
    const work = heldJobs();
    workers.add('esp-int-work', async () => work.wait(), { timeout: 60_000 });
    const undone: unknown[] = [];
    workers.add('esp-int-undo', async (job) => (undone.push(job.variables.reason), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-int', variables: { orderId: 'o-1' } });
    await waitFor('the job', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 1);
    await suite.h.engine.publishMessage({ name: 'esp-int-cancel', correlationKey: 'o-1', variables: { reason: 'customer' } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    work.release();
    expect(end.state).toBe('COMPLETED');
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['work']);
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(['s', 'cancel-start', 'cancel-task', 'cancel-end', 'cancel']);
    // The message's variables reach the event sub-process and, without output mappings, the process.
    expect(undone).toEqual(['customer']);
    expect(end.variables.reason).toBe('customer');
  });

  test('a non-interrupting message event sub-process runs beside the scope, as often as its message comes; the process waits for it', async () => {
    await deploy(
      suite.h.engine,
      withWork('esp-non', esp('note', { message: 'm-note' }, { interrupting: false, taskType: 'esp-non-note' }), message('m-note', 'esp-non-note', '=orderId')),
    );
    const work = heldJobs();
    workers.add('esp-non-work', async () => work.wait(), { timeout: 60_000 });
    let notes = 0;
    workers.add('esp-non-note', async () => (notes++, complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-non', variables: { orderId: 'o-2' } });
    await waitFor('the job', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 1);
    await suite.h.engine.publishMessage({ name: 'esp-non-note', correlationKey: 'o-2' });
    await waitFor('first note', async () => notes === 1);
    await suite.h.engine.publishMessage({ name: 'esp-non-note', correlationKey: 'o-2' });
    await waitFor('second note', async () => notes === 2);
    expect((await suite.h.probe.instance(processInstanceKey))?.state).toBe('ACTIVE');
    work.release();
    await waitForEnd(suite.h, processInstanceKey);
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual([]);
    expect((await suite.h.probe.completedElements(processInstanceKey)).filter((e) => e === 'note')).toHaveLength(2);
  });

  test('an interrupting timer event sub-process ends a scope that takes too long; a scope that ends first closes the timer', async () => {
    await deploy(suite.h.engine, withWork('esp-timer', esp('too-slow', { timer: 'PT0.3S' }, { taskType: 'esp-timer-escalate' })));
    const slow = heldJobs();
    workers.add('esp-timer-work', async (job) => (job.variables.fast ? complete() : slow.wait()), { timeout: 60_000 });
    workers.add('esp-timer-escalate', async () => complete({ escalated: true }));
    // Checked well before PT0.3S: the timer row must go with the scope, not fire into nothing later.
    const fast = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-timer', variables: { fast: true } });
    expect((await waitForEnd(suite.h, fast.processInstanceKey)).variables.escalated).toBeUndefined();
    // Read at once, not polled: a timer left behind would still be there (Zeebe's API shows no timers).
    const left = await suite.h.probe.openTimers(fast.processInstanceKey);
    if (left !== undefined) expect(left).toBe(0);
    const late = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-timer', variables: { fast: false } });
    expect((await waitForEnd(suite.h, late.processInstanceKey)).variables.escalated).toBe(true);
    slow.release();
    expect(await suite.h.probe.terminatedElements(late.processInstanceKey)).toEqual(['work']);
  });

  test('a non-interrupting timer cycle event sub-process fires at each repetition while the scope runs', async () => {
    await deploy(suite.h.engine, withWork('esp-cycle', esp('remind', { cycle: 'R2/PT0.15S' }, { interrupting: false, taskType: 'esp-cycle-remind' })));
    const work = heldJobs();
    workers.add('esp-cycle-work', async () => work.wait(), { timeout: 60_000 });
    let reminders = 0;
    workers.add('esp-cycle-remind', async () => (reminders++, complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-cycle' });
    await waitFor('two reminders', async () => reminders === 2);
    work.release();
    await waitForEnd(suite.h, processInstanceKey);
    expect(reminders).toBe(2);
  });

  test('an error event sub-process catches a BPMN error thrown in its scope that no boundary event caught', async () => {
    await deploy(
      suite.h.engine,
      withWork('esp-error', esp('on-error', { error: 'err' }, { taskType: 'esp-error-handle' }), '<bpmn:error id="err" errorCode="OUT_OF_STOCK"/>'),
    );
    workers.add('esp-error-work', async () => bpmnError('OUT_OF_STOCK', 'none left', { missing: 'A-1' }));
    let seen: unknown;
    workers.add('esp-error-handle', async (job) => ((seen = job.variables.missing), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-error' });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.state).toBe('COMPLETED');
    expect(seen).toBe('A-1');
    expect(await suite.h.probe.incidents(processInstanceKey)).toEqual([]);
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['work']);
  });

  test('an error end event is caught by the error event sub-process of its own scope', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'esp-error-end',
        `<bpmn:startEvent id="s"/><bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>${flow('f0', 's', 'fail')}
         ${esp('on-error', { error: 'err' }, { taskType: 'esp-error-end-handle' })}`,
        '<bpmn:error id="err" errorCode="REJECTED"/>',
      ),
    );
    let handled = 0;
    workers.add('esp-error-end-handle', async () => (handled++, complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-error-end' });
    expect((await waitForEnd(suite.h, processInstanceKey)).state).toBe('COMPLETED');
    expect(handled).toBe(1);
    expect(await suite.h.probe.incidents(processInstanceKey)).toEqual([]);
  });

  test('an event sub-process inside a sub-process: open while the sub-process runs, and after an interrupting one the sub-process completes and the process goes on', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'esp-inner',
        `<bpmn:startEvent id="s"/>
         <bpmn:subProcess id="phase"><bpmn:startEvent id="ps"/>${task('work', 'esp-inner-work')}<bpmn:endEvent id="pe"/>${flow('p0', 'ps', 'work')}${flow('p1', 'work', 'pe')}
           ${esp('abort', { message: 'm-abort' }, { taskType: 'esp-inner-abort' })}
         </bpmn:subProcess>
         ${task('after', 'esp-inner-after')}<bpmn:endEvent id="e"/>
         ${flow('f0', 's', 'phase')}${flow('f1', 'phase', 'after')}${flow('f2', 'after', 'e')}`,
        message('m-abort', 'esp-inner-abort', '=orderId'),
      ),
    );
    const work = heldJobs();
    workers.add('esp-inner-work', async (job) => (job.variables.orderId === 'done' ? complete() : work.wait()), { timeout: 60_000 });
    workers.add('esp-inner-abort', async () => complete());
    workers.add('esp-inner-after', async () => complete());
    const aborted = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-inner', variables: { orderId: 'o-3' } });
    await eventually('the sub-process subscription', () => suite.h.probe.openSubscriptions(aborted.processInstanceKey), 1);
    await suite.h.engine.publishMessage({ name: 'esp-inner-abort', correlationKey: 'o-3' });
    await waitForEnd(suite.h, aborted.processInstanceKey);
    work.release();
    expect(await suite.h.probe.completedElements(aborted.processInstanceKey)).toEqual([
      's',
      'ps',
      'abort-start',
      'abort-task',
      'abort-end',
      'abort',
      'phase',
      'after',
      'e',
    ]);
    const normal = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-inner', variables: { orderId: 'done' } });
    await waitForEnd(suite.h, normal.processInstanceKey);
    expect(await suite.h.probe.openSubscriptions(normal.processInstanceKey)).toBe(0);
  });

  test('local variables of an event sub-process (its input mappings) are not propagated out of it', async () => {
    await deploy(
      suite.h.engine,
      withWork(
        'esp-vars',
        esp(
          'audit',
          { message: 'm-audit' },
          { taskType: 'esp-vars-audit', mappings: '<zeebe:ioMapping><zeebe:input source="=&quot;x&quot;" target="scratch"/></zeebe:ioMapping>' },
        ),
        message('m-audit', 'esp-vars-audit', '=orderId'),
      ),
    );
    const work = heldJobs();
    workers.add('esp-vars-work', async () => work.wait(), { timeout: 60_000 });
    let scratch: unknown;
    workers.add('esp-vars-audit', async (job) => ((scratch = job.variables.scratch), complete({ scratch: 'changed' })));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-vars', variables: { orderId: 'o-4' } });
    await waitFor('the job', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 1);
    await suite.h.engine.publishMessage({ name: 'esp-vars-audit', correlationKey: 'o-4' });
    const end = await waitForEnd(suite.h, processInstanceKey);
    work.release();
    expect(scratch).toBe('x');
    expect(end.variables).not.toHaveProperty('scratch');
  });

  test('cancelling the instance closes the subscriptions of its event sub-processes', async () => {
    await deploy(
      suite.h.engine,
      withWork('esp-cancel', esp('never', { message: 'm-never' }, { taskType: 'esp-cancel-never' }), message('m-never', 'esp-cancel-never', '=orderId')),
    );
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esp-cancel', variables: { orderId: 'o-5' } });
    await eventually('the subscription', () => suite.h.probe.openSubscriptions(processInstanceKey), 1);
    await suite.h.engine.cancelProcessInstance(processInstanceKey);
    await waitForEnd(suite.h, processInstanceKey);
    await eventually('no subscription', () => suite.h.probe.openSubscriptions(processInstanceKey), 0);
  });
});

describe(`event sub-process deployment (${engineLabel})`, () => {
  test('an event sub-process whose start event has no trigger is refused at deploy, naming it', async () => {
    const xml = withWork(
      'esp-none',
      `<bpmn:subProcess id="bad-esp" triggeredByEvent="true"><bpmn:startEvent id="bs"/><bpmn:endEvent id="be"/>${flow('b0', 'bs', 'be')}</bpmn:subProcess>`,
    );
    await expect(deploy(suite.h.engine, xml)).rejects.toThrow(/bad-esp/);
  });

  test('a non-interrupting error start event is refused at deploy (an error start event always interrupts)', async () => {
    const xml = withWork('esp-nonint-error', esp('bad', { error: 'err' }, { interrupting: false, taskType: 'x' }), '<bpmn:error id="err" errorCode="E"/>');
    await expect(deploy(suite.h.engine, xml)).rejects.toThrow(/bad-start/);
  });
});
