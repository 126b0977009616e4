import type { PrismaClient } from '../../infra/database.js';
import { reserve, type ReserveResult } from './reserve.js';

/** Reserves the lines of a recorded order (the database, not the caller, says what was ordered). */
export async function reserveOrder(prisma: PrismaClient, orderId: string): Promise<ReserveResult> {
  return reserve(prisma, orderId);
}
