import { Router } from 'express';
import { getProduct, listProducts } from '../../domain/catalog/products.js';
import type { PrismaClient } from '../../infra/database.js';
import { SkuParams } from '../schemas.js';
import { parse } from '../validate.js';

export function catalogRoutes(prisma: PrismaClient): Router {
  return Router()
    .get('/products', async (_req, res) => {
      res.json({ products: await listProducts(prisma) });
    })
    .get('/products/:sku', async (req, res) => {
      const { sku } = parse(SkuParams, req.params);
      res.json(await getProduct(prisma, sku));
    });
}
