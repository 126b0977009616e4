// Signed one-click links a person at a business opens to accept or decline a shipment
// (the email dispatcher sends them). The link carries its expiry and an HMAC of
// (business, shipment, action, expiry) under the business's secret, so it cannot be
// forged or turned into the other answer, and a rotated secret retires old links.
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkAction = 'accept' | 'decline';

function mac(secret: string, businessId: string, shipmentId: string, action: LinkAction, expires: number): string {
  return createHmac('sha256', secret).update(`answer-link.${businessId}.${shipmentId}.${action}.${expires}`).digest('hex');
}

export function answerLink(baseUrl: string, business: { id: string; secret: string }, shipmentId: string, action: LinkAction, expires: number): string {
  const sig = mac(business.secret, business.id, shipmentId, action, expires);
  return `${baseUrl}/businesses/${encodeURIComponent(business.id)}/shipments/${shipmentId}/answer?action=${action}&expires=${expires}&sig=${sig}`;
}

export function verifyAnswerLink(
  business: { id: string; secret: string },
  shipmentId: string,
  link: { action: LinkAction; expires: number; sig: string },
  nowSeconds = Math.floor(Date.now() / 1000),
): 'ok' | 'expired' | 'mismatch' {
  const expected = Buffer.from(mac(business.secret, business.id, shipmentId, link.action, link.expires), 'utf8');
  const given = Buffer.from(link.sig.toLowerCase(), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'mismatch';
  return link.expires < nowSeconds ? 'expired' : 'ok';
}
