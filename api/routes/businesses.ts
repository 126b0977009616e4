// Businesses (a key with businesses:admin): create (the secret shown once), list, read, change,
// rotate the secret (the new one shown once), and say which business supplies a product.
// A business's own key (shipments:read) may read its own business, and only that one.
import { Router, type RequestHandler } from 'express';
import { mayReadBusiness } from '../../domain/access/business-access.js';
import { assignProduct } from '../../domain/businesses/assign-product.js';
import type { SettingsValidator } from '../../domain/businesses/business.js';
import { createBusiness } from '../../domain/businesses/create-business.js';
import { getBusiness } from '../../domain/businesses/get-business.js';
import { listBusinesses } from '../../domain/businesses/list-businesses.js';
import { rotateBusinessSecret } from '../../domain/businesses/rotate-secret.js';
import { updateBusiness } from '../../domain/businesses/update-business.js';
import { NotFoundError } from '../../domain/errors.js';
import type { PrismaClient } from '../../infra/database.js';
import { principalOf } from '../authorize.js';
import {
  AssignProductBody,
  BusinessParams,
  CreateBusinessBody,
  ListBusinessesQuery,
  RotateBusinessSecretBody,
  UpdateBusinessBody,
} from '../business-schemas.js';
import { SkuParams } from '../schemas.js';
import { jsonBody, listParams, parse } from '../validate.js';

export type BusinessRouteDeps = {
  prisma: PrismaClient;
  /** A key with businesses:admin (authorize.ts), which also refuses cross-site and non-JSON writes. */
  requireBusinessesAdmin: RequestHandler;
  /** A key with businesses:admin, or a business's key with shipments:read (its own business only, checked here). */
  requireBusinessReader: RequestHandler;
  jsonParser: RequestHandler;
  /** The dispatcher plugins' check of `dispatcher` (the registry's `validate`, wired in by app/). */
  validateDispatcher: SettingsValidator;
};

export const BUSINESSES_PATH = '/businesses';

export function businessRoutes({ prisma, requireBusinessesAdmin, requireBusinessReader, jsonParser, validateDispatcher }: BusinessRouteDeps): Router {
  return Router()
    .post(BUSINESSES_PATH, requireBusinessesAdmin, jsonParser, async (req, res) => {
      const created = await createBusiness(prisma, jsonBody(req, CreateBusinessBody), validateDispatcher);
      res.status(201).location(`${BUSINESSES_PATH}/${created.id}`).setHeader('Cache-Control', 'no-store').json(created);
    })
    .get(BUSINESSES_PATH, requireBusinessesAdmin, async (req, res) => {
      res.json(await listBusinesses(prisma, listParams(req, ListBusinessesQuery)));
    })
    .get(`${BUSINESSES_PATH}/:id`, requireBusinessReader, async (req, res) => {
      const { id } = parse(BusinessParams, req.params);
      // Another business's key learns nothing, not even that the id names a business.
      if (!mayReadBusiness(principalOf(res), id)) throw new NotFoundError('business', id, 'id');
      res.json(await getBusiness(prisma, id));
    })
    .patch(`${BUSINESSES_PATH}/:id`, requireBusinessesAdmin, jsonParser, async (req, res) => {
      const { id } = parse(BusinessParams, req.params);
      res.json(await updateBusiness(prisma, id, jsonBody(req, UpdateBusinessBody), validateDispatcher));
    })
    .post(`${BUSINESSES_PATH}/:id/secret`, requireBusinessesAdmin, jsonParser, async (req, res) => {
      const { id } = parse(BusinessParams, req.params);
      // The body is optional; requireBusinessesAdmin refuses one that is not JSON.
      parse(RotateBusinessSecretBody, req.body ?? {});
      res.setHeader('Cache-Control', 'no-store').json(await rotateBusinessSecret(prisma, id));
    })
    .put('/products/:sku/business', requireBusinessesAdmin, jsonParser, async (req, res) => {
      const { sku } = parse(SkuParams, req.params);
      const { businessId } = jsonBody(req, AssignProductBody);
      res.json(await assignProduct(prisma, sku, businessId));
    });
}
