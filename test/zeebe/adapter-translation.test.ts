// The Camunda 8 adapter's translation at the SDK boundary: what the engine port's
// calls become in the Orchestration Cluster REST API (field names, units, keys),
// and what the API's answers and errors become for the rest of the system.
// The SDK client is FAKED here (test/zeebe/fake-api.ts): a Zeebe cluster cannot run
// on these machines. Every call the adapter makes is built into its HTTP request by
// the real SDK and checked, like every scripted answer, against Camunda 8.8's REST
// contract (test/zeebe/contract.ts); a test that breaks it fails. The same adapter runs against a real cluster in
// `npm run test:zeebe` when ZEEBE_REST_ADDRESS names one.
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { bpmnError, complete, EngineError, fail, type Job, type JobAction } from '../../orchestrator/engine.js';
import { OrderProcess } from '../../orchestrator/order-process.js';
import { sdkConfiguration } from '../../orchestrator/zeebe/client.js';
import { toEngineError } from '../../orchestrator/zeebe/errors.js';
import { ZeebeIncidents, ZeebeProcessInspector } from '../../orchestrator/zeebe/process-inspector.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import { waitFor } from '../support/wait.js';
import {
  assertContractKept,
  FakeZeebeApi,
  httpError,
  restCreatedInstance,
  restDeployment,
  restElementInstance,
  restJob,
  restProcessInstance,
  searchResult,
} from './fake-api.js';

const logger = pino({ level: 'silent' });
const engines: ZeebeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await assertContractKept();
});

function engineOn(fake: FakeZeebeApi, tenantId?: string): ZeebeEngine {
  const engine = new ZeebeEngine(
    { commands: fake.client },
    { logger, ...(tenantId ? { tenantId } : {}), worker: { idlePollIntervalMs: 5, backoff: { initialMs: 5, maxMs: 20 } } },
  );
  engines.push(engine);
  return engine;
}

const xml = (id: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x"><bpmn:process id="${id}" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>`;

describe('deploy (Zeebe: POST /v2/deployments)', () => {
  test('sends each model as a file named like the resource, and reports version and key per process', async () => {
    const fake = new FakeZeebeApi().answer(
      'createDeployment',
      restDeployment([
        {
          processDefinitionId: 'order-fulfillment',
          processDefinitionVersion: 4,
          resourceName: 'order-fulfillment.bpmn',
          processDefinitionKey: '2251799813685100',
        },
      ]),
    );
    const [deployed] = await engineOn(fake).deploy([{ name: 'order-fulfillment.bpmn', xml: xml('order-fulfillment') }]);
    const [[input]] = fake.callsOf('createDeployment') as [[{ resources: File[] }]];
    expect(input.resources.map((f) => f.name)).toEqual(['order-fulfillment.bpmn']);
    expect(await input.resources[0]!.text()).toBe(xml('order-fulfillment'));
    expect(deployed).toEqual({
      bpmnProcessId: 'order-fulfillment',
      version: 4,
      processDefinitionKey: '2251799813685100',
      resourceName: 'order-fulfillment.bpmn',
      isNew: true,
    });
  });

  test('a re-deploy answered with the definition already deployed is not new (Zeebe: an unchanged resource makes no new version)', async () => {
    const same = { processDefinitionId: 'p', processDefinitionVersion: 2, resourceName: 'p.bpmn', processDefinitionKey: '77' };
    const fake = new FakeZeebeApi()
      .answer('searchProcessDefinitions', searchResult([{ processDefinitionKey: '77', version: 2 }]))
      .answer('createDeployment', restDeployment([same]));
    const [deployed] = await engineOn(fake).deploy([{ name: 'p.bpmn', xml: xml('p') }]);
    expect(deployed?.isNew).toBe(false);
    // It asked for the newest version of that process id before deploying.
    expect(fake.callsOf('searchProcessDefinitions')[0]?.[0]).toMatchObject({
      filter: { processDefinitionId: 'p' },
      sort: [{ field: 'version', order: 'DESC' }],
      page: { limit: 1 },
    });
  });

  test("a deploy the cluster refuses is INVALID_ARGUMENT with Zeebe's reason", async () => {
    const fake = new FakeZeebeApi().answer(
      'createDeployment',
      httpError(400, 'INVALID_ARGUMENT', "Element: t > extensionElements ERROR: Must have exactly one 'zeebe:taskDefinition' extension element"),
    );
    const attempt = engineOn(fake).deploy([{ name: 'bad.bpmn', xml: xml('bad') }]);
    await expect(attempt).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(attempt).rejects.toThrow(/zeebe:taskDefinition/);
  });

  test('the configured tenant goes with every command', async () => {
    const fake = new FakeZeebeApi()
      .answer('createProcessInstance', restCreatedInstance({ processInstanceKey: '1', processDefinitionKey: '2', tenantId: 'shop-eu' }))
      .answer('createDeployment', restDeployment());
    const engine = engineOn(fake, 'shop-eu');
    await engine.deploy([{ name: 'p.bpmn', xml: xml('p') }]);
    await engine.createProcessInstance({ bpmnProcessId: 'p' });
    await engine.publishMessage({ name: 'm', correlationKey: 'k' });
    expect(fake.callsOf('createDeployment')[0]?.[0]).toMatchObject({ tenantId: 'shop-eu' });
    expect(fake.callsOf('createProcessInstance')[0]?.[0]).toMatchObject({ tenantId: 'shop-eu' });
    expect(fake.callsOf('publishMessage')[0]?.[0]).toMatchObject({ tenantId: 'shop-eu' });
  });
});

describe('instances and messages', () => {
  test('createProcessInstance: bpmnProcessId → processDefinitionId, version → processDefinitionVersion; keys come back as strings', async () => {
    const fake = new FakeZeebeApi().answer('createProcessInstance', restCreatedInstance({ processDefinitionVersion: 3, variables: { orderId: 'o-1' } }));
    const started = await engineOn(fake).createProcessInstance({ bpmnProcessId: 'p', version: 3, variables: { orderId: 'o-1' } });
    expect(fake.callsOf('createProcessInstance')[0]?.[0]).toEqual({ processDefinitionId: 'p', processDefinitionVersion: 3, variables: { orderId: 'o-1' } });
    expect(started).toEqual({ processInstanceKey: '2251799813685250', bpmnProcessId: 'p', version: 3, processDefinitionKey: '2251799813685100' });
  });

  test('variables that are not a JSON object are refused before anything is sent', async () => {
    const fake = new FakeZeebeApi();
    await expect(engineOn(fake).createProcessInstance({ bpmnProcessId: 'p', variables: [1, 2] as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(fake.calls).toEqual([]);
  });

  test('publishMessage: timeToLive stays in milliseconds, messageId and variables pass through', async () => {
    const fake = new FakeZeebeApi().answer('publishMessage', { messageKey: '2251799813685999' });
    const published = await engineOn(fake).publishMessage({
      name: 'payment-result',
      correlationKey: 'o-1',
      timeToLive: 3_600_000,
      messageId: 'evt_123',
      variables: { paymentResult: { status: 'approved' } },
    });
    expect(fake.callsOf('publishMessage')[0]?.[0]).toEqual({
      name: 'payment-result',
      correlationKey: 'o-1',
      timeToLive: 3_600_000,
      messageId: 'evt_123',
      variables: { paymentResult: { status: 'approved' } },
    });
    expect(published).toEqual({ key: '2251799813685999' });
  });

  test('publishMessage without a TTL buffers nothing (timeToLive 0, as Zeebe documents) and sends no messageId', async () => {
    const fake = new FakeZeebeApi();
    await engineOn(fake).publishMessage({ name: 'n', correlationKey: 'k' });
    expect(fake.callsOf('publishMessage')[0]?.[0]).toEqual({ name: 'n', correlationKey: 'k', timeToLive: 0, variables: {} });
  });

  test('a messageId still buffered (409 ALREADY_EXISTS) is ALREADY_EXISTS, which the saga treats as "already started"', async () => {
    const fake = new FakeZeebeApi().answer(
      'publishMessage',
      { messageKey: '1' },
      httpError(409, 'ALREADY_EXISTS', "Expected to publish a new message with id 'order-placed:o-1', but a message with that id was already published"),
    );
    const process = new OrderProcess(engineOn(fake), { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 3_600_000 });
    const placedAt = new Date('2026-12-02T10:00:00.250Z');
    expect(await process.start('o-1', placedAt)).toBe(true);
    expect(await process.start('o-1', placedAt)).toBe(false);
    const [first, second] = fake.callsOf('publishMessage').map((a) => a[0]);
    expect(first).toEqual(second);
    expect(first).toMatchObject({
      name: 'order-placed',
      correlationKey: 'o-1',
      messageId: 'order-placed:o-1',
      timeToLive: 3_600_000,
      variables: { orderId: 'o-1', paymentDeadline: '2026-12-02T10:10:01Z', paymentStatusCheckInterval: 'PT1M' },
    });
  });

  test('correlateMessage → POST /v2/messages/correlation; no subscription (404) is NOT_FOUND, which the cancel route answers 409', async () => {
    const fake = new FakeZeebeApi().answer(
      'correlateMessage',
      { messageKey: '7', processInstanceKey: '2251799813685301' },
      httpError(
        404,
        'NOT_FOUND',
        "Expected to find subscription for message with name 'order-cancel-requested' and correlation key 'o-1', but none was found.",
      ),
    );
    const engine = engineOn(fake);
    expect(await engine.correlateMessage({ name: 'order-cancel-requested', correlationKey: 'o-1', variables: { cancelRequested: true } })).toEqual({
      key: '7',
      processInstanceKey: '2251799813685301',
    });
    expect(fake.callsOf('correlateMessage')[0]?.[0]).toEqual({ name: 'order-cancel-requested', correlationKey: 'o-1', variables: { cancelRequested: true } });
    await expect(engine.correlateMessage({ name: 'order-cancel-requested', correlationKey: 'o-1' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('broadcastSignal → POST /v2/signals/broadcast with signalName, variables and the tenant; the signal key comes back as a string', async () => {
    const fake = new FakeZeebeApi().answer('broadcastSignal', { signalKey: '2251799813685777', tenantId: 'shop-eu' });
    const engine = engineOn(fake, 'shop-eu');
    expect(await engine.broadcastSignal({ signalName: 'stock-recounted', variables: { sku: 'A-1' } })).toEqual({ key: '2251799813685777' });
    expect(fake.callsOf('broadcastSignal')[0]?.[0]).toEqual({ signalName: 'stock-recounted', variables: { sku: 'A-1' }, tenantId: 'shop-eu' });
    await expect(engine.broadcastSignal({ signalName: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(fake.callsOf('broadcastSignal')).toHaveLength(1);
  });

  test('cancelProcessInstance of an unknown instance is NOT_FOUND', async () => {
    const fake = new FakeZeebeApi().answer(
      'cancelProcessInstance',
      httpError(404, 'NOT_FOUND', "Expected to cancel a process instance with key '9', but no such process was found"),
    );
    await expect(engineOn(fake).cancelProcessInstance('9')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(fake.callsOf('cancelProcessInstance')[0]?.[0]).toEqual({ processInstanceKey: '9' });
  });
});

describe('incidents (operator actions)', () => {
  test('updateJobRetries → PATCH /jobs/{key} with a retries changeset; resolveIncident → POST /incidents/{key}/resolution', async () => {
    const fake = new FakeZeebeApi();
    const engine = engineOn(fake);
    await engine.updateJobRetries({ jobKey: '2251799813685300', retries: 3 });
    await engine.resolveIncident('2251799813685400');
    expect(fake.callsOf('updateJob')[0]?.[0]).toEqual({ jobKey: '2251799813685300', changeset: { retries: 3 } });
    expect(fake.callsOf('resolveIncident')[0]?.[0]).toEqual({ incidentKey: '2251799813685400' });
  });

  test('setVariables → PUT /element-instances/{key}/variables with the variables and local; an ended or unknown scope (404) is NOT_FOUND', async () => {
    const fake = new FakeZeebeApi().answer(
      'createElementInstanceVariables',
      undefined,
      undefined,
      httpError(404, 'NOT_FOUND', "Expected to update variables for element with key '9', but no such element was found"),
    );
    const engine = engineOn(fake);
    await engine.setVariables({ elementInstanceKey: '2251799813685290', variables: { paymentStatus: 'PAID' }, local: true });
    await engine.setVariables({ elementInstanceKey: '2251799813685250', variables: { approved: true } });
    expect(fake.callsOf('createElementInstanceVariables').map((c) => c[0])).toEqual([
      { elementInstanceKey: '2251799813685290', variables: { paymentStatus: 'PAID' }, local: true },
      { elementInstanceKey: '2251799813685250', variables: { approved: true }, local: false },
    ]);
    await expect(engine.setVariables({ elementInstanceKey: '9', variables: { late: true } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(engine.setVariables({ elementInstanceKey: '9', variables: [] as unknown as Record<string, unknown> })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(fake.callsOf('createElementInstanceVariables')).toHaveLength(3);
  });

  test('retries below 1 are refused before anything is sent', async () => {
    const fake = new FakeZeebeApi();
    await expect(engineOn(fake).updateJobRetries({ jobKey: '1', retries: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(fake.calls).toEqual([]);
  });

  test('the incident list reads the search API and names the job and element', async () => {
    const fake = new FakeZeebeApi().answer(
      'searchIncidents',
      searchResult([
        {
          incidentKey: '5',
          processInstanceKey: '6',
          processDefinitionId: 'order-fulfillment',
          elementId: 'RequestPayment',
          elementInstanceKey: '7',
          jobKey: '8',
          errorType: 'JOB_NO_RETRIES',
          errorMessage: 'sandbox: simulated provider outage',
          state: 'ACTIVE',
          creationTime: '2026-12-01T10:00:00.000Z',
        },
      ]),
    );
    const list = await new ZeebeIncidents(fake.client).incidents();
    expect(list).toEqual([
      {
        key: '5',
        processInstanceKey: '6',
        bpmnProcessId: 'order-fulfillment',
        elementId: 'RequestPayment',
        elementInstanceKey: '7',
        jobKey: '8',
        errorType: 'JOB_NO_RETRIES',
        errorMessage: 'sandbox: simulated provider outage',
        state: 'ACTIVE',
        createdAt: '2026-12-01T10:00:00.000Z',
      },
    ]);
    expect(fake.callsOf('searchIncidents')[0]).toEqual([expect.objectContaining({ filter: { state: 'ACTIVE' } }), { consistency: { waitUpToMs: 0 } }]);
  });
});

describe('process view (Operate data through the search API)', () => {
  test('an active instance shows its waiting steps with names and types as the embedded engine names them; scopes are not steps', async () => {
    const fake = new FakeZeebeApi().answer('getProcessInstance', restProcessInstance({ processInstanceKey: '10', processDefinitionVersion: 2 })).answer(
      'searchElementInstances',
      searchResult([
        restElementInstance({
          elementId: 'order-fulfillment',
          elementName: 'order-fulfillment',
          type: 'PROCESS',
          elementInstanceKey: '10',
          processInstanceKey: '10',
          startDate: '2026-12-01T10:00:00.000Z',
        }),
        restElementInstance({
          elementId: 'AwaitPayment',
          elementName: 'Await payment',
          type: 'EVENT_BASED_GATEWAY',
          elementInstanceKey: '11',
          processInstanceKey: '10',
          startDate: '2026-12-01T10:00:01.000Z',
        }),
      ]),
    );
    const view = await new ZeebeProcessInspector(fake.client).instance('10');
    expect(view).toEqual({
      processInstanceKey: '10',
      bpmnProcessId: 'order-fulfillment',
      version: 2,
      state: 'ACTIVE',
      currentSteps: [{ elementId: 'AwaitPayment', name: 'Await payment', type: 'eventBasedGateway', since: '2026-12-01T10:00:01.000Z' }],
      incidents: [],
    });
    expect(fake.callsOf('searchElementInstances')[0]?.[0]).toMatchObject({ filter: { processInstanceKey: '10', state: 'ACTIVE' } });
  });

  test('an instance the search does not know yet (not exported) is undefined, not an error', async () => {
    const fake = new FakeZeebeApi().answer('getProcessInstance', httpError(404, 'NOT_FOUND', 'Process instance with key 10 not found'));
    await expect(new ZeebeProcessInspector(fake.client).instance('10')).resolves.toBeUndefined();
    await expect(new ZeebeProcessInspector(fake.client).instance('not-a-key')).resolves.toBeUndefined();
  });
});

describe('job workers (POST /v2/jobs/activation, then completion, failure or error)', () => {
  async function runOneJob(raw: Record<string, unknown>, answer: (job: Job) => Promise<JobAction>) {
    const fake = new FakeZeebeApi();
    fake.queueActivation({ jobs: [raw] });
    const seen: Job[] = [];
    const worker = engineOn(fake).createWorker({
      taskType: 'reserve-stock',
      maxJobsToActivate: 7,
      timeout: 45_000,
      workerName: 'w-1',
      handler: async (job) => (seen.push(job), answer(job)),
    });
    await waitFor('the job to be answered', async () => fake.calls.some((c) => ['completeJob', 'failJob', 'throwJobError'].includes(c.method)));
    await worker.close();
    return { fake, job: seen[0]! };
  }

  test('activation asks for the task type with the worker name, capacity and lock in milliseconds', async () => {
    const { fake } = await runOneJob(restJob(), async () => complete());
    expect(fake.callsOf('activateJobs')[0]?.[0]).toEqual({
      type: 'reserve-stock',
      worker: 'w-1',
      maxJobsToActivate: 7,
      timeout: 45_000,
      requestTimeout: 20_000,
    });
  });

  test("the activated job reaches the handler in the port's shape: string keys, headers, variables, retries, deadline", async () => {
    const { job } = await runOneJob(restJob({ customHeaders: { kind: 'confirmed', attempts: 3 } }), async () => complete());
    expect(job).toEqual({
      key: '2251799813685300',
      type: 'reserve-stock',
      processInstanceKey: '2251799813685250',
      bpmnProcessId: 'order-fulfillment',
      processDefinitionKey: '2251799813685100',
      elementId: 'ReserveStock',
      elementInstanceKey: '2251799813685290',
      customHeaders: { kind: 'confirmed', attempts: '3' },
      variables: { orderId: 'o-1' },
      retries: 5,
      deadline: new Date(1_800_000_000_000),
      worker: 'reserve-stock-abc',
    });
  });

  test('complete(variables) → completeJob with the job key and those variables', async () => {
    const { fake } = await runOneJob(restJob(), async () => complete({ reservations: [{ sku: 'SKU-1', quantity: 2 }] }));
    expect(fake.callsOf('completeJob')).toEqual([[{ jobKey: '2251799813685300', variables: { reservations: [{ sku: 'SKU-1', quantity: 2 }] } }]]);
  });

  test('fail → failJob with retries left and retryBackOff in milliseconds (the REST unit)', async () => {
    const { fake } = await runOneJob(restJob({ retries: 4 }), async (job) =>
      fail({ errorMessage: 'provider timeout', retries: job.retries - 1, retryBackOffMs: 2_000 }),
    );
    expect(fake.callsOf('failJob')).toEqual([[{ jobKey: '2251799813685300', errorMessage: 'provider timeout', retries: 3, retryBackOff: 2_000 }]]);
  });

  test('a BPMN error → throwJobError with the error code, message and variables', async () => {
    const { fake } = await runOneJob(restJob(), async () => bpmnError('OUT_OF_STOCK', 'SKU-LAMP is short', { shortages: [{ sku: 'SKU-LAMP' }] }));
    expect(fake.callsOf('throwJobError')).toEqual([
      [{ jobKey: '2251799813685300', errorCode: 'OUT_OF_STOCK', errorMessage: 'SKU-LAMP is short', variables: { shortages: [{ sku: 'SKU-LAMP' }] } }],
    ]);
  });

  test("a handler that throws fails the job with one retry less and no back-off (as the SDK's workers do)", async () => {
    const { fake } = await runOneJob(restJob({ retries: 2 }), async () => {
      throw new Error('database down');
    });
    expect(fake.callsOf('failJob')).toEqual([[{ jobKey: '2251799813685300', errorMessage: 'database down', retries: 1, retryBackOff: 0 }]]);
  });

  test('an answer the cluster refuses (the lock expired and another worker answered) does not stop the worker', async () => {
    const fake = new FakeZeebeApi().answer('completeJob', httpError(404, 'NOT_FOUND', 'job not found'));
    fake.queueActivation({ jobs: [restJob({ jobKey: '1' })] }, { jobs: [restJob({ jobKey: '2' })] });
    const handled: string[] = [];
    const worker = engineOn(fake).createWorker({ taskType: 'reserve-stock', handler: async (job) => (handled.push(job.key), complete()) });
    await waitFor('both jobs to be answered', async () => fake.callsOf('completeJob').length === 2);
    await worker.close();
    expect(handled).toEqual(['1', '2']);
  });

  test('never more jobs in the handler than maxJobsToActivate: the next activation asks only for the room left', async () => {
    const fake = new FakeZeebeApi();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.queueActivation({ jobs: [restJob({ jobKey: '1' }), restJob({ jobKey: '2' })] });
    const worker = engineOn(fake).createWorker({ taskType: 'reserve-stock', maxJobsToActivate: 3, handler: async () => (await gate, complete()) });
    await waitFor('a second activation', async () => fake.callsOf('activateJobs').length >= 2);
    expect((fake.callsOf('activateJobs')[1]?.[0] as { maxJobsToActivate: number }).maxJobsToActivate).toBe(1);
    release();
    await waitFor('both answered', async () => fake.callsOf('completeJob').length === 2);
    await worker.close();
  });
});

describe('SDK errors as engine errors', () => {
  test.each([
    ['HTTP 400 INVALID_ARGUMENT', 'INVALID_ARGUMENT', httpError(400, 'INVALID_ARGUMENT', 'bad')],
    ['HTTP 401 Unauthorized', 'UNAUTHENTICATED', httpError(401, 'Unauthorized')],
    ['HTTP 403 FORBIDDEN', 'UNAUTHENTICATED', httpError(403, 'FORBIDDEN')],
    ['HTTP 404 NOT_FOUND', 'NOT_FOUND', httpError(404, 'NOT_FOUND')],
    ['HTTP 409 ALREADY_EXISTS', 'ALREADY_EXISTS', httpError(409, 'ALREADY_EXISTS')],
    ['HTTP 409 INVALID_STATE', 'FAILED_PRECONDITION', httpError(409, 'INVALID_STATE', 'Expected to resolve incident, but the job has no retries left')],
    ['HTTP 429 Too Many Requests', 'RESOURCE_EXHAUSTED', httpError(429, 'Too Many Requests')],
    [
      'HTTP 503 RESOURCE_EXHAUSTED',
      'RESOURCE_EXHAUSTED',
      httpError(503, 'RESOURCE_EXHAUSTED', 'Expected to handle gRPC request, but request could not be processed'),
    ],
    [
      'HTTP 500 Internal Server Error (detail names RESOURCE_EXHAUSTED)',
      'RESOURCE_EXHAUSTED',
      httpError(500, 'Internal Server Error', 'partition RESOURCE_EXHAUSTED'),
    ],
    ['HTTP 503 Service Unavailable', 'UNAVAILABLE', httpError(503, 'Service Unavailable')],
    ['a network error', 'UNAVAILABLE', Object.assign(new Error('fetch failed'), { name: 'NetworkSdkError' })],
  ])('%s is %s', (_label, code, err) => {
    const mapped = toEngineError(err, 'doing it');
    expect(mapped).toBeInstanceOf(EngineError);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(/^doing it failed/);
  });
});

describe("configuration handed to the SDK (Camunda's variable names)", () => {
  test('no auth: the REST address only', () => {
    expect(sdkConfiguration({ kind: 'zeebe', restAddress: 'http://localhost:8080', auth: { strategy: 'NONE' } })).toEqual({
      ZEEBE_REST_ADDRESS: 'http://localhost:8080',
      CAMUNDA_AUTH_STRATEGY: 'NONE',
      CAMUNDA_LOG_LEVEL: 'error',
    });
  });

  test('SaaS OAuth: client id, secret, token URL and audience under their Console names', () => {
    expect(
      sdkConfiguration({
        kind: 'zeebe',
        restAddress: 'https://bru-2.zeebe.camunda.io/abc',
        auth: {
          strategy: 'OAUTH',
          clientId: 'cid',
          clientSecret: 'secret',
          oauthUrl: 'https://login.cloud.camunda.io/oauth/token',
          audience: 'zeebe.camunda.io',
        },
        tenantId: 't1',
      }),
    ).toEqual({
      ZEEBE_REST_ADDRESS: 'https://bru-2.zeebe.camunda.io/abc',
      CAMUNDA_AUTH_STRATEGY: 'OAUTH',
      CAMUNDA_LOG_LEVEL: 'error',
      ZEEBE_CLIENT_ID: 'cid',
      ZEEBE_CLIENT_SECRET: 'secret',
      CAMUNDA_OAUTH_URL: 'https://login.cloud.camunda.io/oauth/token',
      ZEEBE_TOKEN_AUDIENCE: 'zeebe.camunda.io',
      CAMUNDA_TENANT_ID: 't1',
    });
  });
});
