import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';

export type ProductView = { sku: string; name: string; price: { amountMinor: number; currency: string } };

function view(p: { sku: string; name: string; priceMinor: number; currency: string }): ProductView {
  return { sku: p.sku, name: p.name, price: { amountMinor: p.priceMinor, currency: p.currency } };
}

export async function listProducts(prisma: PrismaClient): Promise<ProductView[]> {
  return (await prisma.product.findMany({ orderBy: { sku: 'asc' } })).map(view);
}

export async function getProduct(prisma: PrismaClient, sku: string): Promise<ProductView> {
  const product = await prisma.product.findUnique({ where: { sku } });
  if (!product) throw new NotFoundError('product', sku, 'sku');
  return view(product);
}
