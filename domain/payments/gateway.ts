// The payment provider boundary. One adapter per provider (the built-in one is
// the sandbox in integrations/payments/sandbox/); workers and routes see only this.
// A provider answers a request at once and sends the outcome later as a webhook.

export type PaymentRequest = {
  /** Our payment id: the idempotency key the provider sees, so a retried request never charges twice. */
  paymentId: string;
  orderId: string;
  amountMinor: number;
  currency: string;
  paymentMethod: string;
};

/** A technical failure worth retrying (timeout, 5xx, rate limit). */
export class TransientProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientProviderError';
  }
}

/** The provider refused a capture or refund for good (a 4xx): asking again will not help while the payment stays as it is. `reason` says why. */
export class PaymentOperationRefusedError extends Error {
  constructor(
    readonly reason: string,
    message = reason,
  ) {
    super(message);
    this.name = 'PaymentOperationRefusedError';
  }
}

/** A capture or refund of part of a payment; `idempotencyKey` is ours, so that a retried call never moves money twice. */
export type PaymentOperation = { paymentId: string; providerPaymentId: string; amountMinor: number; currency: string; idempotencyKey: string };

/** What a refund did: `refundedMinor` came back from captured money, `releasedMinor` from the still-uncaptured authorization. */
export type RefundResult = { providerOperationId: string; refundedMinor: number; releasedMinor: number };

export interface PaymentGateway {
  readonly provider: string;
  /** Why a payment-method token cannot be used with this provider, or undefined when it can. */
  checkPaymentMethod(paymentMethod: string): string | undefined;
  /** Starts a payment; idempotent per paymentId. Throws TransientProviderError for retryable failures. */
  requestPayment(request: PaymentRequest): Promise<{ providerPaymentId: string }>;
  /** Cancels an authorization; idempotent. */
  voidPayment(payment: { paymentId: string; providerPaymentId: string }): Promise<void>;
  /**
   * The payment's status as the provider knows it now, for when its webhook is late or lost.
   * Read-only and idempotent. Throws TransientProviderError for retryable failures, and a
   * plain Error for a payment the provider never accepted (its 404).
   */
  getPayment(payment: { paymentId: string; providerPaymentId: string }): Promise<ProviderPaymentStatus>;
  /**
   * Captures part of an approved payment (per shipment): 0 < amount <= authorized − captured − released.
   * Idempotent per idempotencyKey: a repeat answers the first result, even if amounts changed since, and
   * never captures twice; the same key with another amount is refused. Throws TransientProviderError for
   * retryable failures; PaymentOperationRefusedError when refused for good (more than is left, a currency
   * not the payment's, a payment voided or not approved); a plain Error for a payment it never accepted (404).
   * Refusals are not remembered under the key: one refused while the bank was still deciding may succeed later.
   */
  capture(op: PaymentOperation): Promise<{ providerOperationId: string }>;
  /**
   * Gives money back: first from captured-and-not-refunded money, the rest released from the
   * still-uncaptured authorization (a partial void), so a shipment's share can be given back whether
   * or not it was captured. 0 < amount <= (captured − refunded) + (authorized − captured − released).
   * The payment must be approved; after a void only captured money is left. Idempotent per key and
   * failing as capture does; the result says which part was refunded and which released.
   */
  refund(op: PaymentOperation): Promise<RefundResult>;
}

/** 'pending' until the bank decided; `reason` says why a payment was declined. The amounts, once a capture or refund took place. */
export type ProviderPaymentStatus = {
  status: 'pending' | 'approved' | 'declined' | 'voided';
  reason?: string;
  capturedMinor?: number;
  refundedMinor?: number;
  releasedMinor?: number;
};

/** A verified provider callback, in the provider-neutral form the relay and the process use. */
export type PaymentOutcomeEvent = {
  providerEventId: string;
  type: 'payment.succeeded' | 'payment.failed';
  orderId: string;
  paymentId: string;
  providerPaymentId: string;
  /** What the provider says it charged: checked against our payment before the event may settle it. */
  amountMinor: number;
  currency: string;
  /** Why a payment failed (declined, insufficient funds…); absent on success. */
  reason?: string | undefined;
};
