// Notifications into the log: always there, and the only channel when no mail
// server is configured.
import type { NotificationSink, OutgoingNotification } from '../../domain/notifications/sink.js';
import type { Logger } from '../../infra/logger.js';

export class LogSink implements NotificationSink {
  readonly channel = 'log' as const;

  constructor(private readonly logger: Logger) {}

  async deliver(n: OutgoingNotification): Promise<void> {
    // The recipient stays out of the log: an address is personal data.
    this.logger.info({ orderId: n.orderId, kind: n.kind, notificationId: n.id, subject: n.subject }, 'customer notification');
  }

  async close(): Promise<void> {}
}
