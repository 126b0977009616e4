// The storefront (anyone): what is on sale now, priced for the caller's level — a customer
// token's, else the default level. A credential that was sent and refused is a 401.
import { Router } from 'express';
import { levelOf } from '../../domain/customers/customer-level.js';
import type { CustomerLevels } from '../../domain/customers/levels.js';
import { storefront, storefrontListing } from '../../domain/listings/storefront.js';
import type { PrismaClient } from '../../infra/database.js';
import { optionalCallerOf } from '../authorize.js';
import { ListingParams, StorefrontQuery } from '../catalogue-schemas.js';
import { listParams, parse } from '../validate.js';

export function storefrontRoutes(prisma: PrismaClient, levels: CustomerLevels): Router {
  const callerLevel = async (res: Parameters<typeof optionalCallerOf>[0]) => {
    const caller = optionalCallerOf(res);
    return caller?.kind === 'customer' ? levelOf(prisma, levels, caller.customerId) : levels.defaultLevel;
  };
  return Router()
    .get('/listings', async (req, res) => {
      const query = listParams(req, StorefrontQuery);
      res.json(await storefront(prisma, levels, await callerLevel(res), query));
    })
    .get('/listings/:id', async (req, res) => {
      const { id } = parse(ListingParams, req.params);
      res.json(await storefrontListing(prisma, levels, await callerLevel(res), id));
    });
}
