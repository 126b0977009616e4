// Ops act on shipments here (a key with the ops scope; docs/fulfilment.md): approve one the
// routing rule held for approval, reassign one its business has not answered to another
// business, cancel one before it shipped, and list them to find the ones waiting. Reassigning
// or cancelling changes the shipment only: the escalation incident ops retry afterwards reads
// it and dispatches it again (PENDING) or handles it as declined (CANCELLED).
import { Router, type RequestHandler } from 'express';
import { principalLabel } from '../../domain/access/principal.js';
import { shipmentApproval } from '../../domain/shipments/approve-shipment.js';
import { cancelShipment } from '../../domain/shipments/cancel-shipment.js';
import { listShipments } from '../../domain/shipments/list-shipments.js';
import { reassignShipment } from '../../domain/shipments/reassign-shipment.js';
import type { PrismaClient } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import type { OrderProcess } from '../../orchestrator/order-process.js';
import { principalOf } from '../authorize.js';
import { logRequestWith } from '../log-context.js';
import { ApproveShipmentBody, CancelShipmentBody, ListShipmentsQuery, OpsShipmentParams, ReassignShipmentBody } from '../ops-shipment-schemas.js';
import { jsonBody, listParams, parse } from '../validate.js';

export type OpsShipmentRouteDeps = {
  prisma: PrismaClient;
  /** Where the approval goes (the shipment processes). */
  orderProcess: Pick<OrderProcess, 'reportShipment'>;
  requireOps: RequestHandler;
  jsonParser: RequestHandler;
  logger: Logger;
};

export function opsShipmentRoutes({ prisma, orderProcess, requireOps, jsonParser, logger }: OpsShipmentRouteDeps): Router {
  const log = logger.child({ component: 'ops-shipments' });
  return Router()
    .get('/ops/api/shipments', requireOps, async (req, res) => {
      res.json(await listShipments(prisma, listParams(req, ListShipmentsQuery)));
    })
    .post('/ops/api/shipments/:id/approve', requireOps, jsonParser, async (req, res) => {
      const { id } = parse(OpsShipmentParams, req.params);
      parse(ApproveShipmentBody, req.body ?? {});
      const { orderId, message } = await shipmentApproval(prisma, id);
      logRequestWith(res, { orderId });
      // Published on every call: a repeat after a lost answer publishes again (one message per id while buffered).
      await orderProcess.reportShipment(message);
      log.info({ orderId, shipmentId: id, by: principalLabel(principalOf(res)) }, 'shipment approved');
      res.status(202).json({ id, approved: true });
    })
    .post('/ops/api/shipments/:id/reassign', requireOps, jsonParser, async (req, res) => {
      const { id } = parse(OpsShipmentParams, req.params);
      const { businessId } = jsonBody(req, ReassignShipmentBody);
      const by = principalLabel(principalOf(res));
      const moved = await reassignShipment(prisma, id, businessId, by);
      logRequestWith(res, { orderId: moved.orderId });
      log.info({ orderId: moved.orderId, shipmentId: id, from: moved.from, to: moved.to, by }, 'shipment reassigned');
      res.status(200).json({ id, from: moved.from, to: moved.to, status: moved.status });
    })
    .post('/ops/api/shipments/:id/cancel', requireOps, jsonParser, async (req, res) => {
      const { id } = parse(OpsShipmentParams, req.params);
      const { reason } = parse(CancelShipmentBody, req.body ?? {});
      const by = principalLabel(principalOf(res));
      const cancelled = await cancelShipment(prisma, id, reason ?? 'no reason given', by);
      logRequestWith(res, { orderId: cancelled.orderId });
      log.info({ orderId: cancelled.orderId, shipmentId: id, from: cancelled.from, changed: cancelled.changed, by }, 'shipment cancelled');
      res.status(200).json({ id, status: 'CANCELLED' });
    });
}
