// A crash between two writes, or between a write and a call out, after PAID
// (infra/kill-points.ts, FULFILMENT_KILL_POINTS): the service (the README's command, as a child
// process) SIGKILLs itself there, together with its private redis-server. Started again on the
// same data, the order goes on as if nothing happened: the business's answer is taken once,
// the shipment is sent and recorded, and money is captured or refunded exactly once (a second
// capture of the whole amount would be refused by the provider and end in an incident); the
// customer's cancellation or confirmation of delivery, retried, reaches the process once.
// Businesses answer as ops through the manual dispatcher (the development key holds `ops`).
import { describe, expect, test } from '@jest/globals';
import { DEV_API_KEY } from '../../infra/config.js';
import { FULFILMENT_KILL_POINTS } from '../../infra/kill-points.js';
import { databaseKind } from '../support/database.js';
import { listeningUrl, startService, type Started } from '../support/service-process.js';
import { waitFor } from '../support/wait.js';
import { sagaEnvironment } from '../saga/support.js';

type Path = 'shipped' | 'declined' | 'cancelled' | 'confirmed';
const SCENARIOS: [point: (typeof FULFILMENT_KILL_POINTS)[number], path: Path][] = [
  ['business-answer:after-recorded', 'shipped'],
  ['dispatch-shipment:after-send', 'shipped'],
  ['payment-operation:after-written', 'shipped'],
  ['payment-operation:after-provider-call', 'shipped'],
  ['payment-operation:after-provider-call', 'declined'],
  ['cancel-order-route:after-shipments-cancelled', 'cancelled'],
  ['confirm-delivery:after-recorded', 'confirmed'],
];

const auth = { authorization: `Bearer ${DEV_API_KEY}` };
type OrderView = {
  status: string;
  total: { amountMinor: number };
  payment: { capturedMinor: number; refundedMinor: number } | null;
  shipments: { id: string; businessId: string; status: string; capturedMinor: number; refundedMinor: number; history: { to: string }[] }[];
  funds: { businessId: string; owedMinor: number; releasedMinor: number; reversedMinor: number }[];
};

async function order(url: string, id: string): Promise<OrderView> {
  const res = await fetch(`${url}/orders/${id}`, { headers: auth });
  return (await res.json()) as OrderView;
}

/** The customer cancels the paid order (at cancel-order-route the request dies with the service). */
function cancel(url: string, id: string): Promise<Response> {
  return fetch(`${url}/orders/${id}/cancel`, { method: 'POST', headers: auth });
}

/** The customer confirms the shipment arrived (at confirm-delivery the request dies with the service). */
function confirm(url: string, id: string, shipmentId: string): Promise<Response> {
  return fetch(`${url}/orders/${id}/shipments/${shipmentId}/confirm-delivery`, { method: 'POST', headers: auth });
}

/** A business's event for the shipment, as ops answer for a manual business. */
function send(url: string, s: { id: string; businessId: string }, event: Record<string, unknown>): Promise<Response> {
  return fetch(`${url}/businesses/${s.businessId}/shipments/${s.id}/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
}

function answer(url: string, s: { id: string; businessId: string }, path: 'shipped' | 'declined'): Promise<Response> {
  const event =
    path === 'shipped'
      ? { id: 'kill-answer', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD-KILL' }
      : { id: 'kill-answer', type: 'declined', reason: 'cannot supply' };
  return fetch(`${url}/businesses/${s.businessId}/shipments/${s.id}/events`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify(event),
  });
}

describe(`fault injection after PAID: a SIGKILL at every fulfilment kill point (${databaseKind})`, () => {
  test(`every fulfilment kill point has a scenario here: ${FULFILMENT_KILL_POINTS.length} points (a new point without one fails)`, () => {
    expect([...new Set(SCENARIOS.map(([point]) => point))].sort()).toEqual([...FULFILMENT_KILL_POINTS].sort());
  });

  test.concurrent.each(SCENARIOS)(
    'killed at %s on the %s path, restarted: money moves once, the shipment ends where its answer says',
    async (point, path) => {
      const { env, cleanup } = await sagaEnvironment({
        REDIS_URL: '', // the private redis-server, which dies with the service at the kill point
        SANDBOX_DELAY_MS: '50',
        RECOVERY_INTERVAL_MS: '500',
        WORKER_JOB_TIMEOUT_MS: '2000', // jobs locked by the dead process are offered again soon
      });
      let second: Started | undefined;
      try {
        const first = startService({ ...env, LOG_LEVEL: 'info', FAULT_KILL_AT: point });
        const url1 = await listeningUrl(first);
        const placed = await fetch(`${url1}/orders`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ customerId: 'cust-kill', items: [{ sku: 'SKU-SCALE', quantity: 1 }], paymentMethod: 'pm_approve' }),
        });
        const { id } = (await placed.json()) as { id: string };
        if (point !== 'dispatch-shipment:after-send') {
          const sent = await waitFor('the shipment SENT', async () => (await order(url1, id)).shipments.find((s) => s.status === 'SENT'), 30_000);
          // At business-answer:after-recorded the service dies before it answers: the business sees no answer.
          if (path === 'cancelled') await cancel(url1, id).catch(() => undefined);
          else if (path === 'confirmed') {
            expect((await send(url1, sent, { id: 'kill-shipped', type: 'shipped', carrier: 'DHL', trackingNumber: 'JJD-KILL' })).status).toBe(200);
            expect((await send(url1, sent, { id: 'kill-delivered', type: 'delivered' })).status).toBe(200);
            await waitFor('told delivered', async () => (await order(url1, id)).status === 'DELIVERED', 30_000);
            await confirm(url1, id, sent.id).catch(() => undefined);
          } else await answer(url1, sent, path).catch(() => undefined);
        }
        expect(await first.exited).toBeNull(); // killed by a signal, not exited
        expect(first.output()).toContain(`FAULT_KILL_AT: dying at ${point}`);

        second = startService({ ...env, LOG_LEVEL: 'info' });
        const url2 = await listeningUrl(second);
        const shipment = await waitFor(
          'the shipment SENT or answered',
          async () => (await order(url2, id)).shipments.find((s) => s.status !== 'PENDING'),
          30_000,
        );
        if (path === 'cancelled') {
          // The customer never heard back, so they ask again: accepted, and this time the shipment's process is told.
          const again = await cancel(url2, id);
          expect([again.status, await again.json()]).toEqual([202, { id, status: 'FULFILLING', cancellation: 'accepted' }]);
        } else if (path === 'confirmed') {
          // The same: the confirmation, already recorded, answers the same and now reaches the process.
          const again = await confirm(url2, id, shipment.id);
          expect(again.status).toBe(200);
        } else if (point === 'dispatch-shipment:after-send') {
          await answer(url2, shipment, path);
        } else if (point === 'business-answer:after-recorded') {
          // The business never got our answer, so it sends the same event again: one effect.
          const again = await answer(url2, shipment, path);
          expect(((await again.json()) as { duplicate: boolean }).duplicate).toBe(true);
        }
        if (path === 'confirmed') {
          const done = await waitFor(
            'COMPLETED, funds released',
            async () => {
              const o = await order(url2, id);
              return o.status === 'COMPLETED' ? o : undefined;
            },
            30_000,
          );
          expect(done.shipments[0]).toMatchObject({ status: 'DELIVERED', capturedMinor: done.total.amountMinor, refundedMinor: 0 });
          expect(done.funds).toEqual([
            { businessId: done.shipments[0]!.businessId, owedMinor: done.total.amountMinor, releasedMinor: done.total.amountMinor, reversedMinor: 0 },
          ]);
        } else if (path === 'shipped') {
          const done = await waitFor(
            'captured',
            async () => {
              const o = await order(url2, id);
              return o.shipments[0]!.capturedMinor > 0 ? o : undefined;
            },
            30_000,
          );
          expect(done.shipments[0]).toMatchObject({ status: 'SHIPPED', capturedMinor: done.total.amountMinor, refundedMinor: 0 });
          expect(done.payment).toMatchObject({ capturedMinor: done.total.amountMinor, refundedMinor: 0 });
        } else {
          // Declined by its business, or cancelled by the customer: the order ends CANCELLED, refunded in full.
          const done = await waitFor(
            'cancelled and refunded',
            async () => {
              const o = await order(url2, id);
              return o.status === 'CANCELLED' ? o : undefined;
            },
            30_000,
          );
          expect(done.payment).toMatchObject({ capturedMinor: 0, refundedMinor: done.total.amountMinor });
          expect(done.shipments[0]!.status).toBe(path === 'cancelled' ? 'CANCELLED' : 'DECLINED');
        }
        const incidents = (await (await fetch(`${url2}/ops/api/incidents`, { headers: auth })).json()) as { incidents: { orderId: string }[] };
        expect(incidents.incidents.filter((i) => i.orderId === id)).toEqual([]);
        const history = (await order(url2, id)).shipments[0]!.history.map((h) => h.to);
        expect(new Set(history).size).toBe(history.length); // every step once
      } finally {
        if (second) {
          second.child.kill('SIGTERM');
          await second.exited;
        }
        await cleanup();
      }
    },
    120_000,
  );
});
