import { randomUUID } from 'node:crypto';
import express, { type Express, type RequestHandler } from 'express';
import swaggerUi from 'swagger-ui-express';
import type { Config } from '../infra/config.js';
import type { Database } from '../infra/database.js';
import type { Logger } from '../infra/logger.js';
import { openApiDocument } from './openapi.js';
import { notFoundHandler, problemErrorHandler } from './problem.js';
import { catalogRoutes } from './routes/catalog.js';
import { healthRoutes } from './routes/health.js';
import { stockRoutes } from './routes/stocks.js';

export type AppDeps = { db: Database; config: Pick<Config, 'adminToken' | 'http'>; logger: Logger; version?: string };

function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const reqId = req.get('x-request-id') ?? randomUUID();
    res.setHeader('X-Request-Id', reqId);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : 'info';
      logger[level]({ reqId, method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}

export function createApp({ db, config, logger, version = '0.1.0' }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(requestLog(logger));

  const openapi = openApiDocument(version);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openapi, { customSiteTitle: 'order-saga API' }));

  app.use(healthRoutes(db));
  app.use(catalogRoutes(db.prisma));
  // Bodies are parsed per route, after authentication: an anonymous client gets 401, not a 400/413 about its body.
  app.use(stockRoutes(db.prisma, config.adminToken, express.json({ limit: config.http.bodyLimit })));

  app.use(notFoundHandler);
  app.use(problemErrorHandler(logger));
  return app;
}
