// A customer's cart (their own: a customer token) and its checkout (docs/catalogue.md, "The
// cart"). Every answer carries the cart's ETag; checkout needs it back as If-Match and an
// Idempotency-Key, and answers like POST /orders.
import { Router, type RequestHandler, type Response } from 'express';
import { CartChangedError, CartNotBuyableError, checkout } from '../../domain/cart/checkout.js';
import { clearCart, removeCartLine, setCartLine } from '../../domain/cart/change-cart.js';
import { pricedCart, type CartView } from '../../domain/cart/priced-cart.js';
import type { CustomerLevels } from '../../domain/customers/levels.js';
import { IdempotencyKeyReusedError } from '../../domain/orders/create-order.js';
import type { PaymentGateway } from '../../domain/payments/gateway.js';
import { killPoint } from '../../infra/kill-points.js';
import { principalOf } from '../authorize.js';
import { CartLineParams, CartVersion, CheckoutBody, SetCartLineBody } from '../catalogue-schemas.js';
import { logRequestWith } from '../log-context.js';
import { HttpProblem } from '../problem.js';
import { IdempotencyKey } from '../schemas.js';
import { startPlacedOrder, type OrderStarter } from '../start-order.js';
import { jsonBody, parse } from '../validate.js';

export type CartRouteDeps = OrderStarter & {
  levels: CustomerLevels;
  requireCustomer: RequestHandler;
  jsonParser: RequestHandler;
  gateway: Pick<PaymentGateway, 'checkPaymentMethod'>;
  idempotencyKeyTtlMs: number;
};

const customerOf = (res: Response): string => {
  const p = principalOf(res);
  if (p.kind !== 'customer') throw new Error('the cart routes need requireCustomer');
  return p.customerId;
};

const send = (res: Response, cart: CartView) => res.setHeader('ETag', cart.etag).setHeader('Cache-Control', 'no-store').json(cart);

/** A header checkout cannot go without: 428 naming it (RFC 6585). */
function requiredHeader(req: Parameters<RequestHandler>[0], name: string, why: string): string {
  const value = req.get(name);
  if (value === undefined) throw new HttpProblem(428, 'precondition-required', 'Precondition required', why, [{ field: name, message: `is required: ${why}` }]);
  return value;
}

export function cartRoutes(deps: CartRouteDeps): Router {
  const { prisma, levels, requireCustomer: customer, jsonParser, gateway, idempotencyKeyTtlMs } = deps;
  return Router()
    .get('/cart', customer, async (_req, res) => {
      send(res, await pricedCart(prisma, levels, customerOf(res)));
    })
    .put('/cart/lines/:sku', customer, jsonParser, async (req, res) => {
      const { sku } = parse(CartLineParams, req.params);
      const { quantity } = jsonBody(req, SetCartLineBody);
      send(res, await setCartLine(prisma, levels, customerOf(res), sku, quantity));
    })
    .delete('/cart/lines/:sku', customer, async (req, res) => {
      const { sku } = parse(CartLineParams, req.params);
      send(res, await removeCartLine(prisma, levels, customerOf(res), sku));
    })
    .delete('/cart', customer, async (_req, res) => {
      send(res, await clearCart(prisma, levels, customerOf(res)));
    })
    .post('/cart/checkout', customer, jsonParser, async (req, res) => {
      const customerId = customerOf(res);
      const ifMatch = parse(
        CartVersion,
        requiredHeader(req, 'If-Match', 'the ETag of the cart you show the customer: checkout charges exactly that cart'),
        'If-Match',
      );
      const key = parse(
        IdempotencyKey,
        requiredHeader(req, 'Idempotency-Key', 'checkout charges money: a retry with the same key answers the same order'),
        'Idempotency-Key',
      );
      const body = jsonBody(req, CheckoutBody);
      let order;
      try {
        order = await checkout(
          prisma,
          { customerId, ifMatch, paymentMethod: body.paymentMethod, customerEmail: body.customerEmail, idempotencyKey: key },
          { checkPaymentMethod: (pm) => gateway.checkPaymentMethod(pm), idempotencyKeyTtlMs, levels },
        );
      } catch (err) {
        if (err instanceof CartChangedError) {
          throw new HttpProblem(
            409,
            'cart-changed',
            'The cart changed',
            err.message,
            [{ field: 'If-Match', message: 'names a cart that is not the cart now' }],
            { ETag: err.cart.etag },
            { cart: err.cart },
          );
        }
        if (err instanceof CartNotBuyableError) {
          throw new HttpProblem(
            409,
            'cart-not-buyable',
            'Lines of the cart cannot be bought',
            err.message,
            err.lines,
            { ETag: err.cart.etag },
            { cart: err.cart },
          );
        }
        if (err instanceof IdempotencyKeyReusedError) {
          throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused for a different request', err.message, [
            { field: 'Idempotency-Key', message: 'was already used with a different checkout; use a new key for a new order' },
          ]);
        }
        throw err;
      }
      killPoint('checkout:after-order-saved');
      await startPlacedOrder(deps, order);
      logRequestWith(res, { orderId: order.id });
      if (!order.created) res.setHeader('Idempotent-Replayed', 'true');
      res
        .status(202)
        .location(`/orders/${order.id}`)
        .json({
          id: order.id,
          status: order.status,
          total: { amountMinor: order.totalMinor, currency: order.currency },
          links: { self: `/orders/${order.id}`, cancel: `/orders/${order.id}/cancel`, notifications: `/orders/${order.id}/notifications` },
        });
    });
}
