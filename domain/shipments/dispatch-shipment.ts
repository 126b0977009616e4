import type { PrismaClient } from '../../infra/database.js';
import { killPoint } from '../../infra/kill-points.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { answerLink } from './answer-links.js';
import type { DispatcherPlugin, ShipmentMessage } from './dispatcher.js';
import { moveShipmentIn } from './move-shipment.js';

export type Dispatchers = { get(name: string): DispatcherPlugin | undefined };

/** Whom a message goes to: the shipment's business, or the one ops reassigned it away from. */
export const DISPATCH_RECIPIENTS = ['business', 'previous-business'] as const;
export type DispatchRecipient = (typeof DISPATCH_RECIPIENTS)[number];

export type DispatchOptions = {
  /** Our public origin: where a business answers (known once the service listens). */
  publicUrl(): string;
  /** How long the links in a message stay valid. */
  linkValidityMs: number;
};

/**
 * Tells the shipment's business through its dispatcher plugin, then records the shipment
 * SENT (unless the business already answered). At least once: a crash between the two
 * sends again, with the same message id. `kind` reminder/stop tell an already sent shipment;
 * `to: 'previous-business'` tells the business ops reassigned it away from (a stop).
 */
export async function dispatchShipment(
  prisma: PrismaClient,
  dispatchers: Dispatchers,
  shipmentId: string,
  kind: ShipmentMessage['kind'],
  options: DispatchOptions,
  to: DispatchRecipient = 'business',
): Promise<{ plugin: string; detail: string }> {
  const found = await prisma.shipment.findUnique({
    where: { id: shipmentId },
    include: { business: true, lines: { orderBy: { sku: 'asc' } } },
  });
  if (!found) throw new NotFoundError('shipment', shipmentId, 'shipmentId');
  let s = found;
  if (to === 'previous-business') {
    const previous = found.previousBusinessId ? await prisma.business.findUnique({ where: { id: found.previousBusinessId } }) : null;
    if (!previous) return { plugin: 'none', detail: 'no earlier business to tell' };
    s = { ...found, businessId: previous.id, business: previous };
  }
  const plugin = dispatchers.get(s.business.dispatcher);
  if (!plugin) throw new Error(`business ${s.businessId} names dispatcher plugin "${s.business.dispatcher}", which is not registered`);
  // Cancelled before it went out (its process is being stopped): nothing to send but a stop.
  if (s.status === 'CANCELLED' && kind !== 'stop') return { plugin: plugin.name, detail: 'not sent: the shipment is cancelled' };
  const names = await prisma.product.findMany({ where: { sku: { in: s.lines.map((l) => l.sku) } }, select: { sku: true, name: true } });
  const nameOf = new Map(names.map((p) => [p.sku, p.name]));
  const expires = Math.floor((Date.now() + options.linkValidityMs) / 1000);
  const message: ShipmentMessage = {
    kind,
    shipmentId,
    orderId: s.orderId,
    lines: s.lines.map((l) => ({ sku: l.sku, name: nameOf.get(l.sku) ?? l.sku, quantity: l.quantity })),
    amountMinor: s.amountMinor,
    currency: s.currency,
    eventsUrl: `${options.publicUrl()}/businesses/${encodeURIComponent(s.businessId)}/shipments/${shipmentId}/events`,
    answerLinks: {
      accept: answerLink(options.publicUrl(), s.business, shipmentId, 'accept', expires),
      decline: answerLink(options.publicUrl(), s.business, shipmentId, 'decline', expires),
    },
  };
  const settings = (s.business.dispatcherSettings ?? {}) as Record<string, unknown>;
  const { detail } = await plugin.send(message, {
    id: s.businessId,
    name: s.business.name,
    contactEmail: s.business.contactEmail,
    secret: s.business.secret,
    settings,
  });
  killPoint('dispatch-shipment:after-send');
  if (kind === 'dispatch' && to === 'business' && s.status === 'PENDING') {
    await prisma.$transaction((tx) => moveShipmentIn(tx, shipmentId, 'SENT', `sent through ${plugin.name}: ${detail}`).catch(alreadyAnswered));
  }
  return { plugin: plugin.name, detail };
}

// The business answered between our read and our write: its answer already moved the shipment past SENT.
function alreadyAnswered(err: unknown): void {
  if (err instanceof ConflictError && err.code === 'SHIPMENT_STATUS') return;
  throw err;
}
