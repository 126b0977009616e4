// Who may see and act on an order: its own customer, or a key with the orders scope.
// Anyone else is told the order does not exist, so that ids cannot be probed.
import type { Principal } from './principal.js';
import { hasScope } from './principal.js';

export type OrderAction = 'read' | 'write';

/** Whether `p` may act on every customer's orders (a shop's backend, support tools). */
export function actsForAnyCustomer(p: Principal | undefined, action: OrderAction): boolean {
  return hasScope(p, action === 'read' ? 'orders:read' : 'orders:write');
}

/** Whether `p` may `action` the order of `customerId`. */
export function mayActOnOrder(p: Principal | undefined, action: OrderAction, customerId: string): boolean {
  if (actsForAnyCustomer(p, action)) return true;
  return p?.kind === 'customer' && p.customerId === customerId;
}
