// helmet's headers on every response of the real app (every route mounted), the /ops
// framing rules kept, and Swagger UI at /docs still working in a real browser under its CSP.
import { DEV_API_KEY } from '../../infra/config.js';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { databaseKind } from '../support/database.js';
import { startEveryRouteApp, type EveryRouteApp } from '../support/every-route-app.js';
import { launchChromium } from '../ops/chromium.js';

let app: EveryRouteApp;

beforeAll(async () => {
  app = await startEveryRouteApp();
});

afterAll(async () => {
  await app?.close();
});

const admin = { authorization: `Bearer ${DEV_API_KEY}` };

describe(`security headers (${databaseKind})`, () => {
  test.each([
    ['GET', '/products', {}, 200],
    ['GET', '/openapi.json', {}, 200],
    ['GET', '/health', {}, 200],
    ['GET', '/orders/not-a-uuid', admin, 404],
    ['GET', '/orders', {}, 401],
    ['GET', '/no-such-route', {}, 404],
    ['POST', '/orders', { ...admin, 'content-type': 'text/plain' }, 415],
    ['GET', '/events', {}, 401],
    ['GET', '/docs/', {}, 200],
  ])('%s %s %j → %i carries them', async (method, path, headers, status) => {
    const res = await fetch(`${app.baseUrl}${path}`, { method, headers });
    expect(res.status).toBe(status);
    expect({
      nosniff: res.headers.get('x-content-type-options'),
      referrer: res.headers.get('referrer-policy'),
      hsts: res.headers.get('strict-transport-security'),
      opener: res.headers.get('cross-origin-opener-policy'),
      resource: res.headers.get('cross-origin-resource-policy'),
      frames: res.headers.get('x-frame-options'),
      csp: res.headers.get('content-security-policy'),
      poweredBy: res.headers.get('x-powered-by'),
    }).toEqual({
      nosniff: 'nosniff',
      referrer: 'no-referrer',
      hsts: expect.stringMatching(/^max-age=\d+/),
      opener: 'same-origin',
      resource: 'same-origin',
      frames: 'SAMEORIGIN',
      csp: expect.stringMatching(/^default-src 'self';/),
      poweredBy: null,
    });
    // Served over plain HTTP as often as not: subresources must not be forced to https.
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
  });

  test.each(['/ops', '/ops/api/incidents', '/ops/queues', '/ops/nothing-here'])('%s keeps its own framing rules over helmet', async (path) => {
    const res = await fetch(`${app.baseUrl}${path}`, { headers: admin });
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('the ops page keeps its stricter CSP', async () => {
    const res = await fetch(`${app.baseUrl}/ops`, { headers: admin });
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'self'; script-src 'self'; .*frame-ancestors 'none'; base-uri 'none'/);
  });

  test('/docs: its HTML and its init script are served', async () => {
    const html = await fetch(`${app.baseUrl}/docs/`);
    expect(html.status).toBe(200);
    const text = await html.text();
    expect(text).toContain('swagger-ui-init.js');
    const init = await fetch(`${app.baseUrl}/docs/swagger-ui-init.js`);
    expect(init.status).toBe(200);
    expect(await init.text()).toContain('SwaggerUIBundle');
  });

  test('/docs renders the API in a browser, with no CSP violation', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (msg) => void (msg.type() === 'error' && errors.push(msg.text())));
      page.on('pageerror', (err) => void errors.push(err.message));
      await page.goto(`${app.baseUrl}/docs/`);
      await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
      expect(await page.locator('.opblock-summary-path', { hasText: '/products' }).count()).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
