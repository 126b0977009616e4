import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { PaymentStatus } from '../payments/payment-status.js';
import type { OrderStatus } from './lifecycle.js';

export type PaymentView = {
  /** Our payment id: the idempotency key the provider sees, and the `paymentId` its webhook names. */
  id: string;
  status: PaymentStatus;
  provider: string;
  /** The provider's id for the payment; null until the provider accepted the request. */
  providerPaymentId: string | null;
  amountMinor: number;
  currency: string;
  failureReason: string | null;
  updatedAt: string;
};

export type ReservationView = { sku: string; warehouseId: string; quantity: number; state: 'RESERVED' | 'RELEASED' | 'COMMITTED' };

export type OrderView = {
  id: string;
  customerId: string;
  customerEmail: string | null;
  status: OrderStatus;
  failureReason: string | null;
  paymentMethod: string;
  total: { amountMinor: number; currency: string };
  items: { sku: string; quantity: number; unitPriceMinor: number }[];
  /** Units held per warehouse and SKU, listed by warehouse (then SKU), each with its state. */
  reservations: ReservationView[];
  /** The payment requested for this order, or null before the payment step. */
  payment: PaymentView | null;
  history: { from: OrderStatus | null; to: OrderStatus; reason: string; at: string }[];
  /** The process instance running this order, once it has picked the order up. */
  processInstanceKey: string | null;
  createdAt: string;
  updatedAt: string;
};

export async function getOrder(prisma: PrismaClient, id: string): Promise<OrderView> {
  if (!isUuid(id)) throw new NotFoundError('order', id, 'id');
  const order = await prisma.order.findUnique({
    where: { id },
    include: {
      items: { orderBy: { lineNo: 'asc' } },
      reservations: { orderBy: [{ warehouseId: 'asc' }, { sku: 'asc' }] },
      payment: true,
      history: { orderBy: { id: 'asc' } },
    },
  });
  if (!order) throw new NotFoundError('order', id, 'id');
  const payment = order.payment;
  return {
    id: order.id,
    customerId: order.customerId,
    customerEmail: order.customerEmail,
    status: order.status,
    failureReason: order.failureReason,
    paymentMethod: order.paymentMethod,
    total: { amountMinor: order.totalMinor, currency: order.currency },
    items: order.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPriceMinor: i.unitPriceMinor })),
    reservations: order.reservations.map((r) => ({ sku: r.sku, warehouseId: r.warehouseId, quantity: r.quantity, state: r.state })),
    payment: payment
      ? {
          id: payment.id,
          status: payment.status,
          provider: payment.provider,
          providerPaymentId: payment.providerPaymentId,
          amountMinor: payment.amountMinor,
          currency: payment.currency,
          failureReason: payment.failureReason,
          updatedAt: payment.updatedAt.toISOString(),
        }
      : null,
    history: order.history.map((h) => ({ from: h.fromStatus, to: h.toStatus, reason: h.reason, at: h.at.toISOString() })),
    processInstanceKey: order.processInstanceKey,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
