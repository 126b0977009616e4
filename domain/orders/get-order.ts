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
  /** Captured as shipments shipped. */
  capturedMinor: number;
  /** Given back to the customer: captured money refunded, and authorization released unused. */
  refundedMinor: number;
  updatedAt: string;
};

export type ShipmentView = {
  id: string;
  businessId: string;
  status: 'PENDING' | 'SENT' | 'ACCEPTED' | 'DECLINED' | 'SHIPPED' | 'DELIVERED' | 'CANCELLED';
  amountMinor: number;
  lines: { sku: string; quantity: number }[];
  tracking: { carrier: string; trackingNumber: string; trackingUrl: string | null } | null;
  declineReason: string | null;
  capturedMinor: number;
  refundedMinor: number;
  deliveryConfirmedAt: string | null;
  fundsReleasedAt: string | null;
  history: { from: string | null; to: string; reason: string; at: string }[];
};

/** What each business is owed for this order (the ledger): held until released, or reversed when refunded. */
export type FundsView = { businessId: string; owedMinor: number; releasedMinor: number; reversedMinor: number };

export type ReservationView = { sku: string; warehouseId: string; quantity: number; state: 'RESERVED' | 'RELEASED' | 'COMMITTED' };

export type OrderView = {
  id: string;
  customerId: string;
  customerEmail: string | null;
  status: OrderStatus;
  failureReason: string | null;
  paymentMethod: string;
  total: { amountMinor: number; currency: string };
  /** subtotal (the lines) + shipping (their freight) - discount = total, in `currency`. */
  breakdown: { subtotalMinor: number; shippingMinor: number; discountMinor: number; totalMinor: number; currency: string };
  /** The level whose prices the order got; null for orders placed before levels existed. */
  customerLevel: string | null;
  items: { sku: string; quantity: number; unitPriceMinor: number; lineTotalMinor: number; freightMinor: number; listingId: string | null }[];
  /** Units held per warehouse and SKU, listed by warehouse (then SKU), each with its state. */
  reservations: ReservationView[];
  /** The payment requested for this order, or null before the payment step. */
  payment: PaymentView | null;
  /** One per business supplying the order, once it is paid (docs/fulfilment.md). */
  shipments: ShipmentView[];
  funds: FundsView[];
  history: { from: OrderStatus | null; to: OrderStatus; reason: string; at: string }[];
  /** The process instance running this order, once it has picked the order up. */
  processInstanceKey: string | null;
  createdAt: string;
  updatedAt: string;
};

export async function getOrder(prisma: PrismaClient, id: string): Promise<OrderView> {
  if (!isUuid(id)) throw new NotFoundError('order', id, 'id');
  // One snapshot: Prisma reads each relation with its own query, and a capture committed between
  // them showed a shipment captured beside a payment that was not.
  const { order, ledger } = await prisma.$transaction(
    async (tx) => {
      const found = await tx.order.findUnique({
        where: { id },
        include: {
          items: { orderBy: { lineNo: 'asc' } },
          reservations: { orderBy: [{ warehouseId: 'asc' }, { sku: 'asc' }] },
          payment: true,
          history: { orderBy: { id: 'asc' } },
          shipments: { orderBy: { businessId: 'asc' }, include: { lines: { orderBy: { sku: 'asc' } }, history: { orderBy: { id: 'asc' } } } },
        },
      });
      const entries = found && found.shipments.length > 0 ? await tx.ledgerEntry.findMany({ where: { orderId: id }, orderBy: { id: 'asc' } }) : [];
      return { order: found, ledger: entries };
    },
    { isolationLevel: 'RepeatableRead' },
  );
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
    breakdown: {
      subtotalMinor: order.totalMinor - order.shippingMinor + order.discountMinor,
      shippingMinor: order.shippingMinor,
      discountMinor: order.discountMinor,
      totalMinor: order.totalMinor,
      currency: order.currency,
    },
    customerLevel: order.customerLevel,
    items: order.items.map((i) => ({
      sku: i.sku,
      quantity: i.quantity,
      unitPriceMinor: i.unitPriceMinor,
      lineTotalMinor: i.unitPriceMinor * i.quantity,
      freightMinor: i.freightMinor,
      listingId: i.listingId,
    })),
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
          capturedMinor: payment.capturedMinor,
          refundedMinor: payment.refundedMinor,
          updatedAt: payment.updatedAt.toISOString(),
        }
      : null,
    shipments: order.shipments.map((s) => ({
      id: s.id,
      businessId: s.businessId,
      status: s.status,
      amountMinor: s.amountMinor,
      lines: s.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      tracking: s.carrier && s.trackingNumber ? { carrier: s.carrier, trackingNumber: s.trackingNumber, trackingUrl: s.trackingUrl } : null,
      declineReason: s.declineReason,
      capturedMinor: s.capturedMinor,
      refundedMinor: s.refundedMinor,
      deliveryConfirmedAt: s.deliveryConfirmedAt?.toISOString() ?? null,
      fundsReleasedAt: s.fundsReleasedAt?.toISOString() ?? null,
      history: s.history.map((h) => ({ from: h.fromStatus, to: h.toStatus, reason: h.reason, at: h.at.toISOString() })),
    })),
    funds: fundsOf(ledger),
    history: order.history.map((h) => ({ from: h.fromStatus, to: h.toStatus, reason: h.reason, at: h.at.toISOString() })),
    processInstanceKey: order.processInstanceKey,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

function fundsOf(ledger: { businessId: string; kind: 'OWED' | 'RELEASED' | 'REVERSED'; amountMinor: number }[]): FundsView[] {
  const by = new Map<string, FundsView>();
  for (const e of ledger) {
    const f = by.get(e.businessId) ?? { businessId: e.businessId, owedMinor: 0, releasedMinor: 0, reversedMinor: 0 };
    if (e.kind === 'OWED') f.owedMinor += e.amountMinor;
    else if (e.kind === 'RELEASED') f.releasedMinor += e.amountMinor;
    else f.reversedMinor += e.amountMinor;
    by.set(e.businessId, f);
  }
  return [...by.values()].sort((a, b) => a.businessId.localeCompare(b.businessId));
}
