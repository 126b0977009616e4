// What a job worker of the order saga is: a task type and a small function of the
// job that answers complete, fail or a BPMN error (see orchestrator/engine.ts).
// Workers call domain/ and nothing else; they never know which engine runs them.
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import type { Job, JobAction } from '../orchestrator/engine.js';
import type { PaymentResult } from '../orchestrator/order-process.js';
import type { PaymentGateway } from '../domain/payments/gateway.js';
import type { OrderStatus } from '../domain/orders/lifecycle.js';
import type { TransitionResult } from '../domain/orders/transition.js';

/** Process variables the saga's workers read. The order itself lives in the database. */
export type SagaVariables = { orderId: string; paymentResult?: PaymentResult };

export type WorkerDeps = {
  prisma: PrismaClient;
  gateway: PaymentGateway;
  /** Hands a recorded notification to delivery; failures are recovered from the outbox later. */
  notifications: { enqueue(notificationId: string): Promise<void> };
  smtpEnabled: boolean;
  /** First retry delay for technical failures; doubles per attempt. */
  retryBackoffMs: number;
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

export type SagaWorker = {
  taskType: string;
  handle(job: Job<SagaVariables>, deps: WorkerDeps): Promise<JobAction>;
};
