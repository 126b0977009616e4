import { NOTIFICATION_KINDS, type NotificationKind } from '../domain/notifications/compose.js';
import { isShipmentNotificationKind, SHIPMENT_NOTIFICATION_KINDS } from '../domain/notifications/compose-shipment.js';
import { recordNotification, recordShipmentNotification } from '../domain/notifications/record-notification.js';
import { complete, fail } from '../orchestrator/engine.js';
import { killPoint } from '../infra/kill-points.js';
import type { OrderVariables, SagaWorker } from './saga-worker.js';

export const NOTIFY_TASK_TYPES = { notifyCustomer: 'notify-customer' } as const;

const isKind = (k: string | undefined): k is NotificationKind => (NOTIFICATION_KINDS as readonly string[]).includes(k ?? '');
const KINDS = [...NOTIFICATION_KINDS, ...SHIPMENT_NOTIFICATION_KINDS];

/**
 * Tells the customer how the order ended, or (in the shipment process, kinds shipment-*)
 * what became of one shipment; the model picks the message with the `kind` task header.
 * The notification is recorded once per order and kind, and shipment (the outbox), then
 * queued for delivery; if queueing fails, recovery re-queues it.
 */
export const notifyCustomerWorker: SagaWorker<OrderVariables & { shipmentId?: string }, 'prisma' | 'notifications' | 'smtpEnabled' | 'logger'> = {
  taskType: NOTIFY_TASK_TYPES.notifyCustomer,
  async handle(job, { prisma, notifications, smtpEnabled, logger }) {
    const kind = job.customHeaders.kind;
    // A modelling mistake no retry can fix: straight to an incident that names it.
    const mistake = (errorMessage: string) => fail({ errorMessage: `${errorMessage} on element ${job.elementId}`, retries: 0 });
    let recorded: { id: string };
    if (kind !== undefined && isShipmentNotificationKind(kind)) {
      const { shipmentId } = job.variables;
      if (typeof shipmentId !== 'string') return mistake(`task header "kind" ${kind} needs the process variable shipmentId`);
      recorded = await recordShipmentNotification(prisma, { shipmentId, kind, smtpEnabled });
    } else if (isKind(kind)) {
      recorded = await recordNotification(prisma, { orderId: job.variables.orderId, kind, smtpEnabled });
    } else {
      return mistake(`task header "kind" must be one of ${KINDS.join(', ')} (got ${JSON.stringify(kind ?? null)})`);
    }
    const { id } = recorded;
    killPoint('notify-customer:after-recorded');
    await notifications.enqueue(id).catch((err: unknown) => {
      logger.warn({ err, orderId: job.variables.orderId, notificationId: id }, 'could not queue the notification; recovery will retry');
    });
    killPoint('notify-customer:after-enqueued');
    return complete({ notificationId: id });
  },
};
