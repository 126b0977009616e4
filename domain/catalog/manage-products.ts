// Operators' catalogue: create a product, change it, archive it. Archiving takes its
// listings off the shelf in the same transaction; orders already placed keep their lines.
import { isUniqueViolation, type PrismaClient } from '../../infra/database.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { foundBusiness } from '../businesses/business.js';
import type { CustomerLevels } from '../customers/levels.js';
import { takeOffIn } from '../listings/take-off.js';

export type AdminProductView = {
  sku: string;
  name: string;
  price: { amountMinor: number; currency: string };
  businessId: string;
  archivedAt: string | null;
  createdAt: string;
  updatedAt: string;
};

type ProductRow = {
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  businessId: string;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

export function adminProductView(p: ProductRow): AdminProductView {
  return {
    sku: p.sku,
    name: p.name,
    price: { amountMinor: p.priceMinor, currency: p.currency },
    businessId: p.businessId,
    archivedAt: p.archivedAt?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export type NewProduct = { sku: string; name: string; priceMinor: number; currency: string; businessId?: string | undefined };

export async function createProduct(prisma: PrismaClient, input: NewProduct): Promise<AdminProductView> {
  try {
    return await prisma.$transaction(async (tx) => {
      if (input.businessId !== undefined) await foundBusiness(tx, input.businessId, 'businessId');
      const row = await tx.product.create({
        data: { sku: input.sku, name: input.name, priceMinor: input.priceMinor, currency: input.currency, businessId: input.businessId ?? 'default' },
      });
      return adminProductView(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError('PRODUCT_EXISTS', `product ${input.sku} exists`, 'sku');
    throw err;
  }
}

export type ProductChange = { name?: string | undefined; priceMinor?: number | undefined };

/** Changes the name or catalogue price; listings keep their own prices. An archived product cannot change. */
export async function updateProduct(prisma: PrismaClient, sku: string, change: ProductChange): Promise<AdminProductView> {
  return prisma.$transaction(async (tx) => {
    const found = await tx.product.findUnique({ where: { sku } });
    if (!found) throw new NotFoundError('product', sku, 'sku');
    if (found.archivedAt !== null) throw new ConflictError('PRODUCT_ARCHIVED', `product ${sku} is archived`, 'sku');
    const row = await tx.product.update({
      where: { sku },
      data: { ...(change.name !== undefined ? { name: change.name } : {}), ...(change.priceMinor !== undefined ? { priceMinor: change.priceMinor } : {}) },
    });
    return adminProductView(row);
  });
}

/** Archives the product and takes every listing of it off the shelf. Idempotent. */
export async function archiveProduct(prisma: PrismaClient, levels: CustomerLevels, sku: string, actor: string): Promise<AdminProductView> {
  return prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ archived_at: Date | null }[]>`SELECT archived_at FROM products WHERE sku = ${sku} FOR UPDATE`;
    if (!locked) throw new NotFoundError('product', sku, 'sku');
    const live = await tx.listing.findMany({ where: { sku, takenOffAt: null }, select: { id: true }, orderBy: { id: 'asc' } });
    for (const l of live) await takeOffIn(tx, levels, l.id, actor, 'its product was archived');
    // Archived once: a repeat keeps the first time.
    const row =
      locked.archived_at === null
        ? await tx.product.update({ where: { sku }, data: { archivedAt: new Date() } })
        : await tx.product.findUniqueOrThrow({ where: { sku } });
    return adminProductView(row);
  });
}

export async function getAdminProduct(prisma: PrismaClient, sku: string): Promise<AdminProductView> {
  const row = await prisma.product.findUnique({ where: { sku } });
  if (!row) throw new NotFoundError('product', sku, 'sku');
  return adminProductView(row);
}
