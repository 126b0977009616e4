// Conformance: timer and message start events. Rules from Zeebe's docs (Timer events: timer
// start events; Message events: message start events; Messages: message cardinality).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedEngine } from '../../../orchestrator/embedded/embedded-engine.js';
import { complete } from '../../../orchestrator/engine.js';
import { openTestDatabase, type TestDatabase } from '../../support/database.js';
import { sleep, waitFor } from '../../support/wait.js';
import { EmbeddedProbe } from '../probe.js';
import { bpmn, conformanceSuite, deploy, describeEmbedded, engineLabel, eventually, flow, task } from '../support.js';

const suite = conformanceSuite();
const workers = suite.workers;

/** A process started by a timer (`<bpmn:timeDate>…` or `<bpmn:timeCycle>…`), then a task of `taskType` or straight to its end. */
const timerStarted = (id: string, timer: string, taskType?: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="tick"><bpmn:timerEventDefinition>${timer}</bpmn:timerEventDefinition></bpmn:startEvent><bpmn:endEvent id="e"/>
     ${taskType ? `${task('work', taskType)}${flow('f0', 'tick', 'work')}${flow('f1', 'work', 'e')}` : flow('f0', 'tick', 'e')}`,
  );
const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A process started by message `name`, then a task of `taskType`. */
const messageStarted = (id: string, name: string, taskType: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="placed"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>${task('work', taskType)}<bpmn:endEvent id="e"/>
     ${flow('f0', 'placed', 'work')}${flow('f1', 'work', 'e')}`,
    `<bpmn:message id="m" name="${name}"/>`,
  );

const countOf = async (id: string) => (await suite.h.probe.instancesOf(id)).length;

describe(`timer start events (${engineLabel})`, () => {
  test('a timeDate start event starts one instance when the date is reached, not before', async () => {
    await deploy(suite.h.engine, timerStarted('ts-date', `<bpmn:timeDate>${isoIn(1_000)}</bpmn:timeDate>`));
    expect(await countOf('ts-date')).toBe(0);
    await eventually('one completed instance', () => suite.h.probe.instancesOf('ts-date'), [{ state: 'COMPLETED', variables: {} }]);
    await sleep(1_000);
    expect(await countOf('ts-date')).toBe(1);
  });

  test('a timeDate in the past starts one instance right away, and only one', async () => {
    await deploy(suite.h.engine, timerStarted('ts-past', `<bpmn:timeDate>${isoIn(-3_600_000)}</bpmn:timeDate>`));
    await eventually('one completed instance', () => suite.h.probe.instancesOf('ts-past'), [{ state: 'COMPLETED', variables: {} }], 5_000);
    await sleep(1_000);
    expect(await countOf('ts-past')).toBe(1);
  });

  test('a timeCycle R2/PT1S starts a new instance at each repetition: two in all', async () => {
    const deployedAt = Date.now();
    await deploy(suite.h.engine, timerStarted('ts-cycle', '<bpmn:timeCycle>R2/PT1S</bpmn:timeCycle>'));
    await eventually('one instance after the first second', () => countOf('ts-cycle'), 1);
    expect(Date.now() - deployedAt).toBeGreaterThanOrEqual(900);
    await eventually('two instances after the second', () => countOf('ts-cycle'), 2);
    await sleep(1_500);
    expect(await countOf('ts-cycle')).toBe(2);
  });

  test("deploying a newer version cancels the older version's timer start events and schedules its own", async () => {
    await deploy(suite.h.engine, timerStarted('ts-ver', '<bpmn:timeCycle>R2/PT1S</bpmn:timeCycle>', 'ts-ver-v1'));
    await deploy(suite.h.engine, timerStarted('ts-ver', '<bpmn:timeCycle>R1/PT1S</bpmn:timeCycle>', 'ts-ver-v2'));
    await waitFor('an instance', async () => (await countOf('ts-ver')) > 0);
    await sleep(2_000);
    const jobs = await suite.h.probe.jobsOf('ts-ver');
    expect(jobs.map((j) => j.type)).toEqual(['ts-ver-v2']);
    for (const j of jobs) await suite.h.engine.cancelProcessInstance(j.processInstanceKey);
  });

  test('a newer version without a timer start event cancels the older timer start events: nothing starts', async () => {
    await deploy(suite.h.engine, timerStarted('ts-gone', `<bpmn:timeDate>${isoIn(1_000)}</bpmn:timeDate>`));
    await deploy(suite.h.engine, bpmn('ts-gone', `<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>${flow('f0', 's', 'e')}`));
    await sleep(2_000);
    expect(await countOf('ts-gone')).toBe(0);
  });

  test('a process with only a timer start event cannot be started by a create-instance command', async () => {
    await deploy(suite.h.engine, timerStarted('ts-nocreate', `<bpmn:timeDate>${isoIn(3_600_000)}</bpmn:timeDate>`));
    await expect(suite.h.engine.createProcessInstance({ bpmnProcessId: 'ts-nocreate' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  test('a timer start event with a timeDuration is refused at deploy, naming the start event', async () => {
    const attempt = deploy(suite.h.engine, timerStarted('ts-duration', '<bpmn:timeDuration>PT1S</bpmn:timeDuration>'));
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(attempt).rejects.toThrow(/tick/);
  });
});

describeEmbedded(`timer start events across restarts and processes (${engineLabel})`, () => {
  let db: TestDatabase;
  const engines: EmbeddedEngine[] = [];
  const engineOn = (runTimers: boolean) => {
    const engine = new EmbeddedEngine(db, { logger: pino({ level: 'silent' }), timerPollIntervalMs: 50, runTimers });
    engines.push(engine);
    return engine;
  };
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    for (const e of engines) await e.close();
    await db?.close();
  });

  test('a timer start event survives a restart: scheduled by one engine, it fires in the next one on the same database', async () => {
    const first = engineOn(false);
    await deploy(first, timerStarted('ts-restart', `<bpmn:timeDate>${isoIn(500)}</bpmn:timeDate>`));
    await first.close();
    await sleep(700);
    const probe = new EmbeddedProbe(db.sql);
    expect(await probe.instancesOf('ts-restart')).toEqual([]);
    const next = engineOn(true);
    await eventually('one completed instance', () => probe.instancesOf('ts-restart'), [{ state: 'COMPLETED', variables: {} }]);
    await next.close();
  });

  test('a due timer start event fires once across several engines on one database', async () => {
    const [a, b] = [engineOn(false), engineOn(false)];
    const ids = ['ts-once-1', 'ts-once-2', 'ts-once-3', 'ts-once-4', 'ts-once-5'];
    for (const id of ids) await deploy(a, timerStarted(id, `<bpmn:timeDate>${isoIn(-1_000)}</bpmn:timeDate>`));
    const fired = await Promise.all([a.fireDueTimers(), b.fireDueTimers(), a.fireDueTimers(), b.fireDueTimers()]);
    expect(fired.reduce((x, y) => x + y, 0)).toBe(ids.length);
    const probe = new EmbeddedProbe(db.sql);
    for (const id of ids) expect(await probe.instancesOf(id)).toHaveLength(1);
  });
});

describe(`message start events (${engineLabel})`, () => {
  test('a message with a correlation key starts no second instance while the instance it started is active; buffered, it starts one once that instance ended', async () => {
    await deploy(suite.h.engine, messageStarted('ms-one', 'ms-one-msg', 'ms-one-work'));
    const publish = (correlationKey: string, n: number) =>
      suite.h.engine.publishMessage({ name: 'ms-one-msg', correlationKey, variables: { n }, timeToLive: 60_000 });
    await publish('K1', 1);
    await eventually('the first instance', () => countOf('ms-one'), 1);
    await publish('K1', 2);
    await publish('K2', 3); // another key starts at once
    await eventually('the instance of K2', () => countOf('ms-one'), 2);
    await sleep(500);
    expect((await suite.h.probe.instancesOf('ms-one')).map((i) => [i.state, i.variables.n])).toEqual([
      ['ACTIVE', 1],
      ['ACTIVE', 3],
    ]);
    workers.add('ms-one-work', async () => complete());
    await eventually(
      'the buffered message of K1 started a third instance after the first ended',
      async () => (await suite.h.probe.instancesOf('ms-one')).map((i) => [i.state, i.variables.n]),
      [
        ['COMPLETED', 1],
        ['COMPLETED', 3],
        ['COMPLETED', 2],
      ],
    );
  });

  test('a message without a correlation key always starts a new instance', async () => {
    await deploy(suite.h.engine, messageStarted('ms-nokey', 'ms-nokey-msg', 'ms-nokey-work'));
    await suite.h.engine.publishMessage({ name: 'ms-nokey-msg', correlationKey: '', variables: { n: 1 }, timeToLive: 60_000 });
    await suite.h.engine.publishMessage({ name: 'ms-nokey-msg', correlationKey: '', variables: { n: 2 }, timeToLive: 60_000 });
    await eventually('two active instances', async () => (await suite.h.probe.instancesOf('ms-nokey')).map((i) => i.state), ['ACTIVE', 'ACTIVE']);
    workers.add('ms-nokey-work', async () => complete());
    await eventually('both completed', async () => (await suite.h.probe.instancesOf('ms-nokey')).map((i) => i.state), ['COMPLETED', 'COMPLETED']);
  });

  test('the one-instance-per-correlation-key rule holds across versions: an instance of the older version keeps the key', async () => {
    await deploy(suite.h.engine, messageStarted('ms-keyver', 'ms-keyver-msg', 'ms-keyver-v1'));
    await suite.h.engine.publishMessage({ name: 'ms-keyver-msg', correlationKey: 'KV', variables: {}, timeToLive: 0 });
    await eventually('the instance of version 1', async () => (await suite.h.probe.jobsOf('ms-keyver')).map((j) => j.type), ['ms-keyver-v1']);
    await deploy(suite.h.engine, messageStarted('ms-keyver', 'ms-keyver-msg', 'ms-keyver-v2'));
    await expect(suite.h.engine.correlateMessage({ name: 'ms-keyver-msg', correlationKey: 'KV' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await suite.h.engine.correlateMessage({ name: 'ms-keyver-msg', correlationKey: 'KW' });
    await eventually('a version 2 instance for the other key only', async () => (await suite.h.probe.jobsOf('ms-keyver')).map((j) => j.type), [
      'ms-keyver-v1',
      'ms-keyver-v2',
    ]);
    for (const j of await suite.h.probe.jobsOf('ms-keyver')) await suite.h.engine.cancelProcessInstance(j.processInstanceKey);
  });

  test("a newer version's message start event replaces the older's: messages start the newer version, and a message only the older had starts nothing", async () => {
    await deploy(suite.h.engine, messageStarted('ms-ver', 'ms-ver-a', 'ms-ver-v1'));
    await deploy(suite.h.engine, messageStarted('ms-ver', 'ms-ver-a', 'ms-ver-v2'));
    await suite.h.engine.correlateMessage({ name: 'ms-ver-a', correlationKey: 'A1' });
    await eventually('an instance of version 2', async () => (await suite.h.probe.jobsOf('ms-ver')).map((j) => j.type), ['ms-ver-v2']);
    await deploy(suite.h.engine, messageStarted('ms-ver', 'ms-ver-b', 'ms-ver-v3'));
    await expect(suite.h.engine.correlateMessage({ name: 'ms-ver-a', correlationKey: 'A2' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await suite.h.engine.correlateMessage({ name: 'ms-ver-b', correlationKey: 'B1' });
    await eventually('an instance of version 3', async () => (await suite.h.probe.jobsOf('ms-ver')).map((j) => j.type), ['ms-ver-v2', 'ms-ver-v3']);
    for (const j of await suite.h.probe.jobsOf('ms-ver')) await suite.h.engine.cancelProcessInstance(j.processInstanceKey);
  });
});
