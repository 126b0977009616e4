// Notifications to a mail server over SMTP (SMTP_URL). A refusal that no retry
// can change is a PermanentDeliveryError; anything else may pass and is retried.
import { createTransport, type Transporter } from 'nodemailer';
import { PermanentDeliveryError, type NotificationSink, type OutgoingNotification } from '../../domain/notifications/sink.js';
import type { Logger } from '../../infra/logger.js';

export class SmtpSink implements NotificationSink {
  readonly channel = 'smtp' as const;
  private readonly transport: Transporter;
  private readonly messageIdDomain: string;

  /** smtpUrl: smtp://user:pass@host:587 or smtps://…; from: `Name <address>`. */
  constructor(
    smtpUrl: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {
    this.transport = createTransport(smtpUrl);
    this.messageIdDomain = /@([^>\s]+)/.exec(from)?.[1] ?? 'order-saga.invalid';
  }

  async deliver(n: OutgoingNotification): Promise<void> {
    if (!n.recipient) throw new PermanentDeliveryError(`notification ${n.id} has no recipient address`);
    try {
      const info = await this.transport.sendMail({
        from: this.from,
        to: n.recipient,
        subject: n.subject,
        text: n.body,
        // Delivery is at least once; a stable Message-ID lets mail clients fold a duplicate.
        messageId: `<${n.id}@${this.messageIdDomain}>`,
        headers: { 'X-Order-Id': n.orderId, 'X-Notification-Kind': n.kind },
      });
      this.logger.info({ orderId: n.orderId, kind: n.kind, notificationId: n.id, messageId: info.messageId }, 'customer notification mailed');
    } catch (err) {
      // A 5xx answer to the recipient or the message is the server's final word on
      // this mail (unknown mailbox, policy). 4xx, network and login failures may pass.
      const { responseCode, command } = err as { responseCode?: number; command?: string };
      const aboutThisMail = /^(MAIL|RCPT|DATA)/i.test(command ?? '');
      if (responseCode !== undefined && responseCode >= 500 && aboutThisMail)
        throw new PermanentDeliveryError(`SMTP server refused the message: ${(err as Error).message}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
