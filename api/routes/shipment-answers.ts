// A business answers for its shipments here (docs/fulfilment.md): accepted, declined, shipped,
// delivered. Three ways in, one effect: a JSON event signed with the business's secret
// (Business-Signature, verified on the raw body as our payment webhooks are), the same event
// with a business's API key (shipments:write) or an ops key (the manual dispatcher), or a
// signed link from the dispatch e-mail (a page with one button). Each event id is recorded
// once and becomes the message its shipment process waits for; a duplicate answers the same.
import { isUtf8 } from 'node:buffer';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { hasScope } from '../../domain/access/principal.js';
import { BusinessAnswer, recordBusinessAnswer } from '../../domain/shipments/business-answers.js';
import { verifyAnswerLink } from '../../domain/shipments/answer-links.js';
import { verifySignature } from '../../domain/payments/signature.js';
import { NotFoundError } from '../../domain/errors.js';
import type { PrismaClient } from '../../infra/database.js';
import { killPoint } from '../../infra/kill-points.js';
import type { Logger } from '../../infra/logger.js';
import type { OrderProcess } from '../../orchestrator/order-process.js';
import { authenticationOf } from '../authenticate.js';
import { jsonOfRawBody, rawBodyParser } from '../body-parsers.js';
import { logRequestWith } from '../log-context.js';
import { HttpProblem, invalidUtf8Body, validationProblem } from '../problem.js';
import { parse } from '../validate.js';
import { storableText, unstorableJsonFields } from '../../domain/storable.js';
import { forbidden } from '../authorize.js';

export const BUSINESS_SIGNATURE_HEADER = 'Business-Signature';
const TOLERANCE_SECONDS = 300;

export type ShipmentAnswerRouteDeps = {
  prisma: PrismaClient;
  orderProcess: Pick<OrderProcess, 'reportShipment'>;
  logger: Logger;
  bodyLimit: string | number;
};

export const ShipmentParams = z.object({ businessId: storableText(), shipmentId: storableText() });
export const AnswerLinkQuery = z.object({
  action: z.enum(['accept', 'decline']),
  expires: z.coerce.number().int().min(0).max(1e11),
  sig: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits'),
});
const DeclineForm = z.object({ reason: storableText().trim().min(1).max(500).optional() });

// `challenge`: the caller may send a key instead, so the 401 says how (WWW-Authenticate), as every key-taking 401 of the API does.
const unauthorized = (detail: string, field: string, message: string, challenge = false) =>
  new HttpProblem(
    401,
    'unauthorized',
    'Unauthorized',
    detail,
    [{ field, message }],
    challenge ? { 'WWW-Authenticate': 'Bearer realm="order-saga"' } : undefined,
  );

export function shipmentAnswerRoutes({ prisma, orderProcess, logger, bodyLimit }: ShipmentAnswerRouteDeps): Router {
  const log = logger.child({ component: 'shipment-answers' });

  async function secretOf(businessId: string): Promise<{ id: string; secret: string }> {
    const b = await prisma.business.findUnique({ where: { id: businessId }, select: { id: true, secret: true } });
    if (!b) throw new NotFoundError('business', businessId, 'businessId');
    return b;
  }

  async function answer(res: Response, businessId: string, shipmentId: string, event: BusinessAnswer, via: string) {
    const recorded = await recordBusinessAnswer(prisma, businessId, shipmentId, event, via);
    killPoint('business-answer:after-recorded');
    logRequestWith(res, { orderId: recorded.orderId });
    // Published before the 200: a business that gets an error sends again, and the repeat publishes again (one message per id).
    for (const m of recorded.messages) await orderProcess.reportShipment(m);
    log.info({ orderId: recorded.orderId, businessId, shipmentId, eventId: event.id, type: event.type, duplicate: recorded.duplicate, via }, 'business answer');
    return recorded;
  }

  const receive = async (req: Request, res: Response) => {
    const { businessId, shipmentId } = parse(ShipmentParams, req.params);
    const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get(BUSINESS_SIGNATURE_HEADER);
    let via: string;
    if (signature !== undefined) {
      const business = await secretOf(businessId);
      const check = verifySignature({ header: signature, rawBody: raw, secret: business.secret, toleranceSeconds: TOLERANCE_SECONDS });
      if (!check.ok) {
        log.warn({ businessId, shipmentId, reason: check.reason, ip: req.ip }, 'business answer refused: bad signature');
        throw unauthorized(
          `signature ${check.reason}: nothing was recorded`,
          BUSINESS_SIGNATURE_HEADER,
          'must be t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" under the business secret>',
        );
      }
      via = 'signed';
    } else {
      const auth = authenticationOf(res);
      const { principal } = auth;
      if (!principal) {
        // No credential at all, or one that did not verify: 401, asking for either.
        throw unauthorized(
          `a business answers with its Business-Signature, its own key with shipments:write, or ops with an ops key${auth.refused ? `; ${auth.refused}` : ''}`,
          auth.refused ? 'Authorization' : BUSINESS_SIGNATURE_HEADER,
          auth.refused ?? 'is missing',
          true,
        );
      }
      const ownKey = principal.kind === 'key' && principal.businessId === businessId && principal.scopes.has('shipments:write');
      // A known caller without the right: 403, as everywhere in the API (api/authorize.ts).
      if (!ownKey && !hasScope(principal, 'ops'))
        throw forbidden("this shipment is answered with the business's own key with shipments:write, or a key with ops");
      via = ownKey ? 'business key' : 'ops';
    }
    const body = jsonOfRawBody(raw);
    // Text PostgreSQL cannot store (a NUL, an unpaired surrogate) is refused by name before it reaches the inbox.
    const unstorable = unstorableJsonFields(body);
    if (unstorable.length > 0) throw validationProblem(unstorable);
    const recorded = await answer(res, businessId, shipmentId, parse(BusinessAnswer, body), via);
    res.status(200).json({ received: true, duplicate: recorded.duplicate, shipmentStatus: recorded.status });
  };

  // The e-mail's links: GET shows one button (a link scanner opening it changes nothing), POST answers.
  const showLink = async (req: Request, res: Response) => {
    const { businessId, shipmentId } = parse(ShipmentParams, req.params);
    const link = parse(AnswerLinkQuery, req.query);
    await checkLink(businessId, shipmentId, link);
    const verb = link.action === 'accept' ? 'Accept' : 'Decline';
    const reason = link.action === 'decline' ? '<p><label>Reason <input name="reason" maxlength="500" required></label></p>' : '';
    res
      .status(200)
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>${verb} shipment</title><h1>${verb} shipment ${escapeHtml(shipmentId)}</h1>` +
          `<form method="post">${reason}<button type="submit">${verb}</button></form>`,
      );
  };
  const answerLink = async (req: Request, res: Response) => {
    const { businessId, shipmentId } = parse(ShipmentParams, req.params);
    const link = parse(AnswerLinkQuery, req.query);
    await checkLink(businessId, shipmentId, link);
    const form = parse(DeclineForm, req.body ?? {});
    const event: BusinessAnswer =
      link.action === 'accept'
        ? { id: `link-accept-${shipmentId}`, type: 'accepted' }
        : { id: `link-decline-${shipmentId}`, type: 'declined', reason: form.reason ?? 'declined from the e-mail link' };
    const recorded = await answer(res, businessId, shipmentId, event, 'e-mail link');
    res
      .status(200)
      .type('html')
      .send(
        `<!doctype html><meta charset="utf-8"><title>Thank you</title><p>Recorded: shipment ${escapeHtml(shipmentId)} is ${recorded.status.toLowerCase()}.</p>`,
      );
  };

  async function checkLink(businessId: string, shipmentId: string, link: z.infer<typeof AnswerLinkQuery>) {
    const business = await secretOf(businessId);
    const verdict = verifyAnswerLink(business, shipmentId, link);
    if (verdict === 'mismatch') throw unauthorized('the link is not one we sent: nothing was recorded', 'sig', 'does not match the link');
    if (verdict === 'expired')
      throw new HttpProblem(410, 'link-expired', 'Link expired', 'the link has expired: ask for a reminder or answer through the API', [
        { field: 'expires', message: 'is in the past' },
      ]);
  }

  const urlencoded = rawBodyParser(bodyLimit);
  const formBody = (req: Request, _res: Response, next: () => void) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!isUtf8(raw)) throw invalidUtf8Body();
    req.body = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    next();
  };

  return Router()
    .post('/businesses/:businessId/shipments/:shipmentId/events', rawBodyParser(bodyLimit), receive)
    .get('/businesses/:businessId/shipments/:shipmentId/answer', showLink)
    .post('/businesses/:businessId/shipments/:shipmentId/answer', urlencoded, formBody, answerLink);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
