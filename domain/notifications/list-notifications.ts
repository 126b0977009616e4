import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';

export type NotificationView = {
  id: string;
  kind: string;
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

/** The notifications of one order, oldest first, with their delivery state. */
export async function listNotifications(prisma: PrismaClient, orderId: string): Promise<NotificationView[]> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'id');
  const order = await prisma.order.findUnique({
    where: { id: orderId },
    select: { notifications: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
  });
  if (!order) throw new NotFoundError('order', orderId, 'id');
  return order.notifications.map((n) => ({
    id: n.id,
    kind: n.kind,
    channel: n.channel,
    recipient: n.recipient,
    subject: n.subject,
    body: n.body,
    status: n.status,
    attempts: n.attempts,
    lastError: n.lastError,
    createdAt: n.createdAt.toISOString(),
    sentAt: n.sentAt?.toISOString() ?? null,
  }));
}
