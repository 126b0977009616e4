// Shared by the payment tests: an HTTP server on a free loopback port, and an order
// waiting for its payment. (Waits come from test/support/wait.ts, Redis from
// test/support/redis.ts.)
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOrder } from '../../domain/orders/create-order.js';
import type { PaymentGateway } from '../../domain/payments/gateway.js';
import { requestPayment } from '../../domain/payments/request-payment.js';
import type { PrismaClient } from '../../infra/database.js';

export type TestServer = { server: Server; url: string; close(): Promise<void> };

/** An HTTP server on 127.0.0.1: on `wanted`, or on a free port (0). */
export async function listen(handler: RequestListener, wanted = 0): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** The sandbox as the request-payment step meets it when its callback is still to come: it accepts every payment under an id of its own. */
const acceptingSandbox: PaymentGateway = {
  provider: 'sandbox',
  checkPaymentMethod: () => undefined,
  requestPayment: () => Promise.resolve({ providerPaymentId: `sbx_${randomBytes(12).toString('hex')}` }),
  voidPayment: () => Promise.resolve(),
  getPayment: () => Promise.resolve({ status: 'pending' }),
  capture: () => Promise.resolve({ providerOperationId: `sbxop_${randomBytes(12).toString('hex')}` }),
  refund: (op) => Promise.resolve({ providerOperationId: `sbxop_${randomBytes(12).toString('hex')}`, refundedMinor: op.amountMinor, releasedMinor: 0 }),
};

export type RequestedPaymentRow = { id: string; orderId: string; providerPaymentId: string | null; amountMinor: number; currency: string };

/**
 * An order of one `sku` (a product of the catalogue) placed and waiting for its payment, as the request-payment
 * step leaves it: AWAITING_PAYMENT, with the payment row a genuine provider event describes.
 */
export async function orderAwaitingPayment(prisma: PrismaClient, sku: string, paymentMethod = 'pm_no_answer'): Promise<RequestedPaymentRow> {
  const { id } = await createOrder(prisma, { customerId: 'cust-payments', paymentMethod, items: [{ sku, quantity: 1 }] });
  await requestPayment(prisma, acceptingSandbox, id);
  return prisma.payment.findUniqueOrThrow({
    where: { orderId: id },
    select: { id: true, orderId: true, providerPaymentId: true, amountMinor: true, currency: true },
  });
}
