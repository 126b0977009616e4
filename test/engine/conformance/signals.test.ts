// Conformance: signal events. Rules from Zeebe 8.8's docs ("Signal events", "Signals"): a
// broadcast triggers every signal subscription of its name (catch, boundary and event
// sub-process start events) and starts one instance per process with a signal start event;
// throw and end events broadcast with their local variables; nothing is buffered.
import { describe, expect, test } from '@jest/globals';
import { complete } from '../../../orchestrator/engine.js';
import { sleep, waitFor } from '../../support/wait.js';
import { bpmn, conformanceSuite, count, deploy, engineLabel, eventually, flow, task, waitForEnd, waitForIncidents } from '../support.js';

const suite = conformanceSuite();
const workers = suite.workers;

const signal = (name: string, id = 'sig') => `<bpmn:signal id="${id}" name="${name}"/>`;
const on = (ref = 'sig') => `<bpmn:signalEventDefinition signalRef="${ref}"/>`;
const inputs = (...m: [string, string][]) =>
  `<bpmn:extensionElements><zeebe:ioMapping>${m.map(([source, target]) => `<zeebe:input source="${source}" target="${target}"/>`).join('')}</zeebe:ioMapping></bpmn:extensionElements>`;

/** start → catch (signal `name`) → end. */
const catcher = (id: string, name: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait">${on()}</bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>
     ${flow('f0', 's', 'wait')}${flow('f1', 'wait', 'e')}`,
    signal(name),
  );

/** start → work (a job of `<id>-work`) → end, with a signal boundary event `b` on work leading to `b-end`. */
const withBoundary = (id: string, name: string, interrupting: boolean) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${task('work', `${id}-work`)}<bpmn:endEvent id="e"/>
     <bpmn:boundaryEvent id="b" attachedToRef="work" cancelActivity="${interrupting}">${on()}</bpmn:boundaryEvent><bpmn:endEvent id="b-end"/>
     ${flow('f0', 's', 'work')}${flow('f1', 'work', 'e')}${flow('f2', 'b', 'b-end')}`,
    signal(name),
  );

/** A job handler that answers once released. */
function held() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { wait: () => gate.then(() => complete()), release };
}

const instancesOf = (id: string) => suite.h.probe.instancesOf(id);
const broadcast = (signalName: string, variables?: Record<string, unknown>) => suite.h.engine.broadcastSignal({ signalName, variables });
const completedCount = async (key: string, elementId: string) => (await suite.h.probe.completedElements(key)).filter((e) => e === elementId).length;
/** A signal name as the engine under test sees it (the Camunda 8 harness suffixes static names; a FEEL name must give the suffixed one). */
const engineName = (name: string) => (suite.h.engine as { ns?: (n: string) => string }).ns?.(name) ?? name;

describe(`signal events (${engineLabel})`, () => {
  test('a signal start event: each broadcast starts one instance of the latest version of every process with that signal, with its variables', async () => {
    /** Started by signal `name`, then a job of `taskType` (which tells the version). */
    const started = (id: string, taskType: string, name = 'sig-start-go') =>
      bpmn(id, `<bpmn:startEvent id="go">${on()}</bpmn:startEvent>${task('work', taskType)}${flow('f0', 'go', 'work')}`, signal(name));
    await deploy(suite.h.engine, started('sig-start-a', 'sig-start-a-v1'));
    await deploy(suite.h.engine, started('sig-start-a', 'sig-start-a-v2'));
    await deploy(suite.h.engine, started('sig-start-b', 'sig-start-b'));
    await deploy(suite.h.engine, started('sig-start-other', 'sig-start-other', 'sig-start-other'));
    // A newer version without the signal start event drops the older one's subscription.
    await deploy(suite.h.engine, started('sig-start-gone', 'sig-start-gone'));
    await deploy(suite.h.engine, bpmn('sig-start-gone', `<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>${flow('f0', 's', 'e')}`));
    // Only its signal starts it.
    await expect(suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-start-a' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });

    await broadcast('sig-start-go', { batch: 1 });
    await eventually('one instance of a', async () => (await instancesOf('sig-start-a')).map((i) => i.variables), [{ batch: 1 }]);
    await broadcast('sig-start-go', { batch: 2 });
    await eventually('a second instance of a', async () => (await instancesOf('sig-start-a')).map((i) => i.variables), [{ batch: 1 }, { batch: 2 }]);
    await eventually('two instances of b', async () => (await instancesOf('sig-start-b')).length, 2);
    await eventually('each at version 2', async () => (await suite.h.probe.jobsOf('sig-start-a')).map((j) => j.type), ['sig-start-a-v2', 'sig-start-a-v2']);
    await sleep(300);
    expect((await instancesOf('sig-start-a')).length).toBe(2);
    expect((await instancesOf('sig-start-b')).length).toBe(2);
    expect(await instancesOf('sig-start-other')).toEqual([]);
    expect(await instancesOf('sig-start-gone')).toEqual([]);
  });

  test('a signal intermediate catch event: one broadcast completes every instance waiting for its name, in every process, with its variables', async () => {
    await deploy(suite.h.engine, catcher('sig-catch-a', 'sig-catch'));
    await deploy(suite.h.engine, catcher('sig-catch-b', 'sig-catch'));
    await deploy(suite.h.engine, catcher('sig-catch-other', 'sig-catch-other'));
    const waiting = await Promise.all(
      ['sig-catch-a', 'sig-catch-a', 'sig-catch-b', 'sig-catch-other'].map((id) =>
        suite.h.engine.createProcessInstance({ bpmnProcessId: id, variables: { n: 0 } }),
      ),
    );
    for (const w of waiting) await eventually(`${w.processInstanceKey} waiting`, () => suite.h.probe.activeElements(w.processInstanceKey), ['wait']);
    await broadcast('sig-catch', { n: 1, stock: 'recounted' });
    for (const w of waiting.slice(0, 3)) {
      const end = await waitForEnd(suite.h, w.processInstanceKey);
      // Without output mappings the signal's variables merge into the process instance.
      expect(end.variables).toEqual({ n: 1, stock: 'recounted' });
    }
    await sleep(300);
    const other = waiting[3]!.processInstanceKey;
    expect(await suite.h.probe.instance(other)).toEqual({ state: 'ACTIVE', variables: { n: 0 } });
  });

  test('a signal catch event whose name is a FEEL expression subscribes to the name it gives as it activates', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'sig-catch-feel',
        `<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait">${on()}</bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>${flow('f0', 's', 'wait')}${flow('f1', 'wait', 'e')}`,
        signal('=topic'),
      ),
    );
    const start = (topic: string) => suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-catch-feel', variables: { topic: engineName(topic) } });
    const [price, stock] = [await start('sig-price-changed'), await start('sig-stock-changed')];
    for (const w of [price, stock]) await eventually('waiting', () => suite.h.probe.activeElements(w.processInstanceKey), ['wait']);
    await broadcast('sig-price-changed');
    expect((await waitForEnd(suite.h, price.processInstanceKey)).state).toBe('COMPLETED');
    await sleep(300);
    expect((await suite.h.probe.instance(stock.processInstanceKey))?.state).toBe('ACTIVE');
  });

  test('an interrupting signal boundary event terminates its activity and takes its own flow', async () => {
    await deploy(suite.h.engine, withBoundary('sig-bound-int', 'sig-bound-int', true));
    const work = held();
    workers.add('sig-bound-int-work', async () => work.wait(), { timeout: 60_000 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-bound-int' });
    await waitFor('the job', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 1);
    await broadcast('sig-bound-int', { reason: 'recall' });
    const end = await waitForEnd(suite.h, processInstanceKey);
    work.release();
    expect(end).toEqual({ state: 'COMPLETED', variables: { reason: 'recall' } });
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['work']);
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(['s', 'b', 'b-end']);
  });

  test('a non-interrupting signal boundary event fires for each broadcast while its activity runs and stays subscribed; it goes with the activity', async () => {
    await deploy(suite.h.engine, withBoundary('sig-bound-non', 'sig-bound-non', false));
    const work = held();
    workers.add('sig-bound-non-work', async () => work.wait(), { timeout: 60_000 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-bound-non' });
    await waitFor('the job', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 1);
    await broadcast('sig-bound-non');
    await eventually('the first firing', () => completedCount(processInstanceKey, 'b-end'), 1);
    await broadcast('sig-bound-non');
    await eventually('the second firing', () => completedCount(processInstanceKey, 'b-end'), 2);
    expect(await suite.h.probe.activeElements(processInstanceKey)).toEqual(['work']);
    work.release();
    await waitForEnd(suite.h, processInstanceKey);
    if (suite.h.embedded) expect(await count(suite.h.embedded, 'engine_signal_subscriptions', processInstanceKey)).toBe(0);
    await broadcast('sig-bound-non');
    await sleep(300);
    expect(await completedCount(processInstanceKey, 'b')).toBe(2);
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual([]);
  });

  test('a signal event sub-process start: interrupting ends the rest of its scope, non-interrupting runs beside it for each broadcast', async () => {
    const esp = (id: string, interrupting: boolean, ref: string) =>
      `<bpmn:subProcess id="${id}" triggeredByEvent="true"><bpmn:startEvent id="${id}-start" isInterrupting="${interrupting}">${on(ref)}</bpmn:startEvent>
         <bpmn:endEvent id="${id}-end"/>${flow(`${id}-f`, `${id}-start`, `${id}-end`)}</bpmn:subProcess>`;
    await deploy(
      suite.h.engine,
      bpmn(
        'sig-esp',
        `<bpmn:startEvent id="s"/>${task('work', 'sig-esp-work')}<bpmn:endEvent id="e"/>${flow('f0', 's', 'work')}${flow('f1', 'work', 'e')}
         ${esp('note', false, 'sig-note')}${esp('abort', true, 'sig-abort')}`,
        signal('sig-esp-note', 'sig-note') + signal('sig-esp-abort', 'sig-abort'),
      ),
    );
    const work = held();
    workers.add('sig-esp-work', async () => work.wait(), { timeout: 60_000 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-esp' });
    await waitFor('the job', async () => (await suite.h.probe.openJobs(processInstanceKey)) === 1);
    await broadcast('sig-esp-note', { noted: true });
    await broadcast('sig-esp-note');
    await eventually('two notes', () => completedCount(processInstanceKey, 'note'), 2);
    expect((await suite.h.probe.instance(processInstanceKey))?.state).toBe('ACTIVE');
    await broadcast('sig-esp-abort', { aborted: true });
    const end = await waitForEnd(suite.h, processInstanceKey);
    work.release();
    expect(end).toEqual({ state: 'COMPLETED', variables: { noted: true, aborted: true } });
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['work']);
    expect(await completedCount(processInstanceKey, 'abort')).toBe(1);
  });

  test("a signal throw event broadcasts to other instances, its name evaluated in its scope, its input mappings as the signal's variables, and goes on", async () => {
    await deploy(suite.h.engine, catcher('sig-throw-catch', 'sig-thrown'));
    await deploy(
      suite.h.engine,
      bpmn(
        'sig-throw',
        `<bpmn:startEvent id="s"/><bpmn:intermediateThrowEvent id="tell">${inputs(['=orderId', 'recalled'])}${on()}</bpmn:intermediateThrowEvent>
         <bpmn:endEvent id="e"/>${flow('f0', 's', 'tell')}${flow('f1', 'tell', 'e')}`,
        signal('=topic'),
      ),
    );
    const waiting = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-throw-catch' });
    await eventually('waiting', () => suite.h.probe.activeElements(waiting.processInstanceKey), ['wait']);
    const thrower = await suite.h.engine.createProcessInstance({
      bpmnProcessId: 'sig-throw',
      variables: { orderId: 'o-7', secret: 's3', topic: engineName('sig-thrown') },
    });
    expect((await waitForEnd(suite.h, thrower.processInstanceKey)).state).toBe('COMPLETED');
    expect(await suite.h.probe.completedElements(thrower.processInstanceKey)).toEqual(['s', 'tell', 'e']);
    // Only the throw event's local variables travel: not the thrower's other variables.
    expect(await waitForEnd(suite.h, waiting.processInstanceKey)).toEqual({ state: 'COMPLETED', variables: { recalled: 'o-7' } });
  });

  test('a signal end event broadcasts when reached and ends its path; the signal can start instances too', async () => {
    await deploy(suite.h.engine, catcher('sig-end-catch', 'sig-end'));
    await deploy(
      suite.h.engine,
      bpmn('sig-end-started', `<bpmn:startEvent id="go">${on()}</bpmn:startEvent><bpmn:endEvent id="e"/>${flow('f0', 'go', 'e')}`, signal('sig-end')),
    );
    await deploy(
      suite.h.engine,
      bpmn('sig-end', `<bpmn:startEvent id="s"/><bpmn:endEvent id="shout">${on()}</bpmn:endEvent>${flow('f0', 's', 'shout')}`, signal('sig-end')),
    );
    const waiting = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-end-catch' });
    await eventually('waiting', () => suite.h.probe.activeElements(waiting.processInstanceKey), ['wait']);
    const thrower = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-end' });
    expect((await waitForEnd(suite.h, thrower.processInstanceKey)).state).toBe('COMPLETED');
    expect(await suite.h.probe.completedElements(thrower.processInstanceKey)).toEqual(['s', 'shout']);
    expect((await waitForEnd(suite.h, waiting.processInstanceKey)).state).toBe('COMPLETED');
    await eventually('one started instance', async () => (await instancesOf('sig-end-started')).map((i) => i.state), ['COMPLETED']);
  });

  test('a signal name expression that gives no string is an incident on its event (EXTRACT_VALUE_ERROR); resolved, the event throws', async () => {
    await deploy(suite.h.engine, catcher('sig-bad-catch', 'sig-bad'));
    await deploy(
      suite.h.engine,
      bpmn(
        'sig-bad',
        `<bpmn:startEvent id="s"/><bpmn:intermediateThrowEvent id="tell">${on()}</bpmn:intermediateThrowEvent><bpmn:endEvent id="e"/>${flow('f0', 's', 'tell')}${flow('f1', 'tell', 'e')}`,
        signal('=topic'),
      ),
    );
    const waiting = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-bad-catch' });
    await eventually('waiting', () => suite.h.probe.activeElements(waiting.processInstanceKey), ['wait']);
    const thrower = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-bad', variables: { topic: 42 } });
    const [incident] = await waitForIncidents(suite.h, thrower.processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'EXTRACT_VALUE_ERROR', element_id: 'tell' });
    await suite.h.engine.setVariables({ elementInstanceKey: thrower.processInstanceKey, variables: { topic: engineName('sig-bad') } });
    await suite.h.engine.resolveIncident(incident!.key);
    expect((await waitForEnd(suite.h, thrower.processInstanceKey)).state).toBe('COMPLETED');
    expect((await waitForEnd(suite.h, waiting.processInstanceKey)).state).toBe('COMPLETED');
  });

  test("a throw event reaches its own instance's subscriptions open when it threw, not one its step opened after", async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'sig-self',
        `<bpmn:startEvent id="s"/><bpmn:parallelGateway id="fork"/>
         ${task('work', 'sig-self-work')}<bpmn:endEvent id="e1"/>
         <bpmn:boundaryEvent id="b" attachedToRef="work" cancelActivity="false">${on()}</bpmn:boundaryEvent><bpmn:endEvent id="b-end"/>
         <bpmn:intermediateThrowEvent id="tell">${on()}</bpmn:intermediateThrowEvent>
         <bpmn:intermediateCatchEvent id="after">${on()}</bpmn:intermediateCatchEvent><bpmn:endEvent id="e2"/>
         ${flow('f0', 's', 'fork')}${flow('f1', 'fork', 'work')}${flow('f2', 'work', 'e1')}${flow('f3', 'b', 'b-end')}
         ${flow('f4', 'fork', 'tell')}${flow('f5', 'tell', 'after')}${flow('f6', 'after', 'e2')}`,
        signal('sig-self'),
      ),
    );
    const work = held();
    workers.add('sig-self-work', async () => work.wait(), { timeout: 60_000 });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-self' });
    await eventually('the boundary caught its own signal', () => completedCount(processInstanceKey, 'b-end'), 1);
    await sleep(300);
    expect(await suite.h.probe.activeElements(processInstanceKey)).toEqual(['after', 'work']);
    await broadcast('sig-self');
    await eventually('the catch event took the next one', () => completedCount(processInstanceKey, 'after'), 1);
    work.release();
    expect((await waitForEnd(suite.h, processInstanceKey)).state).toBe('COMPLETED');
  });

  test('no buffering: a broadcast before the subscription opens is not caught', async () => {
    await deploy(suite.h.engine, catcher('sig-late', 'sig-late'));
    await broadcast('sig-late', { early: true });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-late' });
    await eventually('waiting', () => suite.h.probe.activeElements(processInstanceKey), ['wait']);
    await sleep(500);
    expect(await suite.h.probe.instance(processInstanceKey)).toEqual({ state: 'ACTIVE', variables: {} });
    await broadcast('sig-late', { early: false });
    expect(await waitForEnd(suite.h, processInstanceKey)).toEqual({ state: 'COMPLETED', variables: { early: false } });
  });

  test('instances that ended (cancelled or completed) are no longer subscribed', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'sig-ended',
        `<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="how" default="f-wait"/>
         <bpmn:intermediateCatchEvent id="wait">${on()}</bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>
         <bpmn:subProcess id="esp" triggeredByEvent="true"><bpmn:startEvent id="esp-start" isInterrupting="false">${on()}</bpmn:startEvent>
           <bpmn:endEvent id="esp-end"/>${flow('esp-f', 'esp-start', 'esp-end')}</bpmn:subProcess>
         ${flow('f0', 's', 'how')}${flow('f-wait', 'how', 'wait')}${flow('f-done', 'how', 'e', '=done')}${flow('f1', 'wait', 'e')}`,
        signal('sig-ended'),
      ),
    );
    const cancelled = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-ended', variables: { done: false } });
    const completed = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-ended', variables: { done: true } });
    await eventually('waiting', () => suite.h.probe.activeElements(cancelled.processInstanceKey), ['wait']);
    expect((await waitForEnd(suite.h, completed.processInstanceKey)).state).toBe('COMPLETED');
    if (suite.h.embedded) expect(await count(suite.h.embedded, 'engine_signal_subscriptions', cancelled.processInstanceKey)).toBe(2);
    await suite.h.engine.cancelProcessInstance(cancelled.processInstanceKey);
    expect((await waitForEnd(suite.h, cancelled.processInstanceKey)).state).toBe('TERMINATED');
    await broadcast('sig-ended');
    await sleep(300);
    for (const key of [cancelled.processInstanceKey, completed.processInstanceKey]) {
      expect(await completedCount(key, 'esp')).toBe(0);
      expect(await completedCount(key, 'wait')).toBe(0);
      // Nothing left behind for a later broadcast to find.
      if (suite.h.embedded) expect(await count(suite.h.embedded, 'engine_signal_subscriptions', key)).toBe(0);
    }
  });

  test('concurrent broadcasts, more than subscribers: an interrupting catch is triggered once, a non-interrupting boundary once per broadcast', async () => {
    await deploy(suite.h.engine, catcher('sig-race-catch', 'sig-race'));
    await deploy(suite.h.engine, withBoundary('sig-race-bound', 'sig-race', false));
    const work = held();
    workers.add('sig-race-bound-work', async () => work.wait(), { timeout: 60_000, maxJobsToActivate: 10 });
    const catching = await Promise.all([1, 2, 3].map(() => suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-race-catch' })));
    const bounding = await Promise.all([1, 2, 3].map(() => suite.h.engine.createProcessInstance({ bpmnProcessId: 'sig-race-bound' })));
    for (const w of catching) await eventually('waiting', () => suite.h.probe.activeElements(w.processInstanceKey), ['wait']);
    for (const w of bounding) await waitFor('the job', async () => (await suite.h.probe.openJobs(w.processInstanceKey)) === 1);
    const broadcasts = 12;
    const keys = await Promise.all(Array.from({ length: broadcasts }, (_, i) => broadcast('sig-race', { i })));
    expect(new Set(keys.map((k) => k.key)).size).toBe(broadcasts);
    for (const w of catching) {
      expect((await waitForEnd(suite.h, w.processInstanceKey)).state).toBe('COMPLETED');
      expect(await suite.h.probe.completedElements(w.processInstanceKey)).toEqual(['s', 'wait', 'e']);
    }
    for (const w of bounding)
      await eventually(`${w.processInstanceKey}: one firing per broadcast`, () => completedCount(w.processInstanceKey, 'b-end'), broadcasts);
    await sleep(300);
    for (const w of bounding) expect(await completedCount(w.processInstanceKey, 'b-end')).toBe(broadcasts);
    work.release();
    for (const w of bounding) expect((await waitForEnd(suite.h, w.processInstanceKey)).state).toBe('COMPLETED');
  }, 60_000);
});

describe(`signal names (${engineLabel})`, () => {
  test('a broadcast needs a signal name (INVALID_ARGUMENT)', async () => {
    await expect(suite.h.engine.broadcastSignal({ signalName: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  test('deploying refuses two signal boundary events of one activity with the same name', async () => {
    const xml = bpmn(
      'sig-dup',
      `<bpmn:startEvent id="s"/>${task('work', 'sig-dup-work')}<bpmn:endEvent id="e"/>
         <bpmn:boundaryEvent id="b1" attachedToRef="work">${on()}</bpmn:boundaryEvent><bpmn:boundaryEvent id="b2" attachedToRef="work" cancelActivity="false">${on()}</bpmn:boundaryEvent>
         <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>${flow('f0', 's', 'work')}${flow('f1', 'work', 'e')}${flow('f2', 'b1', 'e1')}${flow('f3', 'b2', 'e2')}`,
      signal('sig-dup'),
    );
    const refused = await deploy(suite.h.engine, xml).catch((err: unknown) => err);
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((refused as Error).message).toMatch(/Multiple signal event definitions with the same name 'sig-dup(-[^']*)?' are not allowed/);
  });
});
