// Money follows the goods: a shipment's amount is captured when it ships, given back when
// it is declined or cancelled, and owed to its business until released (the ledger).
// Each provider call is written first as a payment operation with the idempotency key the
// provider sees, and completed after: a step run again after a crash repeats the same
// request, and the provider answers it without moving money twice.
import type { PrismaClient, Tx } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { PaymentGateway, PaymentOperation } from '../payments/gateway.js';
import { killPoint } from '../../infra/kill-points.js';

type ShipmentForMoney = {
  id: string;
  orderId: string;
  businessId: string;
  amountMinor: number;
  currency: string;
  capturedMinor: number;
  refundedMinor: number;
  payment: { id: string; providerPaymentId: string };
};

async function shipmentForMoney(prisma: PrismaClient, shipmentId: string): Promise<ShipmentForMoney> {
  const s = await prisma.shipment.findUnique({
    where: { id: shipmentId },
    select: {
      id: true,
      orderId: true,
      businessId: true,
      amountMinor: true,
      currency: true,
      capturedMinor: true,
      refundedMinor: true,
      order: { select: { payment: { select: { id: true, providerPaymentId: true, status: true } } } },
    },
  });
  if (!s) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const payment = s.order.payment;
  if (!payment?.providerPaymentId || payment.status !== 'APPROVED') {
    throw new ConflictError('NO_APPROVED_PAYMENT', `order ${s.orderId} has no approved payment to capture or refund from`);
  }
  return { ...s, payment: { id: payment.id, providerPaymentId: payment.providerPaymentId } };
}

type MoneyCall = (op: PaymentOperation) => Promise<{ providerOperationId: string }>;

/**
 * One provider operation for the shipment's whole amount: written first with its idempotency key,
 * then asked of the provider, then completed with `effects` in one transaction. A repeat after a
 * crash asks again with the same key (the provider answers the first result) and applies nothing twice.
 */
async function operate(
  prisma: PrismaClient,
  s: ShipmentForMoney,
  kind: 'CAPTURE' | 'REFUND',
  call: MoneyCall,
  effects: (tx: Tx) => Promise<void>,
): Promise<void> {
  const idempotencyKey = `${kind.toLowerCase()}:${s.id}`;
  await prisma.paymentOperation.upsert({
    where: { idempotencyKey },
    create: { paymentId: s.payment.id, shipmentId: s.id, kind, idempotencyKey, amountMinor: s.amountMinor },
    update: {},
  });
  killPoint('payment-operation:after-written');
  const { providerOperationId } = await call({
    paymentId: s.payment.id,
    providerPaymentId: s.payment.providerPaymentId,
    amountMinor: s.amountMinor,
    currency: s.currency,
    idempotencyKey,
  });
  killPoint('payment-operation:after-provider-call');
  await prisma.$transaction(async (tx) => {
    if (await completeOperation(tx, idempotencyKey, providerOperationId)) await effects(tx);
  });
}

/** Captures the shipment's amount (when it ships) and records it as owed to its business. Idempotent. */
export async function captureShipment(prisma: PrismaClient, gateway: PaymentGateway, shipmentId: string): Promise<{ capturedMinor: number }> {
  const s = await shipmentForMoney(prisma, shipmentId);
  if (s.capturedMinor === s.amountMinor || s.amountMinor === 0) return { capturedMinor: s.capturedMinor };
  await operate(
    prisma,
    s,
    'CAPTURE',
    (op) => gateway.capture(op),
    async (tx) => {
      await tx.shipment.update({ where: { id: s.id }, data: { capturedMinor: s.amountMinor } });
      await tx.payment.update({ where: { id: s.payment.id }, data: { capturedMinor: { increment: s.amountMinor } } });
      await ledgerIn(tx, s, 'OWED', s.amountMinor, 'captured when shipped: held until delivery is confirmed');
    },
  );
  return { capturedMinor: s.amountMinor };
}

/**
 * Gives the customer the shipment's amount back (declined or cancelled): captured money is
 * refunded, an uncaptured share of the authorization released. Funds owed to the business
 * for it are reversed. Idempotent.
 */
export async function refundShipment(prisma: PrismaClient, gateway: PaymentGateway, shipmentId: string): Promise<{ refundedMinor: number }> {
  const s = await shipmentForMoney(prisma, shipmentId);
  if (s.refundedMinor === s.amountMinor || s.amountMinor === 0) return { refundedMinor: s.refundedMinor };
  await operate(
    prisma,
    s,
    'REFUND',
    (op) => gateway.refund(op),
    async (tx) => {
      await tx.shipment.update({ where: { id: s.id }, data: { refundedMinor: s.amountMinor } });
      await tx.payment.update({ where: { id: s.payment.id }, data: { refundedMinor: { increment: s.amountMinor } } });
      if (s.capturedMinor > 0) await ledgerIn(tx, s, 'REVERSED', s.capturedMinor, 'refunded to the customer');
    },
  );
  return { refundedMinor: s.amountMinor };
}

/** Marks the operation done; false when an earlier run already did (its effects are in place). */
async function completeOperation(tx: Tx, idempotencyKey: string, providerOperationId: string): Promise<boolean> {
  const moved = await tx.paymentOperation.updateMany({ where: { idempotencyKey, completedAt: null }, data: { completedAt: new Date(), providerOperationId } });
  return moved.count > 0;
}

async function ledgerIn(tx: Tx, s: ShipmentForMoney, kind: 'OWED' | 'RELEASED' | 'REVERSED', amountMinor: number, reason: string): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO business_ledger (business_id, order_id, shipment_id, kind, amount_minor, currency, reason)
    VALUES (${s.businessId}, ${s.orderId}::uuid, ${s.id}::uuid, ${kind}::ledger_entry_kind, ${amountMinor}, ${s.currency}, ${reason})
    ON CONFLICT (shipment_id, kind) DO NOTHING`;
}

/** Pays out what the shipment's business is owed (delivery confirmed, or the acceptance window passed). Idempotent. */
export async function releaseFunds(prisma: PrismaClient, shipmentId: string, reason: string): Promise<{ releasedMinor: number }> {
  return prisma.$transaction(async (tx) => {
    const s = await tx.shipment.findUnique({
      where: { id: shipmentId },
      select: { id: true, orderId: true, businessId: true, currency: true, capturedMinor: true, refundedMinor: true },
    });
    if (!s) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
    const owed = s.capturedMinor - Math.min(s.capturedMinor, s.refundedMinor);
    await tx.shipment.updateMany({ where: { id: shipmentId, fundsReleasedAt: null }, data: { fundsReleasedAt: new Date() } });
    await tx.$executeRaw`
      INSERT INTO business_ledger (business_id, order_id, shipment_id, kind, amount_minor, currency, reason)
      VALUES (${s.businessId}, ${s.orderId}::uuid, ${s.id}::uuid, 'RELEASED'::ledger_entry_kind, ${owed}, ${s.currency}, ${reason})
      ON CONFLICT (shipment_id, kind) DO NOTHING`;
    return { releasedMinor: owed };
  });
}
