// scripts/test-zeebe-recorder.ts, which docs/camunda-first-run.md gives for reporting a
// difference: between the service and a cluster (here the fake gateway) it must pass
// every request and answer through unchanged, and write each one down, bodies
// included and credentials left out.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { loadProcessModels } from '../../orchestrator/process-models.js';
import { connectZeebe } from '../../orchestrator/zeebe/client.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import { startRecorder } from '../../scripts/test-zeebe-recorder.js';
import { restDeployment } from './fake-api.js';
import { FakeGateway } from './fake-gateway.js';

let gateway: FakeGateway;
let dir: string;
let recorder: Awaited<ReturnType<typeof startRecorder>>;
let engine: ZeebeEngine;

beforeEach(async () => {
  gateway = new FakeGateway();
  await gateway.start();
  dir = mkdtempSync(path.join(os.tmpdir(), 'zeebe-recorder-'));
  recorder = await startRecorder({ target: gateway.url, file: path.join(dir, 'exchanges.jsonl') });
  // Basic credentials, to see that they pass through but are not written down.
  const connection = connectZeebe({ kind: 'zeebe', restAddress: recorder.url, auth: { strategy: 'BASIC', username: 'demo', password: 'secret-pw' } });
  engine = new ZeebeEngine({ commands: connection.commands }, { logger: pino({ level: 'silent' }), onClose: () => connection.close() });
});
afterEach(async () => {
  await engine.close();
  await recorder.close();
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
  gateway.contract.assertKept();
});

const exchanges = () =>
  readFileSync(path.join(dir, 'exchanges.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { method: string; path: string; status: number; request?: unknown; response?: unknown });

describe('the exchange recorder for reports from a real cluster', () => {
  test('passes requests and answers through, and writes each with its body, never the credentials', async () => {
    const models = await loadProcessModels();
    gateway.answer(
      'createDeployment',
      restDeployment([
        { processDefinitionId: 'order-fulfillment', processDefinitionVersion: 3, resourceName: models[0]!.name, processDefinitionKey: '2251799813685100' },
      ]),
    );
    const deployed = await engine.deploy(models);
    expect(deployed[0]?.version).toBe(3);
    await engine.publishMessage({ name: 'payment-received', correlationKey: 'order-1', timeToLive: 1000 });
    const lines = exchanges();
    const deploy = lines.find((l) => l.path === '/v2/deployments')!;
    expect([deploy.method, deploy.status]).toEqual(['POST', 200]);
    expect(String(deploy.request)).toContain('id="order-fulfillment"');
    expect(deploy.response).toMatchObject({ deployments: [{ processDefinition: { processDefinitionVersion: 3 } }] });
    const publish = lines.find((l) => l.path === '/v2/messages/publication')!;
    expect(publish.request).toMatchObject({ name: 'payment-received', correlationKey: 'order-1', timeToLive: 1000 });
    const written = readFileSync(path.join(dir, 'exchanges.jsonl'), 'utf8');
    expect(written).not.toContain(Buffer.from('demo:secret-pw').toString('base64'));
    expect(written).not.toContain('secret-pw');
  });

  test('an error answer reaches the service unchanged (status and problem) and is written down', async () => {
    gateway.refuse('createDeployment', 503, 'UNAVAILABLE', 'Expected to handle request, but the gateway does not know any partitions yet');
    await expect(engine.deploy(await loadProcessModels())).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('HTTP 503') });
    const deploy = exchanges().find((l) => l.path === '/v2/deployments')!;
    expect(deploy).toMatchObject({ status: 503, response: { title: 'UNAVAILABLE' } });
  });

  test('the credentials are passed on to the cluster (a protected API would answer 401 without them)', async () => {
    let seen: IncomingHttpHeaders | undefined;
    const cluster = createServer((req, res) => ((seen = req.headers), res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    await new Promise<void>((resolve) => cluster.listen(0, '127.0.0.1', () => resolve()));
    const front = await startRecorder({ target: `http://127.0.0.1:${(cluster.address() as AddressInfo).port}`, file: path.join(dir, 'raw.jsonl') });
    try {
      const answer = await fetch(`${front.url}/v2/topology`, { headers: { authorization: 'Bearer token-123' } });
      expect(answer.status).toBe(200);
      expect(seen?.authorization).toBe('Bearer token-123');
      expect(readFileSync(path.join(dir, 'raw.jsonl'), 'utf8')).not.toContain('token-123');
    } finally {
      await front.close();
      await new Promise<void>((resolve) => cluster.close(() => resolve()));
    }
  });
});
