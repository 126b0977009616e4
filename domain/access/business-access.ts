// Who may read a business: a key with businesses:admin (any), or that business's own key
// holding shipments:read. Another business's key is told the business does not exist, as a
// customer is about another customer's order, so that ids cannot be probed.
import type { Principal } from './principal.js';
import { hasScope } from './principal.js';
import type { Scope } from './scopes.js';

export const BUSINESSES_ADMIN: Scope = 'businesses:admin';
/** What a business's own key needs to read its business. */
export const OWN_BUSINESS_READ: Scope = 'shipments:read';

/** Whether `p` may read the business `businessId`. */
export function mayReadBusiness(p: Principal | undefined, businessId: string): boolean {
  if (hasScope(p, BUSINESSES_ADMIN)) return true;
  return p?.kind === 'key' && p.businessId === businessId && p.scopes.has(OWN_BUSINESS_READ);
}
