// What a caller may do (docs/security.md): routes for keys with a scope, routes for a
// customer or a key acting for customers, the bootstrap admin token's key management,
// and the static token of /metrics. Who the caller is was settled by authenticate.ts.
// A missing or refused credential is 401; a known caller without the right is 403.
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Principal } from '../domain/access/principal.js';
import { hasScope } from '../domain/access/principal.js';
import type { Scope } from '../domain/access/scopes.js';
import { authenticationOf, digest, presentedCredential } from './authenticate.js';
import { sameOriginJsonWrites } from './cross-site-guard.js';
import { HttpProblem } from './problem.js';

type Challenge = 'bearer' | 'basic';
const CHALLENGES: Record<Challenge, string> = {
  bearer: 'Bearer realm="order-saga"',
  basic: 'Basic realm="order-saga ops", charset="UTF-8"',
};

function unauthorized(detail: string, challenge: Challenge, fieldMessage: string): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'Unauthorized', detail, [{ field: 'Authorization', message: fieldMessage }], {
    'WWW-Authenticate': CHALLENGES[challenge],
  });
}

export const forbidden = (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail, [{ field: 'Authorization', message: detail }]);

/** The caller, or a 401 naming what is missing (`needs`) or why the credential was refused. */
function callerOf(res: Response, needs: string, challenge: Challenge): Principal {
  const auth = authenticationOf(res);
  if (auth.principal) return auth.principal;
  if (auth.refused) throw unauthorized(`this operation needs ${needs}; ${auth.refused}`, challenge, auth.refused);
  throw unauthorized(`this operation needs ${needs}`, challenge, `missing: send ${needs}`);
}

function whyNot(p: Principal, scope: Scope): string {
  if (p.kind === 'admin') return `the admin token only manages API keys: create a key with the scope "${scope}" (POST /admin/api-keys)`;
  if (p.kind === 'customer') return 'customers may act on their own orders only';
  return `the API key lacks the scope "${scope}"`;
}

/**
 * For a key holding `scope`. Pages for people (`challenge: 'basic'`) ask the browser for
 * Basic credentials (the key as password). Those that change state must also come from
 * our own pages or from no browser, with a JSON body (cross-site-guard.ts; `publicUrl`:
 * PUBLIC_URL, our origin besides the Host header's).
 */
export function requireScope(scope: Scope, o: { challenge?: Challenge; publicUrl?: string | undefined } = {}): RequestHandler {
  const writes = sameOriginJsonWrites(o.publicUrl);
  return (req, res, next) => {
    const p = callerOf(res, `an API key with the scope "${scope}"`, o.challenge ?? 'bearer');
    if (!hasScope(p, scope)) throw forbidden(whyNot(p, scope));
    writes(req, res, next);
  };
}

/**
 * For a key holding `scope` (every record), or a business's key holding `own` (its own
 * business's records only: the route checks which, and answers another's 404). A read only.
 */
export function requireScopeOrBusinessKey(scope: Scope, own: Scope): RequestHandler {
  return (_req, res, next) => {
    const p = callerOf(res, `an API key with the scope "${scope}", or a business's key with "${own}"`, 'bearer');
    if (hasScope(p, scope) || (p.kind === 'key' && p.businessId !== null && p.scopes.has(own))) return next();
    if (p.kind === 'key' && p.businessId !== null) throw forbidden(`a business's key needs the scope "${own}" to read its own business`);
    throw forbidden(whyNot(p, scope));
  };
}

/** Key management: the bootstrap admin token, or a key with keys:admin. */
export function requireKeyAdmin(o: { publicUrl?: string | undefined } = {}): RequestHandler {
  const writes = sameOriginJsonWrites(o.publicUrl);
  return (req, res, next) => {
    const p = callerOf(res, 'the admin token or an API key with the scope "keys:admin"', 'bearer');
    if (p.kind !== 'admin' && !hasScope(p, 'keys:admin')) throw forbidden(whyNot(p, 'keys:admin'));
    writes(req, res, next);
  };
}

/**
 * For a customer (their own orders; the route checks which) or a key that acts for
 * customers. A caller who authenticated with Basic credentials (a browser's saved ones)
 * is held to the cross-site rules for writes; bearer tokens are never sent by a browser
 * on its own, so a shop's page calling with CORS is not.
 */
export function requireCustomerOrKey(o: { publicUrl?: string | undefined } = {}): RequestHandler {
  const writes = sameOriginJsonWrites(o.publicUrl);
  return (req, res, next) => {
    const p = callerOf(res, 'a customer token or an API key', 'bearer');
    if (p.kind === 'admin')
      throw forbidden('the admin token only manages API keys: create a key with the scope "orders:write" or "orders:read" (POST /admin/api-keys)');
    if (p.kind === 'key' && p.businessId !== null) throw forbidden("a business's key acts on that business's shipments only");
    const auth = authenticationOf(res);
    if (auth.principal && auth.via === 'basic') return writes(req, res, next);
    next();
  };
}

/** The caller a guard above let through. */
export function principalOf(res: Response): Principal {
  const p = authenticationOf(res).principal;
  if (!p) throw new Error('principalOf: no authenticated caller (the route lacks its guard)');
  return p;
}

/** A static token (the metrics token), compared in constant time, named in the 401. */
export function requireToken(token: string, o: { challenge?: Challenge; what: string }): RequestHandler {
  const expected = digest(token);
  return (req, _res, next) => {
    const presented = presentedCredential(req.get('authorization') ?? '');
    if (presented === undefined || !timingSafeEqual(digest(presented.token), expected)) {
      throw unauthorized(`this operation needs ${o.what}`, o.challenge ?? 'bearer', `missing or wrong ${o.what.replace(/^the /, '')}`);
    }
    next();
  };
}

/**
 * The caller of a public route, if any: a route that answers anyone may still answer a
 * known caller differently (the storefront's prices for a customer's level). A credential
 * that was sent and refused is a 401, never silently taken for no credential.
 */
export function optionalCallerOf(res: Response): Principal | undefined {
  const auth = authenticationOf(res);
  if (auth.principal) return auth.principal;
  if (auth.refused) throw unauthorized(`the credential sent was refused: ${auth.refused}`, 'bearer', auth.refused);
  return undefined;
}

/** For a customer only (their own record); a key or the admin token is 403. */
export function requireCustomer(): RequestHandler {
  return (_req, res, next) => {
    const p = callerOf(res, 'a customer token', 'bearer');
    if (p.kind !== 'customer') throw forbidden('only a customer token names a customer here (its subject)');
    next();
  };
}
