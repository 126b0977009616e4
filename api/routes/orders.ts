// The order API: place an order (idempotent), read it with the BPMN step it is at,
// list orders page by page, request a cancellation, read its notifications. A customer
// does all of that for their own orders only (anything else is "not found"); a key needs
// orders:write to place and cancel, orders:read to read, for any customer.
// Placing an order records it durably first, then starts its process by a message;
// everything after that (stock, payment, notifications) runs asynchronously.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { actsForAnyCustomer, mayActOnOrder, type OrderAction } from '../../domain/access/order-access.js';
import { forbidden, principalOf } from '../authorize.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.js';
import { isUuid } from '../../domain/ids.js';
import type { PageQuery } from '../../domain/paging.js';
import { cancelPaidOrder, type PaidCancellation } from '../../domain/orders/cancel-paid-order.js';
import { assertCancellable, isPaidCancellation, recordCancelRequested } from '../../domain/orders/cancellation.js';
import { DEFAULT_CUSTOMER_LEVELS, type CustomerLevels } from '../../domain/customers/levels.js';
import { startPlacedOrder } from '../start-order.js';
import { createOrder, DEFAULT_IDEMPOTENCY_KEY_TTL_MS, IdempotencyKeyReusedError, type CreatedOrder } from '../../domain/orders/create-order.js';
import { getOrder } from '../../domain/orders/get-order.js';
import { listOrders } from '../../domain/orders/list-orders.js';
import type { PaymentGateway } from '../../domain/payments/gateway.js';
import type { PrismaClient } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import type { CancelOutcome, OrderProcess } from '../../orchestrator/order-process.js';
import type { ProcessInspector, ProcessView } from '../../orchestrator/process-inspector.js';
import { logRequestWith } from '../log-context.js';
import { ORDER_BODY_PAGE, orderBodyPage, orderBodyProblem } from '../order-body.js';
import { HttpProblem } from '../problem.js';
import {
  CancelOrderBody,
  ConfirmDeliveryBody,
  CreateOrderBody,
  IdempotencyKey,
  ListNotificationsQuery,
  ListOrdersQuery,
  OrderIdParams,
  ShipmentOfOrderParams,
} from '../schemas.js';
import { confirmDelivery } from '../../domain/shipments/delivery.js';
import { DELIVERY_CONFIRMED, SHIPMENT_CANCELLED } from '../../domain/shipments/business-answers.js';
import { jsonBody, listParams, parse } from '../validate.js';
import { killPoint } from '../../infra/kill-points.js';

export type OrderRouteDeps = {
  prisma: PrismaClient;
  /** A customer or a key acting for customers (authorize.ts requireCustomerOrKey); the routes check the rest. */
  requireCaller: RequestHandler;
  orderProcess: Pick<OrderProcess, 'start' | 'requestCancel'>;
  gateway: Pick<PaymentGateway, 'checkPaymentMethod'>;
  inspector: ProcessInspector;
  /** One page of the order's recorded notifications, oldest first (keyset, see domain/paging.ts); called only for an order that exists. */
  listNotifications: (orderId: string, page: PageQuery) => Promise<{ notifications: unknown[]; nextCursor: string | null }>;
  jsonParser: RequestHandler;
  logger: Logger;
  /** How long an Idempotency-Key names its order (IDEMPOTENCY_KEY_TTL); default 24 h. */
  idempotencyKeyTtlMs?: number | undefined;
  /** The customer levels (CUSTOMER_LEVELS) listings price for. */
  levels?: CustomerLevels | undefined;
  /** Where a customer's confirmation of delivery goes (the shipment processes); absent: that route is off. */
  shipments?: Pick<OrderProcess, 'reportShipment'> | undefined;
};

/** The `reason` header of the model's customer-cancellation path (bpmn/order-fulfillment.bpmn). */
const CANCELLED_BY_CUSTOMER = 'cancelled by customer';
/** How long a refused cancellation waits for the order to settle before answering 409. */
const FATE_WAIT_MS = 3000;

const links = (id: string) => ({ self: `/orders/${id}`, cancel: `/orders/${id}/cancel`, notifications: `/orders/${id}/notifications` });

/** The Idempotency-Key header, when sent: 1–200 visible ASCII characters, else 400 naming the header. */
function idempotencyKey(req: Request): string | undefined {
  const value = req.get('idempotency-key');
  return value === undefined ? undefined : parse(IdempotencyKey, value, 'Idempotency-Key');
}

export function orderRoutes({
  prisma,
  requireCaller,
  orderProcess,
  gateway,
  inspector,
  listNotifications,
  jsonParser,
  logger,
  idempotencyKeyTtlMs = DEFAULT_IDEMPOTENCY_KEY_TTL_MS,
  levels = DEFAULT_CUSTOMER_LEVELS,
  shipments,
}: OrderRouteDeps): Router {
  const bodyPage = orderBodyPage(idempotencyKeyTtlMs);

  async function processOf(processInstanceKey: string | null, orderId: string): Promise<ProcessView | null> {
    if (!processInstanceKey) return null;
    try {
      return (await inspector.instance(processInstanceKey)) ?? null;
    } catch (err) {
      // The order is still worth answering when the engine's side cannot be read.
      logger.warn({ err, orderId, processInstanceKey }, 'could not read the process instance of an order');
      return null;
    }
  }

  /** The order once it is final or paid, or as it stands after FATE_WAIT_MS. */
  async function fateOf(id: string): Promise<{ status: string; failureReason: string | null }> {
    const until = Date.now() + FATE_WAIT_MS;
    for (;;) {
      const order = await prisma.order.findUniqueOrThrow({ where: { id }, select: { status: true, failureReason: true } });
      if (!['NEW', 'AWAITING_PAYMENT'].includes(order.status) || Date.now() > until) return order;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Cancels a paid order through its shipments (domain/orders/cancel-paid-order.ts), then tells
   * each shipment's process. An order still being split into shipments (PAID) is waited for.
   */
  async function cancelPaid(id: string): Promise<{ id: string; status: 'FULFILLING'; cancellation: 'accepted' }> {
    if (!shipments) throw new ConflictError('ORDER_NOT_CANCELLABLE', `order ${id} is paid and this service does not fulfil orders`, 'status');
    const until = Date.now() + FATE_WAIT_MS;
    let cancelled: PaidCancellation;
    for (;;) {
      try {
        cancelled = await cancelPaidOrder(prisma, id);
        break;
      } catch (err) {
        if (!(err instanceof ConflictError && err.code === 'ORDER_NOT_CANCELLABLE') || Date.now() > until) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    killPoint('cancel-order-route:after-shipments-cancelled');
    for (const shipmentId of cancelled.shipmentIds) {
      await shipments.reportShipment({ name: SHIPMENT_CANCELLED, correlationKey: shipmentId, messageId: `${shipmentId}:${SHIPMENT_CANCELLED}`, variables: {} });
    }
    return { id, status: 'FULFILLING', cancellation: 'accepted' };
  }

  /** A key's right to `action` any order; a customer's is checked per order. */
  function assertKeyMay(res: Response, action: OrderAction): void {
    const p = principalOf(res);
    if (p.kind === 'key' && !actsForAnyCustomer(p, action)) throw forbidden(`the API key lacks the scope "orders:${action}"`);
  }

  /** 404 for an order that does not exist and for one the caller may not `action`: ids cannot be probed. */
  async function assertMayActOn(res: Response, id: string, action: OrderAction): Promise<void> {
    assertKeyMay(res, action);
    const order = isUuid(id) ? await prisma.order.findUnique({ where: { id }, select: { customerId: true } }) : null;
    if (!order || !mayActOnOrder(principalOf(res), action, order.customerId)) throw new NotFoundError('order', id, 'id');
  }

  /** Whose order a new one is: a customer's own (the body may repeat it); a key names the customer. */
  function customerOfNewOrder(res: Response, given: string | undefined): string {
    const p = principalOf(res);
    if (p.kind === 'customer') {
      if (given !== undefined && given !== p.customerId) throw forbidden('customers place orders for themselves only: customerId must be yours, or left out');
      return p.customerId;
    }
    if (given === undefined) throw orderBodyProblem([{ field: 'customerId', message: 'is required with an API key: the customer the order is for' }]);
    return given;
  }

  return (
    Router()
      .post('/orders', requireCaller, jsonParser, async (req, res) => {
        assertKeyMay(res, 'write');
        const key = idempotencyKey(req);
        const body = jsonBody(req, CreateOrderBody, orderBodyProblem);
        const customerId = customerOfNewOrder(res, body.customerId);
        let order: CreatedOrder;
        try {
          order = await createOrder(
            prisma,
            { customerId, items: body.items, paymentMethod: body.paymentMethod, customerEmail: body.customerEmail, idempotencyKey: key },
            { checkPaymentMethod: (pm) => gateway.checkPaymentMethod(pm), idempotencyKeyTtlMs, levels },
          );
        } catch (err) {
          // Unknown SKUs, an unusable payment method…: the body, refused like its shape.
          if (err instanceof InvalidInputError) throw orderBodyProblem(err.errors);
          if (err instanceof IdempotencyKeyReusedError) {
            throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused for a different request', err.message, [
              { field: 'Idempotency-Key', message: 'was already used with a different request body; use a new key for a new order' },
            ]);
          }
          throw err;
        }
        killPoint('place-order:after-order-saved');
        await startPlacedOrder({ prisma, orderProcess, logger }, order);
        logRequestWith(res, { orderId: order.id });
        if (!order.created) res.setHeader('Idempotent-Replayed', 'true');
        res
          .status(202)
          .location(`/orders/${order.id}`)
          .json({ id: order.id, status: order.status, total: { amountMinor: order.totalMinor, currency: order.currency }, links: links(order.id) });
      })
      // The `type` of a 400 about the order body resolves to a page explaining the body.
      .get(ORDER_BODY_PAGE, (_req, res) => {
        res.type('html').send(bodyPage);
      })
      .get('/orders', requireCaller, async (req, res) => {
        assertKeyMay(res, 'read');
        const query = listParams(req, ListOrdersQuery);
        const p = principalOf(res);
        if (p.kind === 'customer' && query.customerId !== undefined && query.customerId !== p.customerId) {
          throw forbidden('customers list their own orders only: customerId must be yours, or left out');
        }
        res.json(await listOrders(prisma, p.kind === 'customer' ? { ...query, customerId: p.customerId } : query));
      })
      .get('/orders/:id', requireCaller, async (req, res) => {
        const { id } = parse(OrderIdParams, req.params);
        await assertMayActOn(res, id, 'read');
        const order = await getOrder(prisma, id);
        logRequestWith(res, { orderId: order.id, processInstanceKey: order.processInstanceKey });
        res.json({ ...order, process: await processOf(order.processInstanceKey, id) });
      })
      .post('/orders/:id/cancel', requireCaller, jsonParser, async (req, res) => {
        const { id } = parse(OrderIdParams, req.params);
        await assertMayActOn(res, id, 'write');
        // No fields: an empty body, {} or no content type at all. A JSON body with fields is refused.
        if (req.body !== undefined) parse(CancelOrderBody, req.body);
        const order = await assertCancellable(prisma, id);
        logRequestWith(res, { orderId: id });
        // Every time, a repeat too: the messages of a request whose answer a crash cut off go out again.
        if (isPaidCancellation(order)) return void res.status(202).json(await cancelPaid(id));
        // A repeat of a request the process took answers the same, without asking again.
        if (order.cancelRequested) return void res.status(202).json({ id, status: order.status, cancellation: order.started ? 'accepted' : 'queued' });
        let outcome: CancelOutcome;
        try {
          outcome = await orderProcess.requestCancel(id, order);
        } catch (err) {
          logger.warn({ err, orderId: id }, 'could not hand the cancellation to the order process');
          throw new HttpProblem(503, 'engine-unavailable', 'The order process cannot be reached', 'the cancellation was not recorded; try again shortly', [], {
            'Retry-After': '5',
          });
        }
        if (outcome === 'refused') {
          // The process no longer listens: its payment was secured a moment ago, it is ending, or an
          // earlier request (whose answer a crash cut off) is being carried out. Its fate tells which.
          const fate = await fateOf(id);
          // Paid a moment ago: cancelled after payment instead, while nothing has shipped.
          if (fate.status === 'PAID' || fate.status === 'FULFILLING') return void res.status(202).json(await cancelPaid(id));
          if (fate.status !== 'CANCELLED' || fate.failureReason !== CANCELLED_BY_CUSTOMER) {
            throw new ConflictError(
              'ORDER_NOT_CANCELLABLE',
              `order ${id} can no longer be cancelled: its payment is secured or it is ending (status ${fate.status})`,
              'status',
            );
          }
          outcome = 'accepted';
        }
        killPoint('cancel-order-route:after-correlated');
        await recordCancelRequested(prisma, id);
        res.status(202).json({ id, status: order.status, cancellation: outcome });
      })
      .post('/orders/:id/shipments/:shipmentId/confirm-delivery', requireCaller, jsonParser, async (req, res) => {
        const { id, shipmentId } = parse(ShipmentOfOrderParams, req.params);
        if (!shipments) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
        await assertMayActOn(res, id, 'write');
        if (req.body !== undefined) parse(ConfirmDeliveryBody, req.body);
        logRequestWith(res, { orderId: id });
        const confirmed = await confirmDelivery(prisma, id, shipmentId);
        killPoint('confirm-delivery:after-recorded');
        // Published on every call: a repeat after a lost answer publishes again (one message per id).
        await shipments.reportShipment({
          name: DELIVERY_CONFIRMED,
          correlationKey: shipmentId,
          messageId: `${shipmentId}:${DELIVERY_CONFIRMED}`,
          variables: {},
        });
        res.status(200).json({ id: shipmentId, deliveryConfirmedAt: confirmed.confirmedAt.toISOString() });
      })
      .get('/orders/:id/notifications', requireCaller, async (req, res) => {
        const { id } = parse(OrderIdParams, req.params);
        const page = listParams(req, ListNotificationsQuery);
        await assertMayActOn(res, id, 'read');
        logRequestWith(res, { orderId: id });
        res.json(await listNotifications(id, page));
      })
  );
}
