// Webhook subscriptions to the outbox's events (admin): create (the secret shown once),
// list, read with delivery counts, change, delete, the delivery log, and replay.
import { Router, type RequestHandler } from 'express';
import {
  createSubscription,
  deleteSubscription,
  deliveryPage,
  getSubscription,
  replayDelivery,
  subscriptionPage,
  updateSubscription,
} from '../../domain/events/subscriptions.js';
import type { PrismaClient } from '../../infra/database.js';
import {
  CreateSubscriptionBody,
  DeliveryParams,
  ListDeliveriesQuery,
  ListSubscriptionsQuery,
  SubscriptionParams,
  UpdateSubscriptionBody,
} from '../event-schemas.js';
import { jsonBody, listParams, parse } from '../validate.js';

export type EventSubscriptionRouteDeps = {
  prisma: PrismaClient;
  /** The admin check (auth.ts), which also refuses cross-site and non-JSON writes. */
  requireAdmin: RequestHandler;
  jsonParser: RequestHandler;
  /** EVENT_DELIVERY_RETRY_FOR: how long a replayed delivery is retried (ms). */
  retryForMs: number;
};

const BASE = '/admin/event-subscriptions';

export function eventSubscriptionRoutes({ prisma, requireAdmin, jsonParser, retryForMs }: EventSubscriptionRouteDeps): Router {
  return Router()
    .post(BASE, requireAdmin, jsonParser, async (req, res) => {
      const created = await createSubscription(prisma, jsonBody(req, CreateSubscriptionBody));
      res.status(201).location(`${BASE}/${created.id}`).json(created);
    })
    .get(BASE, requireAdmin, async (req, res) => {
      res.json(await subscriptionPage(prisma, listParams(req, ListSubscriptionsQuery)));
    })
    .get(`${BASE}/:id`, requireAdmin, async (req, res) => {
      res.json(await getSubscription(prisma, parse(SubscriptionParams, req.params).id));
    })
    .patch(`${BASE}/:id`, requireAdmin, jsonParser, async (req, res) => {
      const { id } = parse(SubscriptionParams, req.params);
      res.json(await updateSubscription(prisma, id, jsonBody(req, UpdateSubscriptionBody)));
    })
    .delete(`${BASE}/:id`, requireAdmin, async (req, res) => {
      await deleteSubscription(prisma, parse(SubscriptionParams, req.params).id);
      res.status(204).end();
    })
    .get(`${BASE}/:id/deliveries`, requireAdmin, async (req, res) => {
      const { id } = parse(SubscriptionParams, req.params);
      res.json(await deliveryPage(prisma, id, listParams(req, ListDeliveriesQuery)));
    })
    .post(`${BASE}/:id/deliveries/:deliveryId/replay`, requireAdmin, async (req, res) => {
      const { id, deliveryId } = parse(DeliveryParams, req.params);
      res.status(202).json(await replayDelivery(prisma, id, deliveryId, retryForMs));
    });
}
