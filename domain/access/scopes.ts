// What an API key may do, one scope per kind of work. A business's key holds only the
// business scopes, and acts on its own business's shipments only (docs/security.md).

export const SCOPES = {
  'orders:read': 'read every order and its notifications',
  'orders:write': "place orders for any customer and cancel them (a shop's backend)",
  'catalog:admin': 'read and set stock levels; create, change and archive products; put listings on the shelf, change them, take them off',
  'customers:admin': "read and set customers' levels; read their points",
  'businesses:admin': 'create and change businesses and which business supplies a product',
  ops: 'the ops page and its API, incidents, the queues board',
  'events:read': 'read the event stream (GET /events)',
  'events:admin': 'manage event subscriptions and their deliveries',
  'keys:admin': 'create, list and revoke API keys',
  'shipments:read': "a business's own shipments (fulfilment)",
  'shipments:write': "report a business's own shipments (fulfilment)",
} as const;

export type Scope = keyof typeof SCOPES;

export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

/** The scopes a business's key may hold. */
export const BUSINESS_SCOPES: readonly Scope[] = ['shipments:read', 'shipments:write'];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}
