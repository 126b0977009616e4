import { Router } from 'express';
import { getProduct, listProducts } from '../../domain/catalog/products.js';
import type { PrismaClient } from '../../infra/database.js';
import { ListProductsQuery, SkuParams } from '../schemas.js';
import { listParams, parse } from '../validate.js';

export function catalogRoutes(prisma: PrismaClient): Router {
  return Router()
    .get('/products', async (req, res) => {
      res.json(await listProducts(prisma, listParams(req, ListProductsQuery)));
    })
    .get('/products/:sku', async (req, res) => {
      const { sku } = parse(SkuParams, req.params);
      res.json(await getProduct(prisma, sku));
    });
}
