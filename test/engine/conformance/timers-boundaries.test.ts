// Conformance: timers and boundary events. Rules from Zeebe's docs (Timer events;
// Boundary events: interrupting and non-interrupting; Message events).
import { describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedEngine } from '../../../orchestrator/embedded/embedded-engine.js';
import { complete, type Job } from '../../../orchestrator/engine.js';
import { openTestDatabase } from '../../support/database.js';
import {
  activeElements,
  bpmn,
  completedElements,
  conformanceSuite,
  deploy,
  embeddedTest,
  engineLabel,
  engineUnderTest,
  eventually,
  expectOpenTimers,
  flow,
  message,
  task,
  waitForEnd,
  type EngineHarness,
} from '../support.js';
import { waitFor, sleep } from '../../support/wait.js';

const suite = conformanceSuite();
const workers = suite.workers;

const timerCatch = (id: string, def: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>${def}</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>${flow('f0', 's', 'wait')}${flow('f1', 'wait', 'e')}`,
  );

describe(`timers (${engineLabel})`, () => {
  test('a timer catch event with a FEEL duration fires after that duration', async () => {
    await deploy(suite.h.engine, timerCatch('tm-feel', '<bpmn:timeDuration>=paymentTimeout</bpmn:timeDuration>'));
    const started = Date.now();
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'tm-feel', variables: { paymentTimeout: 'PT0.4S' } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    await expectOpenTimers(suite.h, processInstanceKey, 0);
  });

  test('a timer with a date fires at that date', async () => {
    const at = new Date(Date.now() + 400).toISOString();
    await deploy(suite.h.engine, timerCatch('tm-date', '<bpmn:timeDate>=dueAt</bpmn:timeDate>'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'tm-date', variables: { dueAt: at } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(at) - 20);
  });

  // The embedded engine's durability (a Zeebe broker restart is Camunda's to test). Nothing races the
  // clock: the timer is an hour out, so the first engine cannot fire it before close(); the hour then
  // passes while no engine runs, by moving its due date (the database's clock is the engine's) into the past.
  embeddedTest('a timer that fell due while the engine was stopped fires when it starts again; the stopped engine fires nothing', async () => {
    // A database of its own: the suite's engine must not fire this timer meanwhile.
    const db = await openTestDatabase();
    const quiet = pino({ level: 'silent' });
    try {
      const first = new EmbeddedEngine(db, { logger: quiet, timerPollIntervalMs: 20 });
      await deploy(first, timerCatch('tm-restart', '<bpmn:timeDuration>PT1H</bpmn:timeDuration>'));
      const { processInstanceKey } = await first.createProcessInstance({ bpmnProcessId: 'tm-restart' });
      await first.close();
      const overdue = await db.sql.query(
        `UPDATE engine_timers SET due_at = now() - interval '1 second' WHERE process_instance_key = $1::bigint RETURNING key`,
        [processInstanceKey],
      );
      expect(overdue).toHaveLength(1);
      const state = async () =>
        (await db.sql.query<{ state: string }>(`SELECT state FROM engine_process_instances WHERE key = $1::bigint`, [processInstanceKey]))[0]?.state;
      // What close() guarantees: no timer fires after it, neither from the loop (ten of its 20 ms
      // rounds here) nor when one is asked for.
      await sleep(200);
      expect(await state()).toBe('ACTIVE');
      expect(await first.fireDueTimers()).toBe(0);
      expect(await state()).toBe('ACTIVE');
      const second = new EmbeddedEngine(db, { logger: quiet, timerPollIntervalMs: 50 });
      try {
        await waitFor('the overdue timer to fire', async () => (await state()) === 'COMPLETED');
      } finally {
        await second.close();
      }
      expect(await db.sql.query(`SELECT key FROM engine_timers WHERE process_instance_key = $1::bigint`, [processInstanceKey])).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

const withBoundary = (id: string, boundary: string, extra = '') =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${task('work', `${id}-work`)}<bpmn:endEvent id="done"/>
     <bpmn:boundaryEvent id="b" attachedToRef="work"${boundary}<bpmn:endEvent id="escalated"/>${task('notify', `${id}-notify`)}
     ${flow('f0', 's', 'work')}${flow('f1', 'work', 'done')}${flow('f2', 'b', 'notify')}${flow('f3', 'notify', 'escalated')}`,
    extra,
  );

describe(`boundary events (${engineLabel})`, () => {
  test('an interrupting timer boundary event terminates the task and removes its job', async () => {
    await deploy(
      suite.h.engine,
      withBoundary('bd-timer', '><bpmn:timerEventDefinition><bpmn:timeDuration>=after</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>'),
    );
    workers.add('bd-timer-notify', async () => complete({ notified: true }));
    // Embedded: an hour out, so the task and its job are surely there to be seen; then the hour passes (the
    // timer's due date, on the database's clock, moved to now). Zeebe's search shows the job only after export,
    // which may be after a short timer fired, so there the timer is short and the job is not looked for.
    const embedded = engineUnderTest === 'embedded';
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({
      bpmnProcessId: 'bd-timer',
      variables: { after: embedded ? 'PT1H' : 'PT0.3S' },
    });
    if (embedded) {
      expect(await suite.h.probe.openJobs(processInstanceKey)).toBe(1);
      expect(
        await (suite.h.embedded as EngineHarness).db.sql.query(
          `UPDATE engine_timers SET due_at = now() WHERE process_instance_key = $1::bigint RETURNING key`,
          [processInstanceKey],
        ),
      ).toHaveLength(1);
    }
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables).toEqual({ after: embedded ? 'PT1H' : 'PT0.3S', notified: true });
    const done = await completedElements(suite.h, processInstanceKey);
    expect(done).toEqual(expect.arrayContaining(['b', 'notify', 'escalated']));
    expect(done).not.toContain('work');
    await eventually('the job to be gone with its task', () => suite.h.probe.openJobs(processInstanceKey), 0);
  });

  test('a non-interrupting timer cycle fires repeatedly while the task stays active', async () => {
    await deploy(
      suite.h.engine,
      withBoundary(
        'bd-cycle',
        ' cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT0.2S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
      ),
    );
    let reminders = 0;
    workers.add('bd-cycle-notify', async () => (reminders++, complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'bd-cycle' });
    await waitFor('three reminders', async () => reminders >= 3);
    await sleep(400);
    expect(reminders).toBe(3); // R3: three times, no more
    expect(await activeElements(suite.h, processInstanceKey)).toEqual(['work']);
    workers.add('bd-cycle-work', async () => complete());
    await waitForEnd(suite.h, processInstanceKey);
    expect(await completedElements(suite.h, processInstanceKey)).toContain('done');
  });

  test('an interrupting message boundary event cancels the task (customer cancels while payment is requested)', async () => {
    await deploy(
      suite.h.engine,
      withBoundary('bd-msg', '><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>', message('m', 'cancel-bd', '=orderId')),
    );
    workers.add('bd-msg-notify', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'bd-msg', variables: { orderId: 'c1' } });
    await suite.h.engine.publishMessage({ name: 'cancel-bd', correlationKey: 'c1', variables: { reason: 'customer' } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables).toEqual({ orderId: 'c1', reason: 'customer' });
    expect(await completedElements(suite.h, processInstanceKey)).not.toContain('work');
  });

  test('a non-interrupting message boundary event runs its path and leaves the task active', async () => {
    await deploy(
      suite.h.engine,
      withBoundary(
        'bd-msg-ni',
        ' cancelActivity="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>',
        message('m', 'nudge-bd', '=orderId'),
      ),
    );
    let nudged = 0;
    workers.add('bd-msg-ni-notify', async () => (nudged++, complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'bd-msg-ni', variables: { orderId: 'n1' } });
    await suite.h.engine.publishMessage({ name: 'nudge-bd', correlationKey: 'n1' });
    await waitFor('nudge handled', async () => (await completedElements(suite.h, processInstanceKey)).includes('escalated'));
    expect(nudged).toBe(1);
    expect(await activeElements(suite.h, processInstanceKey)).toEqual(['work']);
    workers.add('bd-msg-ni-work', async () => complete());
    await waitForEnd(suite.h, processInstanceKey);
    expect(await completedElements(suite.h, processInstanceKey)).toEqual(expect.arrayContaining(['work', 'done', 'escalated']));
  });
});

// A message published with a TTL before the element with the interrupting message boundary is
// reached. Zeebe: a buffered message correlates when a subscription for it opens; the boundary's
// subscription opens as its element activates, so the element is interrupted at once. On Zeebe the
// correlation is a command of its own, processed after the activation: the task's job (or the
// sub-process's start event) exists for a moment and is cancelled. The embedded engine correlates
// within the activation and creates nothing for the interrupted element: checked only there.
const cancelledBeforeReached = (id: string, guarded: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${task('before', `${id}-before`)}${guarded}<bpmn:endEvent id="done"/>
     <bpmn:boundaryEvent id="b" attachedToRef="guarded"><bpmn:messageEventDefinition messageRef="m"/></bpmn:boundaryEvent>${task('undo', `${id}-undo`)}<bpmn:endEvent id="cancelled"/>
     ${flow('f0', 's', 'before')}${flow('f1', 'before', 'guarded')}${flow('f2', 'guarded', 'done')}${flow('f3', 'b', 'undo')}${flow('f4', 'undo', 'cancelled')}`,
    message('m', `${id}-cancel`, '=orderId'),
  );

/**
 * Runs the instance with the message buffered while "before" works; checks what every engine must
 * show, and what is there to be worked while the boundary path runs ("undo" held in its worker).
 */
async function cancelBeforeReached(id: string, guarded: string): Promise<string> {
  await deploy(suite.h.engine, cancelledBeforeReached(id, guarded));
  let releaseBefore!: () => void;
  let releaseUndo!: () => void;
  const beforeGate = new Promise<void>((r) => (releaseBefore = r));
  const undoGate = new Promise<void>((r) => (releaseUndo = r));
  try {
    workers.add(`${id}-before`, async () => (await beforeGate, complete()));
    workers.add(`${id}-undo`, async () => (await undoGate, complete({ undone: true })));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: id, variables: { orderId: id } });
    await suite.h.engine.publishMessage({ name: `${id}-cancel`, correlationKey: id, variables: { cancelled: true }, timeToLive: 10_000 });
    releaseBefore();
    await waitFor('the boundary path to run', async () => (await activeElements(suite.h, processInstanceKey)).includes('undo'));
    if (engineUnderTest === 'embedded') {
      // The jobs table: the boundary path's job alone, nothing for the guarded work.
      expect((await suite.h.probe.jobsOf(id)).map((j) => j.type)).toEqual([`${id}-undo`]);
      expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['guarded']);
    }
    // Activation: a worker of the guarded work's type finds nothing to do.
    const got: Job[] = [];
    workers.add(`${id}-work`, async (job) => (got.push(job), complete()));
    await sleep(300);
    expect(got).toEqual([]);
    releaseUndo();
    expect(await waitForEnd(suite.h, processInstanceKey)).toEqual({ state: 'COMPLETED', variables: { orderId: id, cancelled: true, undone: true } });
    const done = await completedElements(suite.h, processInstanceKey);
    expect(done).toEqual(expect.arrayContaining(['before', 'b', 'undo', 'cancelled']));
    expect(done).not.toContain('guarded');
    expect(done).not.toContain('done');
    await eventually('the guarded element terminated', async () => (await suite.h.probe.terminatedElements(processInstanceKey)).includes('guarded'), true);
    await eventually('no open job', () => suite.h.probe.openJobs(processInstanceKey), 0);
    expect(got).toEqual([]);
    return processInstanceKey;
  } finally {
    releaseBefore();
    releaseUndo();
  }
}

describe(`a buffered message and an interrupting message boundary (${engineLabel})`, () => {
  test("published with a TTL before the task is reached, it correlates to the task's interrupting message boundary as the task activates (Zeebe: buffered messages correlate when a subscription opens): the boundary path is taken and the task is terminated, never completed (embedded: no job is ever created)", async () => {
    await cancelBeforeReached('bd-buffered-task', task('guarded', 'bd-buffered-task-work'));
  });

  test("published with a TTL before an embedded sub-process is reached, it correlates to the sub-process's interrupting message boundary as the sub-process activates: the boundary path is taken and the sub-process is terminated, nothing inside completes (embedded: its start event never activates)", async () => {
    const key = await cancelBeforeReached(
      'bd-buffered-sub',
      `<bpmn:subProcess id="guarded"><bpmn:startEvent id="ss"/>${task('inner', 'bd-buffered-sub-work')}<bpmn:endEvent id="se"/>${flow('g1', 'ss', 'inner')}${flow('g2', 'inner', 'se')}</bpmn:subProcess>`,
    );
    const done = await completedElements(suite.h, key);
    expect(done).not.toContain('inner');
    expect(done).not.toContain('se');
    if (engineUnderTest === 'embedded') expect(done).not.toContain('ss');
  });
});
