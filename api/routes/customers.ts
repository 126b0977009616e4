// Customers' levels: operators (a key with customers:admin) read and set them; a customer
// reads their own (GET /customers/me).
import { Router, type RequestHandler } from 'express';
import { getCustomer, setCustomerLevel } from '../../domain/customers/customer-level.js';
import type { CustomerLevels } from '../../domain/customers/levels.js';
import type { PrismaClient } from '../../infra/database.js';
import { principalOf } from '../authorize.js';
import { CustomerParams, SetCustomerLevelBody } from '../catalogue-schemas.js';
import { jsonBody, parse } from '../validate.js';

export type CustomerRouteDeps = {
  prisma: PrismaClient;
  levels: CustomerLevels;
  requireCustomersAdmin: RequestHandler;
  requireCustomer: RequestHandler;
  jsonParser: RequestHandler;
};

export function customerRoutes({ prisma, levels, requireCustomersAdmin, requireCustomer, jsonParser }: CustomerRouteDeps): Router {
  return Router()
    .get('/customers/me', requireCustomer, async (_req, res) => {
      const p = principalOf(res);
      if (p.kind !== 'customer') throw new Error('requireCustomer let a non-customer through');
      res.json(await getCustomer(prisma, levels, p.customerId));
    })
    .get('/admin/customers/:id', requireCustomersAdmin, async (req, res) => {
      res.json(await getCustomer(prisma, levels, parse(CustomerParams, req.params).id));
    })
    .put('/admin/customers/:id', requireCustomersAdmin, jsonParser, async (req, res) => {
      const { id } = parse(CustomerParams, req.params);
      res.json(await setCustomerLevel(prisma, levels, id, jsonBody(req, SetCustomerLevelBody).level));
    });
}
