// The payment providers whose webhooks the API takes: each provider's event format
// (integrations/payments/) plugged into the webhook route (api/routes/webhooks.ts),
// here in the composition root so that the API does not import the integrations.
import type { WebhookProvider } from '../api/routes/webhooks.js';
import { parseSandboxEvent, SANDBOX_PROVIDER, SANDBOX_SIGNATURE_HEADER } from '../integrations/payments/sandbox/webhook-event.js';

export function sandboxWebhookProvider(secret: string, toleranceSeconds: number): WebhookProvider {
  return { name: SANDBOX_PROVIDER, signatureHeader: SANDBOX_SIGNATURE_HEADER, secret, toleranceSeconds, parse: parseSandboxEvent };
}
