// Named points where the process can be made to die abruptly (SIGKILL: no clean-up,
// no flushing), to prove that a crash between two writes, or between a write and a
// call out, leaves a state that the retry completes. Inert unless FAULT_KILL_AT names
// a point (validated with the rest of the configuration, armed at start-up). The
// fault-injection suite (test/saga/kill-points.test.ts) drives an order through
// every point of KILL_POINTS; a point without a scenario there fails that suite.
import { writeSync } from 'node:fs';

export const KILL_POINTS = [
  'place-order:after-order-saved',
  'checkout:after-order-saved',
  'cancel-order-route:after-correlated',
  'reserve-stock:after-claim',
  'reserve-stock:after-reserve',
  'request-payment:after-payment-row',
  'request-payment:after-provider-call',
  'request-payment:after-recorded',
  'sandbox-callback:after-delivery',
  'payment-webhook:after-recorded',
  'payment-webhook:after-relayed',
  'payment-relay:after-published',
  'finalize-order:after-commit',
  'notify-customer:after-recorded',
  'notify-customer:after-enqueued',
  'notification-delivery:after-handoff',
  'void-payment:after-provider-call',
  'release-stock:after-commit',
  'mark-payment-failed:after-commit',
  'cancel-order:after-commit',
  'reject-order:after-commit',
] as const;

/**
 * Points in the events' webhook delivery, reached only with a subscription: their scenarios are
 * in test/events/delivery-kill-points.test.ts, not in the saga's suite.
 */
export const DELIVERY_KILL_POINTS = ['event-delivery:after-claim', 'event-delivery:after-post'] as const;

/**
 * Points in an order's life after PAID (docs/fulfilment.md): a business's answer recorded but not yet
 * published, a shipment sent but not recorded SENT, a capture or refund written but not asked, asked
 * but not recorded, a paid order's shipments cancelled but their processes not yet told, a delivery
 * confirmed but the process not yet told. Their scenarios are in test/shipments/kill-points.test.ts.
 */
export const FULFILMENT_KILL_POINTS = [
  'business-answer:after-recorded',
  'dispatch-shipment:after-send',
  'payment-operation:after-written',
  'payment-operation:after-provider-call',
  'cancel-order-route:after-shipments-cancelled',
  'confirm-delivery:after-recorded',
] as const;

export type KillPoint = (typeof KILL_POINTS)[number];
type AnyKillPoint = KillPoint | (typeof DELIVERY_KILL_POINTS)[number] | (typeof FULFILMENT_KILL_POINTS)[number];

let armed: AnyKillPoint | undefined;
/** Children that die with this process at a kill point, as they would when the whole service goes down. */
const companions = new Set<number>();

export function armKillPoint(point: AnyKillPoint | undefined): void {
  armed = point;
}

/** The private redis-server dies with the service at a kill point. Returns the undo. */
export function dieTogetherWith(pid: number): () => void {
  companions.add(pid);
  return () => companions.delete(pid);
}

/** Dies here, at once, when FAULT_KILL_AT names this point; otherwise does nothing. */
export function killPoint(point: AnyKillPoint): void {
  if (armed !== point) return;
  // Written synchronously: the fault-injection suite checks that the process died here.
  writeSync(2, `FAULT_KILL_AT: dying at ${point}\n`);
  for (const pid of companions) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  process.kill(process.pid, 'SIGKILL');
}
