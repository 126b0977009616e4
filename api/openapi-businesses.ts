// The OpenAPI entries of businesses (api/routes/businesses.ts; see openapi.ts): the merchants and
// suppliers that fulfil products, and which one supplies each product.
import { BUSINESS_ID } from '../domain/businesses/business.js';
import * as b from './business-schemas.js';
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';
import * as s from './schemas.js';

const BUSINESS = {
  id: 'acme-supplies',
  name: 'ACME Supplies',
  contactEmail: 'orders@acme.example',
  dispatcher: { plugin: 'email', settings: { to: 'dispatch@acme.example' } },
  createdAt: '2026-12-12T09:30:00.000Z',
  updatedAt: '2026-12-12T09:30:00.000Z',
};
const SECRET = 'bsec_5f0c6a2d0e7b4f3c9a1d8e6b2c4f7a9e0d3b5c8a1f4e7d0c2b6a9e3f5d8c1b4a';

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The business (a slug; anything else is 404, a NUL or an unpaired surrogate 400)',
  schema: { type: 'string', pattern: BUSINESS_ID.source },
  example: BUSINESS.id,
};

export function businessPaths({ json, problem, ok, list }: Helpers): Record<string, unknown> {
  const crossSite = problem('Sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`');
  const notJson = problem('Body is not JSON');
  const unknown = problem('No such business', {
    type: '/problems/not-found',
    title: 'No such business',
    status: 404,
    detail: 'business acme-supplies does not exist',
    instance: '/businesses/acme-supplies',
    errors: [{ field: 'id', message: 'business acme-supplies does not exist' }],
  });
  const businesses = list(b.ListBusinessesQuery, '/businesses');
  const badBody = problem(
    'Invalid body, each field named in `errors`: an id that is no slug, an e-mail address that is none, an unknown dispatcher plugin (`dispatcher.plugin`), ' +
      'a setting the plugin refuses (`dispatcher.settings.<name>`), an unknown field',
    {
      type: '/problems/validation-error',
      title: 'Your request is not valid',
      status: 400,
      detail: 'dispatcher.settings.url: is not a valid URL',
      instance: '/businesses',
      errors: [{ field: 'dispatcher.settings.url', message: 'is not a valid URL' }],
    },
  );
  const body = (schema: Parameters<Helpers['json']>[0], example: unknown, required = true) => ({
    required,
    content: { 'application/json': { schema: json(schema, 'input'), example } },
  });
  return {
    '/businesses': {
      post: {
        summary: 'Create a business; its secret is in this answer only',
        description:
          'A business fulfils the products assigned to it (PUT /products/{sku}/business); its `dispatcher` says how shipments reach it: ' +
          '`webhook` (settings `url`, `timeoutMs`), `email` (settings `to`, else `contactEmail`) or `manual` (ops answer for it). ' +
          'The `secret` (bsec_…) signs what we send the business and verifies what it sends us; it is shown only here (and after a rotation).',
        requestBody: body(b.CreateBusinessBody, {
          id: 'globex-parts',
          name: 'Globex Parts',
          contactEmail: 'orders@globex.example',
          dispatcher: { plugin: 'email', settings: {} },
        }),
        responses: {
          201: ok(b.BusinessWithSecret, 'Created; give the secret to the business now', { ...BUSINESS, secret: SECRET }),
          400: badBody,
          403: crossSite,
          409: problem('A business with this id exists (`business-exists`)'),
          413: problem('Body too large'),
          415: notJson,
        },
      },
      get: {
        summary: 'The businesses, by id; never their secrets',
        description: businesses.description,
        parameters: businesses.parameters,
        responses: { 200: ok(b.BusinessList, 'One page of businesses', { businesses: [BUSINESS], nextCursor: null }), 400: businesses.badRequest },
      },
    },
    '/businesses/{id}': {
      get: {
        summary: 'One business, without its secret',
        description: "A business's own key (shipments:read) reads its own business; any other answers it 404, as a business that does not exist.",
        parameters: [idParam],
        responses: { 200: ok(b.Business, 'The business', BUSINESS), 400: problem('An id with a NUL or an unpaired surrogate'), 404: unknown },
      },
      patch: {
        summary: "Change a business's name, contact address or dispatcher",
        description: 'A `dispatcher` replaces the current one whole; its settings are checked by its plugin as at creation.',
        parameters: [idParam],
        requestBody: body(b.UpdateBusinessBody, { dispatcher: { plugin: 'email', settings: { to: 'dispatch@acme.example' } } }),
        responses: { 200: ok(b.Business, 'Changed', BUSINESS), 400: badBody, 403: crossSite, 404: unknown, 413: problem('Body too large'), 415: notJson },
      },
    },
    '/businesses/{id}/secret': {
      post: {
        summary: "Rotate a business's secret; the new one is in this answer only",
        description: 'The old secret stops at once: what we send is signed, and what the business sends verified, with the new one only. No body is needed.',
        parameters: [idParam],
        requestBody: body(b.RotateBusinessSecretBody, {}, false),
        responses: {
          200: ok(b.BusinessWithSecret, 'Rotated; give the new secret to the business', { ...BUSINESS, secret: SECRET }),
          400: problem('A body with fields'),
          403: crossSite,
          404: unknown,
          415: notJson,
        },
      },
    },
    '/products/{sku}/business': {
      put: {
        summary: 'Say which business supplies (and ships) a product',
        description: "Shipments made from now on take the product's lines to that business; shipments made before keep theirs.",
        parameters: [{ name: 'sku', in: 'path', required: true, schema: json(s.Sku) }],
        requestBody: body(b.AssignProductBody, { businessId: 'acme-supplies' }),
        responses: {
          200: ok(b.ProductSupplier, 'Assigned', { sku: 'SKU-KETTLE', name: 'Electric kettle 1.7 l', businessId: 'acme-supplies' }),
          400: problem('Malformed SKU or businessId, or an unknown field'),
          403: crossSite,
          404: problem('Unknown SKU (`sku`) or business (`businessId`)'),
          413: problem('Body too large'),
          415: notJson,
        },
      },
    },
  };
}
