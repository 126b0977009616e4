// Webhook subscriptions to the outbox's events (a key with events:admin): create (the secret shown once),
// list, read with delivery counts, change, roll the secret (the new one shown once), delete, the delivery log, and replay.
import { Router, type RequestHandler } from 'express';
import { subscriptionAddressProblem } from '../../domain/events/subscription-url.js';
import {
  createSubscription,
  deleteSubscription,
  deliveryPage,
  getSubscription,
  replayDelivery,
  rotateSecret,
  subscriptionPage,
  updateSubscription,
} from '../../domain/events/subscriptions.js';
import type { PrismaClient } from '../../infra/database.js';
import {
  CreateSubscriptionBody,
  DeliveryParams,
  ListDeliveriesQuery,
  ListSubscriptionsQuery,
  RotateSecretBody,
  SubscriptionParams,
  UpdateSubscriptionBody,
} from '../event-schemas.js';
import { validationProblem } from '../problem.js';
import { jsonBody, listParams, parse } from '../validate.js';

export type EventSubscriptionRouteDeps = {
  prisma: PrismaClient;
  /** A key with events:admin (authorize.ts), which also refuses cross-site and non-JSON writes. */
  requireEventsAdmin: RequestHandler;
  jsonParser: RequestHandler;
  /** EVENT_DELIVERY_RETRY_FOR: how long a replayed delivery is retried (ms). */
  retryForMs: number;
  /** EVENT_SUBSCRIPTION_ALLOW_PRIVATE: false refuses URLs pointing at loopback, private, link-local… addresses (docs/events.md). */
  allowPrivateNetworks: boolean;
};

const BASE = '/admin/event-subscriptions';

export function eventSubscriptionRoutes({ prisma, requireEventsAdmin, jsonParser, retryForMs, allowPrivateNetworks }: EventSubscriptionRouteDeps): Router {
  /** A 400 naming `url` when it points at an address webhooks may not go to. */
  const checkAddress = async (url: string | undefined) => {
    const problem = url === undefined ? undefined : await subscriptionAddressProblem(url, { allowPrivate: allowPrivateNetworks });
    if (problem) throw validationProblem([{ field: 'url', message: problem }]);
  };
  return Router()
    .post(BASE, requireEventsAdmin, jsonParser, async (req, res) => {
      const body = jsonBody(req, CreateSubscriptionBody);
      await checkAddress(body.url);
      const created = await createSubscription(prisma, body);
      res.status(201).location(`${BASE}/${created.id}`).json(created);
    })
    .get(BASE, requireEventsAdmin, async (req, res) => {
      res.json(await subscriptionPage(prisma, listParams(req, ListSubscriptionsQuery)));
    })
    .get(`${BASE}/:id`, requireEventsAdmin, async (req, res) => {
      res.json(await getSubscription(prisma, parse(SubscriptionParams, req.params).id));
    })
    .patch(`${BASE}/:id`, requireEventsAdmin, jsonParser, async (req, res) => {
      const { id } = parse(SubscriptionParams, req.params);
      const patch = jsonBody(req, UpdateSubscriptionBody);
      await checkAddress(patch.url);
      res.json(await updateSubscription(prisma, id, patch));
    })
    .post(`${BASE}/:id/rotate-secret`, requireEventsAdmin, jsonParser, async (req, res) => {
      const { id } = parse(SubscriptionParams, req.params);
      // The body is optional (the default overlap); requireEventsAdmin refuses one that is not JSON.
      const { previousSecretValidFor } = parse(RotateSecretBody, req.body ?? {});
      res.json(await rotateSecret(prisma, id, previousSecretValidFor));
    })
    .delete(`${BASE}/:id`, requireEventsAdmin, async (req, res) => {
      await deleteSubscription(prisma, parse(SubscriptionParams, req.params).id);
      res.status(204).end();
    })
    .get(`${BASE}/:id/deliveries`, requireEventsAdmin, async (req, res) => {
      const { id } = parse(SubscriptionParams, req.params);
      res.json(await deliveryPage(prisma, id, listParams(req, ListDeliveriesQuery)));
    })
    .post(`${BASE}/:id/deliveries/:deliveryId/replay`, requireEventsAdmin, async (req, res) => {
      const { id, deliveryId } = parse(DeliveryParams, req.params);
      res.status(202).json(await replayDelivery(prisma, id, deliveryId, retryForMs));
    });
}
