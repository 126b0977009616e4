// An incident is an operator's alarm (issue 19, item 2): each one is logged ONCE at
// error level with the order, the step and the message — not once per retry, which
// stay warn-level `job … failed` lines — and /metrics has a gauge an alert rule can
// use (order_saga_incidents_open; the rule is in docs/operations.md#alerting-on-incidents).
//   1. The whole system on the embedded engine: two orders whose payment provider
//      fails past Request payment's retries (sandbox token pm_fail_6).
//   2. The embedded engine's incidents that no job failure raised: an uncaught BPMN
//      error and an input mapping that cannot be evaluated.
//   3. The Camunda 8 job worker (SDK client faked, as in test/zeebe): the cluster
//      raises the incident, the worker logs the one it caused; the gauge counts
//      all open incidents, not a page of them.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import { bpmnError, complete, fail, type Job, type JobAction } from '../../orchestrator/engine.js';
import { ZeebeIncidents } from '../../orchestrator/zeebe/process-inspector.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { adminAuth, PAID_PATH, startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';
import { FakeZeebeApi, httpError, restJob } from '../zeebe/fake-api.js';
import { scrape, value } from './prometheus.js';

type LogLine = { level: number; msg: string; [field: string]: unknown };

/** A pino logger that keeps every line (warn and up), parsed. */
function capturingLogger(level = 'warn') {
  const lines: LogLine[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines, errors: () => lines.filter((l) => l.level >= 50) };
}

describe(`an incident in a system run: one error line per incident, the gauge counts it, a retry drops it (${databaseKind})`, () => {
  let saga: Saga;
  const lines: LogLine[] = [];
  const errors = () => lines.filter((l) => l.level >= 50);
  beforeAll(async () => {
    saga = await startSaga({ PAYMENT_TIMEOUT: 'PT10M' }, { level: 'warn', onLine: (line) => void lines.push(JSON.parse(line) as LogLine) });
  }, 60_000);
  afterAll(async () => {
    await saga?.stop();
  });

  test('pm_fail_6 twice: two incidents, two error lines naming order, step and message; the gauge goes 2 → 1 → 0 as they are retried', async () => {
    const before = await scrape(saga.url);
    expect(before.types.get('order_saga_incidents_open')).toBe('gauge');
    expect(value(before, 'order_saga_incidents_open')).toBe(0);

    // Request payment has 5 retries in the model; the sandbox fails 6 times, then approves.
    const ids = [
      await saga.placeOrder({ sku: 'SKU-TEAPOT', paymentMethod: 'pm_fail_6' }),
      await saga.placeOrder({ sku: 'SKU-KETTLE', paymentMethod: 'pm_fail_6' }),
    ];
    const incidents = await waitFor('an incident for each order', async () => {
      const res = await saga.get('/ops/api/incidents', adminAuth);
      const found = ids.map((id) => (res.body.incidents as { key: string; orderId: string; processInstanceKey: string }[]).find((i) => i.orderId === id));
      return found.every(Boolean) ? (found as { key: string; orderId: string; processInstanceKey: string }[]) : undefined;
    });
    // Written right after the incident's transaction commits: a moment after it is visible.
    await waitFor('an error line per incident', async () => errors().length >= 2);

    const alarms = errors().sort((a, b) => ids.indexOf(a.orderId as string) - ids.indexOf(b.orderId as string));
    expect(alarms).toEqual(
      incidents.map((incident) =>
        expect.objectContaining({
          orderId: incident.orderId,
          processInstanceKey: incident.processInstanceKey,
          elementId: 'RequestPayment',
          taskType: 'request-payment',
          incidentKey: incident.key,
          errorType: 'JOB_NO_RETRIES',
          errorMessage: expect.stringMatching(/^sandbox: .*attempt 5 of 6/),
          msg: expect.stringMatching(/^incident at RequestPayment \(request-payment\): sandbox: .*attempt 5 of 6/),
        }),
      ),
    );
    // The retries before were warnings, one per failed attempt with retries left, plus the last one.
    for (const id of ids) {
      const failed = lines.filter((l) => l.orderId === id && l.msg === 'job request-payment failed');
      expect(failed.map((l) => [l.level, l.retriesLeft])).toEqual([
        [40, 4],
        [40, 3],
        [40, 2],
        [40, 1],
        [40, 0],
      ]);
    }

    expect(value(await scrape(saga.url), 'order_saga_incidents_open')).toBe(2);

    // An operator retries them (POST /ops/api/incidents/:key/retry, admin token): the gauge drops at once.
    expect((await saga.post(`/ops/api/incidents/${incidents[0]!.key}/retry`, { retries: 2 }, adminAuth)).status).toBe(202);
    expect(value(await scrape(saga.url), 'order_saga_incidents_open')).toBe(1);
    expect((await saga.post(`/ops/api/incidents/${incidents[1]!.key}/retry`, { retries: 2 }, adminAuth)).status).toBe(202);
    expect(value(await scrape(saga.url), 'order_saga_incidents_open')).toBe(0);

    // Paid: past PAID, the order's shipments went out.
    for (const id of ids) {
      const o = await saga.waitForFinal(id);
      expect([o.status, o.history.map((h) => h.to)]).toEqual(['FULFILLING', [...PAID_PATH]]);
    }
    // The 6th attempt failed once more with retries left: a warning, not another alarm.
    expect(errors()).toHaveLength(2);
    expect(value(await scrape(saga.url), 'order_saga_incidents_open')).toBe(0);
  });
});

describe(`embedded engine: incidents no job failure raised are logged too (${databaseKind})`, () => {
  let db: TestDatabase;
  let engine: EmbeddedEngine;
  const log = capturingLogger();
  beforeAll(async () => {
    db = await openTestDatabase();
    engine = new EmbeddedEngine(db, { logger: log.logger, timerPollIntervalMs: 50, jobPollIntervalMs: 50 });
  });
  afterAll(async () => {
    await engine?.close();
    await db?.close();
  });

  const oneTask = (processId: string, taskType: string, extension = '') => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${processId}" targetNamespace="http://order-saga.test">
  <bpmn:process id="${processId}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="Work"><bpmn:extensionElements><zeebe:taskDefinition type="${taskType}" retries="3"/>${extension}</bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="Work"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Work" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>`;

  async function incidentsOf(processInstanceKey: string) {
    return db.sql.query<{ key: string; error_type: string; error_message: string }>(
      `SELECT key::text, error_type, error_message FROM engine_incidents WHERE process_instance_key = $1::bigint AND state = 'ACTIVE'`,
      [processInstanceKey],
    );
  }

  test('an uncaught BPMN error: one error line with the order, the step, the task type and the message', async () => {
    await engine.deploy([{ name: 'alarm-uncaught.bpmn', xml: oneTask('alarm-uncaught', 'alarm-uncaught') }]);
    const worker = engine.createWorker({ taskType: 'alarm-uncaught', handler: async () => bpmnError('NOBODY_CATCHES', 'the model has no boundary for this') });
    try {
      const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId: 'alarm-uncaught', variables: { orderId: 'order-uncaught' } });
      const [incident] = await waitFor('the incident', async () =>
        (await incidentsOf(processInstanceKey)).length > 0 ? incidentsOf(processInstanceKey) : undefined,
      );
      await waitFor('its error line', async () => log.errors().some((l) => l.processInstanceKey === processInstanceKey));
      expect(log.errors().filter((l) => l.processInstanceKey === processInstanceKey)).toEqual([
        expect.objectContaining({
          orderId: 'order-uncaught',
          elementId: 'Work',
          taskType: 'alarm-uncaught',
          incidentKey: incident!.key,
          errorType: 'UNHANDLED_ERROR_EVENT',
          errorMessage: expect.stringContaining("'NOBODY_CATCHES'"),
          msg: expect.stringMatching(/^incident at Work \(alarm-uncaught\): .*NOBODY_CATCHES/),
        }),
      ]);
    } finally {
      await worker.close();
    }
  });

  test('an input mapping that cannot be evaluated: one error line, raised before any job exists', async () => {
    const mapping = '<zeebe:ioMapping><zeebe:input source="=orderId +" target="amount"/></zeebe:ioMapping>';
    await engine.deploy([{ name: 'alarm-mapping.bpmn', xml: oneTask('alarm-mapping', 'alarm-mapping', mapping) }]);
    const { processInstanceKey } = await engine.createProcessInstance({ bpmnProcessId: 'alarm-mapping', variables: { orderId: 'order-mapping' } });
    const [incident] = await incidentsOf(processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'IO_MAPPING_ERROR' });
    await waitFor('its error line', async () => log.errors().some((l) => l.processInstanceKey === processInstanceKey));
    const [line, ...more] = log.errors().filter((l) => l.processInstanceKey === processInstanceKey);
    expect(more).toEqual([]);
    expect(line).toMatchObject({
      orderId: 'order-mapping',
      elementId: 'Work',
      incidentKey: incident!.key,
      errorType: 'IO_MAPPING_ERROR',
      errorMessage: incident!.error_message,
    });
    expect(line).not.toHaveProperty('taskType'); // no job was created: the step is the element
  });
});

describe('Camunda 8 job worker: a failure with no retries left that the cluster accepted is the incident it raises', () => {
  async function runOneJob(raw: Record<string, unknown>, answer: (job: Job) => Promise<JobAction>, fake = new FakeZeebeApi()) {
    const log = capturingLogger('debug');
    const engine = new ZeebeEngine({ commands: fake.client }, { logger: log.logger, worker: { idlePollIntervalMs: 5, backoff: { initialMs: 5, maxMs: 20 } } });
    fake.queueActivation({ jobs: [raw] });
    const worker = engine.createWorker({ taskType: 'reserve-stock', handler: answer });
    await waitFor('the job to be answered', async () => fake.calls.some((c) => ['completeJob', 'failJob', 'throwJobError'].includes(c.method)));
    await worker.close(); // waits for the handler's answer, and whatever it logs after
    await engine.close();
    return { fake, errors: log.errors() };
  }

  test('the last retry failing: one error line with the order, the step, the task type and the message', async () => {
    const { fake, errors } = await runOneJob(restJob({ retries: 1 }), async (job) => fail({ errorMessage: 'provider down', retries: job.retries - 1 }));
    expect(fake.callsOf('failJob')).toEqual([[expect.objectContaining({ retries: 0 })]]);
    expect(errors).toEqual([
      expect.objectContaining({
        orderId: 'o-1',
        processInstanceKey: '2251799813685250',
        elementId: 'ReserveStock',
        taskType: 'reserve-stock',
        jobKey: '2251799813685300',
        errorType: 'JOB_NO_RETRIES',
        errorMessage: 'provider down',
        msg: 'incident at ReserveStock (reserve-stock): provider down',
      }),
    ]);
  });

  test('a handler that throws on the last retry: the same line', async () => {
    const { errors } = await runOneJob(restJob({ retries: 1 }), async () => {
      throw new Error('database down');
    });
    expect(errors.map((l) => [l.orderId, l.elementId, l.errorMessage])).toEqual([['o-1', 'ReserveStock', 'database down']]);
  });

  test('a failure with retries left, a completion, a BPMN error: no error line (Zeebe decides whether a BPMN error is caught)', async () => {
    const answers: ((job: Job) => Promise<JobAction>)[] = [
      async (job) => fail({ errorMessage: 'try again', retries: job.retries - 1 }),
      async () => complete(),
      async () => bpmnError('OUT_OF_STOCK'),
    ];
    for (const answer of answers) expect((await runOneJob(restJob({ retries: 3 }), answer)).errors).toEqual([]);
  });

  test('a last failure the cluster refused (the lock expired, another worker answered): no incident, no error line', async () => {
    const fake = new FakeZeebeApi().answer('failJob', httpError(404, 'NOT_FOUND', 'job not found'));
    const { errors } = await runOneJob(restJob({ retries: 1 }), async (job) => fail({ errorMessage: 'provider down', retries: job.retries - 1 }), fake);
    expect(errors).toEqual([]);
  });
});

describe('Camunda 8: the gauge counts every open incident, not one page of the list', () => {
  test("openCount is the search's total (the list the ops API shows is capped)", async () => {
    const fake = new FakeZeebeApi().answer('searchIncidents', { items: [{ incidentKey: '5', state: 'ACTIVE' }], page: { totalItems: 1234 } });
    await expect(new ZeebeIncidents(fake.client).openCount()).resolves.toBe(1234);
    expect(fake.callsOf('searchIncidents')).toEqual([
      [expect.objectContaining({ filter: { state: 'ACTIVE' }, page: { limit: 1 } }), { consistency: { waitUpToMs: 0 } }],
    ]);
  });
});
