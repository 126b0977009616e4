import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { composeNotification, isNotificationKind, NOTIFICATION_KINDS, type NotificationKind } from './compose.js';
import {
  composeShipmentNotification,
  isShipmentNotificationKind,
  SHIPMENT_NOTIFICATION_KINDS,
  shipmentNotificationKey,
  type ShipmentNotificationKind,
} from './compose-shipment.js';

export type RecordNotification = { orderId: string; kind: NotificationKind; smtpEnabled: boolean };

export type NotificationChannel = 'log' | 'smtp';

async function existing(prisma: PrismaClient, orderId: string, kind: string): Promise<{ id: string; created: false } | undefined> {
  const row = await prisma.notification.findUnique({ where: { orderId_kind: { orderId, kind } }, select: { id: true } });
  return row ? { id: row.id, created: false } : undefined;
}

/**
 * Writes the outbox row for one notification: composed now, from the order as it
 * ended, and delivered later by the notifications queue. One row per order and
 * kind, so a retried saga step records nothing twice. The channel is fixed here:
 * mail when SMTP is configured and the customer gave an address, else the log.
 */
export async function recordNotification(prisma: PrismaClient, input: RecordNotification): Promise<{ id: string; created: boolean }> {
  const { orderId, kind, smtpEnabled } = input;
  if (!isNotificationKind(kind)) throw new InvalidInputError([{ field: 'kind', message: `must be one of ${NOTIFICATION_KINDS.join(', ')}` }]);
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  // The order as it ended, with its lines and their product names, in one statement.
  type OrderRow = {
    currency: string;
    total_minor: number;
    failure_reason: string | null;
    customer_email: string | null;
    items: { sku: string; name: string; quantity: number; unitPriceMinor: number }[];
  };
  const [order] = await prisma.$queryRaw<OrderRow[]>`
    SELECT o.currency, o.total_minor, o.failure_reason, o.customer_email,
      COALESCE((SELECT json_agg(json_build_object('sku', i.sku, 'name', p.name, 'quantity', i.quantity, 'unitPriceMinor', i.unit_price_minor) ORDER BY i.line_no)
                FROM order_items i JOIN products p ON p.sku = i.sku WHERE i.order_id = o.id), '[]'::json) AS items
    FROM orders o WHERE o.id = ${orderId}::uuid`;
  if (!order) throw new NotFoundError('order', orderId, 'orderId');
  const { subject, body } = composeNotification(kind, {
    id: orderId,
    currency: order.currency,
    totalMinor: Number(order.total_minor),
    failureReason: order.failure_reason,
    items: order.items,
  });
  const channel: NotificationChannel = smtpEnabled && order.customer_email ? 'smtp' : 'log';
  return insertOnce(prisma, { orderId, kind, channel, recipient: order.customer_email, subject, body });
}

/** One row per order and kind: a retried step (or two attempts racing) gets the first row's id. */
async function insertOnce(
  prisma: PrismaClient,
  n: { orderId: string; kind: string; channel: NotificationChannel; recipient: string | null; subject: string; body: string },
): Promise<{ id: string; created: boolean }> {
  const [row] = await prisma.$queryRaw<{ id: string }[]>`
    INSERT INTO notifications (order_id, kind, channel, recipient, subject, body)
    VALUES (${n.orderId}::uuid, ${n.kind}, ${n.channel}, ${n.recipient}, ${n.subject}, ${n.body})
    ON CONFLICT (order_id, kind) DO NOTHING
    RETURNING id::text`;
  if (row) return { id: row.id, created: true };
  const winner = await existing(prisma, n.orderId, n.kind);
  if (!winner) throw new Error(`notification ${n.kind} of order ${n.orderId} conflicted but cannot be read back`);
  return winner;
}

export type RecordShipmentNotification = { shipmentId: string; kind: ShipmentNotificationKind; smtpEnabled: boolean };

/**
 * The outbox row telling the customer about one shipment (compose-shipment.ts): composed
 * from the shipment as it is now, once per shipment and kind, to the order's customer.
 */
export async function recordShipmentNotification(prisma: PrismaClient, input: RecordShipmentNotification): Promise<{ id: string; created: boolean }> {
  const { shipmentId, kind, smtpEnabled } = input;
  if (!isShipmentNotificationKind(kind)) throw new InvalidInputError([{ field: 'kind', message: `must be one of ${SHIPMENT_NOTIFICATION_KINDS.join(', ')}` }]);
  if (!isUuid(shipmentId)) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const s = await prisma.shipment.findUnique({
    where: { id: shipmentId },
    include: { business: { select: { name: true } }, order: { select: { customerEmail: true, cancelRequestedAt: true } }, lines: { orderBy: { sku: 'asc' } } },
  });
  if (!s) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const names = new Map(
    (await prisma.product.findMany({ where: { sku: { in: s.lines.map((l) => l.sku) } }, select: { sku: true, name: true } })).map((p) => [p.sku, p.name]),
  );
  const { subject, body } = composeShipmentNotification(kind, {
    ...s,
    businessName: s.business.name,
    cancelledByCustomer: s.status === 'CANCELLED' && s.order.cancelRequestedAt !== null,
    lines: s.lines.map((l) => ({ ...l, name: names.get(l.sku) ?? l.sku })),
  });
  const key = shipmentNotificationKey(kind, shipmentId);
  const channel: NotificationChannel = smtpEnabled && s.order.customerEmail ? 'smtp' : 'log';
  return insertOnce(prisma, { orderId: s.orderId, kind: key, channel, recipient: s.order.customerEmail, subject, body });
}
