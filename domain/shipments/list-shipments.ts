// Shipments for ops (GET /ops/api/shipments): the ones waiting for them (PENDING: approval,
// or an unanswered one to reassign or cancel), of one business, newest first. Keyset paging by
// (created_at DESC, id), served by the index (business_id, created_at DESC, id).
import type { PrismaClient } from '../../infra/database.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { decodeTimeIdCursor, encodeTimeIdCursor, NEWEST_FIRST, newestFirstAfter, pageOf, pageRequest, type PageQuery } from '../paging.js';
import type { ShipmentStatus } from './shipment-lifecycle.js';

export type ListShipmentsQuery = PageQuery & { status?: ShipmentStatus | undefined; businessId?: string | undefined };

export type ShipmentSummary = {
  id: string;
  orderId: string;
  businessId: string;
  status: ShipmentStatus;
  amountMinor: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
};

export async function listShipments(
  prisma: PrismaClient,
  query: ListShipmentsQuery = {},
): Promise<{ shipments: ShipmentSummary[]; nextCursor: string | null }> {
  const { limit, after } = pageRequest(query, decodeTimeIdCursor);
  const where: Prisma.ShipmentWhereInput = {
    ...(query.status !== undefined ? { status: query.status } : {}),
    ...(query.businessId !== undefined ? { businessId: query.businessId } : {}),
    ...newestFirstAfter(after),
  };
  const rows = await prisma.shipment.findMany({
    where,
    orderBy: NEWEST_FIRST,
    take: limit + 1,
    select: { id: true, orderId: true, businessId: true, status: true, amountMinor: true, currency: true, createdAt: true, updatedAt: true },
  });
  const page = pageOf(rows, limit, encodeTimeIdCursor);
  return {
    shipments: page.rows.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() })),
    nextCursor: page.nextCursor,
  };
}
