// The email dispatcher against a real SMTP conversation: smtp-server stands in for the mail
// provider, the one boundary a test cannot reach. Our side (nodemailer, the SMTP
// conversation, the error rules) is real; nothing is mocked.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { PermanentDispatchError, TransientDispatchError } from '../../domain/shipments/dispatcher.js';
import { emailDispatcher } from '../../integrations/dispatchers/email.js';
import { business, closedPort, mailHeader, mailProvider, mailText, shipmentMessage } from './support.js';

const FROM = 'order-saga <dispatch@shop.test>';
/** The mail provider refuses these recipients for good (550) or for now (451). */
const REFUSED = 'nobody@kettles.test';
const GREYLISTED = 'later@kettles.test';

let provider: Awaited<ReturnType<typeof mailProvider>>;

beforeAll(async () => {
  provider = await mailProvider({
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
      if (address.address === REFUSED) return callback(Object.assign(new Error('5.1.1 mailbox unavailable'), { responseCode: 550 }));
      if (address.address === GREYLISTED) return callback(Object.assign(new Error('4.7.1 greylisted, try again later'), { responseCode: 451 }));
      callback();
    },
  });
});
afterAll(() => provider?.close());

const mailer = () => emailDispatcher({ smtpUrl: provider.smtpUrl, from: FROM });
const mailsTo = (address: string) => provider.received.filter((m) => m.to.includes(address));

describe('email dispatcher: what the business receives', () => {
  test("a dispatch is mailed by SMTP to the business's contact address, naming order, lines and amount, with both answer links", async () => {
    const message = shipmentMessage();
    const result = await mailer().send(message, business({}, { contactEmail: 'contact@dispatch-one.test' }));

    expect(result).toEqual({ detail: 'mailed to contact@dispatch-one.test' });
    const [mail, ...more] = mailsTo('contact@dispatch-one.test');
    expect(more).toHaveLength(0);
    expect(mail!.from).toBe('dispatch@shop.test');
    expect(mailHeader(mail!.raw, 'Subject')).toBe(`New shipment to send for order ${message.orderId}`);
    const text = mailText(mail!.raw);
    expect(text).toContain(`Order: ${message.orderId}`);
    expect(text).toContain('2 x SKU-KETTLE Kettle');
    expect(text).toContain('1 x SKU-SCALE Kitchen scale');
    expect(text).toContain('Amount: 12.50 EUR');
    expect(text).toContain(`Open to accept: ${message.answerLinks.accept}`);
    expect(text).toContain(`Open to decline: ${message.answerLinks.decline}`);
  });

  test('settings.to sends the mail there instead of the contact address', async () => {
    await mailer().send(shipmentMessage(), business({ to: 'warehouse@settings-to.test' }, { contactEmail: 'contact@not-this-one.test' }));
    expect(mailsTo('warehouse@settings-to.test')).toHaveLength(1);
    expect(mailsTo('contact@not-this-one.test')).toHaveLength(0);
  });

  test('a reminder carries both answer links again', async () => {
    const message = shipmentMessage({ kind: 'reminder' });
    await mailer().send(message, business({ to: 'reminder@kettles.test' }));
    const text = mailText(mailsTo('reminder@kettles.test')[0]!.raw);
    expect(text).toContain(message.answerLinks.accept);
    expect(text).toContain(message.answerLinks.decline);
  });

  test('a stop says do not ship and carries no answer links', async () => {
    const message = shipmentMessage({ kind: 'stop' });
    await mailer().send(message, business({ to: 'stop@kettles.test' }));
    const mail = mailsTo('stop@kettles.test')[0]!;
    expect(mailHeader(mail.raw, 'Subject')).toBe(`Do not ship: order ${message.orderId} was cancelled`);
    const text = mailText(mail.raw);
    expect(text).toMatch(/do NOT ship/);
    expect(text).not.toContain(message.answerLinks.accept);
    expect(text).not.toContain(message.answerLinks.decline);
  });

  test('the same message mailed twice carries the same Message-ID; another kind another one', async () => {
    const message = shipmentMessage();
    const target = business({ to: 'twice@kettles.test' });
    await mailer().send(message, target);
    await mailer().send(message, target);
    await mailer().send({ ...message, kind: 'reminder' }, target);
    const ids = mailsTo('twice@kettles.test').map((m) => mailHeader(m.raw, 'Message-ID'));

    expect(ids[0]).toBe(`<${message.shipmentId}.dispatch@shop.test>`);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).toBe(`<${message.shipmentId}.reminder@shop.test>`);
  });
});

describe('email dispatcher: which failures are retried', () => {
  test('an SMTP 550 refusal of the recipient is a PermanentDispatchError', async () => {
    const sent = mailer().send(shipmentMessage(), business({ to: REFUSED }));
    await expect(sent).rejects.toBeInstanceOf(PermanentDispatchError);
    await expect(sent).rejects.toThrow(/550/);
  });

  test('an SMTP 4xx answer is a TransientDispatchError', async () => {
    const sent = mailer().send(shipmentMessage(), business({ to: GREYLISTED }));
    await expect(sent).rejects.toBeInstanceOf(TransientDispatchError);
    await expect(sent).rejects.toThrow(/451/);
  });

  test('an SMTP 5xx answer to the message itself (DATA) is a PermanentDispatchError', async () => {
    const strict = await mailProvider({
      onData(stream: SMTPServerDataStream, _session: SMTPServerSession, callback: (err?: Error | null) => void) {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('5.7.1 message refused by policy'), { responseCode: 554 })));
      },
    });
    try {
      const sent = emailDispatcher({ smtpUrl: strict.smtpUrl, from: FROM }).send(shipmentMessage(), business({}));
      await expect(sent).rejects.toBeInstanceOf(PermanentDispatchError);
      await expect(sent).rejects.toThrow(/554/);
    } finally {
      await strict.close();
    }
  });

  test('a mail server that cannot be reached is a TransientDispatchError', async () => {
    const sent = emailDispatcher({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}`, from: FROM }).send(shipmentMessage(), business({}));
    await expect(sent).rejects.toBeInstanceOf(TransientDispatchError);
  });

  test('no SMTP configured is a PermanentDispatchError saying so, so that ops see an incident', async () => {
    const sent = emailDispatcher({ smtpUrl: undefined, from: FROM }).send(shipmentMessage(), business({}));
    await expect(sent).rejects.toBeInstanceOf(PermanentDispatchError);
    await expect(sent).rejects.toThrow(/^SMTP is not configured/);
  });

  test('a business without a usable address is a PermanentDispatchError, and nothing is mailed', async () => {
    const before = provider.received.length;
    await expect(mailer().send(shipmentMessage(), business({}, { contactEmail: '' }))).rejects.toBeInstanceOf(PermanentDispatchError);
    expect(provider.received.length).toBe(before);
  });
});

describe('email dispatcher: settings', () => {
  test('to is optional and must be one e-mail address', () => {
    const plugin = emailDispatcher({ smtpUrl: undefined, from: FROM });
    expect(plugin.validateSettings({})).toEqual([]);
    expect(plugin.validateSettings({ to: 'orders@kettles.test' })).toEqual([]);
    for (const to of ['', 'kettles.test', 'a@b.test, c@d.test', 'Kettles <orders@kettles.test>', 'orders@kettles.test\r\nBcc: x@y.test', 42, null])
      expect(plugin.validateSettings({ to })).toEqual([{ field: 'to', message: expect.any(String) }]);
  });

  test('an unknown setting key is a problem naming that key', () => {
    expect(emailDispatcher({ smtpUrl: undefined, from: FROM }).validateSettings({ cc: 'boss@kettles.test' })).toEqual([
      { field: 'cc', message: expect.stringContaining('"cc"') },
    ]);
  });
});
