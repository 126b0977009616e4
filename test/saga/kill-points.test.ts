// Fault injection: for every kill point (infra/kill-points.ts) an order is driven
// through it by a service started with FAULT_KILL_AT, which SIGKILLs itself there,
// together with its private redis-server (the whole service goes down at once).
// The service is started again on the same data, and the order must reach the
// state its payment token calls for: status and history (each status once; a
// paid order goes on to FULFILLING, its process waiting for its shipment, made
// once; a failure ends its process), stock (nothing left reserved, on hand =
// seeded - sold), payment, exactly one notification recorded and sent (handed to
// the sink at most twice: a crash costs at most one duplicate), and no incident.
import { describe, expect, test } from '@jest/globals';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { openDatabase } from '../../infra/database.js';
import { KILL_POINTS, type KillPoint } from '../../infra/kill-points.js';
import { customerToken } from '../support/customer-token.js';
import { databaseKind } from '../support/database.js';
import { listeningUrl, startService, type Started } from '../support/service-process.js';
import { waitFor, within } from '../support/wait.js';
import { PAID_PATH, sagaEnvironment, waitsForShipments, type OrderView } from './support.js';

type Path = 'paid' | 'checkout' | 'declined' | 'timed-out' | 'cancelled' | 'rejected';

const PAID = {
  paymentMethod: 'pm_approve',
  quantity: 2,
  status: 'FULFILLING',
  history: [...PAID_PATH],
  payment: 'APPROVED',
  notification: 'confirmed',
};

const PATHS: Record<Path, { paymentMethod: string; quantity: number; status: string; history: string[]; payment: string | null; notification: string }> = {
  // Paid, then split into shipments: FULFILLING, its process waiting in FulfilShipments.
  paid: PAID,
  // Paid the same way, the order made by a customer's checkout of their cart (POST /cart/checkout).
  checkout: PAID,
  declined: {
    paymentMethod: 'pm_decline',
    quantity: 2,
    status: 'PAYMENT_FAILED',
    history: ['NEW', 'AWAITING_PAYMENT', 'PAYMENT_FAILED'],
    payment: 'DECLINED',
    notification: 'payment-failed',
  },
  'timed-out': {
    paymentMethod: 'pm_no_answer',
    quantity: 2,
    status: 'CANCELLED',
    history: ['NEW', 'AWAITING_PAYMENT', 'CANCELLED'],
    payment: 'VOIDED',
    notification: 'cancelled',
  },
  // Cancelled by the customer while awaiting payment (the test posts the cancellation).
  cancelled: {
    paymentMethod: 'pm_no_answer',
    quantity: 2,
    status: 'CANCELLED',
    history: ['NEW', 'AWAITING_PAYMENT', 'CANCELLED'],
    payment: 'VOIDED',
    notification: 'cancelled',
  },
  // SKU-SCALE has 25 in each of 3 warehouses: 80 cannot be reserved.
  rejected: { paymentMethod: 'pm_approve', quantity: 80, status: 'REJECTED', history: ['NEW', 'REJECTED'], payment: null, notification: 'rejected' },
};

/** Which path of the saga passes through each kill point. */
const SCENARIOS: Record<KillPoint, Path> = {
  'place-order:after-order-saved': 'paid',
  'checkout:after-order-saved': 'checkout',
  'cancel-order-route:after-correlated': 'cancelled',
  'reserve-stock:after-claim': 'paid',
  'reserve-stock:after-reserve': 'paid',
  'request-payment:after-payment-row': 'paid',
  'request-payment:after-provider-call': 'paid',
  'request-payment:after-recorded': 'paid',
  'sandbox-callback:after-delivery': 'paid',
  'payment-webhook:after-recorded': 'paid',
  'payment-webhook:after-relayed': 'paid',
  'payment-relay:after-published': 'paid',
  'finalize-order:after-commit': 'paid',
  'notify-customer:after-recorded': 'paid',
  'notify-customer:after-enqueued': 'paid',
  'notification-delivery:after-handoff': 'paid',
  'void-payment:after-provider-call': 'timed-out',
  'release-stock:after-commit': 'declined',
  'mark-payment-failed:after-commit': 'declined',
  'cancel-order:after-commit': 'timed-out',
  'reject-order:after-commit': 'rejected',
};

const SKU = 'SKU-SCALE';
const SEEDED_ON_HAND = 75;

const JWT_SECRET = 'kill-points-customer-secret-0123456789abcdef';
/** The cart version each checkout key was sent with: its retry sends the same. */
const cartVersions = new Map<string, string>();

/** Fills the customer's cart (first time only) and checks it out with `key`. */
async function checkOut(url: string, key: string): Promise<{ status: number; id: string }> {
  const token = await customerToken('cust-kill', JWT_SECRET);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  if (!cartVersions.has(key)) {
    const put = await fetch(`${url}/cart/lines/${SKU}`, { method: 'PUT', headers: auth, body: JSON.stringify({ quantity: PATHS.checkout.quantity }) });
    cartVersions.set(key, ((await put.json()) as { etag: string }).etag);
  }
  const res = await fetch(`${url}/cart/checkout`, {
    method: 'POST',
    headers: { ...auth, 'if-match': cartVersions.get(key) as string, 'idempotency-key': key },
    body: JSON.stringify({ paymentMethod: PATHS.checkout.paymentMethod }),
  });
  return { status: res.status, id: ((await res.json()) as { id: string }).id };
}

async function placeOrder(url: string, path: Path, key: string): Promise<{ status: number; id: string }> {
  if (path === 'checkout') return checkOut(url, key);
  const res = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, authorization: `Bearer ${DEV_API_KEY}` },
    body: JSON.stringify({ customerId: 'cust-kill', items: [{ sku: SKU, quantity: PATHS[path].quantity }], paymentMethod: PATHS[path].paymentMethod }),
  });
  return { status: res.status, id: ((await res.json()) as { id: string }).id };
}

async function cancel(url: string, id: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/orders/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${DEV_API_KEY}` } });
  return { status: res.status, body: await res.json() };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${DEV_API_KEY}` } });
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

/** How often the log sink handed this order's notification out, in one service's output. */
const handOffs = (service: Started, orderId: string) =>
  service
    .output()
    .split('\n')
    .filter((line) => line.includes('"msg":"customer notification"') && line.includes(orderId)).length;

describe(`fault injection: a SIGKILL at every kill point (${databaseKind})`, () => {
  test(`every kill point has a scenario here: ${KILL_POINTS.length} points (a new point without one fails)`, () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...KILL_POINTS].sort());
  });

  // Concurrently (jest.config.js: maxConcurrency): each point has its own service, data and database.
  test.concurrent.each(KILL_POINTS.map((point) => [point, SCENARIOS[point]] as const))(
    'killed at %s, restarted: the order ends as its path (%s) says, once, with nothing left over',
    async (point, path) => {
      const expected = PATHS[path];
      const { env, cleanup } = await sagaEnvironment({
        REDIS_URL: '', // the private redis-server, which dies with the service at the kill point
        PAYMENT_TIMEOUT: path === 'timed-out' ? 'PT2S' : 'PT2M',
        SANDBOX_DELAY_MS: '50',
        RECOVERY_INTERVAL_MS: '500',
        WORKER_JOB_TIMEOUT_MS: '2000', // jobs locked by the dead process are offered again soon (PostgreSQL)
        CUSTOMER_JWT_SECRET: JWT_SECRET,
      });
      const key = `kill-${point}`;
      let second: Started | undefined;
      try {
        const first = startService({ ...env, LOG_LEVEL: 'info', FAULT_KILL_AT: point });
        const url1 = await listeningUrl(first);
        // At place-order the request itself dies with the service: the client sees the connection drop.
        const placed = await placeOrder(url1, path, key).catch(() => undefined);
        if (path === 'cancelled') {
          await waitFor(
            'the order to await payment',
            async () => (await getJson<OrderView>(`${url1}/orders/${placed?.id}`)).status === 'AWAITING_PAYMENT',
            30_000,
          );
          // At the cancel route the request dies with the service: the client never hears the answer.
          await cancel(url1, placed?.id as string).catch(() => undefined);
        }
        await within(60_000, `the service to die at ${point}`, first.exited).catch((err: Error) => {
          throw new Error(`${err.message}\n${first.output().slice(-3000)}`, { cause: err });
        });
        expect(first.child.signalCode).toBe('SIGKILL');
        expect(first.output()).toContain(`FAULT_KILL_AT: dying at ${point}`);

        second = startService({ ...env, LOG_LEVEL: 'info' });
        const url2 = await listeningUrl(second);
        // The client retries with its Idempotency-Key and gets the same order.
        const retried = await placeOrder(url2, path, key);
        expect(retried.status).toBe(202);
        if (placed) expect(retried.id).toBe(placed.id);
        const id = retried.id;
        if (path === 'cancelled') {
          // The client retries its cancellation: it hears that it is honoured, or that the order already ended CANCELLED.
          const answer = await cancel(url2, id);
          if (answer.status === 202) expect(answer.body).toMatchObject({ id, cancellation: 'accepted' });
          else expect(answer).toMatchObject({ status: 409, body: { type: '/problems/order-finished', detail: expect.stringContaining('CANCELLED') } });
        }

        let last: OrderView | undefined;
        const order = await waitFor(
          expected.payment === 'APPROVED' ? `order ${id} to wait for its shipments` : `order ${id} to end its process`,
          async () => {
            last = await getJson<OrderView>(`${url2}/orders/${id}`);
            const ended = expected.payment === 'APPROVED' ? last.status === 'FULFILLING' && waitsForShipments(last) : last.process?.state === 'COMPLETED';
            return ended ? last : undefined;
          },
          60_000,
        ).catch((err: Error) => {
          throw new Error(`${err.message}; last seen ${JSON.stringify(last)}\n${second?.output().slice(-3000)}`, { cause: err });
        });
        expect(order.status).toBe(expected.status);
        expect(order.history.map((h) => h.to)).toEqual(expected.history);
        expect(order.payment?.status ?? null).toBe(expected.payment);
        const notifications = await waitFor('the notification to be sent', async () => {
          const { notifications: list } = await getJson<{ notifications: { kind: string; status: string }[] }>(`${url2}/orders/${id}/notifications`);
          return list.every((n) => n.status === 'SENT') && list;
        });
        expect(notifications.map((n) => n.kind)).toEqual([expected.notification]);
        const { incidents } = await getJson<{ incidents: unknown[] }>(`${url2}/ops/api/incidents`);
        expect(incidents).toEqual([]);

        second.child.kill('SIGTERM');
        await second.exited;
        // Counted once both services are gone and their output is in. That it was handed out at all is the
        // SENT above: a log line written just before a SIGKILL may be lost (pino writes asynchronously).
        expect(handOffs(first, id) + handOffs(second, id)).toBeLessThanOrEqual(2);
        const db = await openDatabase(loadConfig(env).database);
        try {
          const reservations = await db.prisma.reservation.findMany({ where: { orderId: id } });
          const sold = reservations.filter((r) => r.state === 'COMMITTED').reduce((n, r) => n + r.quantity, 0);
          expect(reservations.filter((r) => r.state === 'RESERVED')).toEqual([]);
          expect(sold).toBe(expected.payment === 'APPROVED' ? expected.quantity : 0);
          // SKU-SCALE has one business: a paid order makes one shipment, once; an unpaid order none.
          expect(await db.prisma.shipment.count({ where: { orderId: id } })).toBe(expected.payment === 'APPROVED' ? 1 : 0);
          const stock = await db.prisma.stock.findMany({ where: { sku: SKU } });
          expect(stock.reduce((n, s) => n + s.reserved, 0)).toBe(0);
          expect(stock.reduce((n, s) => n + s.onHand, 0)).toBe(SEEDED_ON_HAND - sold);
          expect(await db.prisma.order.count()).toBe(1);
          expect(await db.prisma.notification.count({ where: { orderId: id } })).toBe(1);
        } finally {
          await db.close();
        }
      } finally {
        if (second && second.child.exitCode === null && second.child.signalCode === null) {
          second.child.kill('SIGTERM');
          await second.exited;
        }
        await cleanup();
      }
    },
    180_000,
  );
});
