import type { PrismaClient } from '../../infra/database.js';
import { transitionIn } from '../orders/transition.js';

/** One shipment as the process carries it: the multi-instance dispatch runs once per element. */
export type ShipmentRef = { shipmentId: string; businessId: string; amountMinor: number };

/**
 * Splits a paid order's lines into one shipment per business and moves the order to
 * FULFILLING, in one transaction. Idempotent: a repeated call answers the shipments
 * the first one made, in the same order.
 */
export async function prepareShipments(prisma: PrismaClient, orderId: string): Promise<ShipmentRef[]> {
  return prisma.$transaction(async (tx) => {
    // The status change locks the order row first, as every step of an order does.
    await transitionIn(tx, orderId, 'FULFILLING', 'paid: shipments sent to the businesses that supply them');
    const existing = await tx.shipment.findMany({
      where: { orderId },
      orderBy: { businessId: 'asc' },
      select: { id: true, businessId: true, amountMinor: true },
    });
    if (existing.length > 0) return existing.map(toRef);
    const order = await tx.order.findUniqueOrThrow({
      where: { id: orderId },
      select: {
        currency: true,
        items: {
          orderBy: { lineNo: 'asc' },
          select: { sku: true, quantity: true, unitPriceMinor: true, freightMinor: true, product: { select: { businessId: true } } },
        },
      },
    });
    const byBusiness = new Map<string, typeof order.items>();
    for (const item of order.items) byBusiness.set(item.product.businessId, [...(byBusiness.get(item.product.businessId) ?? []), item]);
    const made: ShipmentRef[] = [];
    for (const businessId of [...byBusiness.keys()].sort()) {
      const lines = byBusiness.get(businessId)!;
      const shipment = await tx.shipment.create({
        data: {
          orderId,
          businessId,
          currency: order.currency,
          // The lines with their freight: the shipments of an order add up to its total.
          amountMinor: lines.reduce((sum, l) => sum + l.quantity * l.unitPriceMinor + l.freightMinor, 0),
          lines: { create: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, unitPriceMinor: l.unitPriceMinor })) },
          history: { create: { toStatus: 'PENDING', reason: `lines of business ${businessId}` } },
        },
        select: { id: true, businessId: true, amountMinor: true },
      });
      made.push(toRef(shipment));
    }
    return made;
  });
}

function toRef(s: { id: string; businessId: string; amountMinor: number }): ShipmentRef {
  return { shipmentId: s.id, businessId: s.businessId, amountMinor: s.amountMinor };
}
