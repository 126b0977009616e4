// The notification delivery boundary: where a notification goes out (the log, a
// mail server…). One adapter per channel (integrations/notifications/); the
// notifications queue sees only this. A sink only delivers; the outbox row,
// retries and idempotency are the notifications queue's business.
import type { NotificationChannel } from './record-notification.js';

export type OutgoingNotification = {
  id: string;
  orderId: string;
  kind: string;
  recipient: string | null;
  subject: string;
  body: string;
};

export type NotificationSink = {
  readonly channel: NotificationChannel;
  deliver(n: OutgoingNotification): Promise<void>;
  close(): Promise<void>;
};

/** A delivery that no retry can fix (no recipient, a mailbox the server refuses). */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}
