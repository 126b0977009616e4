import type { PrismaClient } from '../../infra/database.js';

/**
 * Orders recorded but not yet picked up by a process instance (the API crashed
 * between saving the order and starting its process, or the engine was down),
 * created between `olderThanMs` and `newerThanMs` ago.
 */
export async function unstartedOrders(
  prisma: PrismaClient,
  o: { olderThanMs: number; newerThanMs: number; limit?: number },
): Promise<{ id: string; createdAt: Date }[]> {
  const now = Date.now();
  const rows = await prisma.order.findMany({
    where: { status: 'NEW', processInstanceKey: null, createdAt: { lt: new Date(now - o.olderThanMs), gt: new Date(now - o.newerThanMs) } },
    select: { id: true, createdAt: true },
    orderBy: { createdAt: 'asc' },
    take: o.limit ?? 500,
  });
  return rows;
}

/** Orders that never started and are now too old to start safely (their start message has expired). */
export async function abandonedOrderCount(prisma: PrismaClient, olderThanMs: number): Promise<number> {
  return prisma.order.count({ where: { status: 'NEW', processInstanceKey: null, createdAt: { lt: new Date(Date.now() - olderThanMs) } } });
}
