// What a job worker of the order saga is: a task type and a small function of the
// job that answers complete, fail or a BPMN error (see orchestrator/engine.ts).
// Workers call domain/ and nothing else; they never know which engine runs them.
// Each worker names the variables it reads and the dependencies it uses; a step
// the saga may have to undo is declared with its undo as a CompensationPair.
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import type { Job, JobAction } from '../orchestrator/engine.js';
import type { PaymentGateway } from '../domain/payments/gateway.js';
import type { OrderStatus } from '../domain/orders/lifecycle.js';
import type { TransitionResult } from '../domain/orders/transition.js';
import type { DispatchOptions, Dispatchers } from '../domain/shipments/dispatch-shipment.js';

/** What every job of the saga carries: the order it is about. The order itself lives in the database. */
export type OrderVariables = { orderId: string };

export type WorkerDeps = {
  prisma: PrismaClient;
  gateway: PaymentGateway;
  /** Hands a recorded notification to delivery; failures are recovered from the outbox later. */
  notifications: { enqueue(notificationId: string): Promise<void> };
  smtpEnabled: boolean;
  /** The dispatcher plugins by name (integrations/dispatchers/registry.ts). */
  dispatchers: Dispatchers;
  /** Where businesses answer, and how long the links we send them stay valid. */
  fulfilment: DispatchOptions;
  /** First retry delay for technical failures; doubles per attempt. */
  retryBackoffMs: number;
  /** Points a completed order earns per 100 minor units kept (POINTS_EARNED_PER_100_MINOR); default 1. */
  pointsEarnedPer100Minor?: number;
  logger: Logger;
  /** Counts what the workers see (infra/metrics.ts); absent where nothing is counted. */
  metrics?: WorkerMetrics;
};

export type JobOutcome = 'complete' | 'fail' | 'bpmn_error';

export type WorkerMetrics = {
  /** Every answered job; `retriesLeft` only for a failure (0: the engine raises an incident). */
  jobAnswered(taskType: string, outcome: JobOutcome, seconds: number, retriesLeft?: number): void;
  /** An order reached a final status, `seconds` after it was placed. */
  orderEnded(status: OrderStatus, seconds: number): void;
};

/**
 * Reports an order's end once: only the call whose transaction ended it carries
 * endedAfterMs, so a job run twice (at-least-once) does not count the order twice.
 */
export function reportIfEnded(deps: Pick<WorkerDeps, 'metrics'>, transition: TransitionResult): void {
  if (transition.endedAfterMs !== undefined) deps.metrics?.orderEnded(transition.status, transition.endedAfterMs / 1000);
}

/**
 * A worker for one task type: `V` the process variables it reads, `D` the
 * dependencies it uses (runWorkers hands every worker all of WorkerDeps).
 */
export type SagaWorker<V extends OrderVariables = OrderVariables, D extends keyof WorkerDeps = keyof WorkerDeps> = {
  readonly taskType: string;
  handle(job: Job<V>, deps: Pick<WorkerDeps, D>): Promise<JobAction>;
};

/**
 * A step and the task that undoes it. When the saga leaves the scope the step runs
 * in before that scope finished (bpmn/order-fulfillment.bpmn: a boundary event on
 * Secure payment), every path out runs `undo` (test/workers/compensation-pairs.test.ts).
 */
export type CompensationPair = { readonly do: SagaWorker; readonly undo: SagaWorker };
