import type { PrismaClient } from '../../infra/database.js';
import { reserveLines, type ReserveResult } from './reserve.js';

/**
 * Reserves the lines of a recorded order (the database, not the caller, says what was
 * ordered) for the process instance that runs it: the order is linked to that instance
 * in the same transaction, and an order another instance already runs is refused
 * (ConflictError), so no order is ever run twice.
 */
export async function reserveOrder(prisma: PrismaClient, orderId: string, processInstanceKey: string): Promise<ReserveResult> {
  return reserveLines(prisma, orderId, { claimFor: processInstanceKey });
}
