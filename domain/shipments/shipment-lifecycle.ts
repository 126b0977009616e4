// A shipment's life (docs/fulfilment.md). A business answers for its shipment: accepted,
// declined, shipped, delivered; answers may arrive out of order, so a later answer implies
// the steps before it (delivered while only sent: it was accepted and shipped).
export const SHIPMENT_STATUSES = ['PENDING', 'SENT', 'ACCEPTED', 'DECLINED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

const NEXT: Record<ShipmentStatus, readonly ShipmentStatus[]> = {
  PENDING: ['SENT', 'CANCELLED'],
  SENT: ['ACCEPTED', 'DECLINED', 'CANCELLED'],
  // Accepted, then unable to ship after all: still a decline, refunded like one.
  ACCEPTED: ['SHIPPED', 'DECLINED', 'CANCELLED'],
  SHIPPED: ['DELIVERED'],
  DELIVERED: [],
  DECLINED: [],
  CANCELLED: [],
};

/** The forward path of a shipment that goes well. */
const PATH: readonly ShipmentStatus[] = ['PENDING', 'SENT', 'ACCEPTED', 'SHIPPED', 'DELIVERED'];

export function canMoveShipment(from: ShipmentStatus, to: ShipmentStatus): boolean {
  return NEXT[from].includes(to);
}

/**
 * The statuses a shipment passes through from `from` to reach `to`, `to` included: one step
 * when allowed directly, the skipped steps of the forward path when an answer came early
 * (SENT → DELIVERED is ACCEPTED, SHIPPED, DELIVERED), undefined when `to` cannot follow `from`.
 * [] when the shipment is already there.
 */
export function stepsTo(from: ShipmentStatus, to: ShipmentStatus): ShipmentStatus[] | undefined {
  if (from === to) return [];
  if (canMoveShipment(from, to)) return [to];
  // A business may answer before our send was recorded (it got the message first).
  if (from === 'PENDING') {
    const rest = stepsTo('SENT', to);
    return rest && ['SENT', ...rest];
  }
  const start = PATH.indexOf(from);
  const end = PATH.indexOf(to);
  if (start < 0 || end <= start) return undefined;
  return PATH.slice(start + 1, end + 1);
}

/** Still on its way to the customer: not declined, not cancelled. */
export function isLive(status: ShipmentStatus): boolean {
  return status !== 'DECLINED' && status !== 'CANCELLED';
}
