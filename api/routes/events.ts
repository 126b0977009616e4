// GET /events: the outbox as a stream for pollers, the same events the webhooks deliver,
// oldest first, for a key with events:read.
import { Router, type RequestHandler } from 'express';
import { eventPage } from '../../domain/events/stream.js';
import type { PrismaClient } from '../../infra/database.js';
import { EventsQuery } from '../event-schemas.js';
import { listParams } from '../validate.js';

export function eventRoutes(prisma: PrismaClient, requireEventsRead: RequestHandler): Router {
  return Router().get('/events', requireEventsRead, async (req, res) => {
    res.json(await eventPage(prisma, listParams(req, EventsQuery)));
  });
}
