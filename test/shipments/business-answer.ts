// A business's system answering for one of its shipments, as docs/dispatcher-plugins.md tells it
// to: POST /businesses/{id}/shipments/{shipmentId}/events, signed with the business's secret.
import { signPayload } from '../../domain/payments/signature.js';

export type Answer = { status: number; body: Record<string, unknown> };

/** Answers as a business with `secret`, against the service at `baseUrl()` (known once it listens). */
export function businessAnswerer(baseUrl: () => string, secret: string) {
  return async (businessId: string, shipmentId: string, event: Record<string, unknown>): Promise<Answer> => {
    const raw = JSON.stringify(event);
    const res = await fetch(`${baseUrl()}/businesses/${businessId}/shipments/${shipmentId}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'business-signature': signPayload(secret, raw, Math.floor(Date.now() / 1000)) },
      body: raw,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
}
