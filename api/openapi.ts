// The OpenAPI 3.1 document, built from the same zod schemas that validate requests.
import { z } from 'zod';
import * as s from './schemas.js';

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'output' });

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const ok = (schema: z.ZodType, description = 'OK') => ({ description, content: { 'application/json': { schema: json(schema) } } });

const skuParam = { name: 'sku', in: 'path', required: true, schema: json(s.Sku) };
const warehouseParam = { name: 'warehouseId', in: 'path', required: true, schema: json(s.WarehouseId) };

export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'order-saga',
      version,
      description: 'Order-fulfilment saga: catalog, stock, orders. Errors are RFC 9457 problem+json naming the offending field.',
    },
    components: {
      securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN from the configuration' } },
      schemas: { Problem: json(s.Problem) },
    },
    paths: {
      '/products': { get: { summary: 'List the catalog', responses: { 200: ok(s.ProductList) } } },
      '/products/{sku}': {
        get: { summary: 'One product', parameters: [skuParam], responses: { 200: ok(s.Product), 400: problem('Malformed SKU'), 404: problem('Unknown SKU') } },
      },
      '/stocks/{sku}': {
        get: {
          summary: 'Units available now, per warehouse',
          parameters: [skuParam],
          responses: { 200: ok(s.StockList), 400: problem('Malformed SKU'), 404: problem('Unknown SKU') },
        },
      },
      '/stocks/{sku}/{warehouseId}': {
        put: {
          summary: 'Set the units on hand (admin)',
          security: [{ admin: [] }],
          parameters: [skuParam, warehouseParam],
          requestBody: { required: true, content: { 'application/json': { schema: json(s.SetOnHandBody) } } },
          responses: {
            200: ok(s.WarehouseStock),
            400: problem('Invalid body: missing, not an integer, negative'),
            401: problem('Missing or wrong admin token'),
            404: problem('Unknown SKU or warehouse'),
            409: problem('On hand would fall below the units reserved for orders'),
            413: problem('Body too large'),
            415: problem('Body is not JSON'),
          },
        },
      },
      '/health': { get: { summary: 'The process is up', responses: { 200: ok(s.Health) } } },
      '/ready': { get: { summary: 'The database answers', responses: { 200: ok(s.Ready), 503: ok(s.Ready, 'Database unreachable') } } },
    },
  };
}
