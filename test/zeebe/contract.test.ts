// Everything this project sends to Camunda 8, checked against Camunda 8.8's REST
// contract (contract.ts: the schemas of the 8.8 client @camunda8/sdk runs, with
// unknown properties refused as 8.8 servers do). The adapter (orchestrator/zeebe)
// and the Zeebe test harness's probe (test/engine/zeebe-harness.ts) run through the
// real SDK against the fake gateway, which checks each request and answer. The last
// test holds the list of endpoints: a call to one not on it fails here.
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { bpmnError, complete, fail } from '../../orchestrator/engine.js';
import { connectZeebe, type ZeebeConnection } from '../../orchestrator/zeebe/client.js';
import { ZeebeDecisions } from '../../orchestrator/zeebe/decision-instances.js';
import { ZeebeIncidents, ZeebeProcessInspector } from '../../orchestrator/zeebe/process-inspector.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import { ZeebeProbe } from '../engine/zeebe-harness.js';
import { waitFor } from '../support/wait.js';
import { formatViolations } from './contract.js';
import { FakeZeebeApi, restDecisionInstance, restDeployment, restElementInstance, restJob, restProcessInstance, searchResult } from './fake-api.js';
import { FakeGateway } from './fake-gateway.js';

const KEY = '2251799813685250';
const ns = (id: string) => `${id}-r1`;
const plain = (id: string) => id.replace(/-r1$/, '');

let gateway: FakeGateway;
let connection: ZeebeConnection;
beforeAll(async () => {
  gateway = new FakeGateway();
  await gateway.start();
  connection = connectZeebe({ kind: 'zeebe', restAddress: gateway.url, auth: { strategy: 'NONE' } });
});
afterAll(async () => {
  await connection.close();
  await gateway.stop();
});
afterEach(() => gateway.contract.assertKept());

/** Operations the gateway saw while `run` ran, each with its route. */
async function endpointsOf(run: () => Promise<unknown>): Promise<Record<string, string>> {
  const from = gateway.requests.length;
  await run();
  const seen: Record<string, string> = {};
  for (const r of gateway.requests.slice(from)) {
    const op = r.operation ? gateway.contract.operation(r.operation) : undefined;
    seen[r.operation ?? `? ${r.method} ${r.path}`] = op ? `${op.method} ${op.path}` : '(no 8.8 endpoint)';
  }
  return Object.fromEntries(Object.entries(seen).sort(([a], [b]) => a.localeCompare(b)));
}

const variable = (name: string, value: unknown, over: Record<string, unknown> = {}) => ({
  name,
  value: JSON.stringify(value),
  isTruncated: false,
  variableKey: '2251799813685600',
  scopeKey: KEY,
  processInstanceKey: KEY,
  tenantId: '<default>',
  ...over,
});

const searchedJob = (over: Record<string, unknown> = {}) => {
  const { variables: _v, deadline: _d, processDefinitionVersion: _p, ...job } = restJob({ processInstanceKey: KEY, ...over });
  return { ...job, state: 'CREATED', hasFailedWithRetriesLeft: false };
};

/** Drives every probe method once; scripted answers make each take its longest path. */
async function driveProbe(probe: ZeebeProbe): Promise<void> {
  gateway
    .answer('getProcessInstance', restProcessInstance({ processInstanceKey: KEY }))
    .answer('searchVariables', searchResult([variable('orderId', 'o-1'), variable('big', 'x', { value: '"xx', isTruncated: true })]))
    .answer('getVariable', (({ isTruncated: _t, ...v }) => ({ ...v, value: JSON.stringify('x'.repeat(10_000)) }))(variable('big', 'x')));
  expect(await probe.instance(KEY)).toEqual({ state: 'ACTIVE', variables: { orderId: 'o-1', big: 'x'.repeat(10_000) } });
  await probe.completedElements(KEY);
  await probe.terminatedElements(KEY);
  await probe.activeElements(KEY);
  await probe.incidents(KEY);
  await probe.openJobs(KEY);
  await probe.openSubscriptions(KEY);
  await probe.openTimers();
  gateway.answer('searchProcessInstances', searchResult([restProcessInstance({ processInstanceKey: KEY, processDefinitionId: ns('p') })]));
  await probe.instancesOf('p');
  await probe.jobsOf('p');
  const CHILD = '2251799813685260';
  const CALL = '2251799813685255';
  gateway
    .answer(
      'searchProcessInstances',
      searchResult([
        restProcessInstance({ processInstanceKey: CHILD, processDefinitionId: ns('child'), parentProcessInstanceKey: KEY, parentElementInstanceKey: CALL }),
      ]),
    )
    .answer('getElementInstance', restElementInstance({ elementInstanceKey: CALL, processInstanceKey: KEY, elementId: 'call', type: 'CALL_ACTIVITY' }));
  expect(await probe.childInstances(KEY)).toEqual([
    { key: CHILD, bpmnProcessId: 'child', state: 'ACTIVE', parentElementInstanceKey: CALL, parentElementId: 'call' },
  ]);
}

describe('the harness probe on Camunda 8.8', () => {
  test('openJobs filters the job state with operators 8.8 accepts ($eq, $neq, $exists, $in, $like) and counts the jobs not ended', async () => {
    const probe = new ZeebeProbe(connection.commands, ns, plain);
    gateway.answer('searchJobs', searchResult([searchedJob({ jobKey: '1' }), searchedJob({ jobKey: '2', state: 'FAILED' })]));
    const counted = await probe.openJobs(KEY).catch((err: unknown) => err);
    // A request 8.8 refuses fails here, naming the operation, the place in the body and the rule.
    gateway.contract.assertKept();
    expect(counted).toBe(2);
    const [search] = gateway.requests.filter((r) => r.operation === 'searchJobs').slice(-1);
    expect(search?.body).toMatchObject({ filter: { processInstanceKey: KEY, state: { $in: ['CREATED', 'FAILED', 'RETRIES_UPDATED', 'TIMED_OUT'] } } });
  });
});

describe('the contract checker', () => {
  test('refuses what 8.8 servers refuse: an unknown filter operator, naming the operation, the place in the body and the rule', async () => {
    const contract = gateway.contract;
    const violations = await contract.checkSdkCall('searchJobs', { filter: { processInstanceKey: KEY, state: { $notIn: ['COMPLETED'] } } });
    contract.take();
    expect(formatViolations(violations)).toBe('searchJobs (POST /v2/jobs/search) request body.filter.state: unknown property $notIn (8.8 servers answer 400)');
  });

  test('refuses a malformed key in the path, an unknown property at the top of a body, and an answer missing required fields', async () => {
    const contract = gateway.contract;
    const bad = [
      ...(await contract.checkSdkCall('getProcessInstance', { processInstanceKey: 'abc' })),
      ...(await contract.checkSdkCall('completeJob', { jobKey: '1', variables: {}, retries: 3 })),
      ...contract.checkResponse('getTopology', { brokers: [] }),
    ];
    contract.take();
    expect(bad.map((v) => `${v.operation} ${v.side} ${v.where}`)).toEqual([
      'getProcessInstance request path.processInstanceKey',
      'completeJob request body',
      'getTopology response body.clusterSize',
      'getTopology response body.partitionsCount',
      'getTopology response body.replicationFactor',
      'getTopology response body.gatewayVersion',
      'getTopology response body.lastCompletedChangeId',
    ]);
  });

  test('the fake gateway answers a request that breaks the contract with 400, as an 8.8 server does', async () => {
    const res = await fetch(`${gateway.url}/v2/jobs/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filter: { state: { $notIn: ['COMPLETED'] } } }),
    });
    gateway.contract.take();
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/body\.filter\.state: unknown property \$notIn/);
  });
});

// Every endpoint the adapter and the harness call, as `operation: METHOD path` (the
// 8.8 client's names). docs/testing.md ("On Camunda 8") lists them too.
const ADAPTER_ENDPOINTS = {
  activateJobs: 'POST /v2/jobs/activation',
  broadcastSignal: 'POST /v2/signals/broadcast',
  cancelProcessInstance: 'POST /v2/process-instances/{processInstanceKey}/cancellation',
  completeJob: 'POST /v2/jobs/{jobKey}/completion',
  correlateMessage: 'POST /v2/messages/correlation',
  createDeployment: 'POST /v2/deployments',
  createElementInstanceVariables: 'PUT /v2/element-instances/{elementInstanceKey}/variables',
  createProcessInstance: 'POST /v2/process-instances',
  failJob: 'POST /v2/jobs/{jobKey}/failure',
  getDecisionInstance: 'GET /v2/decision-instances/{decisionEvaluationInstanceKey}',
  getProcessInstance: 'GET /v2/process-instances/{processInstanceKey}',
  getTopology: 'GET /v2/topology',
  publishMessage: 'POST /v2/messages/publication',
  resolveIncident: 'POST /v2/incidents/{incidentKey}/resolution',
  searchDecisionInstances: 'POST /v2/decision-instances/search',
  searchElementInstances: 'POST /v2/element-instances/search',
  searchIncidents: 'POST /v2/incidents/search',
  searchProcessDefinitions: 'POST /v2/process-definitions/search',
  throwJobError: 'POST /v2/jobs/{jobKey}/error',
  updateJob: 'PATCH /v2/jobs/{jobKey}',
};
const PROBE_ENDPOINTS = {
  getElementInstance: 'GET /v2/element-instances/{elementInstanceKey}',
  getProcessInstance: 'GET /v2/process-instances/{processInstanceKey}',
  getVariable: 'GET /v2/variables/{variableKey}',
  searchElementInstances: 'POST /v2/element-instances/search',
  searchIncidents: 'POST /v2/incidents/search',
  searchJobs: 'POST /v2/jobs/search',
  searchMessageSubscriptions: 'POST /v2/message-subscriptions/search',
  searchProcessInstances: 'POST /v2/process-instances/search',
  searchVariables: 'POST /v2/variables/search',
};

const methodsOf = (proto: object) =>
  Object.getOwnPropertyNames(proto)
    .filter((n) => n !== 'constructor')
    .sort();

describe('every endpoint the adapter and the harness call is on the list, and each request and answer keeps the 8.8 contract', () => {
  test('the adapter (engine, workers, process view, incidents, decisions) through the real SDK', async () => {
    const engine = new ZeebeEngine(
      { commands: connection.commands, activation: connection.activation },
      { logger: pino({ level: 'silent' }), worker: { pollTimeoutMs: 200, idlePollIntervalMs: 5 } },
    );
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x"><bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process></bpmn:definitions>`;
    const seen = await endpointsOf(async () => {
      gateway.answer(
        'createDeployment',
        restDeployment([{ processDefinitionId: 'p', processDefinitionVersion: 1, resourceName: 'p.bpmn', processDefinitionKey: '2251799813685100' }]),
      );
      expect((await engine.deploy([{ name: 'p.bpmn', xml }]))[0]).toMatchObject({ bpmnProcessId: 'p', processDefinitionKey: '2251799813685100' });
      gateway.answer('createProcessInstance', {
        processInstanceKey: KEY,
        processDefinitionId: 'p',
        processDefinitionVersion: 1,
        processDefinitionKey: '2251799813685100',
        tenantId: '<default>',
        variables: {},
      });
      await engine.createProcessInstance({ bpmnProcessId: 'p', variables: { orderId: 'o-1' }, version: 1 });
      await engine.publishMessage({ name: 'payment-result', correlationKey: 'o-1', timeToLive: 60_000, messageId: 'evt_1', variables: { ok: true } });
      gateway.answer('correlateMessage', { messageKey: '2251799813685998', processInstanceKey: KEY, tenantId: '<default>' });
      await engine.correlateMessage({ name: 'order-cancel-requested', correlationKey: 'o-1', variables: { cancelRequested: true } });
      gateway.answer('broadcastSignal', { signalKey: '2251799813685997', tenantId: '<default>' });
      expect(await engine.broadcastSignal({ signalName: 'stock-recounted', variables: { sku: 'A-1' } })).toEqual({ key: '2251799813685997' });
      await engine.cancelProcessInstance(KEY);
      await engine.updateJobRetries({ jobKey: '2251799813685300', retries: 3 });
      await engine.resolveIncident('2251799813685400');
      await engine.setVariables({ elementInstanceKey: '2251799813685290', variables: { paymentStatus: 'PAID' }, local: true });
      await engine.ping();
      // A worker: one job of each answer.
      const worker = engine.createWorker({
        taskType: 'reserve-stock',
        handler: async (job) =>
          job.key === '1'
            ? complete({ reserved: true })
            : job.key === '2'
              ? fail({ errorMessage: 'down', retryBackOffMs: 1_000 })
              : bpmnError('OUT_OF_STOCK', 'short'),
      });
      for (const jobKey of ['1', '2', '3']) gateway.offer('reserve-stock', restJob({ jobKey }));
      await waitFor('three answers', async () => gateway.completed.length + gateway.failed.length >= 3);
      await worker.close();
      gateway.answer('getProcessInstance', restProcessInstance({ processInstanceKey: KEY }));
      await new ZeebeProcessInspector(connection.commands).instance(KEY);
      const incidents = new ZeebeIncidents(connection.commands);
      await incidents.incidents();
      await incidents.openCount();
      gateway.answer('getProcessInstance', restProcessInstance({ processInstanceKey: KEY }));
      gateway.answer('searchDecisionInstances', searchResult([restDecisionInstance({}, false)]));
      gateway.answer('getDecisionInstance', restDecisionInstance());
      expect(await new ZeebeDecisions(connection.commands).decisionsOf(KEY)).toHaveLength(1);
      await engine.close();
    });
    expect(seen).toEqual(ADAPTER_ENDPOINTS);
    // Every public method was driven above (a new one must be added there, with its endpoints).
    expect(methodsOf(ZeebeEngine.prototype)).toEqual(
      [
        'api',
        'broadcastSignal',
        'cancelProcessInstance',
        'close',
        'correlateMessage',
        'createProcessInstance',
        'createWorker',
        'deploy',
        'deployedDecisions',
        'latestKeys',
        'ping',
        'publishMessage',
        'resolveIncident',
        'setVariables',
        'tenant',
        'updateJobRetries',
      ].sort(),
    );
    expect(methodsOf(ZeebeProcessInspector.prototype)).toEqual(['instance']);
    expect(methodsOf(ZeebeIncidents.prototype)).toEqual(['incidents', 'openCount']);
    expect(methodsOf(ZeebeDecisions.prototype)).toEqual(['decisionsOf']);
  });

  test("the SDK surface the translation tests fake is the adapter's list, so they check the same endpoints", () => {
    expect(Object.keys(new FakeZeebeApi().api).sort()).toEqual(Object.keys(ADAPTER_ENDPOINTS));
  });

  test('the harness probe (test/engine/zeebe-harness.ts) through the real SDK', async () => {
    const seen = await endpointsOf(() => driveProbe(new ZeebeProbe(connection.commands, ns, plain)));
    expect(seen).toEqual(PROBE_ENDPOINTS);
    expect(methodsOf(ZeebeProbe.prototype)).toEqual(
      [
        'activeElements',
        'childInstances',
        'completedElements',
        'elementItems',
        'incidents',
        'instance',
        'instancesOf',
        'jobsOf',
        'openJobs',
        'openSubscriptions',
        'openTimers',
        'terminatedElements',
        'variables',
      ].sort(),
    );
  });
});
