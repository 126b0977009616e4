import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sameOriginJsonWrites } from './cross-site-guard.js';
import { HttpProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The secret an Authorization header carries (Bearer, or the password of Basic credentials), unchecked. */
export function presentedToken(authorization: string): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return bearer[1];
  // Browsers cannot send a bearer token to pages (Bull Board, the ops page), but
  // they do send Basic credentials after a prompt: any user name, the token as password.
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/**
 * Admin operations need the admin token, as `Authorization: Bearer <ADMIN_TOKEN>`
 * or as the password of Basic credentials; compared in constant time. Pages for
 * people (`challenge: 'basic'`) answer 401 with a Basic challenge so the browser asks.
 * Those that change state must also come from this service's own pages, or from no
 * browser, with a JSON body (cross-site-guard.ts; `publicUrl`: PUBLIC_URL, our origin
 * besides the Host header's). The token is checked first: an anonymous client learns
 * only that it needs one.
 */
export function requireAdmin(adminToken: string, o: { challenge?: 'bearer' | 'basic'; publicUrl?: string } = {}): RequestHandler {
  const token = requireToken(adminToken, { challenge: o.challenge, what: 'the admin token' });
  const writes = sameOriginJsonWrites(o.publicUrl);
  return (req, res, next) => token(req, res, () => writes(req, res, next));
}

/** The same check for another secret (the metrics token), naming it in the 401. */
export function requireToken(token: string, o: { challenge?: 'bearer' | 'basic'; what: string }): RequestHandler {
  const expected = digest(token);
  const challenge = o.challenge === 'basic' ? 'Basic realm="order-saga ops", charset="UTF-8"' : 'Bearer realm="order-saga"';
  return (req, _res, next) => {
    const presented = presentedToken(req.get('authorization') ?? '');
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      throw new HttpProblem(
        401,
        'unauthorized',
        'Unauthorized',
        `this operation needs ${o.what}`,
        [{ field: 'Authorization', message: `missing or wrong ${o.what.replace(/^the /, '')}` }],
        {
          'WWW-Authenticate': challenge,
        },
      );
    }
    next();
  };
}
