import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';

/**
 * Links an order to the process instance that runs it (the API starts it by a
 * message, which does not say which instance it created). The first instance
 * wins; a second one for the same order is refused, so no order is ever run twice.
 * A statement of its own, committed before the order's first step does anything:
 * an instance that ends without that step (a payment timeout after a crash) still
 * shows on the order.
 */
export async function claimOrder(prisma: PrismaClient, orderId: string, processInstanceKey: string): Promise<void> {
  if (!isUuid(orderId)) throw new NotFoundError('order', orderId, 'orderId');
  const [row] = await prisma.$queryRaw<{ process_instance_key: string }[]>`
    UPDATE orders SET process_instance_key = COALESCE(process_instance_key, ${processInstanceKey}::text)
    WHERE id = ${orderId}::uuid RETURNING process_instance_key`;
  if (!row) throw new NotFoundError('order', orderId, 'orderId');
  if (row.process_instance_key !== processInstanceKey) {
    throw new ConflictError('ORDER_ALREADY_RUNNING', `order ${orderId} is already run by process instance ${row.process_instance_key}`);
  }
}
