import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { OrderStatus } from './lifecycle.js';

export type OrderView = {
  id: string;
  customerId: string;
  status: OrderStatus;
  failureReason: string | null;
  total: { amountMinor: number; currency: string };
  items: { sku: string; quantity: number; unitPriceMinor: number }[];
  reservations: { sku: string; warehouseId: string; quantity: number; state: string }[];
  history: { from: OrderStatus | null; to: OrderStatus; reason: string; at: string }[];
  createdAt: string;
  updatedAt: string;
};

export async function getOrder(prisma: PrismaClient, id: string): Promise<OrderView> {
  if (!isUuid(id)) throw new NotFoundError('order', id, 'id');
  const order = await prisma.order.findUnique({
    where: { id },
    include: {
      items: { orderBy: { lineNo: 'asc' } },
      reservations: { orderBy: [{ sku: 'asc' }, { warehouseId: 'asc' }] },
      history: { orderBy: { id: 'asc' } },
    },
  });
  if (!order) throw new NotFoundError('order', id, 'id');
  return {
    id: order.id,
    customerId: order.customerId,
    status: order.status,
    failureReason: order.failureReason,
    total: { amountMinor: order.totalMinor, currency: order.currency },
    items: order.items.map((i) => ({ sku: i.sku, quantity: i.quantity, unitPriceMinor: i.unitPriceMinor })),
    reservations: order.reservations.map((r) => ({ sku: r.sku, warehouseId: r.warehouseId, quantity: r.quantity, state: r.state })),
    history: order.history.map((h) => ({ from: h.fromStatus, to: h.toStatus, reason: h.reason, at: h.at.toISOString() })),
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}
