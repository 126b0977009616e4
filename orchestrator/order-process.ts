// The order saga as the rest of the system sees it: which process, which
// messages, and what starting, cancelling and reporting a payment mean in
// engine terms. Engine-neutral (embedded or Zeebe).
import { EngineError, type Engine } from './engine.js';

export const ORDER_PROCESS_ID = 'order-fulfillment';

export const MESSAGES = {
  /** Starts the process (message start event), correlation key = order id. */
  orderPlaced: 'order-placed',
  /** The provider's answer, correlation key = order id. */
  paymentResult: 'payment-result',
  /** The customer asked to cancel, correlation key = order id. */
  cancelRequested: 'order-cancel-requested',
} as const;

/**
 * The payment's outcome as the process sees it: from the provider's webhook (with its
 * event id) or from asking the provider for the payment's status (`source: 'status-check'`).
 */
export type PaymentResult = { status: 'approved' | 'declined'; reason?: string; providerEventId?: string; source?: 'webhook' | 'status-check' };

export type OrderProcessOptions = {
  /** How long after placement an unpaid order is cancelled wherever it stands (ms): the timer `=paymentDeadline`. */
  paymentTimeoutMs: number;
  /** ISO 8601 duration the process waits for a payment result before it asks the provider (`=paymentStatusCheckInterval`). */
  paymentStatusCheckInterval: string;
  /** Time to live of published messages (ms): a message may arrive before the process waits for it. */
  messageTtlMs: number;
  /** ISO 8601 durations of the shipment process (bpmn/shipment.bpmn): `=deliveryPresumedAfter` (default P14D), `=acceptanceWindow` (default P7D). */
  deliveryPresumedAfter?: string;
  acceptanceWindow?: string;
};

/** What became of a cancellation request. */
export type CancelOutcome =
  /** The running order took it: it is being cancelled now. */
  | 'accepted'
  /** The order's process has not started yet: the request waits for it, and its first step takes it. */
  | 'queued'
  /** No running order could take it: its payment is secured, or it is ending. */
  | 'refused';

/**
 * Publishes are idempotent: each carries a messageId, and a duplicate of a
 * still-buffered message (ALREADY_EXISTS) means the first one is in; that is success.
 */
export class OrderProcess {
  constructor(
    private readonly engine: Engine,
    private readonly options: OrderProcessOptions,
  ) {}

  /**
   * Starts the saga for an order placed at `placedAt`. Starting twice within the TTL starts one
   * instance (messageId = order id). Resolves true when this call started it, false when an
   * earlier start message is still buffered.
   */
  async start(orderId: string, placedAt: Date): Promise<boolean> {
    return this.publish({
      name: MESSAGES.orderPlaced,
      correlationKey: orderId,
      messageId: `order-placed:${orderId}`,
      variables: {
        orderId,
        paymentDeadline: this.deadlineOf(placedAt),
        paymentStatusCheckInterval: this.options.paymentStatusCheckInterval,
        deliveryPresumedAfter: this.options.deliveryPresumedAfter ?? 'P14D',
        acceptanceWindow: this.options.acceptanceWindow ?? 'P7D',
      },
    });
  }

  /** When an order placed at `placedAt` is cancelled unpaid: whole seconds, as Zeebe's timeDate reads them. */
  deadlineOf(placedAt: Date): string {
    return new Date(this.deadlineMs(placedAt)).toISOString().replace(/\.000Z$/, 'Z');
  }

  private deadlineMs(placedAt: Date): number {
    return Math.ceil((placedAt.getTime() + this.options.paymentTimeoutMs) / 1000) * 1000;
  }

  /**
   * Asks the order's process to cancel. `started`: whether a process instance runs the order
   * (the order records it). A running order either takes the request at once (its pre-payment
   * phase listens for it) or cannot take it; an order not started yet gets the request buffered
   * until its deadline, when it would be cancelled anyway, so the request cannot expire unseen.
   */
  async requestCancel(orderId: string, o: { started: boolean; placedAt: Date }): Promise<CancelOutcome> {
    const message = { name: MESSAGES.cancelRequested, correlationKey: orderId, variables: { cancelRequested: true } };
    try {
      await this.engine.correlateMessage(message);
      return 'accepted';
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'NOT_FOUND')) throw err;
    }
    if (o.started) return 'refused';
    const untilDeadline = this.deadlineMs(o.placedAt) - Date.now();
    await this.publish({ ...message, messageId: `cancel:${orderId}` }, Math.max(this.options.messageTtlMs, untilDeadline + 60_000));
    return 'queued';
  }

  async reportPayment(orderId: string, result: PaymentResult & { providerEventId: string }): Promise<void> {
    await this.publish({ name: MESSAGES.paymentResult, correlationKey: orderId, messageId: result.providerEventId, variables: { paymentResult: result } });
  }

  /** A business's answer for a shipment (domain/shipments/business-answers.ts), or the customer's confirmation of delivery. */
  async reportShipment(m: { name: string; correlationKey: string; messageId: string; variables: Record<string, unknown> }): Promise<void> {
    await this.publish(m);
  }

  private async publish(
    m: { name: string; correlationKey: string; messageId: string; variables: Record<string, unknown> },
    timeToLive = this.options.messageTtlMs,
  ): Promise<boolean> {
    try {
      await this.engine.publishMessage({ ...m, timeToLive });
      return true;
    } catch (err) {
      if (err instanceof EngineError && err.code === 'ALREADY_EXISTS') return false;
      throw err;
    }
  }
}
