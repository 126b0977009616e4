// Our Camunda 8 job workers, through the real SDK HTTP client, against a gateway
// that misbehaves (test/zeebe/fake-gateway.ts, a stand-in: no Zeebe can run here).
// The rules come from Camunda's docs on job workers and back-pressure: a worker
// must keep polling through a gateway restart, treat RESOURCE_EXHAUSTED as "back
// off and retry", and never hang on a request the gateway will not answer. Every
// request the workers send, and every answer the gateway gives, is checked against
// Camunda 8.8's REST contract (test/zeebe/contract.ts).
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { complete, EngineError } from '../../orchestrator/engine.js';
import { connectZeebe } from '../../orchestrator/zeebe/client.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import { waitFor, sleep } from '../support/wait.js';
import { restJob } from './fake-api.js';
import { FakeGateway } from './fake-gateway.js';

let gateway: FakeGateway;
let engine: ZeebeEngine | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeEach(async () => {
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
  gateway = new FakeGateway();
  await gateway.start();
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  await gateway.stop();
  process.off('unhandledRejection', onUnhandled);
  gateway.contract.assertKept();
});

/** The engine as the service builds it (two SDK clients), with short poll and back-off settings. */
function connect(worker: { pollTimeoutMs: number; requestMarginMs?: number }) {
  const connection = connectZeebe({ kind: 'zeebe', restAddress: gateway.url, auth: { strategy: 'NONE' } });
  engine = new ZeebeEngine(
    { commands: connection.commands, activation: connection.activation },
    { logger: pino({ level: 'silent' }), worker: { ...worker, backoff: { initialMs: 50, maxMs: 400 } }, onClose: () => connection.close() },
  );
  return engine;
}

describe('Zeebe job workers against a misbehaving gateway', () => {
  test('a gateway restart (connections cut, then refused) does not stall the worker: it polls again and completes the next job', async () => {
    const handled: string[] = [];
    connect({ pollTimeoutMs: 2_000 }).createWorker({ taskType: 'reserve-stock', handler: async (job) => (handled.push(job.key), complete()) });
    await waitFor('the worker to long-poll', async () => gateway.activations() >= 1);
    await gateway.stop();
    await sleep(800); // down: polls are refused meanwhile
    await gateway.start(); // same port, like a restarted gateway behind the same address
    gateway.offer('reserve-stock', restJob({ jobKey: '42', type: 'reserve-stock' }));
    await waitFor('the job to be completed after the restart', async () => gateway.completed.some((c) => c.jobKey === '42'));
    expect(handled).toEqual(['42']);
    expect(unhandled).toEqual([]);
  });

  test('RESOURCE_EXHAUSTED on activation: the worker backs off (no tight loop), the process keeps running, and work resumes when the cluster recovers', async () => {
    gateway.activationMode = 'exhausted';
    connect({ pollTimeoutMs: 2_000 }).createWorker({ taskType: 'reserve-stock', handler: async () => complete() });
    await sleep(2_000);
    const refused = gateway.activations();
    // The SDK retries each request a few times with jittered back-off, and the worker
    // backs off between failed polls: a handful of requests in 2 s, not thousands.
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused).toBeLessThan(60);
    gateway.activationMode = 'serve';
    gateway.offer('reserve-stock', restJob({ jobKey: '43', type: 'reserve-stock' }));
    await waitFor('the job to be completed once the cluster takes work again', async () => gateway.completed.some((c) => c.jobKey === '43'));
    expect(unhandled).toEqual([]);
  });

  test('an activation the gateway accepts but never answers (half-open connection) is abandoned after the long poll plus a margin, and polling goes on', async () => {
    gateway.activationMode = 'hang';
    connect({ pollTimeoutMs: 300, requestMarginMs: 300 }).createWorker({ taskType: 'reserve-stock', handler: async () => complete() });
    await waitFor('a second activation request', async () => gateway.activations() >= 2, 5_000);
    const [first, second] = gateway.requests.filter((r) => r.path === '/v2/jobs/activation');
    // More than the long poll alone (300 ms): the margin was waited for. The times are the fake gateway's
    // arrivals, so a loaded machine may see the first arrive late and the gap shrink a little below 600.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(450);
    gateway.activationMode = 'serve';
    gateway.offer('reserve-stock', restJob({ jobKey: '44', type: 'reserve-stock' }));
    await waitFor('the job to be completed', async () => gateway.completed.some((c) => c.jobKey === '44'));
    expect(unhandled).toEqual([]);
  });

  test("publishing while the cluster pushes back ends in a RESOURCE_EXHAUSTED engine error after the SDK's retries, not a crash", async () => {
    gateway.publishExhausted = true;
    const attempt = connect({ pollTimeoutMs: 2_000 }).publishMessage({ name: 'payment-result', correlationKey: 'o-1', timeToLive: 60_000, messageId: 'evt_1' });
    await expect(attempt).rejects.toBeInstanceOf(EngineError);
    await expect(attempt).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    // The SDK retried the request before giving up.
    expect(gateway.requests.filter((r) => r.path === '/v2/messages/publication').length).toBeGreaterThan(1);
    gateway.publishExhausted = false;
    await expect(engine!.publishMessage({ name: 'payment-result', correlationKey: 'o-1', timeToLive: 60_000, messageId: 'evt_1' })).resolves.toEqual({
      key: '2251799813685999',
    });
    // On the wire: milliseconds as given; the SDK adds its default tenant.
    expect(gateway.requests.filter((r) => r.path === '/v2/messages/publication').at(-1)?.body).toEqual({
      name: 'payment-result',
      correlationKey: 'o-1',
      timeToLive: 60_000,
      messageId: 'evt_1',
      variables: {},
      tenantId: '<default>',
    });
  });

  test('close() stops polling and lets the running handler answer its job', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const worker = connect({ pollTimeoutMs: 2_000 }).createWorker({ taskType: 'reserve-stock', handler: async () => (await gate, complete()) });
    gateway.offer('reserve-stock', restJob({ jobKey: '45', type: 'reserve-stock' }));
    await waitFor('the job to be in the handler', async () => gateway.activations() >= 2);
    const closing = worker.close();
    setTimeout(release, 200);
    await closing;
    expect(gateway.completed.map((c) => c.jobKey)).toEqual(['45']);
    const pollsAtClose = gateway.activations();
    await sleep(300);
    expect(gateway.activations()).toBe(pollsAtClose);
  });
});
