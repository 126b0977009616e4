// Conformance: jobs and incidents. Rules from Zeebe's docs (Job workers; Incidents; Error events).
import { describe, expect, jest, test } from '@jest/globals';
import { EmbeddedEngine } from '../../../orchestrator/embedded/embedded-engine.js';
import { bpmnError, complete, fail, type Job, type JobHandler } from '../../../orchestrator/engine.js';
import { pino } from 'pino';
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
  task,
  waitForEnd,
  waitForIncidents,
} from '../support.js';
import { waitFor, sleep } from '../../support/wait.js';

const suite = conformanceSuite();
const workers = suite.workers;

const oneTask = (id: string, type: string, taskExtra = '', retries = 3, after = '') =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${task('work', type, taskExtra, retries)}<bpmn:endEvent id="e"/>${flow('f1', 's', 'work')}${flow('f2', 'work', 'e')}${after}`,
  );

describe(`jobs (${engineLabel})`, () => {
  test('a service task creates a job of its task type, with custom headers and the variables in scope', async () => {
    await deploy(suite.h.engine, oneTask('job-basic', 'jt-basic', '<zeebe:taskHeaders><zeebe:header key="channel" value="email"/></zeebe:taskHeaders>'));
    const seen: Job[] = [];
    workers.add('jt-basic', async (job) => {
      seen.push(job);
      return complete({ done: true });
    });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-basic', variables: { orderId: 'o-7', n: 2 } });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      type: 'jt-basic',
      elementId: 'work',
      bpmnProcessId: 'job-basic',
      processInstanceKey,
      customHeaders: { channel: 'email' },
      variables: { orderId: 'o-7', n: 2 },
      retries: 3,
    });
    // Job completion variables are propagated to the process instance.
    expect(end).toEqual({ state: 'COMPLETED', variables: { orderId: 'o-7', n: 2, done: true } });
  });

  // Job streaming, in-process (Zeebe's docs: Job workers, "Job streaming"). These workers poll only every
  // 60 s, and the job is created only after the worker's first poll came back empty: within the test's
  // window no timed poll can happen, so what delivers the job is push or wake-up. Which of the two is
  // observed through the engine's activations: a pushed job is handed over without one.
  const sleepingWorker = async (engine: EmbeddedEngine, taskType: string, handler: JobHandler) => {
    const activations = jest.spyOn(engine, 'activateJobs');
    engine.createWorker({ taskType, handler });
    const returned = () => Promise.all(activations.mock.results.map((r) => r.value as Promise<Job[]>));
    await waitFor("the worker's first poll", async () => activations.mock.results.length > 0);
    expect(await returned()).toEqual([[]]); // it came back empty; the worker now sleeps on the 60 s poll
    return { activated: async () => (await returned()).flat().map((j) => j.key) };
  };
  const slowPollingEngine = () =>
    new EmbeddedEngine(suite.h.embedded!.db, { logger: pino({ level: 'silent' }), jobPollIntervalMs: 60_000, timerPollIntervalMs: 60_000 });

  embeddedTest('job streaming: a job created while an in-process worker of its type has room is pushed to it, with no activation request', async () => {
    const engine = slowPollingEngine();
    try {
      await deploy(engine, oneTask('job-push', 'jt-push'));
      const handled: string[] = [];
      const { activated } = await sleepingWorker(engine, 'jt-push', async (job) => (handled.push(job.key), complete()));
      const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId: 'job-push' });
      await waitForEnd(suite.h, processInstanceKey); // at most 15 s: well before the worker's next poll
      expect(handled).toHaveLength(1);
      expect(await activated()).toEqual([]); // no activation returned it: it was pushed
    } finally {
      await engine.close();
    }
  });

  embeddedTest('job streaming: a failed job with retries left is offered to the sleeping worker when its back-off ends, not at its next poll', async () => {
    const engine = slowPollingEngine();
    try {
      await deploy(engine, oneTask('job-wake', 'jt-wake'));
      const handled: string[] = [];
      const { activated } = await sleepingWorker(engine, 'jt-wake', async (job) => {
        handled.push(job.key);
        return handled.length === 1 ? fail({ errorMessage: 'try again', retries: job.retries - 1, retryBackOffMs: 500 }) : complete();
      });
      const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId: 'job-wake' });
      await waitForEnd(suite.h, processInstanceKey); // at most 15 s: well before the worker's next poll
      expect(handled).toHaveLength(2);
      expect(handled[1]).toBe(handled[0]);
      // The retry is not pushed: the worker was woken and its activation took the job.
      expect(await activated()).toEqual([handled[0]]);
    } finally {
      await engine.close();
    }
  });

  test('fail with retries left offers the job again after the retry back-off', async () => {
    await deploy(suite.h.engine, oneTask('job-retry', 'jt-retry'));
    const attempts: { at: number; retries: number }[] = [];
    workers.add('jt-retry', async (job) => {
      attempts.push({ at: Date.now(), retries: job.retries });
      return attempts.length < 3 ? fail({ errorMessage: 'provider timeout', retries: job.retries - 1, retryBackOffMs: 300 }) : complete();
    });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-retry' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(attempts.map((a) => a.retries)).toEqual([3, 2, 1]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(280);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(280);
    expect(await incidentsOf(suite.h, processInstanceKey)).toEqual([]);
  });

  test('retries exhausted raises an incident; update retries and resolve the incident, and the instance completes', async () => {
    await deploy(suite.h.engine, oneTask('job-incident', 'jt-incident'));
    let healthy = false;
    workers.add('jt-incident', async (job) => (healthy ? complete({ fixed: true }) : fail({ errorMessage: 'database down', retries: job.retries - 1 })));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-incident' });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'JOB_NO_RETRIES', error_message: 'database down', state: 'ACTIVE', element_id: 'work' });
    // Resolving without retries is refused, as in Zeebe.
    await expect(suite.h.engine.resolveIncident(incident!.key)).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    healthy = true;
    await suite.h.engine.updateJobRetries({ jobKey: incident!.job_key!, retries: 1 });
    await suite.h.engine.resolveIncident(incident!.key);
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.variables).toEqual({ fixed: true });
    expect((await incidentsOf(suite.h, processInstanceKey))[0]?.state).toBe('RESOLVED');
  });

  test('a handler that throws fails the job with one retry less', async () => {
    await deploy(suite.h.engine, oneTask('job-throw', 'jt-throw', '', 2));
    let runs = 0;
    workers.add('jt-throw', async () => {
      runs++;
      throw new Error('boom');
    });
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-throw' });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(runs).toBe(2);
    expect(incident).toMatchObject({ error_type: 'JOB_NO_RETRIES', error_message: 'boom' });
  });

  test('a job whose worker dies is offered again after its lock deadline', async () => {
    await deploy(suite.h.engine, oneTask('job-lock', 'jt-lock'));
    const activations: string[] = [];
    // The first worker takes the job and never answers (its process "died").
    const dead = workers.add(
      'jt-lock',
      async (job) => {
        activations.push(`dead:${job.key}`);
        return new Promise(() => undefined);
      },
      { timeout: 400 },
    );
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-lock' });
    await waitFor('first activation', async () => activations.length > 0);
    const lockedAt = Date.now();
    void dead.close(); // it stops asking for jobs, still holding this one, as a dead process would
    suite.h.engine.createWorker({ taskType: 'jt-lock', handler: async (job) => (activations.push(`live:${job.key}`), complete()) });
    await waitForEnd(suite.h, processInstanceKey);
    expect(Date.now() - lockedAt).toBeGreaterThanOrEqual(350);
    expect(activations).toHaveLength(2);
    expect(activations[0]!.split(':')[1]).toBe(activations[1]!.split(':')[1]); // the same job, re-offered
  });

  test('a BPMN error is caught by the error boundary event with the matching error code', async () => {
    const xml = bpmn(
      'job-error',
      `<bpmn:startEvent id="s"/>${task('reserve', 'jt-error')}<bpmn:endEvent id="paid"/>
       <bpmn:boundaryEvent id="out-of-stock" attachedToRef="reserve"><bpmn:errorEventDefinition errorRef="err-oos"/></bpmn:boundaryEvent>
       <bpmn:boundaryEvent id="other" attachedToRef="reserve"><bpmn:errorEventDefinition errorRef="err-other"/></bpmn:boundaryEvent>
       <bpmn:endEvent id="rejected"/><bpmn:endEvent id="other-end"/>
       ${flow('f1', 's', 'reserve')}${flow('f2', 'reserve', 'paid')}${flow('f3', 'out-of-stock', 'rejected')}${flow('f4', 'other', 'other-end')}`,
      '<bpmn:error id="err-oos" errorCode="OUT_OF_STOCK"/><bpmn:error id="err-other" errorCode="OTHER"/>',
    );
    await deploy(suite.h.engine, xml);
    workers.add('jt-error', async () => bpmnError('OUT_OF_STOCK', 'SKU-1 short', { shortSkus: ['SKU-1'] }));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-error' });
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end).toEqual({ state: 'COMPLETED', variables: { shortSkus: ['SKU-1'] } });
    const done = await completedElements(suite.h, processInstanceKey);
    expect(done).toContain('out-of-stock');
    expect(done).toContain('rejected');
    expect(done).not.toContain('reserve');
    await eventually('no open job', () => suite.h.probe.openJobs(processInstanceKey), 0);
  });

  test('an error boundary event without an error code catches every error code', async () => {
    const xml = bpmn(
      'job-catchall',
      `<bpmn:startEvent id="s"/>${task('work', 'jt-catchall')}<bpmn:endEvent id="ok"/>
       <bpmn:boundaryEvent id="any" attachedToRef="work"><bpmn:errorEventDefinition/></bpmn:boundaryEvent><bpmn:endEvent id="caught"/>
       ${flow('f1', 's', 'work')}${flow('f2', 'work', 'ok')}${flow('f3', 'any', 'caught')}`,
    );
    await deploy(suite.h.engine, xml);
    workers.add('jt-catchall', async () => bpmnError('WHATEVER'));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-catchall' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(await completedElements(suite.h, processInstanceKey)).toContain('caught');
  });

  test('an uncaught BPMN error raises an incident; resolving it offers the job again', async () => {
    await deploy(suite.h.engine, oneTask('job-uncaught', 'jt-uncaught'));
    let throwIt = true;
    workers.add('jt-uncaught', async () => (throwIt ? bpmnError('NOBODY_CATCHES') : complete({ second: true })));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-uncaught' });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'UNHANDLED_ERROR_EVENT', state: 'ACTIVE' });
    expect(incident!.error_message).toContain('NOBODY_CATCHES');
    throwIt = false;
    await suite.h.engine.resolveIncident(incident!.key);
    expect((await waitForEnd(suite.h, processInstanceKey)).variables).toEqual({ second: true });
  });

  // Several embedded engines on one PostgreSQL (the api and workers roles); Zeebe's brokers do this themselves.
  embeddedTest('two engines sharing one database never run the same job at the same time (activation skips locked jobs)', async () => {
    const other = new EmbeddedEngine(suite.h.embedded!.db, { logger: pino({ level: 'silent' }), jobPollIntervalMs: 20 });
    try {
      await deploy(suite.h.engine, oneTask('job-shared', 'jt-shared'));
      const runs = new Map<string, number>();
      const handler = async (job: Job) => {
        runs.set(job.key, (runs.get(job.key) ?? 0) + 1);
        await sleep(5);
        return complete();
      };
      workers.add('jt-shared', handler);
      const w2 = other.createWorker({ taskType: 'jt-shared', handler });
      const keys = await Promise.all(Array.from({ length: 30 }, () => suite.h.engine.createProcessInstance({ bpmnProcessId: 'job-shared' })));
      for (const k of keys) await waitForEnd(suite.h, k.processInstanceKey);
      expect(runs.size).toBe(30);
      expect([...runs.values()].every((n) => n === 1)).toBe(true);
      await w2.close();
    } finally {
      await other.close();
    }
  });
});
