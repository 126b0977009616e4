import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';

/** How ops resolved a shipment its business never answered: the model routes on it. */
export type OverdueOutcome = 'reassigned' | 'cancelled' | 'answered' | 'unresolved';

/**
 * Reads what became of a shipment whose business did not answer, even after a reminder:
 * reassigned by ops (PENDING again: dispatched to its new business), cancelled by ops
 * (handled as declined), answered meanwhile (the answer waits for the process as a
 * buffered message), or still unresolved (an incident for ops: docs/fulfilment.md).
 */
export async function overdueOutcome(prisma: PrismaClient, shipmentId: string): Promise<{ outcome: OverdueOutcome; businessId: string }> {
  const s = await prisma.shipment.findUnique({ where: { id: shipmentId }, select: { status: true, businessId: true } });
  if (!s) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  const outcome: OverdueOutcome =
    s.status === 'PENDING' ? 'reassigned' : s.status === 'CANCELLED' ? 'cancelled' : s.status === 'SENT' ? 'unresolved' : 'answered';
  return { outcome, businessId: s.businessId };
}
