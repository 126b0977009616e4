// Shared by the worker tests: a job as the engine hands it to a worker, and the
// worker's dependencies with fakes for the boundaries these tests cannot reach
// (the payment provider) or that have tests of their own (the notifications queue).
import { createDispatcherRegistry } from '../../integrations/dispatchers/registry.js';
import { pino } from 'pino';
import {
  TransientProviderError,
  type PaymentGateway,
  type PaymentOperation,
  type PaymentRequest,
  type ProviderPaymentStatus,
  type RefundResult,
} from '../../domain/payments/gateway.js';
import type { OrderStatus } from '../../domain/orders/lifecycle.js';
import type { PrismaClient } from '../../infra/database.js';
import type { Engine, Job, JobHandler, Variables, WorkerOptions } from '../../orchestrator/engine.js';
import { runWorkers } from '../../workers/run-workers.js';
import type { JobOutcome, OrderVariables, SagaWorker, WorkerDeps } from '../../workers/saga-worker.js';
import { sleep } from '../support/wait.js';

let jobCount = 0;

/** A job of `type` for one order, as the engine activates it (headers from the model, retries left). */
export function sagaJob<V extends OrderVariables>(
  type: string,
  variables: V,
  o: { headers?: Record<string, string>; processInstanceKey?: string; retries?: number } = {},
): Job<V> {
  jobCount++;
  return {
    key: String(4_000_000 + jobCount),
    type,
    processInstanceKey: o.processInstanceKey ?? '2251799813685249',
    bpmnProcessId: 'order-fulfillment',
    processDefinitionKey: '2251799813685000',
    elementId: type,
    elementInstanceKey: String(5_000_000 + jobCount),
    customHeaders: o.headers ?? {},
    variables,
    retries: o.retries ?? 3,
    deadline: new Date(Date.now() + 30_000),
    worker: 'test-worker',
  };
}

/**
 * The payment provider is a boundary these tests cannot reach, so this fake stands
 * in for it (the sandbox provider has its own tests in test/payments/). Like a real
 * provider it is idempotent per idempotency key: the same paymentId always gets the
 * same provider payment, so the payments that take effect are the distinct keys it
 * was asked with. Every call is recorded.
 */
export class CountingGateway implements PaymentGateway {
  readonly provider = 'fake-provider';
  readonly requests: PaymentRequest[] = [];
  readonly voids: { paymentId: string; providerPaymentId: string }[] = [];
  readonly statusChecks: { paymentId: string; providerPaymentId: string }[] = [];
  readonly captures: PaymentOperation[] = [];
  readonly refunds: PaymentOperation[] = [];
  /** Requests the provider accepts but whose answer is then lost (a timeout after the fact). */
  private answersToLose = 0;
  private status: ProviderPaymentStatus = { status: 'pending' };
  private statusChecksToFail = 0;

  checkPaymentMethod(): string | undefined {
    return undefined;
  }

  /** The next `n` requests take effect at the provider, but the caller only sees a timeout. */
  loseAnswers(n: number): void {
    this.answersToLose = n;
  }

  private held: Promise<void> | undefined;

  /** Requests from now on wait at the provider until the returned function is called. */
  holdRequests(): () => void {
    let release!: () => void;
    this.held = new Promise<void>((r) => (release = r));
    return () => {
      this.held = undefined;
      release();
    };
  }

  async requestPayment(request: PaymentRequest): Promise<{ providerPaymentId: string }> {
    this.requests.push({ ...request });
    await sleep(5); // a network round trip: concurrent callers overlap here
    await this.held;
    if (this.answersToLose > 0) {
      this.answersToLose--;
      throw new TransientProviderError('fake-provider timed out after 10000 ms');
    }
    return { providerPaymentId: `fake_${request.paymentId}` };
  }

  async voidPayment(payment: { paymentId: string; providerPaymentId: string }): Promise<void> {
    this.voids.push({ ...payment });
    await sleep(5);
  }

  /** What getPayment answers from now on ('pending' until set). */
  answerStatus(status: ProviderPaymentStatus): void {
    this.status = status;
  }

  /** The next `n` status checks time out. */
  failStatusChecks(n: number): void {
    this.statusChecksToFail = n;
  }

  async getPayment(payment: { paymentId: string; providerPaymentId: string }): Promise<ProviderPaymentStatus> {
    this.statusChecks.push({ ...payment });
    await sleep(5);
    if (this.statusChecksToFail > 0) {
      this.statusChecksToFail--;
      throw new TransientProviderError('fake-provider timed out after 10000 ms');
    }
    return { ...this.status };
  }

  async capture(op: PaymentOperation): Promise<{ providerOperationId: string }> {
    this.captures.push({ ...op });
    await sleep(5);
    return { providerOperationId: `fake_capture_${op.idempotencyKey}` };
  }

  /** Refunds as if all of it had been captured. */
  async refund(op: PaymentOperation): Promise<RefundResult> {
    this.refunds.push({ ...op });
    await sleep(5);
    return { providerOperationId: `fake_refund_${op.idempotencyKey}`, refundedMinor: op.amountMinor, releasedMinor: 0 };
  }

  /** Payments that exist at the provider: one per distinct idempotency key. */
  paymentsTakenEffect(): string[] {
    return [...new Set(this.requests.map((r) => r.paymentId))];
  }

  /** Authorizations released at the provider: one per distinct payment. */
  voidsTakenEffect(): string[] {
    return [...new Set(this.voids.map((v) => v.paymentId))];
  }

  /** Captures that moved money: one per distinct idempotency key. */
  capturesTakenEffect(): string[] {
    return [...new Set(this.captures.map((c) => c.idempotencyKey))];
  }

  /** Refunds that moved money: one per distinct idempotency key. */
  refundsTakenEffect(): string[] {
    return [...new Set(this.refunds.map((r) => r.idempotencyKey))];
  }
}

export type RecordedMetrics = {
  answered: { taskType: string; outcome: JobOutcome; retriesLeft: number | undefined }[];
  ended: { status: OrderStatus; seconds: number }[];
};

export type TestWorkerDeps = WorkerDeps & { gateway: CountingGateway; enqueued: string[]; recorded: RecordedMetrics };

/**
 * Dependencies of a worker: the real database, the counting gateway, a
 * notifications queue that records what it was handed (delivery, and that
 * enqueueing one id twice delivers once, are tested in test/queues/), and
 * metrics that record what they were told.
 */
export function workerDeps(prisma: PrismaClient, o: { retryBackoffMs?: number } = {}): TestWorkerDeps {
  const enqueued: string[] = [];
  const recorded: RecordedMetrics = { answered: [], ended: [] };
  return {
    prisma,
    gateway: new CountingGateway(),
    notifications: {
      async enqueue(id: string) {
        enqueued.push(id);
      },
    },
    smtpEnabled: false,
    dispatchers: createDispatcherRegistry({ from: 'order-saga <orders@order-saga.invalid>' }),
    fulfilment: { publicUrl: () => 'http://127.0.0.1:1', linkValidityMs: 3_600_000 },
    retryBackoffMs: o.retryBackoffMs ?? 2000,
    logger: pino({ level: 'silent' }),
    metrics: {
      jobAnswered(taskType, outcome, _seconds, retriesLeft) {
        recorded.answered.push({ taskType, outcome, retriesLeft });
      },
      orderEnded(status, seconds) {
        recorded.ended.push({ status, seconds });
      },
    },
    enqueued,
    recorded,
  };
}

/** The handler runWorkers registers for `worker` (failure policy included), from an engine that only records it. */
export function registeredHandler(worker: SagaWorker, deps: WorkerDeps): JobHandler<OrderVariables> {
  const handlers: JobHandler<OrderVariables>[] = [];
  const engine = {
    createWorker<V extends Variables>(o: WorkerOptions<V>) {
      handlers.push(o.handler as unknown as JobHandler<OrderVariables>);
      return { taskType: o.taskType, close: async () => undefined };
    },
  } as Pick<Engine, 'createWorker'> as Engine;
  runWorkers(engine, [worker], deps);
  return handlers[0] as JobHandler<OrderVariables>;
}
