// Operators' catalogue (a key with catalog:admin): products created, changed and archived;
// listings put on the shelf, changed and taken off, each change in the listing's history.
import { Router, type RequestHandler } from 'express';
import { principalLabel } from '../../domain/access/principal.js';
import { archiveProduct, createProduct, getAdminProduct, updateProduct } from '../../domain/catalog/manage-products.js';
import type { CustomerLevels } from '../../domain/customers/levels.js';
import { changeListing } from '../../domain/listings/change-listing.js';
import { getListing, listListings } from '../../domain/listings/get-listing.js';
import { putOnShelf } from '../../domain/listings/put-on-shelf.js';
import { takeOff } from '../../domain/listings/take-off.js';
import type { PrismaClient } from '../../infra/database.js';
import { principalOf } from '../authorize.js';
import {
  CreateListingBody,
  CreateProductBody,
  EmptyBody,
  ListingParams,
  ListListingsQuery,
  UpdateListingBody,
  UpdateProductBody,
} from '../catalogue-schemas.js';
import { SkuParams } from '../schemas.js';
import { jsonBody, listParams, parse } from '../validate.js';

export type CatalogueAdminDeps = {
  prisma: PrismaClient;
  levels: CustomerLevels;
  /** A key with catalog:admin (authorize.ts), which also refuses cross-site and non-JSON writes. */
  requireCatalogAdmin: RequestHandler;
  jsonParser: RequestHandler;
};

export function catalogueAdminRoutes({ prisma, levels, requireCatalogAdmin: admin, jsonParser }: CatalogueAdminDeps): Router {
  const actor = (res: Parameters<typeof principalOf>[0]) => principalLabel(principalOf(res));
  return Router()
    .post('/admin/products', admin, jsonParser, async (req, res) => {
      const created = await createProduct(prisma, jsonBody(req, CreateProductBody));
      res
        .status(201)
        .location(`/admin/products/${encodeURIComponent(created.sku)}`)
        .json(created);
    })
    .get('/admin/products/:sku', admin, async (req, res) => {
      res.json(await getAdminProduct(prisma, parse(SkuParams, req.params).sku));
    })
    .patch('/admin/products/:sku', admin, jsonParser, async (req, res) => {
      const { sku } = parse(SkuParams, req.params);
      res.json(await updateProduct(prisma, sku, jsonBody(req, UpdateProductBody)));
    })
    .post('/admin/products/:sku/archive', admin, jsonParser, async (req, res) => {
      const { sku } = parse(SkuParams, req.params);
      // The body is optional; requireCatalogAdmin refuses one that is not JSON.
      parse(EmptyBody, req.body ?? {});
      res.json(await archiveProduct(prisma, levels, sku, actor(res)));
    })
    .post('/admin/listings', admin, jsonParser, async (req, res) => {
      const created = await putOnShelf(prisma, levels, jsonBody(req, CreateListingBody), actor(res));
      res.status(201).location(`/admin/listings/${created.id}`).json(created);
    })
    .get('/admin/listings', admin, async (req, res) => {
      res.json(await listListings(prisma, levels, listParams(req, ListListingsQuery)));
    })
    .get('/admin/listings/:id', admin, async (req, res) => {
      res.json(await getListing(prisma, levels, parse(ListingParams, req.params).id));
    })
    .patch('/admin/listings/:id', admin, jsonParser, async (req, res) => {
      const { id } = parse(ListingParams, req.params);
      res.json(await changeListing(prisma, levels, id, jsonBody(req, UpdateListingBody), actor(res)));
    })
    .post('/admin/listings/:id/take-off', admin, jsonParser, async (req, res) => {
      const { id } = parse(ListingParams, req.params);
      // The body is optional; requireCatalogAdmin refuses one that is not JSON.
      parse(EmptyBody, req.body ?? {});
      res.json(await takeOff(prisma, levels, id, actor(res)));
    });
}
