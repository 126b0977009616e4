import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { parseNotificationKey } from './compose-shipment.js';
import { isUuid } from '../ids.js';
import { decodeTimeIdCursor, encodeTimeIdCursor, pageOf, pageRequest, type PageQuery } from '../paging.js';

export type NotificationView = {
  id: string;
  kind: string;
  /** The shipment a shipment-* notification is about. */
  shipmentId: string | null;
  channel: string;
  recipient: string | null;
  subject: string;
  body: string;
  status: 'PENDING' | 'SENT' | 'FAILED';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
};

type NotificationRow = Omit<NotificationView, 'createdAt' | 'sentAt' | 'shipmentId'> & { createdAt: Date; sentAt: Date | null };

function view(n: NotificationRow): NotificationView {
  return {
    id: n.id,
    ...parseNotificationKey(n.kind),
    channel: n.channel,
    recipient: n.recipient,
    subject: n.subject,
    body: n.body,
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    createdAt: n.createdAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
  };
}

export type NotificationPage = { notifications: NotificationView[]; nextCursor: string | null };

/**
 * One page of an order's notifications, oldest first: keyset on (created_at, id), as
 * GET /orders pages, so `limit` rows after `cursor` (see domain/paging.ts).
 */
export async function notificationPage(prisma: PrismaClient, orderId: string, query: PageQuery = {}): Promise<NotificationPage> {
  const { limit, after } = pageRequest(query, decodeTimeIdCursor);
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'id');
  const order = await prisma.order.findUnique({
    where: { id: orderId },
    select: {
      notifications: {
        // `created_at >= c` bounds the scan; the OR breaks ties on the same millisecond by id.
        where: after ? { createdAt: { gte: after.createdAt }, OR: [{ createdAt: { gt: after.createdAt } }, { id: { gt: after.id } }] } : {},
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit + 1,
      },
    },
  });
  if (!order) throw new NotFoundError('order', orderId, 'id');
  const page = pageOf(order.notifications, limit, encodeTimeIdCursor);
  return { notifications: page.rows.map(view), nextCursor: page.nextCursor };
}
