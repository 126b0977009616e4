import { Router, type RequestHandler } from 'express';
import { stockPage } from '../../domain/inventory/availability.js';
import { setOnHand } from '../../domain/inventory/set-on-hand.js';
import type { PrismaClient } from '../../infra/database.js';
import { ListStocksQuery, SetOnHandBody, SkuParams, StockParams } from '../schemas.js';
import { jsonBody, listParams, parse } from '../validate.js';

/** `requireCatalogAdmin`: a key with catalog:admin (authorize.ts), which also refuses cross-site and non-JSON writes. */
export function stockRoutes(prisma: PrismaClient, requireCatalogAdmin: RequestHandler, jsonParser: RequestHandler): Router {
  return Router()
    .get('/stocks/:sku', async (req, res) => {
      const { sku } = parse(SkuParams, req.params);
      const page = await stockPage(prisma, sku, listParams(req, ListStocksQuery));
      res.json({ stocks: page.stocks.map((s) => ({ warehouseId: s.warehouseId, count: s.available })), nextCursor: page.nextCursor });
    })
    .put('/stocks/:sku/:warehouseId', requireCatalogAdmin, jsonParser, async (req, res) => {
      const { sku, warehouseId } = parse(StockParams, req.params);
      const { onHand } = jsonBody(req, SetOnHandBody);
      res.json({ sku, ...(await setOnHand(prisma, sku, warehouseId, onHand)) });
    });
}
