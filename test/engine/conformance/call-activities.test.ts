// Conformance: call activities. Rules from Zeebe's docs (Call activities: the called
// process, variable mappings and propagation, boundary events; Cancel process instance;
// Error events: an error not caught in a child instance is thrown at its call activity).
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import type { SqlSession } from '../../../infra/database.js';
import { EmbeddedEngine } from '../../../orchestrator/embedded/embedded-engine.js';
import { bpmnError, complete, type Job } from '../../../orchestrator/engine.js';
import { openTestDatabase } from '../../support/database.js';
import { sleep, waitFor } from '../../support/wait.js';
import { EmbeddedProbe, type ChildInstance } from '../probe.js';
import {
  bpmn,
  completedElements,
  conformanceSuite,
  deploy,
  embeddedTest,
  engineLabel,
  eventually,
  flow,
  incidentsOf,
  message,
  task,
  waitForEnd,
  waitForIncidents,
} from '../support.js';

const suite = conformanceSuite();
const workers = suite.workers;

/** A call activity; `attrs` go on zeebe:calledElement, `extra` into its extension elements (mappings). */
const callActivity = (id: string, processId: string, o: { attrs?: string; extra?: string } = {}) =>
  `<bpmn:callActivity id="${id}"><bpmn:extensionElements><zeebe:calledElement processId="${processId}"${o.attrs ?? ''}/>${o.extra ?? ''}</bpmn:extensionElements></bpmn:callActivity>`;

/** start → call → end, plus `more` (boundary events and their paths). */
const caller = (id: string, calledId: string, o: { attrs?: string; extra?: string; more?: string; defs?: string } = {}) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${callActivity('call', calledId, o)}<bpmn:endEvent id="e"/>${flow('f0', 's', 'call')}${flow('f1', 'call', 'e')}${o.more ?? ''}`,
    o.defs,
  );

/** start → one service task `work` of `type` → end `endId`. */
const oneTask = (id: string, type: string, endId = 'ce') =>
  bpmn(id, `<bpmn:startEvent id="cs"/>${task('work', type)}<bpmn:endEvent id="${endId}"/>${flow('g0', 'cs', 'work')}${flow('g1', 'work', endId)}`);

const children = (key: string): Promise<ChildInstance[]> => suite.h.probe.childInstances(key);

/** Waits until the instance has a child (the first); answers it. */
const childOf = (key: string): Promise<ChildInstance> =>
  waitFor(`a child instance of ${key}`, async () => {
    const [child] = await children(key);
    return child;
  });

const waitForState = (key: string, state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED') =>
  eventually(`instance ${key} ${state}`, async () => (await suite.h.probe.instance(key))?.state, state);

describe(`call activities (${engineLabel})`, () => {
  test('a call activity starts the latest version of the called process and completes when that instance completes', async () => {
    await deploy(suite.h.engine, oneTask('ca-basic-child', 'ca-basic-v1', 'end-v1'), 'child-v1.bpmn');
    await deploy(suite.h.engine, oneTask('ca-basic-child', 'ca-basic-v2', 'end-v2'), 'child-v2.bpmn');
    await deploy(suite.h.engine, caller('ca-basic', 'ca-basic-child'));
    workers.add('ca-basic-v2', async () => complete({ fromChild: 'v2' }));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-basic', variables: { orderId: 'o-1' } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end).toEqual({ state: 'COMPLETED', variables: { orderId: 'o-1', fromChild: 'v2' } });
    expect(await completedElements(suite.h, processInstanceKey)).toEqual(['s', 'call', 'e']);
    // The child records the call activity that started it.
    const [child, ...more] = await children(processInstanceKey);
    expect(more).toEqual([]);
    expect(child).toMatchObject({ bpmnProcessId: 'ca-basic-child', state: 'COMPLETED', parentElementId: 'call' });
    expect(await completedElements(suite.h, child!.key)).toEqual(['cs', 'work', 'end-v2']);
  });

  test('the child gets every variable visible at the call activity, its input mappings included (propagateAllParentVariables, the default)', async () => {
    await deploy(suite.h.engine, oneTask('ca-in-child', 'ca-in-work'));
    await deploy(suite.h.engine, caller('ca-in', 'ca-in-child', { extra: '<zeebe:ioMapping><zeebe:input source="=a + 1" target="b"/></zeebe:ioMapping>' }));
    const seen: Job[] = [];
    workers.add('ca-in-work', async (job) => (seen.push(job), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-in', variables: { a: 1 } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(seen.map((j) => j.variables)).toEqual([{ a: 1, b: 2 }]);
    // The child's `b` comes back to the call activity's own `b`, which ends with it: the parent keeps only `a`.
    expect(end.variables).toEqual({ a: 1 });
  });

  test('with propagateAllParentVariables="false" the child gets only the input mappings\' results', async () => {
    await deploy(suite.h.engine, oneTask('ca-in-local-child', 'ca-in-local-work'));
    await deploy(
      suite.h.engine,
      caller('ca-in-local', 'ca-in-local-child', {
        attrs: ' propagateAllParentVariables="false"',
        extra: '<zeebe:ioMapping><zeebe:input source="=a + 1" target="b"/></zeebe:ioMapping>',
      }),
    );
    const seen: Job[] = [];
    workers.add('ca-in-local-work', async (job) => (seen.push(job), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-in-local', variables: { a: 1, secret: 'parent only' } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(seen.map((j) => j.variables)).toEqual([{ b: 2 }]);
  });

  test("the child's variables are the call activity's result, as a job's: with output mappings only their targets reach the parent", async () => {
    await deploy(suite.h.engine, oneTask('ca-out-child', 'ca-out-work'));
    await deploy(suite.h.engine, caller('ca-out', 'ca-out-child', { extra: '<zeebe:ioMapping><zeebe:output source="=x * 10" target="y"/></zeebe:ioMapping>' }));
    workers.add('ca-out-work', async () => complete({ x: 2, secret: 'child only' }));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-out', variables: { a: 1 } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables).toEqual({ a: 1, y: 20 });
  });

  test('with propagateAllChildVariables="false" nothing of the child reaches the parent but what its output mappings take', async () => {
    await deploy(suite.h.engine, oneTask('ca-out-none-child', 'ca-out-none-work'));
    await deploy(
      suite.h.engine,
      bpmn(
        'ca-out-none',
        `<bpmn:startEvent id="s"/>${callActivity('call', 'ca-out-none-child', { attrs: ' propagateAllChildVariables="false"' })}
         ${callActivity('mapped', 'ca-out-none-child', { attrs: ' propagateAllChildVariables="false"', extra: '<zeebe:ioMapping><zeebe:output source="=x" target="fromChild"/></zeebe:ioMapping>' })}
         <bpmn:endEvent id="e"/>${flow('f0', 's', 'call')}${flow('f1', 'call', 'mapped')}${flow('f2', 'mapped', 'e')}`,
      ),
    );
    workers.add('ca-out-none-work', async () => complete({ x: 7, a: 99 }));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-out-none', variables: { a: 1 } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables).toEqual({ a: 1, fromChild: 7 });
  });

  test('an interrupting message boundary event on the call activity terminates the child instance and its job', async () => {
    await deploy(suite.h.engine, oneTask('ca-msg-child', 'ca-msg-work'));
    await deploy(
      suite.h.engine,
      caller('ca-msg', 'ca-msg-child', {
        more: `<bpmn:boundaryEvent id="stop" attachedToRef="call"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent><bpmn:endEvent id="stopped"/>${flow('f2', 'stop', 'stopped')}`,
        defs: message('m', 'ca-stop', '=orderId'),
      }),
    );
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-msg', variables: { orderId: 'o-msg' } });
    const child = await childOf(processInstanceKey);
    await eventually('the child job', () => suite.h.probe.openJobs(child.key), 1);
    await eventually('the boundary subscription', () => suite.h.probe.openSubscriptions(processInstanceKey), 1);
    await suite.h.engine.publishMessage({ name: 'ca-stop', correlationKey: 'o-msg' });
    expect(await waitForEnd(suite.h, processInstanceKey)).toMatchObject({ state: 'COMPLETED' });
    expect(await completedElements(suite.h, processInstanceKey)).toEqual(['s', 'stop', 'stopped']);
    await waitForState(child.key, 'TERMINATED');
    await eventually('the child job gone', () => suite.h.probe.openJobs(child.key), 0);
  });

  test('an interrupting timer boundary event on the call activity terminates the child instance', async () => {
    await deploy(suite.h.engine, oneTask('ca-timer-child', 'ca-timer-work'));
    await deploy(
      suite.h.engine,
      caller('ca-timer', 'ca-timer-child', {
        more: `<bpmn:boundaryEvent id="late" attachedToRef="call"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.3S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent><bpmn:endEvent id="timedOut"/>${flow('f2', 'late', 'timedOut')}`,
      }),
    );
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-timer' });
    expect(await waitForEnd(suite.h, processInstanceKey)).toMatchObject({ state: 'COMPLETED' });
    expect(await completedElements(suite.h, processInstanceKey)).toEqual(['s', 'late', 'timedOut']);
    const child = await childOf(processInstanceKey);
    await waitForState(child.key, 'TERMINATED');
  });

  test('a non-interrupting boundary event on the call activity leaves the child running', async () => {
    await deploy(suite.h.engine, oneTask('ca-note-child', 'ca-note-work'));
    await deploy(
      suite.h.engine,
      caller('ca-note', 'ca-note-child', {
        more: `<bpmn:boundaryEvent id="note" cancelActivity="false" attachedToRef="call"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent><bpmn:endEvent id="noted"/>${flow('f2', 'note', 'noted')}`,
        defs: message('m', 'ca-note', '=orderId'),
      }),
    );
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-note', variables: { orderId: 'o-note' } });
    const child = await childOf(processInstanceKey);
    await eventually('the boundary subscription', () => suite.h.probe.openSubscriptions(processInstanceKey), 1);
    await suite.h.engine.publishMessage({ name: 'ca-note', correlationKey: 'o-note' });
    await eventually('the non-interrupting path taken', () => completedElements(suite.h, processInstanceKey), ['s', 'note', 'noted']);
    expect((await suite.h.probe.instance(child.key))?.state).toBe('ACTIVE');
    workers.add('ca-note-work', async () => complete({ done: true }));
    expect(await waitForEnd(suite.h, processInstanceKey)).toMatchObject({ state: 'COMPLETED', variables: { orderId: 'o-note', done: true } });
    expect(await completedElements(suite.h, processInstanceKey)).toEqual(['s', 'note', 'noted', 'call', 'e']);
  });

  test('cancelling the parent instance terminates the child instance and its children', async () => {
    await deploy(suite.h.engine, oneTask('ca-cancel-c', 'ca-cancel-work'));
    await deploy(suite.h.engine, caller('ca-cancel-b', 'ca-cancel-c'));
    await deploy(suite.h.engine, caller('ca-cancel-a', 'ca-cancel-b'));
    const { processInstanceKey: a } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-cancel-a' });
    const b = await childOf(a);
    const c = await childOf(b.key);
    await eventually('the grandchild job', () => suite.h.probe.openJobs(c.key), 1);
    await suite.h.engine.cancelProcessInstance(a);
    await waitForState(a, 'TERMINATED');
    await waitForState(b.key, 'TERMINATED');
    await waitForState(c.key, 'TERMINATED');
    await eventually('the grandchild job gone', () => suite.h.probe.openJobs(c.key), 0);
    expect(await suite.h.probe.terminatedElements(c.key)).toEqual(['work']);
  });

  test('cancelling a child instance directly is refused: it is cancelled with its root', async () => {
    await deploy(suite.h.engine, oneTask('ca-refuse-child', 'ca-refuse-work'));
    await deploy(suite.h.engine, caller('ca-refuse', 'ca-refuse-child'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-refuse' });
    const child = await childOf(processInstanceKey);
    await eventually('the child active', async () => (await suite.h.probe.instance(child.key))?.state, 'ACTIVE');
    const refused = suite.h.engine.cancelProcessInstance(child.key);
    await expect(refused).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(refused).rejects.toThrow(
      `Expected to cancel a process instance with key '${child.key}', but it is created by a parent process instance. Cannot cancel child process instance '${child.key}' of root process instance '${processInstanceKey}'.`,
    );
    await sleep(100);
    expect((await suite.h.probe.instance(child.key))?.state).toBe('ACTIVE');
    await suite.h.engine.cancelProcessInstance(processInstanceKey);
    await waitForState(child.key, 'TERMINATED');
  });

  test('an error the child does not catch is caught by an error boundary event on the call activity, which terminates the child', async () => {
    await deploy(suite.h.engine, oneTask('ca-err-child', 'ca-err-work'));
    await deploy(
      suite.h.engine,
      caller('ca-err', 'ca-err-child', {
        more: `<bpmn:boundaryEvent id="failed" attachedToRef="call"><bpmn:errorEventDefinition errorRef="err"/></bpmn:boundaryEvent><bpmn:endEvent id="handled"/>${flow('f2', 'failed', 'handled')}`,
        defs: '<bpmn:error id="err" errorCode="CHILD_FAILED"/>',
      }),
    );
    workers.add('ca-err-work', async () => bpmnError('CHILD_FAILED', 'the child gave up'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-err' });
    expect(await waitForEnd(suite.h, processInstanceKey)).toMatchObject({ state: 'COMPLETED' });
    expect(await completedElements(suite.h, processInstanceKey)).toEqual(['s', 'failed', 'handled']);
    const child = await childOf(processInstanceKey);
    await waitForState(child.key, 'TERMINATED');
    expect(await incidentsOf(suite.h, child.key)).toEqual([]);
    expect(await incidentsOf(suite.h, processInstanceKey)).toEqual([]);
  });

  test('an error end event deep in a call tree is caught by the nearest call activity above it with a matching error boundary event', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'ca-deep-c',
        `<bpmn:startEvent id="cs"/><bpmn:endEvent id="boom"><bpmn:errorEventDefinition errorRef="deep"/></bpmn:endEvent>${flow('g0', 'cs', 'boom')}`,
        '<bpmn:error id="deep" errorCode="DEEP"/>',
      ),
    );
    // B's boundary catches another code only: the error goes on up to A.
    await deploy(
      suite.h.engine,
      caller('ca-deep-b', 'ca-deep-c', {
        more: `<bpmn:boundaryEvent id="other" attachedToRef="call"><bpmn:errorEventDefinition errorRef="oth"/></bpmn:boundaryEvent><bpmn:endEvent id="b-other"/>${flow('f2', 'other', 'b-other')}`,
        defs: '<bpmn:error id="oth" errorCode="OTHER"/>',
      }),
    );
    await deploy(
      suite.h.engine,
      caller('ca-deep-a', 'ca-deep-b', {
        more: `<bpmn:boundaryEvent id="caught" attachedToRef="call"><bpmn:errorEventDefinition errorRef="deep"/></bpmn:boundaryEvent><bpmn:endEvent id="handled"/>${flow('f2', 'caught', 'handled')}`,
        defs: '<bpmn:error id="deep" errorCode="DEEP"/>',
      }),
    );
    const { processInstanceKey: a } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-deep-a' });
    expect(await waitForEnd(suite.h, a)).toMatchObject({ state: 'COMPLETED' });
    expect(await completedElements(suite.h, a)).toEqual(['s', 'caught', 'handled']);
    const b = await childOf(a);
    const c = await childOf(b.key);
    await waitForState(b.key, 'TERMINATED');
    await waitForState(c.key, 'TERMINATED');
    expect(await completedElements(suite.h, b.key)).not.toContain('other');
    expect(await incidentsOf(suite.h, c.key)).toEqual([]);
  });

  test('an error nothing in the call tree catches is an incident in the child, where it was thrown', async () => {
    await deploy(suite.h.engine, oneTask('ca-uncaught-child', 'ca-uncaught-work'));
    await deploy(suite.h.engine, caller('ca-uncaught', 'ca-uncaught-child'));
    workers.add('ca-uncaught-work', async () => bpmnError('NOBODY', 'no one listens'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-uncaught' });
    const child = await childOf(processInstanceKey);
    const [incident, ...more] = await waitForIncidents(suite.h, child.key);
    expect(more).toEqual([]);
    expect(incident).toMatchObject({ error_type: 'UNHANDLED_ERROR_EVENT', element_id: 'work', state: 'ACTIVE' });
    expect(incident!.error_message).toContain("'NOBODY'");
    expect(await incidentsOf(suite.h, processInstanceKey)).toEqual([]);
    expect(await suite.h.probe.activeElements(processInstanceKey)).toEqual(['call']);
    expect((await suite.h.probe.instance(child.key))?.state).toBe('ACTIVE');
  });

  test('calling a process that is not deployed is a CALLED_ELEMENT_ERROR incident on the call activity; resolving it after the deploy starts the child', async () => {
    await deploy(suite.h.engine, caller('ca-late', 'ca-late-child'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-late', variables: { n: 1 } });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'CALLED_ELEMENT_ERROR', element_id: 'call', state: 'ACTIVE' });
    expect(incident!.error_message).toMatch(/^Expected process with BPMN process id 'ca-late-child[^']*' to be deployed, but not found\.$/);
    expect(await children(processInstanceKey)).toEqual([]);
    await deploy(suite.h.engine, oneTask('ca-late-child', 'ca-late-work'));
    workers.add('ca-late-work', async (job) => complete({ n: Number(job.variables.n) + 1 }));
    await suite.h.engine.resolveIncident(incident!.key);
    expect(await waitForEnd(suite.h, processInstanceKey)).toEqual({ state: 'COMPLETED', variables: { n: 2 } });
    expect(await children(processInstanceKey)).toMatchObject([{ bpmnProcessId: 'ca-late-child', state: 'COMPLETED' }]);
  });

  // Embedded only: the Camunda 8 leg's namespace suffix cannot reach a process id computed by FEEL.
  embeddedTest('a FEEL expression names the called process; one that does not give a string is an incident, and resolving it evaluates it again', async () => {
    await deploy(suite.h.engine, bpmn('ca-feel-b', `<bpmn:startEvent id="cs"/><bpmn:endEvent id="ce"/>${flow('g0', 'cs', 'ce')}`));
    await deploy(suite.h.engine, caller('ca-feel', '=&quot;ca-feel-&quot; + kind'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-feel' });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'EXTRACT_VALUE_ERROR', element_id: 'call' });
    await suite.h.engine.setVariables({ elementInstanceKey: processInstanceKey, variables: { kind: 'b' } });
    await suite.h.engine.resolveIncident(incident!.key);
    expect(await waitForEnd(suite.h, processInstanceKey)).toMatchObject({ state: 'COMPLETED' });
    expect(await children(processInstanceKey)).toMatchObject([{ bpmnProcessId: 'ca-feel-b', state: 'COMPLETED' }]);
  });

  test('a nested call (A calls B calls C) passes variables down and results up, with a job worker in C', async () => {
    await deploy(suite.h.engine, oneTask('ca-nest-c', 'ca-nest-work'));
    await deploy(suite.h.engine, caller('ca-nest-b', 'ca-nest-c'));
    await deploy(suite.h.engine, caller('ca-nest-a', 'ca-nest-b'));
    const seen: Job[] = [];
    workers.add('ca-nest-work', async (job) => (seen.push(job), complete({ n: Number(job.variables.n) + 1, fromC: true })));
    const { processInstanceKey: a } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ca-nest-a', variables: { n: 1 } });
    expect(await waitForEnd(suite.h, a)).toEqual({ state: 'COMPLETED', variables: { n: 2, fromC: true } });
    const [b] = await children(a);
    const [c] = await children(b!.key);
    expect(b).toMatchObject({ bpmnProcessId: 'ca-nest-b', state: 'COMPLETED', parentElementId: 'call' });
    expect(c).toMatchObject({ bpmnProcessId: 'ca-nest-c', state: 'COMPLETED', parentElementId: 'call' });
    expect(seen.map((j) => [j.processInstanceKey, j.bpmnProcessId, j.variables])).toEqual([[c!.key, 'ca-nest-c', { n: 1 }]]);
  });

  // Zeebe 8.8 runs them; the embedded engine keeps no deployment records to bind by.
  embeddedTest('a bindingType other than latest is refused at deploy, naming the call activity', async () => {
    const refused = deploy(suite.h.engine, caller('ca-binding', 'ca-binding-child', { attrs: ' bindingType="deployment"' }));
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(refused).rejects.toThrow("call (callActivity): bindingType 'deployment' is not supported (only 'latest')");
  });
});

/** The engine's SQL, with a hook after every statement inside a transaction and a count of deadlocks (40P01) the runner retried. */
function watchedSql(inner: SqlSession, onQuery: (sql: string, params: unknown[] | undefined) => void | Promise<void>) {
  const seen = { deadlocks: 0 };
  const wrapTx = (tx: SqlSession): SqlSession => ({
    query: async <T>(sql: string, params?: unknown[]) => {
      const rows = await tx.query<T>(sql, params);
      await onQuery(sql, params);
      return rows;
    },
    exec: (sql) => tx.exec(sql),
    transaction: (fn) => tx.transaction((inner2) => fn(wrapTx(inner2))),
  });
  const sql: SqlSession = {
    query: (q, p) => inner.query(q, p),
    exec: (q) => inner.exec(q),
    transaction: (fn) =>
      inner
        .transaction((tx) => fn(wrapTx(tx)))
        .catch((err: unknown) => {
          if ((err as { code?: string }).code === '40P01') seen.deadlocks++;
          throw err;
        }),
  };
  return { sql, seen };
}

/** What one save statement writes (store/instances.ts: every change of an event in one JSON document). */
type Saved = {
  newInstances?: { parent_pik: string | null }[];
  changedInstances?: { key: string; state: string }[];
  elements?: { element_id: string; data: { called?: string } }[];
  audit?: { element_id: string; intent: string }[];
};
function saved(sql: string, params: unknown[] | undefined): Saved {
  if (!sql.startsWith('WITH p AS (SELECT $1::jsonb AS d)')) return {};
  return JSON.parse(String(params?.[0])) as Saved;
}

describe(`call activities: transactions (${engineLabel})`, () => {
  // A crash before a commit is that transaction's rollback. Each step is crashed twice: in the transaction that
  // writes the child's side, then in the one that writes the parent's. Were they two transactions, one of the two
  // crashes would leave the other side committed alone.
  embeddedTest("a child's start commits with the call activity's activation, and its completion with the parent's continuation", async () => {
    const db = await openTestDatabase();
    let crashWhen: ((doc: Saved) => boolean) | undefined;
    const { sql } = watchedSql(db.sql, (q, p) => {
      if (crashWhen?.(saved(q, p))) throw new Error('crash injected after the save, before the commit');
    });
    const engine = new EmbeddedEngine({ sql, kind: db.kind }, { logger: pino({ level: 'silent' }), timerPollIntervalMs: 50 });
    const probe = new EmbeddedProbe(db.sql);
    try {
      await deploy(engine, oneTask('ca-tx-child', 'ca-tx-work'));
      await deploy(
        engine,
        bpmn(
          'ca-tx',
          `<bpmn:startEvent id="s"/>${task('prep', 'ca-tx-prep')}${callActivity('call', 'ca-tx-child')}<bpmn:endEvent id="e"/>${flow('f0', 's', 'prep')}${flow('f1', 'prep', 'call')}${flow('f2', 'call', 'e')}`,
        ),
      );
      const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId: 'ca-tx' });
      const [prep] = await engine.activateJobs('ca-tx-prep', 1, 60_000, 'test');
      const childStarted = (d: Saved) => (d.newInstances ?? []).some((i) => i.parent_pik !== null);
      const callActivated = (d: Saved) => (d.elements ?? []).some((e) => e.element_id === 'call' && e.data.called !== undefined);
      for (const crash of [childStarted, callActivated]) {
        crashWhen = crash;
        await expect(engine.completeJob(prep!.key, { step: 1 })).rejects.toThrow('crash injected');
        expect(await probe.childInstances(processInstanceKey)).toEqual([]);
        expect(await probe.activeElements(processInstanceKey)).toEqual(['prep']);
        expect(await probe.instance(processInstanceKey)).toEqual({ state: 'ACTIVE', variables: {} });
      }
      crashWhen = undefined;
      await engine.completeJob(prep!.key, { step: 1 }); // the worker's retry: its lock still holds
      const [child, ...more] = await probe.childInstances(processInstanceKey);
      expect(more).toEqual([]);
      expect(child).toMatchObject({ state: 'ACTIVE', parentElementId: 'call' });
      expect(await probe.activeElements(processInstanceKey)).toEqual(['call']);

      const [work] = await engine.activateJobs('ca-tx-work', 1, 60_000, 'test');
      const childCompleted = (d: Saved) => (d.changedInstances ?? []).some((i) => i.key === child!.key && i.state === 'COMPLETED');
      const callCompleted = (d: Saved) => (d.audit ?? []).some((a) => a.element_id === 'call' && a.intent === 'ELEMENT_COMPLETED');
      for (const crash of [childCompleted, callCompleted]) {
        crashWhen = crash;
        await expect(engine.completeJob(work!.key, { fromChild: true })).rejects.toThrow('crash injected');
        expect(await probe.instance(child!.key)).toMatchObject({ state: 'ACTIVE' });
        expect(await probe.activeElements(child!.key)).toEqual(['work']);
        expect(await probe.activeElements(processInstanceKey)).toEqual(['call']);
      }
      crashWhen = undefined;
      await engine.completeJob(work!.key, { fromChild: true });
      expect(await probe.instance(processInstanceKey)).toEqual({ state: 'COMPLETED', variables: { step: 1, fromChild: true } });
      expect(await probe.instance(child!.key)).toMatchObject({ state: 'COMPLETED' });
    } finally {
      await engine.close();
      await db.close();
    }
  });

  // The race of the lock order: a cancel locks the parent, then the child; a child's completion reaches up to its
  // parent. Every event on a call tree locks the tree's root first, so neither waits for the other while holding
  // what the other needs (on PostgreSQL; PGlite runs one transaction at a time and locks nothing). In each pair
  // one event starts, and the other starts once the first holds its first lock, which it keeps 20 ms before going
  // on: locked in opposite orders, every pair would deadlock. Half the pairs start with the cancel, half with the
  // child's completion.
  embeddedTest('a parent cancelled while its child completes: each pair ends one way or the other, with no deadlock', async () => {
    const db = await openTestDatabase();
    const locked = new Map<string, () => void>();
    const lockedNow = (key: string) => new Promise<void>((resolve) => locked.set(key, resolve));
    const { sql, seen } = watchedSql(db.sql, (q, p) => {
      if (!q.includes('FOR UPDATE')) return undefined;
      // The locking statements take the keys of the instances (or jobs) they lock first.
      for (const key of Array.isArray(p?.[0]) ? (p[0] as string[]) : []) locked.get(key)?.();
      return sleep(20);
    });
    const engine = new EmbeddedEngine({ sql, kind: db.kind }, { logger: pino({ level: 'silent' }), timerPollIntervalMs: 50 });
    const probe = new EmbeddedProbe(db.sql);
    const PAIRS = 20;
    try {
      await deploy(engine, oneTask('ca-race-child', 'ca-race-work'));
      await deploy(
        engine,
        bpmn(
          'ca-race',
          `<bpmn:startEvent id="s"/>${callActivity('call', 'ca-race-child')}${task('after', 'ca-race-after')}<bpmn:endEvent id="e"/>${flow('f0', 's', 'call')}${flow('f1', 'call', 'after')}${flow('f2', 'after', 'e')}`,
        ),
      );
      const parents = await Promise.all(Array.from({ length: PAIRS }, () => engine.createProcessInstance({ bpmnProcessId: 'ca-race' })));
      const jobs = await engine.activateJobs('ca-race-work', PAIRS, 60_000, 'test');
      expect(jobs).toHaveLength(PAIRS);
      const parentOf = new Map<string, string>();
      for (const { processInstanceKey } of parents) for (const c of await probe.childInstances(processInstanceKey)) parentOf.set(c.key, processInstanceKey);
      const outcomes = await Promise.all(
        jobs.map(async (job, n) => {
          const parent = parentOf.get(job.processInstanceKey)!;
          const childFirst = n % 2 === 0;
          const firstLocked = lockedNow(childFirst ? job.key : parent);
          const first = childFirst ? engine.completeJob(job.key) : engine.cancelProcessInstance(parent);
          // PGlite takes no lock: there the second starts once the first is done.
          await Promise.race([firstLocked, first.catch(() => undefined)]);
          const second = childFirst ? engine.cancelProcessInstance(parent) : engine.completeJob(job.key);
          const [a, b] = await Promise.allSettled([first, second]);
          return { childFirst, parent, child: job.processInstanceKey, cancelled: childFirst ? b : a, completed: childFirst ? a : b };
        }),
      );
      for (const o of outcomes) {
        // The parent is active at the call activity or, after it, at `after`: the cancel always finds it.
        expect(o.cancelled.status).toBe('fulfilled');
        expect(await probe.instance(o.parent)).toMatchObject({ state: 'TERMINATED' });
        const child = await probe.instance(o.child);
        if (o.childFirst) {
          expect(o.completed.status).toBe('fulfilled');
          expect(child?.state).toBe('COMPLETED');
          expect(await probe.completedElements(o.parent)).toContain('call');
          expect(await probe.terminatedElements(o.parent)).toEqual(['after']);
        } else {
          expect(o.completed).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
          expect(child?.state).toBe('TERMINATED');
          expect(await probe.terminatedElements(o.parent)).toEqual(['call']);
        }
        expect(await probe.openJobs(o.child)).toBe(0);
      }
      expect(seen.deadlocks).toBe(0);
    } finally {
      await engine.close();
      await db.close();
    }
  });
});
