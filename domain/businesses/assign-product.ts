// Says which business supplies (and ships) a product: its next orders' lines go to that business.
import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { foundBusiness } from './business.js';

export type ProductSupplier = { sku: string; name: string; businessId: string };

export async function assignProduct(prisma: PrismaClient, sku: string, businessId: string): Promise<ProductSupplier> {
  return prisma.$transaction(async (tx) => {
    const product = await tx.product.findUnique({ where: { sku }, select: { sku: true } });
    if (!product) throw new NotFoundError('product', sku, 'sku');
    await foundBusiness(tx, businessId, 'businessId');
    return tx.product.update({ where: { sku }, data: { businessId }, select: { sku: true, name: true, businessId: true } });
  });
}
