// The payment providers whose webhooks the API takes: each provider's event format
// (queues/) plugged into the webhook route (api/routes/webhooks.ts), here in the
// composition root so that the API does not import the queues.
import type { WebhookProvider } from '../api/routes/webhooks.js';
import { parseSandboxEvent, SANDBOX_PROVIDER, SANDBOX_SIGNATURE_HEADER } from '../queues/sandbox-provider.js';

export function sandboxWebhookProvider(secret: string, toleranceSeconds: number): WebhookProvider {
  return { name: SANDBOX_PROVIDER, signatureHeader: SANDBOX_SIGNATURE_HEADER, secret, toleranceSeconds, parse: parseSandboxEvent };
}
