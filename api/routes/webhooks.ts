// Payment providers call back here. The order of checks is the security model:
// a request without a signature is refused before its body is read; the
// signature is verified on the exact bytes received before anything is parsed
// or stored, so an unsigned or replayed request leaves no trace but a log line;
// and a signed event must describe the payment of the order it names, or it
// settles nothing. A verified event is made durable in the inbox, relayed to the
// process (or, when that fails, to the relay's queue), and acknowledged; the
// provider stops redelivering only once it is safe with us.
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { PaymentOutcomeEvent } from '../../domain/payments/gateway.js';
import { matchPaymentEvent } from '../../domain/payments/match-payment-event.js';
import { recordPaymentEvent, type StoredPaymentEvent } from '../../domain/payments/payment-events.js';
import { SIGNATURE_FAILURES, verifySignature, type SignatureFailure } from '../../domain/payments/signature.js';
import type { PrismaClient } from '../../infra/database.js';
import type { Logger } from '../../infra/logger.js';
import { logRequestWith } from '../log-context.js';
import { jsonOfRawBody, rawBodyParser } from '../body-parsers.js';
import { HttpProblem } from '../problem.js';
import { PaymentProviderParams } from '../schemas.js';
import { parse } from '../validate.js';
import { killPoint } from '../../infra/kill-points.js';

export type WebhookProvider = {
  name: string;
  signatureHeader: string;
  secret: string;
  toleranceSeconds: number;
  /** The provider's event format to the neutral one; throws InvalidInputError naming the bad fields. */
  parse(body: unknown): PaymentOutcomeEvent;
};

export type WebhookRoutesOptions = {
  providers: WebhookProvider[];
  prisma: PrismaClient;
  /** Relays a recorded event to the process now, or queues it for retries (queues/payment-events.ts). */
  relay: { relayNow(eventId: string, stored?: StoredPaymentEvent): Promise<unknown> };
  logger: Logger;
  bodyLimit: string | number;
  /** Called for every refused webhook (a bad signature, or an event that does not match its payment), e.g. to count them. */
  onRefused?(provider: string, reason: WebhookRefusal): void;
};

/** Why a webhook was refused: its signature, or a signed event that does not describe the payment it names. */
export const WEBHOOK_REFUSALS = [...SIGNATURE_FAILURES, 'payment-mismatch'] as const;
export type WebhookRefusal = (typeof WEBHOOK_REFUSALS)[number];

const REFUSAL_MESSAGES: Record<SignatureFailure, (p: WebhookProvider) => string> = {
  missing: () => 'is missing',
  malformed: () => 'is malformed: expected t=<unix seconds>,v1=<hex HMAC-SHA256>',
  stale: (p) => `is stale: its timestamp is more than ${p.toleranceSeconds} s from now`,
  mismatch: () => 'does not match the body',
};

type ProviderRequest = Request<{ provider: string }> & { webhookProvider?: WebhookProvider };

export function webhookRoutes({ providers, prisma, relay, logger, bodyLimit, onRefused }: WebhookRoutesOptions): Router {
  const byName = new Map(providers.map((p) => [p.name, p]));
  const log = logger.child({ component: 'payment-webhooks' });

  const signatureRefused = (req: Request, provider: WebhookProvider, reason: SignatureFailure): HttpProblem => {
    log.warn({ provider: provider.name, reason, ip: req.ip }, 'payment webhook refused: bad signature');
    onRefused?.(provider.name, reason);
    return new HttpProblem(401, 'invalid-signature', 'Webhook signature rejected', `signature ${reason}: nothing was recorded`, [
      { field: provider.signatureHeader, message: REFUSAL_MESSAGES[reason](provider) },
    ]);
  };

  // Before the body is read: an unknown provider costs us no buffering.
  const resolveProvider = (req: ProviderRequest, _res: Response, next: NextFunction) => {
    const { provider: name } = parse(PaymentProviderParams, req.params);
    const provider = byName.get(name);
    if (!provider) {
      throw new HttpProblem(404, 'not-found', 'No such payment provider', `${name} is not a configured payment provider`, [
        { field: 'provider', message: `must be one of ${[...byName.keys()].join(', ') || '(none configured)'}` },
      ]);
    }
    req.webhookProvider = provider;
    next();
  };

  // Still before the body: an unsigned request is refused without buffering what it sends.
  const requireSignatureHeader = (req: ProviderRequest, _res: Response, next: NextFunction) => {
    const provider = req.webhookProvider as WebhookProvider;
    if (!req.get(provider.signatureHeader)?.trim()) throw signatureRefused(req, provider, 'missing');
    next();
  };

  // Any content type: the bytes are what was signed, whatever the sender labelled them.
  const rawBody = rawBodyParser(bodyLimit);

  const receive = async (req: ProviderRequest, res: Response) => {
    const provider = req.webhookProvider as WebhookProvider;
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);

    const check = verifySignature({
      header: req.get(provider.signatureHeader),
      rawBody: raw,
      secret: provider.secret,
      toleranceSeconds: provider.toleranceSeconds,
    });
    if (!check.ok) throw signatureRefused(req, provider, check.reason);

    const body = jsonOfRawBody(raw);
    const event = provider.parse(body);
    logRequestWith(res, { orderId: event.orderId });

    const mismatches = await matchPaymentEvent(prisma, event);
    if (mismatches.length > 0) {
      const differing = mismatches.map((m) => m.field);
      log.warn(
        { provider: provider.name, orderId: event.orderId, providerEventId: event.providerEventId, fields: differing, ip: req.ip },
        'payment webhook refused: the event does not match the payment of its order',
      );
      onRefused?.(provider.name, 'payment-mismatch');
      throw new HttpProblem(
        422,
        'payment-mismatch',
        'The event does not match the payment',
        `the event does not match the payment of order ${event.orderId} (${differing.join(', ')}): nothing was recorded`,
        mismatches,
      );
    }

    const recorded = await recordPaymentEvent(prisma, provider.name, event, body);
    killPoint('payment-webhook:after-recorded');
    const fields = {
      provider: provider.name,
      orderId: event.orderId,
      providerEventId: event.providerEventId,
      eventId: recorded.id,
      duplicate: recorded.duplicate,
    };
    // A duplicate still unprocessed may be the redelivery of one whose relay failed: relay again (idempotent per event).
    if (!recorded.processed) {
      try {
        await relay.relayNow(recorded.id, recorded.stored);
      } catch (err) {
        // Neither relayed nor queued, but durable: recovery re-enqueues it. Failing here would only make the provider resend what we already hold.
        log.error({ ...fields, err }, 'payment event recorded but neither relayed nor queued; recovery will pick it up');
      }
    }
    killPoint('payment-webhook:after-relayed');
    log.info({ ...fields, type: event.type }, recorded.duplicate ? 'payment webhook duplicate' : 'payment webhook recorded');
    res.status(200).json({ received: true, duplicate: recorded.duplicate });
  };

  return Router().post('/webhooks/payments/:provider', resolveProvider, requireSignatureHeader, rawBody, receive);
}
