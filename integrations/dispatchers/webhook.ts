// Plugin `webhook`: POSTs each message as JSON to the business's URL, signed like our own
// payment webhooks (`Business-Signature: t=…,v1=<HMAC-SHA256(business secret, "t.body")>`),
// so a business verifies it with the same few lines (docs/dispatcher-plugins.md).
import {
  PermanentDispatchError,
  TransientDispatchError,
  type DispatcherPlugin,
  type DispatchTarget,
  type SettingProblem,
  type ShipmentMessage,
} from '../../domain/shipments/dispatcher.js';
import { signPayload } from '../../domain/payments/signature.js';
import { postJson as defaultPostJson, type PostJson } from '../http/post-json.js';
import { CONTROL_OR_SPACE, own, unknownKeys } from './settings.js';

export const BUSINESS_SIGNATURE_HEADER = 'Business-Signature';
export const WEBHOOK_TIMEOUT = { min: 100, max: 30_000, default: 5_000 } as const;
const MAX_URL_LENGTH = 2048;
const KNOWN = ['url', 'timeoutMs'] as const;

export type WebhookSettings = { url: string; timeoutMs: number };

/** The id a business folds duplicates by: the same for every send of one (shipment, kind). */
export function messageId(message: Pick<ShipmentMessage, 'shipmentId' | 'kind'>): string {
  return `${message.shipmentId}:${message.kind}`;
}

/** What the business receives: the stable id, the event type, then the message itself. */
export function webhookBody(message: ShipmentMessage): string {
  return JSON.stringify({ id: messageId(message), type: `shipment.${message.kind}`, ...message });
}

function urlProblem(url: unknown): string | undefined {
  if (url === undefined) return 'is required: the http(s) URL the business receives shipments at';
  if (typeof url !== 'string') return 'must be a string';
  if (url.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  if (CONTROL_OR_SPACE.test(url)) return 'must not contain spaces or control characters';
  if (!URL.canParse(url)) return 'is not a valid URL';
  const { protocol, hostname } = new URL(url);
  if (protocol !== 'http:' && protocol !== 'https:') return 'must be an http or https URL';
  if (hostname === '') return 'must name a host';
  return undefined;
}

function timeoutProblem(timeoutMs: unknown): string | undefined {
  if (timeoutMs === undefined) return undefined;
  const { min, max } = WEBHOOK_TIMEOUT;
  // Number.isInteger also refuses NaN and ±Infinity (what JSON's 1e999 parses to).
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < min || timeoutMs > max)
    return `must be a whole number of milliseconds from ${min} to ${max}`;
  return undefined;
}

export function validateWebhookSettings(settings: Record<string, unknown>): SettingProblem[] {
  const problems = unknownKeys(settings, KNOWN);
  const url = urlProblem(own(settings, 'url'));
  if (url) problems.push({ field: 'url', message: url });
  const timeout = timeoutProblem(own(settings, 'timeoutMs'));
  if (timeout) problems.push({ field: 'timeoutMs', message: timeout });
  return problems;
}

/** Settings as send uses them; settings that no longer validate are the admin's to fix, not worth a retry. */
function settingsOf(business: DispatchTarget): WebhookSettings {
  const problems = validateWebhookSettings(business.settings);
  if (problems.length > 0)
    throw new PermanentDispatchError(`webhook settings of business ${business.id} are refused: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  const timeoutMs = own(business.settings, 'timeoutMs');
  return { url: own(business.settings, 'url') as string, timeoutMs: typeof timeoutMs === 'number' ? timeoutMs : WEBHOOK_TIMEOUT.default };
}

/** Where we posted, for messages: no query or credentials (either may carry a token). */
function endpoint(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** 408 and 429 ask us to come back later, a 5xx may pass; any other non-2xx (3xx: redirects are not followed) will not change. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function webhookDispatcher({ postJson = defaultPostJson }: { postJson?: PostJson } = {}): DispatcherPlugin {
  return {
    name: 'webhook',
    validateSettings: validateWebhookSettings,
    async send(message, business) {
      const { url, timeoutMs } = settingsOf(business);
      // An empty secret would sign with a key anyone knows: refuse rather than send a forgeable message.
      if (!business.secret) throw new PermanentDispatchError(`business ${business.id} has no secret to sign its webhook with`);
      const body = webhookBody(message);
      const headers = {
        [BUSINESS_SIGNATURE_HEADER]: signPayload(business.secret, body, Math.floor(Date.now() / 1000)),
        'Idempotency-Key': messageId(message),
        'User-Agent': 'order-saga-dispatch/1',
      };
      let status: number;
      try {
        status = await postJson(url, headers, body, timeoutMs);
      } catch (err) {
        // Network errors and timeouts: the business may be back in a moment.
        throw new TransientDispatchError((err as Error).message);
      }
      if (status >= 200 && status <= 299) return { detail: `HTTP ${status}` };
      const what = `POST ${endpoint(url)} answered HTTP ${status}`;
      throw retryable(status) ? new TransientDispatchError(what) : new PermanentDispatchError(what);
    },
  };
}
