import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

function presentedToken(authorization: string): string | undefined {
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
 */
export function requireAdmin(adminToken: string, o: { challenge?: 'bearer' | 'basic' } = {}): RequestHandler {
  const expected = digest(adminToken);
  const challenge = o.challenge === 'basic' ? 'Basic realm="order-saga ops", charset="UTF-8"' : 'Bearer realm="order-saga"';
  return (req, _res, next) => {
    const token = presentedToken(req.get('authorization') ?? '');
    if (token === undefined || !timingSafeEqual(digest(token), expected)) {
      throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'this operation needs the admin token', [{ field: 'Authorization', message: 'missing or wrong admin token' }], {
        'WWW-Authenticate': challenge,
      });
    }
    next();
  };
}
