import type { PrismaClient } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { cursorOf, cursorParts, pageOf, pageRequest, type PageQuery } from '../paging.js';

export type ProductView = { sku: string; name: string; price: { amountMinor: number; currency: string } };

export type ProductPage = { products: ProductView[]; nextCursor: string | null };

function view(p: { sku: string; name: string; priceMinor: number; currency: string }): ProductView {
  return { sku: p.sku, name: p.name, price: { amountMinor: p.priceMinor, currency: p.currency } };
}

// The SKUs the API accepts: a cursor names one (base64url of the SKU).
const SKU = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const encodeProductCursor = (sku: string): string => cursorOf([sku]);

export function decodeProductCursor(cursor: string): string | undefined {
  const [sku] = cursorParts(cursor, 1) ?? [];
  return sku !== undefined && SKU.test(sku) ? sku : undefined;
}

/** One page of the catalog by SKU (keyset on the primary key): `limit` products after `cursor`. */
export async function listProducts(prisma: PrismaClient, query: PageQuery = {}): Promise<ProductPage> {
  const { limit, after } = pageRequest(query, decodeProductCursor);
  const rows = await prisma.product.findMany({ where: after === undefined ? {} : { sku: { gt: after } }, orderBy: { sku: 'asc' }, take: limit + 1 });
  const page = pageOf(rows, limit, (p) => encodeProductCursor(p.sku));
  return { products: page.rows.map(view), nextCursor: page.nextCursor };
}

export async function getProduct(prisma: PrismaClient, sku: string): Promise<ProductView> {
  const product = await prisma.product.findUnique({ where: { sku } });
  if (!product) throw new NotFoundError('product', sku, 'sku');
  return view(product);
}
