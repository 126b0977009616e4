// Customers' levels and points: operators (a key with customers:admin) read them and set levels;
// a customer reads their own (GET /customers/me, GET /customers/me/points).
import { Router, type RequestHandler } from 'express';
import { getCustomer, setCustomerLevel } from '../../domain/customers/customer-level.js';
import type { CustomerLevels } from '../../domain/customers/levels.js';
import type { PrismaClient } from '../../infra/database.js';
import { principalOf } from '../authorize.js';
import { CustomerParams, PointsQuery, SetCustomerLevelBody } from '../catalogue-schemas.js';
import { pointsOf } from '../../domain/points/points.js';
import { jsonBody, listParams, parse } from '../validate.js';

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
    .get('/customers/me/points', requireCustomer, async (req, res) => {
      const p = principalOf(res);
      if (p.kind !== 'customer') throw new Error('requireCustomer let a non-customer through');
      res.json(await pointsOf(prisma, p.customerId, listParams(req, PointsQuery)));
    })
    .get('/admin/customers/:id/points', requireCustomersAdmin, async (req, res) => {
      res.json(await pointsOf(prisma, parse(CustomerParams, req.params).id, listParams(req, PointsQuery)));
    })
    .get('/admin/customers/:id', requireCustomersAdmin, async (req, res) => {
      res.json(await getCustomer(prisma, levels, parse(CustomerParams, req.params).id));
    })
    .put('/admin/customers/:id', requireCustomersAdmin, jsonParser, async (req, res) => {
      const { id } = parse(CustomerParams, req.params);
      res.json(await setCustomerLevel(prisma, levels, id, jsonBody(req, SetCustomerLevelBody).level));
    });
}
