// Who may call each operation, as /openapi.json publishes it: the security requirement,
// `x-access` (read by people and by the authorisation matrix test), and the 401 and 403
// answers. Every operation of the document must be in ACCESS: a new route cannot be
// published without saying who may call it. The API keys' own paths are described here.
import type { z } from 'zod';
import { SCOPES, type Scope } from '../domain/access/scopes.js';
import * as a from './access-schemas.js';
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';

export type Access =
  /** Anyone. */
  | { kind: 'public' }
  /** A key with `scope`. */
  | { kind: 'scope'; scope: Scope }
  /** A customer for their own orders (others' are 404), or a key with `scope` for any customer's. */
  | { kind: 'orders'; scope: Extract<Scope, 'orders:read' | 'orders:write'> }
  /** A customer, for their own record; a key is refused. */
  | { kind: 'customer' }
  /** The bootstrap admin token, or a key with keys:admin. */
  | { kind: 'keys' }
  /** A key with `scope` for any business, or a business's own key with `own` for its own (another's answer 404). */
  | { kind: 'business'; scope: Scope; own: Scope }
  /** A business's signature on the body (`signature`, the header), its own key with `own` for its own records, or a key with `scope` for any business's. */
  | { kind: 'business-signed'; signature: string; own: Scope; scope: Scope }
  /** Not the Authorization header: the payment provider's signature (the webhook), METRICS_TOKEN (/metrics), a signed link. */
  | { kind: 'own-credential'; what: string };

const pub: Access = { kind: 'public' };
const scope = (s: Scope): Access => ({ kind: 'scope', scope: s });

export const ACCESS: Record<string, Access> = {
  'GET /products': pub,
  'GET /products/{sku}': pub,
  'GET /stocks/{sku}': pub,
  'PUT /stocks/{sku}/{warehouseId}': scope('catalog:admin'),
  'POST /admin/products': scope('catalog:admin'),
  'GET /admin/products/{sku}': scope('catalog:admin'),
  'PATCH /admin/products/{sku}': scope('catalog:admin'),
  'POST /admin/products/{sku}/archive': scope('catalog:admin'),
  'POST /admin/listings': scope('catalog:admin'),
  'GET /admin/listings': scope('catalog:admin'),
  'GET /admin/listings/{id}': scope('catalog:admin'),
  'PATCH /admin/listings/{id}': scope('catalog:admin'),
  'POST /admin/listings/{id}/take-off': scope('catalog:admin'),
  // Anyone may browse; a customer token prices for the customer's level.
  'GET /listings': pub,
  'GET /listings/{id}': pub,
  'GET /customers/me': { kind: 'customer' },
  'GET /customers/me/points': { kind: 'customer' },
  'GET /admin/customers/{id}/points': scope('customers:admin'),
  'GET /cart': { kind: 'customer' },
  'DELETE /cart': { kind: 'customer' },
  'PUT /cart/lines/{sku}': { kind: 'customer' },
  'DELETE /cart/lines/{sku}': { kind: 'customer' },
  'POST /cart/checkout': { kind: 'customer' },
  'GET /admin/customers/{id}': scope('customers:admin'),
  'PUT /admin/customers/{id}': scope('customers:admin'),
  'GET /health': pub,
  'GET /ready': pub,
  'POST /orders': { kind: 'orders', scope: 'orders:write' },
  'GET /orders': { kind: 'orders', scope: 'orders:read' },
  'GET /problems/invalid-order-body': pub,
  'GET /orders/{id}': { kind: 'orders', scope: 'orders:read' },
  'POST /orders/{id}/cancel': { kind: 'orders', scope: 'orders:write' },
  'POST /orders/{id}/shipments/{shipmentId}/confirm-delivery': { kind: 'orders', scope: 'orders:write' },
  'GET /orders/{id}/notifications': { kind: 'orders', scope: 'orders:read' },
  'POST /webhooks/payments/{provider}': { kind: 'own-credential', what: "the provider's signature header" },
  'GET /ops/api/incidents': scope('ops'),
  'POST /ops/api/incidents/{key}/retry': scope('ops'),
  'POST /admin/event-subscriptions': scope('events:admin'),
  'GET /admin/event-subscriptions': scope('events:admin'),
  'GET /admin/event-subscriptions/{id}': scope('events:admin'),
  'PATCH /admin/event-subscriptions/{id}': scope('events:admin'),
  'DELETE /admin/event-subscriptions/{id}': scope('events:admin'),
  'POST /admin/event-subscriptions/{id}/rotate-secret': scope('events:admin'),
  'GET /admin/event-subscriptions/{id}/deliveries': scope('events:admin'),
  'POST /admin/event-subscriptions/{id}/deliveries/{deliveryId}/replay': scope('events:admin'),
  'GET /events': scope('events:read'),
  'POST /admin/api-keys': { kind: 'keys' },
  'GET /admin/api-keys': { kind: 'keys' },
  'GET /admin/api-keys/{id}': { kind: 'keys' },
  'DELETE /admin/api-keys/{id}': { kind: 'keys' },
  'POST /businesses': scope('businesses:admin'),
  'GET /businesses': scope('businesses:admin'),
  'GET /businesses/{id}': { kind: 'business', scope: 'businesses:admin', own: 'shipments:read' },
  'PATCH /businesses/{id}': scope('businesses:admin'),
  'POST /businesses/{id}/secret': scope('businesses:admin'),
  'PUT /products/{sku}/business': scope('businesses:admin'),
  'POST /businesses/{businessId}/shipments/{shipmentId}/events': {
    kind: 'business-signed',
    signature: 'Business-Signature',
    own: 'shipments:write',
    scope: 'ops',
  },
  'GET /businesses/{businessId}/shipments/{shipmentId}/answer': { kind: 'own-credential', what: "the link's signature (`sig`, from the dispatch e-mail)" },
  'POST /businesses/{businessId}/shipments/{shipmentId}/answer': { kind: 'own-credential', what: "the link's signature (`sig`, from the dispatch e-mail)" },
  'GET /ops': scope('ops'),
  'GET /ops/api/definitions': scope('ops'),
  'GET /ops/api/definitions/{key}': scope('ops'),
  'GET /ops/api/definitions/{key}/stats': scope('ops'),
  'GET /ops/api/orders/{id}/path': scope('ops'),
  'GET /ops/api/instances/{key}': scope('ops'),
  'GET /ops/api/instances/{key}/decisions': scope('ops'),
  'GET /ops/api/shipments': scope('ops'),
  'POST /ops/api/shipments/{id}/approve': scope('ops'),
  'POST /ops/api/shipments/{id}/reassign': scope('ops'),
  'POST /ops/api/shipments/{id}/cancel': scope('ops'),
  'GET /metrics': { kind: 'own-credential', what: 'METRICS_TOKEN when it is set' },
};

export const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'osk_…', description: 'An API key with scopes (POST /admin/api-keys, or `npm run keys`)' },
  customer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: "A customer's token from the shop's identity provider; `sub` is the customer id",
  },
  opsBrowser: { type: 'http', scheme: 'basic', description: 'For the ops pages in a browser: any user name, an API key with the ops scope as password' },
  admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN: only to manage API keys (the bootstrap)' },
  businessSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Business-Signature',
    description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "t.rawBody" under the business\'s secret>, within 5 minutes',
  },
};

const UNAUTHORIZED =
  'No credential, or one that does not verify: an unknown, revoked or expired key; a customer token expired, for another issuer or audience, badly signed, or with a refused algorithm (`unauthorized`)';
const UNAUTHORIZED_SIGNED = (header: string) =>
  `A \`${header}\` that is malformed, stale (beyond 5 minutes) or not the business's (\`unauthorized\`, naming \`${header}\`: nothing was recorded), or neither it nor a key`;
const CROSS_SITE = 'sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`';

function accessDescription(access: Access): string {
  switch (access.kind) {
    case 'public':
      return 'anyone';
    case 'scope':
      return `an API key with the scope \`${access.scope}\` (${SCOPES[access.scope]})`;
    case 'orders':
      return `a customer, for their own orders (another customer's answer 404), or an API key with the scope \`${access.scope}\`, for any customer's`;
    case 'customer':
      return 'a customer (their own record)';
    case 'keys':
      return 'the admin token, or an API key with the scope `keys:admin`';
    case 'business':
      return `an API key with the scope \`${access.scope}\` (${SCOPES[access.scope]}), or a business's own key with \`${access.own}\`, for its own business (another business's answers 404)`;
    case 'business-signed':
      return `the business, with its \`${access.signature}\` or its own API key with \`${access.own}\` (another business's key is refused); or an API key with the scope \`${access.scope}\` (${SCOPES[access.scope]})`;
    case 'own-credential':
      return access.what;
  }
}

function security(path: string, access: Access): unknown[] | undefined {
  switch (access.kind) {
    case 'scope':
      return path.startsWith('/ops') && !path.startsWith('/ops/api/') ? [{ opsBrowser: [] }, { apiKey: [] }] : [{ apiKey: [] }];
    case 'orders':
      return [{ customer: [] }, { apiKey: [] }];
    case 'customer':
      return [{ customer: [] }];
    case 'keys':
      return [{ admin: [] }, { apiKey: [] }];
    case 'business':
      return [{ apiKey: [] }];
    case 'business-signed':
      return [{ businessSignature: [] }, { apiKey: [] }];
    default:
      return undefined;
  }
}

type Operation = { security?: unknown; description?: string; responses?: Record<string, unknown>; ['x-access']?: Access };

/** Sets each operation's security, `x-access` and its 401/403; throws for an operation ACCESS does not name. */
export function applyAccess(paths: Record<string, Record<string, Operation>>, problem: Helpers['problem']): void {
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(operations)) {
      const id = `${method.toUpperCase()} ${path}`;
      const access = ACCESS[id];
      if (!access) throw new Error(`openapi: ${id} is not in ACCESS (api/openapi-access.ts): say who may call it`);
      op['x-access'] = access;
      op.description = [op.description, `**Who may call it:** ${accessDescription(access)}.`].filter(Boolean).join('\n\n');
      const required = security(path, access);
      if (!required) continue;
      op.security = required;
      const responses = (op.responses ??= {});
      const crossSite = responses['403'] !== undefined;
      responses['401'] = problem(access.kind === 'business-signed' ? `${UNAUTHORIZED_SIGNED(access.signature)}; or ${UNAUTHORIZED}` : UNAUTHORIZED);
      responses['403'] = problem(`A caller without the right (\`forbidden\`): ${accessDescription(access)}${crossSite ? `; or ${CROSS_SITE}` : ''}`);
    }
  }
}

/** The API keys' paths (api/routes/api-keys.ts). */
export function apiKeyPaths({ json, problem, ok, list }: Helpers): Record<string, unknown> {
  const keys = list(a.ListApiKeysQuery, '/admin/api-keys');
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
  const body = (schema: z.ZodType) => ({ required: true, content: { 'application/json': { schema: json(schema, 'input') } } });
  return {
    '/admin/api-keys': {
      post: {
        summary: 'Create an API key; its token is in this answer only',
        requestBody: body(a.CreateApiKeyBody),
        responses: {
          201: ok(a.CreatedApiKey, 'Created'),
          400: problem('Invalid body: unknown scope, a business key with another scope, an expiry in the past…'),
          403: problem(CROSS_SITE),
          415: problem('Body is not JSON'),
        },
      },
      get: {
        summary: 'The API keys, newest first (revoked ones too); never their secrets',
        description: keys.description,
        parameters: keys.parameters,
        responses: { 200: ok(a.ApiKeyList, 'One page of keys'), 400: keys.badRequest },
      },
    },
    '/admin/api-keys/{id}': {
      get: { summary: 'One API key', parameters: [idParam], responses: { 200: ok(a.ApiKey), 404: problem('No such key') } },
      delete: {
        summary: 'Revoke an API key at once; revoking it again changes nothing',
        parameters: [idParam],
        responses: { 200: ok(a.ApiKey, 'The key, revoked'), 403: problem(CROSS_SITE), 404: problem('No such key') },
      },
    },
  };
}
