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

export type PaymentResult = { status: 'approved' | 'declined'; reason?: string; providerEventId: string };

export type OrderProcessOptions = {
  /** ISO 8601 duration the process waits for the payment result (the timer `=paymentTimeout`). */
  paymentTimeout: string;
  /** Time to live of published messages (ms): a message may arrive before the process waits for it. */
  messageTtlMs: number;
};

/**
 * Publishes are idempotent: each carries a messageId, and a duplicate of a
 * still-buffered message (ALREADY_EXISTS) means the first one is in; that is success.
 */
export class OrderProcess {
  constructor(
    private readonly engine: Engine,
    private readonly options: OrderProcessOptions,
  ) {}

  /** Starts the saga for an order. Starting twice within the TTL starts one instance (messageId = order id). */
  /** Resolves true when this call started it, false when an earlier start message is still buffered. */
  async start(orderId: string): Promise<boolean> {
    return this.publish({
      name: MESSAGES.orderPlaced,
      correlationKey: orderId,
      messageId: `order-placed:${orderId}`,
      variables: { orderId, paymentTimeout: this.options.paymentTimeout },
    });
  }

  async requestCancel(orderId: string): Promise<void> {
    await this.publish({ name: MESSAGES.cancelRequested, correlationKey: orderId, messageId: `cancel:${orderId}`, variables: { cancelRequested: true } });
  }

  async reportPayment(orderId: string, result: PaymentResult): Promise<void> {
    await this.publish({ name: MESSAGES.paymentResult, correlationKey: orderId, messageId: result.providerEventId, variables: { paymentResult: result } });
  }

  private async publish(m: { name: string; correlationKey: string; messageId: string; variables: Record<string, unknown> }): Promise<boolean> {
    try {
      await this.engine.publishMessage({ ...m, timeToLive: this.options.messageTtlMs });
      return true;
    } catch (err) {
      if (err instanceof EngineError && err.code === 'ALREADY_EXISTS') return false;
      throw err;
    }
  }
}
