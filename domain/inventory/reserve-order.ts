import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { reserve, type ReserveResult } from './reserve.js';

/** Reserves the lines of a recorded order (the database, not the caller, says what was ordered). */
export async function reserveOrder(prisma: PrismaClient, orderId: string): Promise<ReserveResult> {
  const items = await prisma.orderItem.findMany({ where: { orderId }, orderBy: { lineNo: 'asc' }, select: { sku: true, quantity: true } });
  if (items.length === 0) throw new NotFoundError('order', orderId, 'orderId');
  return reserve(prisma, orderId, items);
}
