import type { PrismaClient } from '../../infra/database.js';
import type { Shortage } from '../inventory/reserve.js';
import { transitionOrder, type TransitionResult } from './transition.js';

export function shortageReason(shortages: Shortage[]): string {
  if (shortages.length === 0) return 'out of stock';
  return `out of stock: ${shortages.map((s) => `${s.sku} (requested ${s.requested}, available ${s.available})`).join(', ')}`;
}

/** Ends an order that could not be reserved as REJECTED, saying which lines were short. Idempotent. */
export async function rejectOrder(prisma: PrismaClient, orderId: string, shortages: Shortage[]): Promise<TransitionResult> {
  return transitionOrder(prisma, orderId, 'REJECTED', shortageReason(shortages));
}
