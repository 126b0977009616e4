import { NOTIFICATION_KINDS, type NotificationKind } from '../domain/notifications/compose.js';
import { recordNotification } from '../domain/notifications/record-notification.js';
import { complete, fail } from '../orchestrator/engine.js';
import { killPoint } from '../infra/kill-points.js';
import type { OrderVariables, SagaWorker } from './saga-worker.js';

export const NOTIFY_TASK_TYPES = { notifyCustomer: 'notify-customer' } as const;

const isKind = (k: string | undefined): k is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(k ?? '');

/**
 * Tells the customer how the order ended; the model picks the message with the
 * `kind` task header. The notification is recorded once per order and kind (the
 * outbox), then queued for delivery; if queueing fails, recovery re-queues it.
 */
export const notifyCustomerWorker: SagaWorker<OrderVariables, 'prisma' | 'notifications' | 'smtpEnabled' | 'logger'> = {
  taskType: NOTIFY_TASK_TYPES.notifyCustomer,
  async handle(job, { prisma, notifications, smtpEnabled, logger }) {
    const kind = job.customHeaders.kind;
    if (!isKind(kind)) {
      // A modelling mistake no retry can fix: straight to an incident that names it.
      return fail({
        errorMessage: `task header "kind" must be one of ${NOTIFICATION_KINDS.join(', ')} (got ${JSON.stringify(kind ?? null)}) on element ${job.elementId}`,
        retries: 0,
      });
    }
    const { id } = await recordNotification(prisma, { orderId: job.variables.orderId, kind, smtpEnabled });
    killPoint('notify-customer:after-recorded');
    await notifications.enqueue(id).catch((err: unknown) => {
      logger.warn({ err, orderId: job.variables.orderId, notificationId: id }, 'could not queue the notification; recovery will retry');
    });
    killPoint('notify-customer:after-enqueued');
    return complete({ notificationId: id });
  },
};
