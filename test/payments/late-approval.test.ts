// An approval the provider sends after the order ended unpaid must release the
// authorization, never pay the order. The provider is faked (a boundary we cannot
// reach): it counts the voids it is asked for. The relay's use of this, through
// the whole system, is in test/saga/payment-races.test.ts.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createOrder } from '../../domain/orders/create-order.js';
import { transitionOrder } from '../../domain/orders/transition.js';
import { releaseLateApproval } from '../../domain/payments/late-approval.js';
import { requestPayment } from '../../domain/payments/request-payment.js';
import { voidPayment } from '../../domain/payments/void-payment.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addProduct } from '../support/fixtures.js';
import { CountingGateway } from '../workers/support.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
  await addProduct(db.prisma, 'LATE-1', { 'WH-A': 100 });
});
afterAll(async () => {
  await db?.close();
});

/** An order whose payment was requested from `gateway`: AWAITING_PAYMENT, payment REQUESTED. */
async function awaitingPayment(gateway: CountingGateway): Promise<string> {
  const { id } = await createOrder(db.prisma, { customerId: 'cust-late', paymentMethod: 'pm_approve', items: [{ sku: 'LATE-1', quantity: 1 }] });
  await requestPayment(db.prisma, gateway, id);
  return id;
}

const paymentOf = (orderId: string) => db.prisma.payment.findUniqueOrThrow({ where: { orderId } });
const event = async (orderId: string) => ({ orderId, providerPaymentId: (await paymentOf(orderId)).providerPaymentId as string });

describe(`an approval after the order ended unpaid (${databaseKind})`, () => {
  test('order cancelled by the payment timeout, payment voided: the provider is asked to void again, the order and payment stay as they are; a redelivery asks again, harmlessly', async () => {
    const gateway = new CountingGateway();
    const id = await awaitingPayment(gateway);
    await voidPayment(db.prisma, gateway, id, 'order did not complete');
    await transitionOrder(db.prisma, id, 'CANCELLED', 'payment timeout');
    const before = await paymentOf(id);

    expect(await releaseLateApproval(db.prisma, gateway, await event(id))).toEqual({ late: true, orderStatus: 'CANCELLED', released: true });
    expect(await releaseLateApproval(db.prisma, gateway, await event(id))).toEqual({ late: true, orderStatus: 'CANCELLED', released: true });
    // One void from compensation, one per delivery of the late approval: all for the same payment.
    expect(gateway.voids).toEqual(Array.from({ length: 3 }, () => ({ paymentId: before.id, providerPaymentId: before.providerPaymentId })));
    expect(gateway.voidsTakenEffect()).toEqual([before.id]);
    expect(await paymentOf(id)).toEqual(before);
    expect((await db.prisma.order.findUniqueOrThrow({ where: { id } })).status).toBe('CANCELLED');
  });

  test('order cancelled while its payment is still REQUESTED: the authorization is voided and the payment marked VOIDED with the reason', async () => {
    const gateway = new CountingGateway();
    const id = await awaitingPayment(gateway);
    await transitionOrder(db.prisma, id, 'CANCELLED', 'cancelled by customer');

    expect(await releaseLateApproval(db.prisma, gateway, await event(id))).toEqual({ late: true, orderStatus: 'CANCELLED', released: true });
    const payment = await paymentOf(id);
    expect(payment.status).toBe('VOIDED');
    expect(payment.failureReason).toBe('approved by the provider after the order ended CANCELLED: authorization released');
    expect(gateway.voids).toEqual([{ paymentId: payment.id, providerPaymentId: payment.providerPaymentId }]);
  });

  test('payment voided by compensation while the order is not yet marked cancelled: late too, released', async () => {
    const gateway = new CountingGateway();
    const id = await awaitingPayment(gateway);
    await voidPayment(db.prisma, gateway, id, 'order did not complete');
    expect(await releaseLateApproval(db.prisma, gateway, await event(id))).toEqual({ late: true, orderStatus: 'AWAITING_PAYMENT', released: true });
    expect(gateway.voids).toHaveLength(2);
  });

  test('an approval the process still waits for (AWAITING_PAYMENT, payment REQUESTED) is not late: nothing is asked of the provider, nothing changes', async () => {
    const gateway = new CountingGateway();
    const id = await awaitingPayment(gateway);
    const before = await paymentOf(id);
    expect(await releaseLateApproval(db.prisma, gateway, await event(id))).toEqual({ late: false });
    expect(gateway.voids).toEqual([]);
    expect(await paymentOf(id)).toEqual(before);
  });

  test('a PAID order is not late (a redelivered approval): nothing is voided', async () => {
    const gateway = new CountingGateway();
    const id = await awaitingPayment(gateway);
    await db.prisma.payment.update({ where: { orderId: id }, data: { status: 'APPROVED' } });
    await transitionOrder(db.prisma, id, 'PAID', 'payment approved');
    expect(await releaseLateApproval(db.prisma, gateway, await event(id))).toEqual({ late: false });
    expect(gateway.voids).toEqual([]);
    expect((await paymentOf(id)).status).toBe('APPROVED');
  });

  test('an order rejected before any payment was requested: late, and nothing to release at the provider', async () => {
    const gateway = new CountingGateway();
    const { id } = await createOrder(db.prisma, { customerId: 'cust-late', paymentMethod: 'pm_approve', items: [{ sku: 'LATE-1', quantity: 1 }] });
    await transitionOrder(db.prisma, id, 'REJECTED', 'out of stock');
    expect(await releaseLateApproval(db.prisma, gateway, { orderId: id, providerPaymentId: 'sbx_unknown' })).toEqual({
      late: true,
      orderStatus: 'REJECTED',
      released: false,
    });
    expect(gateway.voids).toEqual([]);
  });

  test('an order that does not exist is not late (the relay publishes it, and the engine finds nothing to correlate)', async () => {
    const gateway = new CountingGateway();
    expect(await releaseLateApproval(db.prisma, gateway, { orderId: '00000000-0000-4000-8000-000000000000', providerPaymentId: 'sbx_x' })).toEqual({
      late: false,
    });
    expect(gateway.voids).toEqual([]);
  });
});
