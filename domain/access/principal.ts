// Who is calling, once their credential was verified: a customer (a token from the shop's
// identity provider), an API key with scopes, or the bootstrap admin token.
import type { Scope } from './scopes.js';

export type CustomerPrincipal = { kind: 'customer'; customerId: string };
export type KeyPrincipal = { kind: 'key'; keyId: string; scopes: ReadonlySet<Scope>; businessId: string | null };
export type AdminPrincipal = { kind: 'admin' };
export type Principal = CustomerPrincipal | KeyPrincipal | AdminPrincipal;

export function hasScope(p: Principal | undefined, scope: Scope): boolean {
  return p?.kind === 'key' && p.scopes.has(scope);
}

/** What the request log and the rate limiter call the caller (never a secret). */
export function principalLabel(p: Principal): string {
  switch (p.kind) {
    case 'customer':
      return `customer:${p.customerId}`;
    case 'key':
      return `key:${p.keyId}`;
    case 'admin':
      return 'admin';
  }
}
