// For tests of single routes built without createApp: every request comes from the shop's
// backend (the development key, every scope) unless it names another credential, and goes
// through the real authentication.
import type { RequestHandler } from 'express';
import { authenticate } from '../../api/authenticate.js';
import { DEV_API_KEY } from '../../infra/config.js';
import type { PrismaClient } from '../../infra/database.js';

export function asShopBackend(prisma: PrismaClient): RequestHandler[] {
  return [
    (req, _res, next) => {
      req.headers.authorization ??= `Bearer ${DEV_API_KEY}`;
      next();
    },
    authenticate({ prisma, adminToken: 'route-test-admin-token', auth: { devApiKey: DEV_API_KEY, customerTokens: undefined } }),
  ];
}
