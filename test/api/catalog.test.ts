import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { reserve } from '../../domain/inventory/reserve.js';
import { seedDemoCatalog } from '../../prisma/seed.js';
import { databaseKind } from '../support/database.js';
import { addOrder, addWarehouses } from '../support/fixtures.js';
import { adminHeaders, startApiServer, type ApiServer } from '../support/api-server.js';

let api: ApiServer;
beforeAll(async () => {
  api = await startApiServer((db) => seedDemoCatalog(db.prisma));
});
afterAll(async () => {
  await api?.close();
});

async function get(path: string): Promise<{ status: number; contentType: string; body: unknown }> {
  const res = await fetch(`${api.baseUrl}${path}`);
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.json() };
}

async function putOnHand(sku: string, warehouseId: string, onHand: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${api.baseUrl}/stocks/${sku}/${warehouseId}`, { method: 'PUT', headers: adminHeaders(), body: JSON.stringify({ onHand }) });
  return { status: res.status, body: await res.json() };
}

describe(`catalog and stock API over HTTP (${databaseKind})`, () => {
  test('GET /products lists the 10 seeded products, by SKU, each with a price in minor units', async () => {
    const { status, contentType, body } = await get('/products');
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/json/);
    const { products } = body as { products: { sku: string; name: string; price: { amountMinor: number; currency: string } }[] };
    expect(products).toHaveLength(10);
    expect(products.map((p) => p.sku)).toEqual([
      'SKU-BOARD',
      'SKU-FRENCHPRESS',
      'SKU-GRINDER',
      'SKU-KETTLE',
      'SKU-KNIFE',
      'SKU-LAMP',
      'SKU-MUG-SET',
      'SKU-SCALE',
      'SKU-TEAPOT',
      'SKU-TOASTER',
    ]);
    for (const p of products) {
      expect(p).toEqual({ sku: expect.any(String), name: expect.any(String), price: { amountMinor: expect.any(Number), currency: 'EUR' } });
      expect(Number.isInteger(p.price.amountMinor)).toBe(true);
    }
    expect(products.find((p) => p.sku === 'SKU-KETTLE')).toEqual({ sku: 'SKU-KETTLE', name: 'Electric kettle 1.7 l', price: { amountMinor: 3499, currency: 'EUR' } });
  });

  test('GET /products/:sku answers one product', async () => {
    const { status, body } = await get('/products/SKU-LAMP');
    expect(status).toBe(200);
    expect(body).toEqual({ sku: 'SKU-LAMP', name: 'Desk lamp (limited edition)', price: { amountMinor: 12900, currency: 'EUR' } });
  });

  test('GET /stocks/:sku answers the count per warehouse, including warehouses with none', async () => {
    const { status, contentType, body } = await get('/stocks/SKU-TEAPOT');
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/json/);
    expect(body).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 0 },
        { warehouseId: 'WH-HAM', count: 7 },
        { warehouseId: 'WH-MUC', count: 4 },
      ],
    });
  });

  test('GET /stocks/:sku counts on hand minus reserved', async () => {
    // SKU-GRINDER: 5 / 3 / 2 on hand. The first warehouse holding the whole line (WH-BER) reserves it.
    const orderId = await addOrder(api.db.prisma, [{ sku: 'SKU-GRINDER', quantity: 4 }]);
    const reserved = await reserve(api.db.prisma, orderId, [{ sku: 'SKU-GRINDER', quantity: 4 }]);
    expect(reserved.ok).toBe(true);

    const { status, body } = await get('/stocks/SKU-GRINDER');
    expect(status).toBe(200);
    expect(body).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 1 },
        { warehouseId: 'WH-HAM', count: 3 },
        { warehouseId: 'WH-MUC', count: 2 },
      ],
    });
  });

  test('PUT /stocks/:sku/:warehouseId with the admin token sets on hand; the next GET reflects it', async () => {
    const put = await putOnHand('SKU-SCALE', 'WH-HAM', 40);
    expect(put).toEqual({ status: 200, body: { sku: 'SKU-SCALE', warehouseId: 'WH-HAM', onHand: 40, reserved: 0, available: 40 } });

    expect((await get('/stocks/SKU-SCALE')).body).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 25 },
        { warehouseId: 'WH-HAM', count: 40 },
        { warehouseId: 'WH-MUC', count: 25 },
      ],
    });
    expect(await api.db.prisma.stock.findUnique({ where: { sku_warehouseId: { sku: 'SKU-SCALE', warehouseId: 'WH-HAM' } } })).toMatchObject({ onHand: 40, reserved: 0 });
  });

  test('PUT keeps what is reserved: available is the new on hand minus reserved', async () => {
    const orderId = await addOrder(api.db.prisma, [{ sku: 'SKU-KNIFE', quantity: 6 }]);
    expect((await reserve(api.db.prisma, orderId, [{ sku: 'SKU-KNIFE', quantity: 6 }])).ok).toBe(true); // WH-BER: 9 on hand

    expect(await putOnHand('SKU-KNIFE', 'WH-BER', 20)).toEqual({
      status: 200,
      body: { sku: 'SKU-KNIFE', warehouseId: 'WH-BER', onHand: 20, reserved: 6, available: 14 },
    });
    expect((await get('/stocks/SKU-KNIFE')).body).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 14 },
        { warehouseId: 'WH-HAM', count: 14 },
        { warehouseId: 'WH-MUC', count: 0 },
      ],
    });
  });

  test('PUT for a known product in a known warehouse without a stock row creates the row', async () => {
    await addWarehouses(api.db.prisma, ['WH-CGN']);
    const where = { sku_warehouseId: { sku: 'SKU-KETTLE', warehouseId: 'WH-CGN' } };
    expect(await api.db.prisma.stock.findUnique({ where })).toBeNull();

    expect(await putOnHand('SKU-KETTLE', 'WH-CGN', 7)).toEqual({
      status: 200,
      body: { sku: 'SKU-KETTLE', warehouseId: 'WH-CGN', onHand: 7, reserved: 0, available: 7 },
    });

    expect(await api.db.prisma.stock.findUnique({ where })).toMatchObject({ onHand: 7, reserved: 0 });
    expect((await get('/stocks/SKU-KETTLE')).body).toEqual({
      stocks: [
        { warehouseId: 'WH-BER', count: 40 },
        { warehouseId: 'WH-CGN', count: 7 },
        { warehouseId: 'WH-HAM', count: 25 },
        { warehouseId: 'WH-MUC', count: 10 },
      ],
    });
  });

  test('GET /openapi.json is an OpenAPI 3.1 document listing every route', async () => {
    const { status, contentType, body } = await get('/openapi.json');
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/json/);
    const doc = body as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).sort()).toEqual(['/health', '/products', '/products/{sku}', '/ready', '/stocks/{sku}', '/stocks/{sku}/{warehouseId}']);
    expect(Object.keys(doc.paths['/stocks/{sku}/{warehouseId}'] ?? {})).toEqual(['put']);
    expect(doc.paths['/stocks/{sku}/{warehouseId}']?.put).toMatchObject({ security: [{ admin: [] }] });
    for (const path of ['/products', '/products/{sku}', '/stocks/{sku}', '/health', '/ready']) {
      expect(Object.keys(doc.paths[path] ?? {})).toEqual(['get']);
    }
  });

  test('GET /docs/ answers the Swagger UI page', async () => {
    const res = await fetch(`${api.baseUrl}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await res.text()).toLowerCase()).toContain('swagger');
  });

  test('GET /health and GET /ready answer 200', async () => {
    expect(await get('/health')).toEqual({ status: 200, contentType: expect.stringMatching(/^application\/json/), body: { status: 'ok' } });
    expect(await get('/ready')).toEqual({ status: 200, contentType: expect.stringMatching(/^application\/json/), body: { status: 'ready', database: databaseKind } });
  });

  test('no request answered 500: nothing was logged at error level', () => {
    expect(api.errorLines).toEqual([]);
  });
});
