// The sandbox provider's capture and refund against real Redis: what moves money,
// what is refused, and what a retried or concurrent call does. (Requests, callbacks
// and the status API are tested in sandbox-provider.test.ts.)
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PaymentOperationRefusedError, TransientProviderError, type PaymentOperation } from '../../domain/payments/gateway.js';
import { SandboxProvider } from '../../integrations/payments/sandbox/provider.js';
import { parseSandboxToken, SANDBOX_TOKENS_MESSAGE } from '../../integrations/payments/sandbox/tokens.js';
import { testQueueContext, type TestQueueContext } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const AUTHORIZED = 10_000;

let redis: TestQueueContext;
// Not started: callbacks are not this file's subject. With no delay the bank has decided at once.
let provider: SandboxProvider;
// One whose bank takes a second to decide, for payments still pending.
let slowBank: SandboxProvider;

beforeAll(async () => {
  redis = await testQueueContext();
  const options = { webhookSecret: 'whsec_sandbox_test_secret_value', callbackUrl: () => 'http://127.0.0.1:9/unused' };
  provider = new SandboxProvider(redis.context, { ...options, delayMs: 0 });
  slowBank = new SandboxProvider(redis.context, { ...options, delayMs: 1000 });
});

afterAll(async () => {
  await provider.close();
  await slowBank.close();
  await redis.close();
});

/** A payment of AUTHORIZED EUR accepted under `token`, and a builder of operations on it (a fresh idempotency key unless given). */
async function payment(token: string, p: SandboxProvider = provider) {
  const paymentId = randomUUID();
  const { providerPaymentId } = await p.requestPayment({ paymentId, orderId: randomUUID(), amountMinor: AUTHORIZED, currency: 'EUR', paymentMethod: token });
  const ref = { paymentId, providerPaymentId };
  const op = (amountMinor: number, idempotencyKey: string = randomUUID()): PaymentOperation => ({ ...ref, amountMinor, currency: 'EUR', idempotencyKey });
  return { ref, op };
}

/** The error a call rejects with (fails the test if it resolves). */
async function rejection(call: Promise<unknown>): Promise<Error> {
  return call.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err as Error,
  );
}

async function refusal(call: Promise<unknown>): Promise<string> {
  const error = await rejection(call);
  expect(error).toBeInstanceOf(PaymentOperationRefusedError);
  expect(error.name).toBe('PaymentOperationRefusedError');
  return (error as PaymentOperationRefusedError).reason;
}

describe('capture', () => {
  test('a capture takes part of the authorization, and the status API shows it', async () => {
    const { ref, op } = await payment('pm_approve');
    const { providerOperationId } = await provider.capture(op(3000));
    expect(providerOperationId).toMatch(/^sbxop_[0-9a-f]{24}$/);
    expect(await provider.getPayment(ref)).toEqual({ status: 'approved', capturedMinor: 3000, refundedMinor: 0, releasedMinor: 0 });
  });

  test('capturing twice (also concurrently) with one idempotency key captures once and answers the first result', async () => {
    const { ref, op } = await payment('pm_approve');
    const first = await provider.capture(op(4000, 'ship-1'));
    const again = await Promise.all([provider.capture(op(4000, 'ship-1')), provider.capture(op(4000, 'ship-1'))]);
    expect(again).toEqual([first, first]);
    expect((await provider.getPayment(ref)).capturedMinor).toBe(4000);
  });

  test('two concurrent captures with different keys that together exceed the authorization: exactly one succeeds', async () => {
    const { ref, op } = await payment('pm_approve');
    const results = await Promise.allSettled([provider.capture(op(6000, 'ship-a')), provider.capture(op(6000, 'ship-b'))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [failed] = results.filter((r) => r.status === 'rejected');
    expect(failed?.reason).toBeInstanceOf(PaymentOperationRefusedError);
    expect((await provider.getPayment(ref)).capturedMinor).toBe(6000);
  });

  test('captures up to the authorization succeed; one minor unit more is refused', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(7000));
    await provider.capture(op(3000));
    expect(await refusal(provider.capture(op(1)))).toBe('amount 1 exceeds the 0 authorized and not captured or released');
    expect((await provider.getPayment(ref)).capturedMinor).toBe(AUTHORIZED);
  });

  test('a capture over what is authorized and not yet captured or released is refused, and captures nothing', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.refund(op(2000)); // releases 2000 of the authorization
    expect(await refusal(provider.capture(op(8001)))).toBe('amount 8001 exceeds the 8000 authorized and not captured or released');
    expect(await provider.getPayment(ref)).toEqual({ status: 'approved', capturedMinor: 0, refundedMinor: 0, releasedMinor: 2000 });
  });

  test('a capture on a declined payment is refused', async () => {
    const { op } = await payment('pm_decline');
    expect(await refusal(provider.capture(op(100)))).toBe('payment not approved (declined)');
  });

  test('a capture on a voided payment is refused', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.voidPayment(ref);
    expect(await refusal(provider.capture(op(100)))).toBe('payment voided');
  });

  test('a capture before the bank decided is refused, and the same key captures once it approved', async () => {
    const { ref, op } = await payment('pm_approve', slowBank);
    expect(await refusal(slowBank.capture(op(100, 'early')))).toBe('payment not approved (pending)');
    await waitFor('the bank to approve', async () => (await slowBank.getPayment(ref)).status === 'approved');
    // A refusal is not remembered under its key.
    expect((await slowBank.capture(op(100, 'early'))).providerOperationId).toMatch(/^sbxop_/);
  });

  test('a capture of a payment that never approves (pm_no_answer) is refused', async () => {
    const { op } = await payment('pm_no_answer');
    expect(await refusal(provider.capture(op(100)))).toBe('payment not approved (pending)');
  });
});

describe('refund', () => {
  test('a refund gives back captured money first, then releases the uncaptured rest, and says which was which', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(6000));
    expect(await provider.refund(op(2500))).toEqual({ providerOperationId: expect.stringMatching(/^sbxop_/), refundedMinor: 2500, releasedMinor: 0 });
    // 3500 captured and not refunded, then 1500 of the 4000 never captured.
    expect(await provider.refund(op(5000))).toEqual({ providerOperationId: expect.stringMatching(/^sbxop_/), refundedMinor: 3500, releasedMinor: 1500 });
    expect(await provider.refund(op(1000))).toMatchObject({ refundedMinor: 0, releasedMinor: 1000 });
    expect(await provider.getPayment(ref)).toEqual({ status: 'approved', capturedMinor: 6000, refundedMinor: 6000, releasedMinor: 2500 });
  });

  test('a refund beyond what is left to refund or release is refused, and moves nothing', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(4000));
    await provider.refund(op(1000));
    // Left: 3000 captured and not refunded, 6000 never captured.
    expect(await refusal(provider.refund(op(9001)))).toBe('amount 9001 exceeds the 9000 left to refund or release');
    expect(await provider.refund(op(9000))).toMatchObject({ refundedMinor: 3000, releasedMinor: 6000 });
    expect(await refusal(provider.refund(op(1)))).toBe('amount 1 exceeds the 0 left to refund or release');
    expect(await provider.getPayment(ref)).toEqual({ status: 'approved', capturedMinor: 4000, refundedMinor: 4000, releasedMinor: 6000 });
  });

  test('after a void only captured money is left to refund', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(3000));
    await provider.voidPayment(ref);
    expect(await refusal(provider.refund(op(3001)))).toBe('amount 3001 exceeds the 3000 left to refund or release');
    expect(await provider.refund(op(3000))).toMatchObject({ refundedMinor: 3000, releasedMinor: 0 });
    expect(await provider.getPayment(ref)).toEqual({ status: 'voided', capturedMinor: 3000, refundedMinor: 3000, releasedMinor: 0 });
  });

  test('a refund on a declined payment is refused: nothing was authorized', async () => {
    const { op } = await payment('pm_decline');
    expect(await refusal(provider.refund(op(100)))).toBe('payment not approved (declined)');
  });

  test('two concurrent refunds with different keys that together exceed what is left: exactly one succeeds', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(5000));
    const results = await Promise.allSettled([provider.refund(op(7000)), provider.refund(op(7000))]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(await provider.getPayment(ref)).toMatchObject({ refundedMinor: 5000, releasedMinor: 2000 });
  });
});

describe('idempotency keys', () => {
  test('a repeated refund answers the first split even after the amounts changed since', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(2000));
    const first = await provider.refund(op(3000, 'refund-1'));
    expect(first).toMatchObject({ refundedMinor: 2000, releasedMinor: 1000 });
    await provider.capture(op(5000));
    expect(await provider.refund(op(3000, 'refund-1'))).toEqual(first);
    expect(await provider.getPayment(ref)).toMatchObject({ capturedMinor: 7000, refundedMinor: 2000, releasedMinor: 1000 });
  });

  test('the same key with a different amount is refused, and moves nothing', async () => {
    const { ref, op } = await payment('pm_approve');
    await provider.capture(op(1000, 'ship-1'));
    expect(await refusal(provider.capture(op(1500, 'ship-1')))).toBe('idempotency key reused with a different amount');
    await provider.refund(op(200, 'back-1'));
    expect(await refusal(provider.refund(op(300, 'back-1')))).toBe('idempotency key reused with a different amount');
    expect(await provider.getPayment(ref)).toMatchObject({ capturedMinor: 1000, refundedMinor: 200, releasedMinor: 0 });
  });

  test('a capture key used again for a refund is refused', async () => {
    const { op } = await payment('pm_approve');
    await provider.capture(op(1000, 'key-1'));
    expect(await refusal(provider.refund(op(1000, 'key-1')))).toBe('idempotency key reused for a capture');
  });

  test('keys belong to their payment: one key on two payments captures on both', async () => {
    const a = await payment('pm_approve');
    const b = await payment('pm_approve');
    await provider.capture(a.op(1000, 'ship-1'));
    await provider.capture(b.op(1000, 'ship-1'));
    expect((await provider.getPayment(b.ref)).capturedMinor).toBe(1000);
  });
});

describe('failure tokens', () => {
  test('pm_approve_capture_fail_3: the first 3 capture calls fail transiently naming the attempt, then it captures exactly once', async () => {
    const { ref, op } = await payment('pm_approve_capture_fail_3');
    expect((await provider.getPayment(ref)).status).toBe('approved');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const error = await rejection(provider.capture(op(2000, 'ship-1')));
      expect(error).toBeInstanceOf(TransientProviderError);
      expect(error.message).toContain(`attempt ${attempt} of 3`);
    }
    const done = await provider.capture(op(2000, 'ship-1'));
    expect(await provider.capture(op(2000, 'ship-1'))).toEqual(done);
    expect((await provider.getPayment(ref)).capturedMinor).toBe(2000);
    // Refunds were never asked to fail.
    expect(await provider.refund(op(2000))).toMatchObject({ refundedMinor: 2000 });
  });

  test('pm_approve_refund_fail_50: refund calls keep failing transiently, past any retries, and move nothing', async () => {
    const { ref, op } = await payment('pm_approve_refund_fail_50');
    await provider.capture(op(5000));
    for (let attempt = 1; attempt <= 50; attempt++) {
      const error = await rejection(provider.refund(op(1000, 'back-1')));
      expect(error).toBeInstanceOf(TransientProviderError);
      expect(error.message).toContain(`attempt ${attempt} of 50`);
    }
    expect(await provider.getPayment(ref)).toMatchObject({ capturedMinor: 5000, refundedMinor: 0, releasedMinor: 0 });
  });

  test('pm_approve_capture_refused: every capture is refused for good; refunds still release the authorization', async () => {
    const { op } = await payment('pm_approve_capture_refused');
    expect(await refusal(provider.capture(op(100)))).toBe('capture refused by the issuer');
    expect(await refusal(provider.capture(op(100)))).toBe('capture refused by the issuer');
    expect(await provider.refund(op(AUTHORIZED))).toMatchObject({ refundedMinor: 0, releasedMinor: AUTHORIZED });
  });

  test('pm_approve_refund_refused: every refund is refused for good; captures still work', async () => {
    const { op } = await payment('pm_approve_refund_refused');
    await provider.capture(op(100));
    expect(await refusal(provider.refund(op(100)))).toBe('refund refused by the issuer');
  });

  test('a token that asks nothing of captures and refunds (pm_fail_2) approves them at once', async () => {
    const paymentId = randomUUID();
    const req = { paymentId, orderId: randomUUID(), amountMinor: AUTHORIZED, currency: 'EUR', paymentMethod: 'pm_fail_2' };
    await rejection(provider.requestPayment(req));
    await rejection(provider.requestPayment(req));
    const { providerPaymentId } = await provider.requestPayment(req);
    const op = { paymentId, providerPaymentId, amountMinor: 100, currency: 'EUR', idempotencyKey: 'k' };
    await provider.capture(op);
    expect(await provider.refund({ ...op, idempotencyKey: 'r' })).toMatchObject({ refundedMinor: 100 });
  });
});

describe('requests the provider cannot take', () => {
  test.each([0, -100, 10.5, Number.NaN])('an amount of %p is refused', async (amount) => {
    const { op } = await payment('pm_approve');
    expect(await refusal(provider.capture(op(amount)))).toBe('amount must be a positive whole number of minor units');
    expect(await refusal(provider.refund(op(amount)))).toBe('amount must be a positive whole number of minor units');
  });

  test('a currency that is not the payment currency is refused', async () => {
    const { op } = await payment('pm_approve');
    expect(await refusal(provider.capture({ ...op(100), currency: 'USD' }))).toBe('currency USD is not the payment currency EUR');
  });

  test('a payment it never accepted, or asked for under another provider id, is a 404: a plain error, neither refused nor transient', async () => {
    const unknown = { paymentId: randomUUID(), providerPaymentId: 'sbx_nothing', amountMinor: 100, currency: 'EUR', idempotencyKey: 'k' };
    for (const call of [provider.capture(unknown), provider.refund(unknown)]) {
      const error = await rejection(call);
      expect(error).not.toBeInstanceOf(TransientProviderError);
      expect(error).not.toBeInstanceOf(PaymentOperationRefusedError);
      expect(error.message).toBe(`sandbox: no payment sbx_nothing for ${unknown.paymentId} (404)`);
    }
    const { op } = await payment('pm_approve');
    const error = await rejection(provider.capture({ ...op(100), providerPaymentId: 'sbx_someone_else' }));
    expect(error.message).toContain('(404)');
  });

  test('its store unreachable: capture and refund fail transiently', async () => {
    const closed = new SandboxProvider(redis.context, { webhookSecret: 'x', delayMs: 0, callbackUrl: () => 'http://127.0.0.1:9' });
    await closed.close();
    const op = { paymentId: randomUUID(), providerPaymentId: 'sbx_x', amountMinor: 100, currency: 'EUR', idempotencyKey: 'k' };
    expect(await rejection(closed.capture(op))).toBeInstanceOf(TransientProviderError);
    expect(await rejection(closed.refund(op))).toBeInstanceOf(TransientProviderError);
  });
});

describe('capture and refund tokens', () => {
  test.each([
    ['pm_approve_capture_fail_1', { kind: 'approve', fault: { operation: 'capture', failures: 1 } }],
    ['pm_approve_capture_fail_50', { kind: 'approve', fault: { operation: 'capture', failures: 50 } }],
    ['pm_approve_refund_fail_7', { kind: 'approve', fault: { operation: 'refund', failures: 7 } }],
    ['pm_approve_refund_fail_50', { kind: 'approve', fault: { operation: 'refund', failures: 50 } }],
    ['pm_approve_capture_refused', { kind: 'approve', fault: { operation: 'capture', refused: true } }],
    ['pm_approve_refund_refused', { kind: 'approve', fault: { operation: 'refund', refused: true } }],
  ])('%s is parsed', (token, outcome) => {
    expect(parseSandboxToken(token)).toStrictEqual(outcome);
    expect(provider.checkPaymentMethod(token)).toBeUndefined();
  });

  test.each([
    ['pm_approve', { kind: 'approve' }],
    ['pm_approve_lost_webhook', { kind: 'approve_lost_webhook' }],
    ['pm_decline', { kind: 'decline', reason: 'card_declined' }],
    ['pm_no_answer', { kind: 'no_answer' }],
    ['pm_fail_3', { kind: 'fail_then_approve', failures: 3 }],
    ['pm_fail_3_no_answer', { kind: 'fail_then_no_answer', failures: 3 }],
  ])('existing token %s is unchanged: no capture or refund fault', (token, outcome) => {
    expect(parseSandboxToken(token)).toStrictEqual(outcome);
  });

  test.each([
    'pm_approve_capture_fail_0',
    'pm_approve_capture_fail_51',
    'pm_approve_refund_fail_07',
    'pm_approve_capture_fail_',
    'pm_approve_refund_fail_x',
    'pm_approve_capture_refused_1',
    'pm_approve_capture',
    'pm_approve_void_fail_1',
    'pm_approve_capture_fail_2_no_answer',
    'pm_fail_2_capture_fail_1',
    'pm_decline_capture_refused',
    'pm_approve_refund_refused ',
    'PM_APPROVE_CAPTURE_REFUSED',
  ])('%j is not a token', (token) => {
    expect(parseSandboxToken(token)).toBeUndefined();
  });

  test('the tokens message names the new tokens', () => {
    for (const token of ['pm_approve_capture_fail_<N>', 'pm_approve_refund_fail_<N>', 'pm_approve_capture_refused', 'pm_approve_refund_refused']) {
      expect(SANDBOX_TOKENS_MESSAGE).toContain(token);
    }
    expect(provider.checkPaymentMethod('pm_approve_capture_fail_51')).toContain(SANDBOX_TOKENS_MESSAGE);
  });
});
