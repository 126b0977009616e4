// The shared failure policy of the saga's workers (workers/failure-policy.ts): what
// an operator sees when a step throws. A broken business rule is an incident at
// once, naming the error; a technical failure is retried, one retry fewer each
// time, waiting twice as long as before (from the configured base, at most 60 s),
// until the retries run out and the engine raises the incident itself.
import { describe, expect, test } from '@jest/globals';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { TransientProviderError } from '../../domain/payments/gateway.js';
import { IllegalTransitionError } from '../../domain/orders/transition.js';
import type { JobAction } from '../../orchestrator/engine.js';
import { answerFailure, retryBackoff } from '../../workers/failure-policy.js';
import type { SagaWorker } from '../../workers/saga-worker.js';
import { registeredHandler, sagaJob, workerDeps } from './support.js';

const ORDER = '6f1c1c52-3f0e-4c57-9d5e-2b1f5d0e7a10';

/** PAYMENT_RETRY_BACKOFF_MS's default (infra/config.ts). */
const DEFAULT_BASE_MS = 2000;

describe('a business rule violation (DomainError) goes straight to an incident', () => {
  const cases: [string, Error, string][] = [
    ['an illegal order transition', new IllegalTransitionError(ORDER, 'NEW', 'PAID'), `IllegalTransitionError: order ${ORDER} cannot go from NEW to PAID`],
    [
      'a payment that can no longer be settled',
      new ConflictError('PAYMENT_SETTLED', `payment of order ${ORDER} is VOIDED and cannot become APPROVED`),
      `ConflictError: payment of order ${ORDER} is VOIDED and cannot become APPROVED`,
    ],
    ['an order that does not exist', new NotFoundError('order', ORDER, 'orderId'), `NotFoundError: order ${ORDER} does not exist`],
    [
      'invalid input',
      new InvalidInputError([{ field: 'items[0].quantity', message: 'must be a positive integer' }]),
      'InvalidInputError: items[0].quantity: must be a positive integer',
    ],
  ];

  test.each(cases)('%s: retries 0, no back-off, and the message names the error', (_what, err, message) => {
    expect(answerFailure({ retries: 5 }, err, DEFAULT_BASE_MS)).toEqual({ action: 'fail', errorMessage: message, retries: 0 });
  });

  test('retries left make no difference: retrying cannot change a business answer', () => {
    const err = new IllegalTransitionError(ORDER, 'PAID', 'CANCELLED');
    for (const retries of [0, 1, 3, 5, 100]) {
      expect(answerFailure({ retries }, err, DEFAULT_BASE_MS)).toEqual({
        action: 'fail',
        errorMessage: `IllegalTransitionError: order ${ORDER} cannot go from PAID to CANCELLED`,
        retries: 0,
      });
    }
  });
});

describe('a technical failure is retried with one retry fewer and exponential back-off', () => {
  test('the first failure of Request payment (5 retries in the model) waits the base, with the error message as is', () => {
    expect(answerFailure({ retries: 5 }, new TransientProviderError('fake-provider timed out after 10000 ms'), DEFAULT_BASE_MS)).toEqual({
      action: 'fail',
      errorMessage: 'fake-provider timed out after 10000 ms',
      retries: 4,
      retryBackOffMs: 2000,
    });
  });

  test('a job failing every time: 2 s, 4 s, 8 s, 16 s, 32 s, then 0 retries left (the engine raises the incident)', () => {
    let retries = 5;
    const answers: JobAction[] = [];
    while (retries > 0) {
      const answer = answerFailure({ retries }, new Error('connect ECONNREFUSED 127.0.0.1:5432'), DEFAULT_BASE_MS);
      answers.push(answer);
      retries = answer.action === 'fail' ? (answer.retries as number) : 0;
    }
    expect(answers).toEqual(
      [4, 3, 2, 1, 0].map((left, i) => ({ action: 'fail', errorMessage: 'connect ECONNREFUSED 127.0.0.1:5432', retries: left, retryBackOffMs: 2000 * 2 ** i })),
    );
  });

  test('a task with fewer retries (Reserve stock: 3) starts further along the same schedule', () => {
    expect(answerFailure({ retries: 3 }, new Error('deadlock detected'), DEFAULT_BASE_MS)).toEqual({
      action: 'fail',
      errorMessage: 'deadlock detected',
      retries: 2,
      retryBackOffMs: 8000,
    });
  });

  test('back-off is capped at 60 s', () => {
    expect(retryBackoff(0, DEFAULT_BASE_MS)).toBe(60_000); // 2 s × 2^5 = 64 s
    expect([5, 4, 3, 2, 1, 0].map((left) => retryBackoff(left, 20_000))).toEqual([20_000, 40_000, 60_000, 60_000, 60_000, 60_000]);
    expect(retryBackoff(5, 3_600_000)).toBe(60_000); // the largest base the configuration accepts
    expect(answerFailure({ retries: 1 }, new Error('timeout'), 20_000)).toEqual({
      action: 'fail',
      errorMessage: 'timeout',
      retries: 0,
      retryBackOffMs: 60_000,
    });
  });

  test('more retries than the model ever sets (an operator raised them) wait the base, never less', () => {
    expect(retryBackoff(6, DEFAULT_BASE_MS)).toBe(2000);
    expect(retryBackoff(50, DEFAULT_BASE_MS)).toBe(2000);
  });

  test('a base of 0 retries at once', () => {
    expect([5, 3, 0].map((left) => retryBackoff(left, 0))).toEqual([0, 0, 0]);
  });

  test('retries never go negative: a job already at 0 (or below) is answered with 0', () => {
    expect(answerFailure({ retries: 0 }, new Error('timeout'), DEFAULT_BASE_MS)).toEqual({
      action: 'fail',
      errorMessage: 'timeout',
      retries: 0,
      retryBackOffMs: 60_000,
    });
    expect(answerFailure({ retries: -3 }, new Error('timeout'), DEFAULT_BASE_MS)).toMatchObject({ retries: 0, retryBackOffMs: 60_000 });
  });

  test('something thrown that is not an Error is still reported, as text', () => {
    expect(answerFailure({ retries: 2 }, 'socket hang up', DEFAULT_BASE_MS)).toEqual({
      action: 'fail',
      errorMessage: 'socket hang up',
      retries: 1,
      retryBackOffMs: 16_000,
    });
  });

  test('an error without a message is reported by its kind, never as a blank message', () => {
    expect(answerFailure({ retries: 2 }, new TypeError(''), DEFAULT_BASE_MS)).toMatchObject({ errorMessage: 'TypeError', retries: 1 });
  });
});

describe('the workers answer exceptions with this policy', () => {
  // No database here: these workers throw before touching one.
  const deps = workerDeps(undefined as never, { retryBackoffMs: 20 });
  const throwing = (err: unknown): SagaWorker => ({
    taskType: 'request-payment',
    async handle() {
      throw err;
    },
  });

  test('a technical failure: the configured base back-off, one retry fewer, counted with the retries left', async () => {
    const handle = registeredHandler(throwing(new TransientProviderError('fake-provider answered 503')), deps);
    expect(await handle(sagaJob('request-payment', { orderId: ORDER }, { retries: 5 }))).toEqual({
      action: 'fail',
      errorMessage: 'fake-provider answered 503',
      retries: 4,
      retryBackOffMs: 20,
    });
    expect(deps.recorded.answered.at(-1)).toEqual({ taskType: 'request-payment', outcome: 'fail', retriesLeft: 4 });
  });

  test('a business rule violation: an incident at once, counted with 0 retries left', async () => {
    const handle = registeredHandler(throwing(new IllegalTransitionError(ORDER, 'NEW', 'PAID')), deps);
    expect(await handle(sagaJob('finalize-order', { orderId: ORDER }, { retries: 3 }))).toEqual({
      action: 'fail',
      errorMessage: `IllegalTransitionError: order ${ORDER} cannot go from NEW to PAID`,
      retries: 0,
    });
    expect(deps.recorded.answered.at(-1)).toEqual({ taskType: 'finalize-order', outcome: 'fail', retriesLeft: 0 });
  });
});
