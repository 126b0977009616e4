import type { PrismaClient } from '../../infra/database.js';
import { Prisma } from '../../prisma/generated/client.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { composeNotification, isNotificationKind, NOTIFICATION_KINDS, type NotificationKind } from './compose.js';

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
  const found = await existing(prisma, orderId, kind);
  if (found) return found;

  const order = await prisma.order.findUnique({
    where: { id: orderId },
    include: { items: { orderBy: { lineNo: 'asc' }, include: { product: { select: { name: true } } } } },
  });
  if (!order) throw new NotFoundError('order', orderId, 'orderId');
  const { subject, body } = composeNotification(kind, {
    id: order.id,
    currency: order.currency,
    totalMinor: order.totalMinor,
    failureReason: order.failureReason,
    items: order.items.map((i) => ({ sku: i.sku, name: i.product.name, quantity: i.quantity, unitPriceMinor: i.unitPriceMinor })),
  });
  const channel: NotificationChannel = smtpEnabled && order.customerEmail ? 'smtp' : 'log';
  try {
    const row = await prisma.notification.create({
      data: { orderId, kind, channel, recipient: order.customerEmail ?? null, subject, body },
      select: { id: true },
    });
    return { id: row.id, created: true };
  } catch (err) {
    // Two attempts of the same step racing: the unique (order, kind) index lets one
    // insert win; the other answers with the winner's row.
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
      const winner = await existing(prisma, orderId, kind);
      if (winner) return winner;
    }
    throw err;
  }
}
