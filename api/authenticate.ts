// Who is calling: the credential of the Authorization header (Bearer, or the password of
// Basic credentials, which browsers can send to pages) is verified once per request and
// the caller kept for the routes' own checks (authorize.ts). No credential is no caller;
// a credential that does not verify is remembered with why, for the 401.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { looksLikeApiKey, verifyApiKey } from '../domain/access/api-keys.js';
import type { Principal } from '../domain/access/principal.js';
import { ALL_SCOPES } from '../domain/access/scopes.js';
import type { AuthConfig } from '../infra/config.js';
import type { PrismaClient } from '../infra/database.js';
import { customerTokenVerifier, looksLikeJwt } from './customer-tokens.js';

export type Authentication =
  { principal: Principal; via: 'bearer' | 'basic' } | { principal?: undefined; refused: string } | { principal?: undefined; refused?: undefined };

const KEY = 'authentication';
/** A secret's SHA-256: compared with timingSafeEqual, two secrets of any lengths take the same time to compare. */
export const digest = (s: string) => createHash('sha256').update(s).digest();

const KEY_REFUSALS = {
  malformed: 'the API key is malformed (osk_<32 hex digits>_<43 characters>)',
  unknown: 'the API key is unknown',
  revoked: 'the API key was revoked',
  expired: 'the API key has expired',
} as const;

/** The secret an Authorization header carries and how, unchecked. */
export function presentedCredential(authorization: string): { token: string; via: 'bearer' | 'basic' } | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) return { token: bearer[1] as string, via: 'bearer' };
  // Browsers cannot send a bearer token to pages (Bull Board, the ops page), but
  // they do send Basic credentials after a prompt: any user name, the key as password.
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (basic) {
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? { token: decoded.slice(colon + 1), via: 'basic' } : undefined;
  }
  return undefined;
}

export function authenticationOf(res: Response): Authentication {
  return (res.locals[KEY] as Authentication | undefined) ?? {};
}

export type AuthenticateDeps = { prisma: PrismaClient; adminToken: string; auth: AuthConfig };

/** Resolves the caller of every request (res.locals); refuses nothing itself. */
export function authenticate({ prisma, adminToken, auth }: AuthenticateDeps): RequestHandler {
  const admin = digest(adminToken);
  const dev = auth.devApiKey === undefined ? undefined : digest(auth.devApiKey);
  const devPrincipal: Principal = { kind: 'key', keyId: 'development', scopes: new Set(ALL_SCOPES), businessId: null };
  const verifyCustomer = customerTokenVerifier(auth.customerTokens);

  async function resolve(req: Request): Promise<Authentication> {
    const header = req.get('authorization');
    if (header === undefined) return {};
    const presented = presentedCredential(header);
    if (!presented) return { refused: 'the Authorization header is neither "Bearer <credential>" nor Basic credentials' };
    const { token, via } = presented;
    const d = digest(token);
    if (timingSafeEqual(d, admin)) return { principal: { kind: 'admin' }, via };
    if (dev && timingSafeEqual(d, dev)) return { principal: devPrincipal, via };
    if (looksLikeApiKey(token)) {
      const key = await verifyApiKey(prisma, token);
      return typeof key === 'string' ? { refused: KEY_REFUSALS[key] } : { principal: key, via };
    }
    if (looksLikeJwt(token)) {
      if (!verifyCustomer) return { refused: 'customer tokens are not accepted: this service has no CUSTOMER_JWT_SECRET or CUSTOMER_JWT_JWKS_URL' };
      const customer = await verifyCustomer(token);
      return 'refused' in customer ? { refused: customer.refused } : { principal: customer, via };
    }
    return { refused: 'the credential is neither an API key (osk_…) nor a customer token (JWT)' };
  }

  return async (req, res, next) => {
    res.locals[KEY] = await resolve(req);
    next();
  };
}
