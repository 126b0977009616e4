// Plugin `email`: mails the business by SMTP (nodemailer), for businesses that answer by
// hand through the two signed links. Errors are classified as the SMTP notification sink
// does (integrations/notifications/smtp-sink.ts).
import { createTransport, type Transporter } from 'nodemailer';
import { PermanentDispatchError, TransientDispatchError, type DispatcherPlugin, type SettingProblem } from '../../domain/shipments/dispatcher.js';
import { emailText } from './email-text.js';
import { isEmailAddress, own, unknownKeys } from './settings.js';

export type EmailDispatcherOptions = {
  /** smtp://user:pass@host:587 or smtps://…; undefined: every send fails for good, so ops see an incident. */
  smtpUrl: string | undefined;
  /** `Name <address>`. */
  from: string;
};

export function validateEmailSettings(settings: Record<string, unknown>): SettingProblem[] {
  const problems = unknownKeys(settings, ['to']);
  const to = own(settings, 'to');
  if (to !== undefined && !isEmailAddress(to)) problems.push({ field: 'to', message: 'must be one e-mail address (e.g. orders@supplier.example)' });
  return problems;
}

/** A 5xx answer to the sender, recipient or message is the server's final word on this mail; 4xx, network and login failures may pass. */
function classify(err: unknown): Error {
  const { responseCode, command } = err as { responseCode?: number; command?: string };
  const message = (err as Error).message;
  if (responseCode !== undefined && responseCode >= 500 && /^(MAIL|RCPT|DATA)/i.test(command ?? ''))
    return new PermanentDispatchError(`SMTP server refused the message: ${message}`);
  return new TransientDispatchError(`SMTP: ${message}`);
}

export function emailDispatcher({ smtpUrl, from }: EmailDispatcherOptions): DispatcherPlugin {
  // Not pooled: each send opens and closes its own connection, so there is nothing to close.
  const transport: Transporter | undefined = smtpUrl ? createTransport(smtpUrl) : undefined;
  const messageIdDomain = /@([^>\s]+)/.exec(from)?.[1] ?? 'order-saga.invalid';
  return {
    name: 'email',
    validateSettings: validateEmailSettings,
    async send(message, business) {
      if (!transport) throw new PermanentDispatchError('SMTP is not configured (SMTP_URL): the email dispatcher cannot mail the business');
      const to = own(business.settings, 'to') ?? business.contactEmail;
      if (!isEmailAddress(to)) throw new PermanentDispatchError(`business ${business.id} has no usable e-mail address`);
      const { subject, text } = emailText(message, business);
      try {
        await transport.sendMail({
          from,
          to,
          subject,
          text,
          // Sent at least once; the same Message-ID for the same (shipment, kind) lets mail clients fold a duplicate.
          messageId: `<${message.shipmentId}.${message.kind}@${messageIdDomain}>`,
          headers: { 'X-Order-Id': message.orderId, 'X-Shipment-Id': message.shipmentId, 'X-Dispatch-Kind': message.kind },
        });
      } catch (err) {
        throw classify(err);
      }
      return { detail: `mailed to ${to}` };
    },
  };
}
