// The e-mail dispatcher on the whole system: a business that takes its shipments by mail gets
// one through a real SMTP conversation, and a person there accepts it with the signed link.
// smtp-server stands in for the mail provider (the one boundary a test cannot reach); the
// service, its engine, nodemailer and the link page are real.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mailProvider, mailText } from '../dispatchers/support.js';
import { startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';

let saga: Saga;
let mail: Awaited<ReturnType<typeof mailProvider>>;

beforeAll(async () => {
  mail = await mailProvider();
  saga = await startSaga({ SMTP_URL: mail.smtpUrl });
  const prisma = saga.system.db.prisma;
  await prisma.business.create({
    data: {
      id: 'mail-business',
      name: 'Mail Business',
      contactEmail: 'orders@mail-business.example',
      dispatcher: 'email',
      secret: 'bsec_mail_business_secret_0123456789',
    },
  });
  await prisma.product.update({ where: { sku: 'SKU-SCALE' }, data: { businessId: 'mail-business' } });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
  await mail?.close();
});

test('the e-mail dispatcher mails the business its shipment with signed links; opening the accept link shows a button, pressing it accepts', async () => {
  const id = await saga.placeOrder({ sku: 'SKU-SCALE', quantity: 1, paymentMethod: 'pm_approve' });
  await saga.waitForOrder(id, (o) => o.status === 'FULFILLING', 'paid and its shipment sent');
  const sent = await waitFor('the dispatch mail', async () => mail.received.find((m) => m.to.includes('orders@mail-business.example')));
  const body = mailText(sent.raw);
  expect(body).toContain(id);
  const accept = /(http:\/\/\S+\/answer\?action=accept\S+)/.exec(body)?.[1];
  expect(accept).toBeDefined();
  // The mail goes out first, then the shipment is recorded SENT.
  const shipment = await waitFor(
    'the shipment SENT',
    async () => (await saga.system.db.prisma.shipment.findFirst({ where: { orderId: id, status: 'SENT' } })) ?? undefined,
  );

  const page = await fetch(accept!);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<button type="submit">Accept</button>');
  // Opening the link (as a mail scanner would) changes nothing.
  expect((await saga.system.db.prisma.shipment.findUniqueOrThrow({ where: { id: shipment.id } })).status).toBe('SENT');

  const pressed = await fetch(accept!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
  expect(pressed.status).toBe(200);
  expect((await saga.system.db.prisma.shipment.findUniqueOrThrow({ where: { id: shipment.id } })).status).toBe('ACCEPTED');
  // The shipment's process took the answer: it now waits for the shipping.
  await waitFor('waiting for the shipping', async () => {
    const rows = await saga.system.db.prisma.$queryRaw<{ element_id: string }[]>`
      SELECT e.element_id FROM engine_element_instances e JOIN engine_process_instances p ON p.key = e.process_instance_key
      WHERE p.bpmn_process_id = 'order-shipment' AND p.state = 'ACTIVE' AND p.variables->>'shipmentId' = ${shipment.id} AND e.state = 'ACTIVE'`;
    return rows.some((r) => r.element_id === 'AwaitShipping') || undefined;
  });
  // Pressing again (a double click) changes nothing more.
  expect((await fetch(accept!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' })).status).toBe(200);
  expect(await saga.system.db.prisma.shipmentHistory.count({ where: { shipmentId: shipment.id, toStatus: 'ACCEPTED' } })).toBe(1);
}, 90_000);
