// Deploy at start on Camunda 8, through the real SDK HTTP client, against a gateway
// whose partitions have no leader yet (test/zeebe/fake-gateway.ts). Such a gateway
// answers 503 UNAVAILABLE ("the gateway does not know any partitions yet"), which the
// SDK does not retry for a deployment; the api role must wait it out for
// DEPLOY_RETRY_FOR, logging each attempt, and only then fail, naming the cause.
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { deployModelsWithRetry } from '../../orchestrator/deploy-retry.js';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { connectZeebe } from '../../orchestrator/zeebe/client.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import { restDeployment } from './fake-api.js';
import { FakeGateway } from './fake-gateway.js';

const NO_LEADER = 'Expected to handle request, but the gateway does not know any partitions yet';
const BACKOFF = { initialMs: 50, maxMs: 200 };

let gateway: FakeGateway;
let engine: ZeebeEngine | undefined;
let logs: { level: number; msg: string; attempt?: number }[];

beforeEach(async () => {
  gateway = new FakeGateway();
  await gateway.start();
  logs = [];
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await gateway.stop();
  gateway.contract.assertKept();
});

function connect() {
  const connection = connectZeebe({ kind: 'zeebe', restAddress: gateway.url, auth: { strategy: 'NONE' } });
  const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });
  engine = new ZeebeEngine({ commands: connection.commands, activation: connection.activation }, { logger, onClose: () => connection.close() });
  return { engine, logger };
}

const deployments = () => gateway.requests.filter((r) => r.operation === 'createDeployment').length;
const WARN = 40;

describe('deploy at start retries while the cluster is unavailable (DEPLOY_RETRY_FOR)', () => {
  test('503 UNAVAILABLE twice, then accepted: the deploy succeeds on the third attempt and each failed attempt is logged', async () => {
    const models = await loadProcessModels();
    gateway
      .refuse('createDeployment', 503, 'UNAVAILABLE', NO_LEADER, 2)
      .answer(
        'createDeployment',
        restDeployment([
          { processDefinitionId: 'order-fulfillment', processDefinitionVersion: 1, resourceName: models[0]!.name, processDefinitionKey: '2251799813685100' },
        ]),
      );
    const { engine, logger } = connect();
    const deployed = await deployModelsWithRetry(engine, models, logger, { retryFor: { iso: 'PT10S', ms: 10_000 }, backoff: BACKOFF });
    expect(deployed.map((d) => [d.bpmnProcessId, d.version])).toEqual([['order-fulfillment', 1]]);
    expect(deployments()).toBe(3);
    const retries = logs.filter((l) => l.level === WARN);
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
    expect(retries[0]!.msg).toMatch(/deploy attempt 1 failed \(UNAVAILABLE\); retrying in \d+ ms/);
    expect(logs.some((l) => l.msg === 'deployed order-fulfillment as version 1')).toBe(true);
  });

  test("503 UNAVAILABLE for longer than DEPLOY_RETRY_FOR: a clear failure naming the setting, the attempts and the cluster's answer", async () => {
    const models = await loadProcessModels();
    gateway.refuse('createDeployment', 503, 'UNAVAILABLE', NO_LEADER);
    const { engine, logger } = connect();
    const started = Date.now();
    const failure = await deployModelsWithRetry(engine, models, logger, { retryFor: { iso: 'PT1S', ms: 1000 }, backoff: BACKOFF }).then(
      () => new Error('deployed, though the cluster never accepted it'),
      (err: unknown) => err as Error,
    );
    const took = Date.now() - started;
    expect(failure.message).toMatch(
      /^could not deploy bpmn\/order-fulfillment\.bpmn, bpmn\/shipment\.bpmn, bpmn\/shipment-routing\.dmn: the engine was still unavailable after \d+ attempts in DEPLOY_RETRY_FOR=PT1S/,
    );
    expect(failure.message).toContain('HTTP 503');
    expect(failure.message).toContain(NO_LEADER);
    // Retried (an attempt of three models can take half the window on a loaded machine).
    expect(deployments()).toBeGreaterThanOrEqual(2);
    // Bounded: it gives up once the time is spent, not after some fixed number of tries.
    // A second: each attempt sends three models, and a loaded machine takes its time over them.
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(5_000);
  });

  test('a model the cluster refuses (400) is not retried: the failure comes at once', async () => {
    const models = await loadProcessModels();
    gateway.refuse('createDeployment', 400, 'INVALID_ARGUMENT', "Command 'CREATE' rejected with code 'INVALID_ARGUMENT': the resource is not valid");
    const { engine, logger } = connect();
    await expect(deployModelsWithRetry(engine, models, logger, { retryFor: { iso: 'PT10S', ms: 10_000 }, backoff: BACKOFF })).rejects.toThrow(/HTTP 400/);
    expect(deployments()).toBe(1);
    expect(logs.filter((l) => l.level === WARN)).toEqual([]);
  });

  test('DEPLOY_RETRY_FOR: two minutes unless set; an ISO 8601 duration, anything else refused at start naming it', () => {
    expect(loadConfig({}).deployRetryFor).toEqual({ iso: 'PT2M', ms: 120_000 });
    expect(loadConfig({ DEPLOY_RETRY_FOR: 'PT5M' }).deployRetryFor.ms).toBe(300_000);
    expect(() => loadConfig({ DEPLOY_RETRY_FOR: '120' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEPLOY_RETRY_FOR: '120' })).toThrow(/DEPLOY_RETRY_FOR must be a positive ISO 8601 duration/);
  });
});
