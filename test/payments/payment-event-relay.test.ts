// The relay from the inbox to the process: real inbox rows, real BullMQ on Redis,
// a real embedded engine running a tiny process that waits for `payment-result`.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getPaymentEvent, recordPaymentEvent } from '../../domain/payments/payment-events.js';
import type { PaymentOutcomeEvent } from '../../domain/payments/gateway.js';
import { EngineError, type Engine } from '../../orchestrator/engine.js';
import { MESSAGES, OrderProcess } from '../../orchestrator/order-process.js';
import { PaymentEventRelay } from '../../queues/payment-events.js';
import { databaseKind } from '../support/database.js';
import { bpmn, completedElements, deploy, flow, instanceRow, message, startEngine, waitForEnd, type EngineHarness } from '../engine/support.js';
import type { QueueContext } from '../../queues/context.js';
import { testQueueContext, type TestQueueContext } from '../support/redis.js';
import { sleep, waitFor } from '../support/wait.js';

const ONE_WAIT = 'relay-one-wait';
const TWO_WAITS = 'relay-two-waits';

const catchPayment = (id: string) =>
  `<bpmn:intermediateCatchEvent id="${id}"><bpmn:messageEventDefinition messageRef="m-payment"/></bpmn:intermediateCatchEvent>`;
const paymentMessage = message('m-payment', MESSAGES.paymentResult, '=orderId');

let h: EngineHarness;
let redis: TestQueueContext;
let ctx: QueueContext;
let relay: PaymentEventRelay;
let engineDown = false;

/** The real engine behind a switch: "down" answers UNAVAILABLE, as a cluster that cannot be reached would. */
function switchable(engine: Engine): Engine {
  return new Proxy(engine, {
    get(target, prop, receiver) {
      if (prop === 'publishMessage') {
        return (m: Parameters<Engine['publishMessage']>[0]) =>
          engineDown ? Promise.reject(new EngineError('UNAVAILABLE', 'engine is down')) : target.publishMessage(m);
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

// Events here name orders without rows, never late approvals: the provider is never asked to void.
const noProvider = { voidPayment: () => Promise.reject(new Error('no payment provider in this test')) };

beforeAll(async () => {
  h = await startEngine();
  redis = await testQueueContext();
  ctx = redis.context;
  await deploy(
    h.engine,
    bpmn(
      ONE_WAIT,
      `<bpmn:startEvent id="s"/>${catchPayment('wait-payment')}<bpmn:endEvent id="e"/>${flow('f1', 's', 'wait-payment')}${flow('f2', 'wait-payment', 'e')}`,
      paymentMessage,
    ),
    'one.bpmn',
  );
  await deploy(
    h.engine,
    bpmn(
      TWO_WAITS,
      `<bpmn:startEvent id="s"/>${catchPayment('first-result')}${catchPayment('second-result')}<bpmn:endEvent id="e"/>${flow('f1', 's', 'first-result')}${flow('f2', 'first-result', 'second-result')}${flow('f3', 'second-result', 'e')}`,
      paymentMessage,
    ),
    'two.bpmn',
  );
  const orderProcess = new OrderProcess(switchable(h.engine), { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 });
  relay = new PaymentEventRelay(ctx, h.db.prisma, orderProcess, noProvider, { backoffMs: 50 });
  await relay.start();
});

afterAll(async () => {
  await relay.close();
  await redis.close();
  await h.close();
});

function outcome(orderId: string, type: PaymentOutcomeEvent['type'] = 'payment.succeeded', reason?: string): PaymentOutcomeEvent {
  return {
    providerEventId: `evt_${randomUUID()}`,
    type,
    orderId,
    paymentId: randomUUID(),
    providerPaymentId: `sbx_${randomUUID().slice(0, 8)}`,
    amountMinor: 2500,
    currency: 'EUR',
    reason,
  };
}

const record = (event: PaymentOutcomeEvent) => recordPaymentEvent(h.db.prisma, 'sandbox', event, { id: event.providerEventId, raw: true });

const startInstance = (bpmnProcessId: string, orderId: string) => h.engine.createProcessInstance({ bpmnProcessId, variables: { orderId } });

const waitProcessed = (id: string) => waitFor(`event ${id} processed`, async () => (await getPaymentEvent(h.db.prisma, id))?.processedAt ?? undefined, 15_000);

async function messagesWithId(messageId: string): Promise<number> {
  const [row] = await h.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM engine_messages WHERE message_id = $1`, [messageId]);
  return row?.n ?? 0;
}

describe(`payment event relay (${databaseKind})`, () => {
  test('a recorded event reaches the waiting instance as paymentResult and is marked processed', async () => {
    const orderId = randomUUID();
    const { processInstanceKey } = await startInstance(ONE_WAIT, orderId);
    const event = outcome(orderId);
    const { id } = await record(event);

    await relay.enqueue(id);
    const ended = await waitForEnd(h, processInstanceKey);
    expect(ended.state).toBe('COMPLETED');
    expect(ended.variables.paymentResult).toEqual({ status: 'approved', providerEventId: event.providerEventId });
    expect(await waitProcessed(id)).toBeInstanceOf(Date);
  });

  test('a failed payment is reported as declined with its reason', async () => {
    const orderId = randomUUID();
    const { processInstanceKey } = await startInstance(ONE_WAIT, orderId);
    const event = outcome(orderId, 'payment.failed', 'card_declined');
    await relay.enqueue((await record(event)).id);
    const ended = await waitForEnd(h, processInstanceKey);
    expect(ended.variables.paymentResult).toEqual({ status: 'declined', reason: 'card_declined', providerEventId: event.providerEventId });
  });

  test('relayed 3 times (at once, and again after a crash between publish and mark): one correlation', async () => {
    const orderId = randomUUID();
    // A second wait for the same message: a duplicate that got through would move the instance on.
    const { processInstanceKey } = await startInstance(TWO_WAITS, orderId);
    const event = outcome(orderId);
    const { id } = await record(event);

    await Promise.all([relay.enqueue(id), relay.enqueue(id), relay.enqueue(id)]);
    await waitProcessed(id);
    // As if the process had died after publishing but before marking: the event is relayed again.
    for (let i = 0; i < 2; i++) {
      await h.db.prisma.paymentEvent.update({ where: { id }, data: { processedAt: null } });
      await relay.enqueue(id);
      await waitProcessed(id);
    }

    await sleep(200);
    expect(await completedElements(h, processInstanceKey)).toEqual(['s', 'first-result']);
    expect((await instanceRow(h, processInstanceKey))?.state).toBe('ACTIVE');
    expect(await messagesWithId(event.providerEventId)).toBe(1);
    expect(await relay.depth()).toBe(0);
  });

  test('a result published before the instance waits is buffered (TTL) and still correlates', async () => {
    const orderId = randomUUID();
    const event = outcome(orderId);
    const { id } = await record(event);
    await relay.enqueue(id);
    await waitProcessed(id);

    const { processInstanceKey } = await startInstance(ONE_WAIT, orderId);
    const ended = await waitForEnd(h, processInstanceKey);
    expect(ended.variables.paymentResult).toEqual({ status: 'approved', providerEventId: event.providerEventId });
  });

  test('recoverUnprocessed picks up an event that was recorded but never enqueued', async () => {
    const orderId = randomUUID();
    const { processInstanceKey } = await startInstance(ONE_WAIT, orderId);
    const { id } = await record(outcome(orderId));
    // Too young for a sweep that only takes events older than a minute.
    expect(await relay.recoverUnprocessed(60_000)).toBe(0);

    expect(await relay.recoverUnprocessed(0)).toBeGreaterThanOrEqual(1);
    await waitForEnd(h, processInstanceKey);
    await waitProcessed(id);
    expect(await relay.recoverUnprocessed(0)).toBe(0);
  });

  test('while the engine is down nothing is marked processed; the retries deliver once it is back', async () => {
    const orderId = randomUUID();
    const { processInstanceKey } = await startInstance(ONE_WAIT, orderId);
    const { id } = await record(outcome(orderId));
    engineDown = true;
    try {
      await relay.enqueue(id);
      await waitFor('a failed attempt', async () => ((await relay.queue.getJob(id))?.attemptsMade ?? 0) >= 2);
      expect((await getPaymentEvent(h.db.prisma, id))?.processedAt).toBeNull();
      expect((await instanceRow(h, processInstanceKey))?.state).toBe('ACTIVE');
      expect(await relay.depth()).toBe(1);
    } finally {
      engineDown = false;
    }
    await waitForEnd(h, processInstanceKey);
    await waitProcessed(id);
  });

  test('a relay that gave up is revived by the next enqueue (recovery)', async () => {
    const orderId = randomUUID();
    const { processInstanceKey } = await startInstance(ONE_WAIT, orderId);
    const { id } = await record(outcome(orderId));
    const impatient = new PaymentEventRelay(ctx, h.db.prisma, { reportPayment: () => Promise.reject(new Error('engine unreachable')) }, noProvider, {
      attempts: 1,
    });
    try {
      // Only the impatient relay's worker runs while it takes the job and gives up.
      await relay.close();
      await impatient.start();
      await impatient.enqueue(id);
      await waitFor('the job to fail for good', async () => (await impatient.queue.getJobState(id)) === 'failed');
    } finally {
      await impatient.close();
      relay = new PaymentEventRelay(
        ctx,
        h.db.prisma,
        new OrderProcess(h.engine, { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 }),
        noProvider,
        { backoffMs: 50 },
      );
      await relay.start();
    }
    expect(await relay.recoverUnprocessed(0)).toBeGreaterThanOrEqual(1);
    await waitForEnd(h, processInstanceKey);
    await waitProcessed(id);
  });

  test('an event id that does not exist is dropped, not retried forever', async () => {
    const id = randomUUID();
    await relay.enqueue(id);
    await waitFor('the job to finish', async () => (await relay.depth()) === 0 && (await relay.queue.getJob(id)) === undefined);
  });
});
