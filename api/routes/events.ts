// GET /events: the outbox as a stream for pollers, the same events the webhooks deliver,
// oldest first. Admin only for now (customer and API-key scopes come with issue 13's auth part).
import { Router, type RequestHandler } from 'express';
import { eventPage } from '../../domain/events/stream.js';
import type { PrismaClient } from '../../infra/database.js';
import { EventsQuery } from '../event-schemas.js';
import { listParams } from '../validate.js';

export function eventRoutes(prisma: PrismaClient, requireAdmin: RequestHandler): Router {
  return Router().get('/events', requireAdmin, async (req, res) => {
    res.json(await eventPage(prisma, listParams(req, EventsQuery)));
  });
}
