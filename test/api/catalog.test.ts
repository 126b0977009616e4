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
    expect(products.find((p) => p.sku === 'SKU-KETTLE')).toEqual({
      sku: 'SKU-KETTLE',
      name: 'Electric kettle 1.7 l',
      price: { amountMinor: 3499, currency: 'EUR' },
    });
  });

  type ProductPage = { products: { sku: string }[]; nextCursor: string | null };

  /** Every page of GET /products?limit=… from the first, following nextCursor. */
  async function allPages(limit: number): Promise<ProductPage[]> {
    const pages: ProductPage[] = [];
    let cursor: string | null = null;
    do {
      const answer = await get(`/products?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(answer.status).toBe(200);
      pages.push(answer.body as ProductPage);
      cursor = (answer.body as ProductPage).nextCursor;
    } while (cursor && pages.length < 20);
    return pages;
  }

  test('GET /products pages like every list: ?limit=3 gives 3, 3, 3, 1 products by SKU, then nextCursor null', async () => {
    const all = ((await get('/products')).body as ProductPage).products.map((p) => p.sku);
    expect((await get('/products')).body).toMatchObject({ nextCursor: null }); // 10 products fit the default page of 20
    const pages = await allPages(3);
    expect(pages.map((p) => p.products.length)).toEqual([3, 3, 3, 1]);
    expect(pages.at(-1)?.nextCursor).toBeNull();
    expect(pages.flatMap((p) => p.products.map((x) => x.sku))).toEqual(all);
    // A page size that divides the catalogue ends with nextCursor null, not an empty page.
    expect((await allPages(5)).map((p) => p.products.length)).toEqual([5, 5]);
  });

  test('a product added after the first page was read does not shift the next page', async () => {
    const first = (await get('/products?limit=4')).body as ProductPage;
    expect(first.products.map((p) => p.sku)).toEqual(['SKU-BOARD', 'SKU-FRENCHPRESS', 'SKU-GRINDER', 'SKU-KETTLE']);
    // Sorts before every seeded SKU: with offset paging it would push the first page's last product onto page 2.
    await api.db.prisma.product.create({ data: { sku: 'SKU-AAA-NEW', name: 'New first product', priceMinor: 100, currency: 'EUR' } });
    try {
      const second = (await get(`/products?limit=4&cursor=${first.nextCursor as string}`)).body as ProductPage;
      expect(second.products.map((p) => p.sku)).toEqual(['SKU-KNIFE', 'SKU-LAMP', 'SKU-MUG-SET', 'SKU-SCALE']);
    } finally {
      await api.db.prisma.product.delete({ where: { sku: 'SKU-AAA-NEW' } });
    }
  });

  test.each([
    ['limit=0', 'limit', 'must be an integer from 1 to 100'],
    ['limit=101', 'limit', 'must be an integer from 1 to 100'],
    ['limit=abc', 'limit', 'must be an integer from 1 to 100'],
    ['limit=2&limit=3', 'limit', 'must be an integer from 1 to 100'],
    ['cursor=not-a-cursor!', 'cursor', 'is not a cursor this API handed out'],
    ['cursor=', 'cursor', 'must not be empty'],
    // The cursor of GET /orders names an order, not a product.
    [
      `cursor=${Buffer.from('2026-01-01T00:00:00.000Z|0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10').toString('base64url')}`,
      'cursor',
      'is not a cursor this API handed out',
    ],
    ['page=2', 'page', 'unknown query parameter'],
    ['offset=10', 'offset', 'unknown query parameter'],
    ['sku=SKU-LAMP', 'sku', 'unknown query parameter'],
  ])('GET /products?%s → 400 naming %s', async (query, field, message) => {
    const { status, contentType, body } = await get(`/products?${query}`);
    expect(status).toBe(400);
    expect(contentType).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ type: '/problems/validation-error', status: 400, errors: [{ field, message }] });
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
      nextCursor: null,
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
      nextCursor: null,
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
      nextCursor: null,
    });
    expect(await api.db.prisma.stock.findUnique({ where: { sku_warehouseId: { sku: 'SKU-SCALE', warehouseId: 'WH-HAM' } } })).toMatchObject({
      onHand: 40,
      reserved: 0,
    });
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
      nextCursor: null,
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
      nextCursor: null,
    });
  });

  test('GET /openapi.json is an OpenAPI 3.1 document listing every route', async () => {
    const { status, contentType, body } = await get('/openapi.json');
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/json/);
    const doc = body as { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/admin/api-keys',
      '/admin/api-keys/{id}',
      '/admin/customers/{id}',
      '/admin/customers/{id}/points',
      '/admin/listings',
      '/admin/listings/{id}',
      '/admin/listings/{id}/take-off',
      '/admin/products',
      '/admin/products/{sku}',
      '/admin/products/{sku}/archive',
      '/customers/me',
      '/customers/me/points',
      '/health',
      '/listings',
      '/listings/{id}',
      '/products',
      '/products/{sku}',
      '/ready',
      '/stocks/{sku}',
      '/stocks/{sku}/{warehouseId}',
    ]);
    expect(Object.keys(doc.paths['/stocks/{sku}/{warehouseId}'] ?? {})).toEqual(['put']);
    expect(doc.paths['/stocks/{sku}/{warehouseId}']?.put).toMatchObject({ security: [{ apiKey: [] }], 'x-access': { kind: 'scope', scope: 'catalog:admin' } });
    for (const path of ['/products', '/products/{sku}', '/stocks/{sku}', '/health', '/ready']) {
      expect(Object.keys(doc.paths[path] ?? {})).toEqual(['get']);
    }
    // The catalogue pages like every list: the same parameters, the same nextCursor.
    const products = doc.paths['/products']?.get as { parameters: { name: string; in: string }[]; responses: Record<string, unknown> };
    expect(products.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['query:cursor', 'query:limit']);
    expect(Object.keys(products.responses).sort()).toEqual(['200', '400', '429']);
    expect((body as { components: { schemas: Record<string, unknown> } }).components.schemas.ProductList).toMatchObject({
      required: ['products', 'nextCursor'],
    });
  });

  test('GET /docs/ answers the Swagger UI page', async () => {
    const res = await fetch(`${api.baseUrl}/docs/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await res.text()).toLowerCase()).toContain('swagger');
  });

  test('GET /health and GET /ready answer 200', async () => {
    expect(await get('/health')).toEqual({ status: 200, contentType: expect.stringMatching(/^application\/json/), body: { status: 'ok' } });
    expect(await get('/ready')).toEqual({
      status: 200,
      contentType: expect.stringMatching(/^application\/json/),
      body: { status: 'ready', database: databaseKind },
    });
  });

  test('no request answered 500: nothing was logged at error level', () => {
    expect(api.errorLines).toEqual([]);
  });
});
