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
}

/** 'pending' until the bank decided; `reason` says why a payment was declined. */
export type ProviderPaymentStatus = { status: 'pending' | 'approved' | 'declined' | 'voided'; reason?: string };

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
