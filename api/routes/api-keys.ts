// API keys (the admin token's one job, or a key with keys:admin): create (the token shown
// once), list, read, revoke.
import { Router, type RequestHandler } from 'express';
import { apiKeyPage, createApiKey, getApiKey, revokeApiKey } from '../../domain/access/api-keys.js';
import type { PrismaClient } from '../../infra/database.js';
import { ApiKeyParams, CreateApiKeyBody, ListApiKeysQuery } from '../access-schemas.js';
import { jsonBody, listParams, parse } from '../validate.js';

export type ApiKeyRouteDeps = { prisma: PrismaClient; requireKeyAdmin: RequestHandler; jsonParser: RequestHandler };

export const API_KEYS_PATH = '/admin/api-keys';

export function apiKeyRoutes({ prisma, requireKeyAdmin, jsonParser }: ApiKeyRouteDeps): Router {
  return Router()
    .post(API_KEYS_PATH, requireKeyAdmin, jsonParser, async (req, res) => {
      const body = jsonBody(req, CreateApiKeyBody);
      const created = await createApiKey(prisma, { ...body, expiresAt: body.expiresAt === undefined ? undefined : new Date(body.expiresAt) });
      res.status(201).location(`${API_KEYS_PATH}/${created.id}`).setHeader('Cache-Control', 'no-store').json(created);
    })
    .get(API_KEYS_PATH, requireKeyAdmin, async (req, res) => {
      res.json(await apiKeyPage(prisma, listParams(req, ListApiKeysQuery)));
    })
    .get(`${API_KEYS_PATH}/:id`, requireKeyAdmin, async (req, res) => {
      res.json(await getApiKey(prisma, parse(ApiKeyParams, req.params).id));
    })
    .delete(`${API_KEYS_PATH}/:id`, requireKeyAdmin, async (req, res) => {
      res.json(await revokeApiKey(prisma, parse(ApiKeyParams, req.params).id));
    });
}
