// The sandbox's webhook as it goes over the wire: the provider's name, the header
// that carries the signature, the event envelope, and the parser that turns a
// received body into the provider-neutral event our webhook route records. The
// provider (./provider.ts) sends what this file reads.
import { z } from 'zod';
import { fieldName, InvalidInputError } from '../../../domain/errors.js';
import { isUuid } from '../../../domain/ids.js';
import { storableText } from '../../../domain/storable.js';
import type { PaymentOutcomeEvent } from '../../../domain/payments/gateway.js';

export const SANDBOX_PROVIDER = 'sandbox';
export const SANDBOX_SIGNATURE_HEADER = 'Sandbox-Signature';

/** The callback as the sandbox sends it (Stripe-like envelope). */
export type SandboxEvent = {
  id: string;
  type: 'payment.succeeded' | 'payment.failed';
  created: number;
  data: { paymentId: string; providerPaymentId: string; orderId: string; amountMinor: number; currency: string; reason?: string };
};

const SandboxEventSchema = z.object({
  id: storableText().min(1).max(255),
  type: z.enum(['payment.succeeded', 'payment.failed']),
  created: z.number().int().nonnegative(),
  data: z.object({
    paymentId: storableText().min(1).max(255),
    providerPaymentId: storableText().min(1).max(255),
    orderId: storableText().refine(isUuid, 'must be a UUID'),
    amountMinor: z.number().int().nonnegative(),
    currency: storableText().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 code'),
    reason: storableText().min(1).max(500).optional(),
  }),
});

/** Validates a sandbox callback body; an InvalidInputError names every bad field (e.g. `data.orderId`). */
export function parseSandboxEvent(body: unknown): PaymentOutcomeEvent {
  const parsed = SandboxEventSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidInputError(parsed.error.issues.map((issue) => ({ field: fieldName(issue.path), message: issue.message })));
  }
  const { id, type, data } = parsed.data;
  return {
    providerEventId: id,
    type,
    orderId: data.orderId,
    paymentId: data.paymentId,
    providerPaymentId: data.providerPaymentId,
    amountMinor: data.amountMinor,
    currency: data.currency,
    reason: data.reason,
  };
}
