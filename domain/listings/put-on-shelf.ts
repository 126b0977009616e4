import type { PrismaClient } from '../../infra/database.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import type { CustomerLevels } from '../customers/levels.js';
import { listingView, type ListingView } from './listing.js';
import { recordListingChange } from './listing-history.js';
import { assertNoOverlap, databaseNow, lockProduct, priceErrors, windowErrors } from './listing-rules.js';

export type FreightInput = { baseMinor?: number | undefined; perUnitMinor?: number | undefined; freeFromMinor?: number | null | undefined };

export type NewListing = {
  sku: string;
  location?: string | undefined;
  shelfUnits?: number | null | undefined;
  prices: Record<string, number>;
  originalPriceMinor?: number | null | undefined;
  freight?: FreightInput | undefined;
  startsAt?: Date | null | undefined;
  endsAt?: Date | null | undefined;
};

export class ProductArchivedError extends ConflictError {
  constructor(sku: string) {
    super('PRODUCT_ARCHIVED', `product ${sku} is archived: it cannot be put on the shelf`, 'sku');
    this.name = 'ProductArchivedError';
  }
}

/** Puts a product on the shelf. The product's row lock makes the overlap check and the insert one step. */
export async function putOnShelf(prisma: PrismaClient, levels: CustomerLevels, input: NewListing, actor: string): Promise<ListingView> {
  return prisma.$transaction(async (tx) => {
    const product = await lockProduct(tx, input.sku);
    if (!product) throw new NotFoundError('product', input.sku, 'sku');
    if (product.archived) throw new ProductArchivedError(input.sku);
    const window = { startsAt: input.startsAt ?? null, endsAt: input.endsAt ?? null };
    const errors = [...priceErrors(levels, input.prices), ...windowErrors(window, await databaseNow(tx))];
    if (errors.length > 0) throw new InvalidInputError(errors);
    await assertNoOverlap(tx, input.sku, window);
    const { [levels.defaultLevel]: priceMinor, ...levelPrices } = input.prices;
    const row = await tx.listing.create({
      data: {
        sku: input.sku,
        location: input.location ?? 'normal',
        shelfUnits: input.shelfUnits ?? null,
        priceMinor: priceMinor as number,
        levelPrices,
        originalPriceMinor: input.originalPriceMinor ?? null,
        currency: product.currency,
        freightBaseMinor: input.freight?.baseMinor ?? 0,
        freightPerUnitMinor: input.freight?.perUnitMinor ?? 0,
        freightFreeFromMinor: input.freight?.freeFromMinor ?? null,
        ...window,
      },
    });
    const view = listingView(levels, row);
    const { id: _id, version: _v, createdAt: _c, updatedAt: _u, takenOffAt: _t, shelfTaken: _s, ...fields } = view;
    await recordListingChange(tx, row.id, actor, 'created', fields);
    return view;
  });
}
