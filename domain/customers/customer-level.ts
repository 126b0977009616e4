import type { PrismaClient, Tx } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import { effectiveLevel, isLevel, type CustomerLevels } from './levels.js';

export type CustomerView = { id: string; level: string; updatedAt: string | null };

/** The level whose prices `customerId` sees. */
export async function levelOf(db: PrismaClient | Tx, levels: CustomerLevels, customerId: string): Promise<string> {
  const row = await db.customer.findUnique({ where: { id: customerId }, select: { level: true } });
  return effectiveLevel(levels, row?.level);
}

export async function getCustomer(prisma: PrismaClient, levels: CustomerLevels, customerId: string): Promise<CustomerView> {
  const row = await prisma.customer.findUnique({ where: { id: customerId } });
  return { id: customerId, level: effectiveLevel(levels, row?.level), updatedAt: row?.updatedAt.toISOString() ?? null };
}

/** Sets the customer's level; a customer needs no other record to have one. Idempotent. */
export async function setCustomerLevel(prisma: PrismaClient, levels: CustomerLevels, customerId: string, level: string): Promise<CustomerView> {
  if (!isLevel(levels, level)) throw new InvalidInputError([{ field: 'level', message: `must be one of ${levels.names.join(', ')}` }]);
  const row = await prisma.customer.upsert({ where: { id: customerId }, create: { id: customerId, level }, update: { level } });
  return { id: row.id, level: row.level, updatedAt: row.updatedAt.toISOString() };
}
