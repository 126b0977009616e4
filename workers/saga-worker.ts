// What a job worker of the order saga is: a task type and a small function of the
// job that answers complete, fail or a BPMN error (see orchestrator/engine.ts).
// Workers call domain/ and nothing else; they never know which engine runs them.
import type { PrismaClient } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import type { Job, JobAction } from '../orchestrator/engine.js';
import type { PaymentResult } from '../orchestrator/order-process.js';
import type { PaymentGateway } from '../domain/payments/gateway.js';

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
};

export type SagaWorker = {
  taskType: string;
  handle(job: Job<SagaVariables>, deps: WorkerDeps): Promise<JobAction>;
};
