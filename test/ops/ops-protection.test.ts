// The ops pages and admin routes against another site (issue 21, items 3 and 4), over
// real HTTP on the whole system, with two orders stuck on an incident (pm_fail_6):
//   - nothing under /ops can be framed by another site (clickjacking): every response,
//     page, JSON, assets, Bull Board and errors alike, says so; ops.html is served by
//     GET /ops only, with its CSP, never from the assets folder;
//   - a state-changing admin request from another site (Origin, Sec-Fetch-Site), or with
//     a body a plain HTML form can send, changes nothing, even with the operator's
//     saved credentials (cross-site request forgery); the ops page's own requests and
//     clients that are no browser (curl) still work.
// Over fetch with the headers browsers send, and once in Chromium with a page of another origin.
import { DEV_API_KEY } from '../../infra/config.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { databaseKind } from '../support/database.js';
import { ADMIN_TOKEN, PAID_PATH, startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';
import { launchChromium } from './chromium.js';

type Incident = { key: string; orderId: string };
type Answer = { status: number; headers: Headers; text: string };

/** What a browser sends again by itself once the operator has logged in to /ops. */
const savedCredentials = { authorization: `Basic ${Buffer.from(`ops:${DEV_API_KEY}`).toString('base64')}` };
const bearer = { authorization: `Bearer ${DEV_API_KEY}` };
const EVIL = 'http://evil.example';
/** The body of `<form method="post" action="…/retry"><input name="retries" value="3"></form>`. */
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

let saga: Saga;
let incidents: Incident[] = [];

async function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const res = await fetch(saga.url + path, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const problemOf = (a: Answer) => ({
  status: a.status,
  contentType: a.headers.get('content-type'),
  ...(JSON.parse(a.text) as { type: string; errors?: { field: string }[] }),
});

async function openIncidentKeys(): Promise<string[]> {
  const res = await saga.get('/ops/api/incidents', bearer);
  return (res.body.incidents as Incident[]).map((i) => i.key).sort();
}

async function isPaused(queue: string): Promise<boolean> {
  const res = await saga.get('/ops/queues/api/queues', bearer);
  const found = (res.body.queues as { name: string; isPaused: boolean }[]).find((q) => q.name === queue);
  if (!found) throw new Error(`Bull Board does not list ${queue}: ${JSON.stringify(res.body)}`);
  return found.isPaused;
}

beforeAll(async () => {
  // The two orders wait on their incident for the whole file (a minute in CI, with Chromium):
  // their payment deadline must not cancel them before the retries below.
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT10M' });
  const ids = [await saga.placeOrder({ paymentMethod: 'pm_fail_6' }), await saga.placeOrder({ paymentMethod: 'pm_fail_6' })];
  incidents = await waitFor('an incident for each order', async () => {
    const open = (await saga.get('/ops/api/incidents', bearer)).body.incidents as Incident[];
    const found = ids.map((id) => open.find((i) => i.orderId === id));
    return found.every(Boolean) ? (found as Incident[]) : undefined;
  });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
});

describe(`no page under /ops can be framed by another site (${databaseKind})`, () => {
  const who = {
    operator: savedCredentials,
    script: bearer,
    anonymous: {},
    'another site': { ...savedCredentials, origin: EVIL, ...FORM },
  };
  test.each<[string, string, keyof typeof who, number]>([
    ['GET', '/ops', 'operator', 200],
    ['GET', '/ops', 'anonymous', 401],
    ['GET', '/ops/api/incidents', 'operator', 200],
    ['GET', '/ops/api/definitions', 'script', 200],
    ['GET', '/ops/assets/ops.js', 'operator', 200],
    ['GET', '/ops/assets/ops.css', 'operator', 200],
    ['GET', '/ops/assets/bpmn-js/bpmn-navigated-viewer.production.min.js', 'operator', 200],
    ['GET', '/ops/assets/ops.html', 'operator', 404],
    ['GET', '/ops/queues', 'operator', 200],
    ['GET', '/ops/queues', 'anonymous', 401],
    ['GET', '/ops/queues/api/queues', 'operator', 200],
    ['GET', '/ops/nothing-here', 'operator', 404],
    ['POST', '/ops/api/incidents/1/retry', 'another site', 403],
  ])('%s %s by %s → %i, with X-Frame-Options: DENY and CSP frame-ancestors none', async (method, path, by, status) => {
    const res = await send(method, path, who[by], method === 'POST' ? 'retries=3' : undefined);
    expect({ status: res.status, xFrameOptions: res.headers.get('x-frame-options'), csp: res.headers.get('content-security-policy') }).toEqual({
      status,
      xFrameOptions: 'DENY',
      csp: expect.stringMatching(/(^|;\s*)frame-ancestors 'none'(;|$)/),
    });
  });

  test('ops.html is not a file of the assets folder: only GET /ops serves the page, with its full CSP', async () => {
    const asset = await send('GET', '/ops/assets/ops.html', savedCredentials);
    expect(asset.status).toBe(404);
    expect(asset.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(asset.text).not.toContain('<html');

    const page = await send('GET', '/ops', savedCredentials);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('id="canvas"');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
  });
});

describe(`state-changing admin requests from another site change nothing (${databaseKind})`, () => {
  test("a cross-site form POST to retry, carrying the operator's saved credentials, is refused 403 and the incident stays open", async () => {
    const before = await openIncidentKeys();
    expect(before).toEqual(incidents.map((i) => i.key).sort());
    const order = await saga.order(incidents[0]!.orderId);
    const forged = await send('POST', `/ops/api/incidents/${incidents[0]!.key}/retry`, { ...savedCredentials, ...FORM, origin: EVIL }, 'retries=3');
    expect(problemOf(forged)).toEqual(
      expect.objectContaining({
        status: 403,
        contentType: expect.stringMatching(/^application\/problem\+json/),
        type: '/problems/cross-site-request',
        errors: [expect.objectContaining({ field: 'Origin' })],
      }),
    );
    // A JSON body does not help another site either.
    const json = await send(
      'POST',
      `/ops/api/incidents/${incidents[0]!.key}/retry`,
      { ...savedCredentials, 'content-type': 'application/json', origin: EVIL },
      '{}',
    );
    expect(problemOf(json).type).toBe('/problems/cross-site-request');
    expect(await openIncidentKeys()).toEqual(before);
    expect(await saga.order(incidents[0]!.orderId)).toEqual(order);
  });

  test('Sec-Fetch-Site cross-site or same-site is refused without an Origin too; a null Origin (sandboxed frame) as well', async () => {
    const retry = `/ops/api/incidents/${incidents[0]!.key}/retry`;
    const signs: Record<string, string>[] = [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'null' }];
    for (const sign of signs) {
      const res = await send('POST', retry, { ...savedCredentials, 'content-type': 'application/json', ...sign }, '{"retries":3}');
      expect([sign, problemOf(res).status, problemOf(res).type]).toEqual([sign, 403, '/problems/cross-site-request']);
    }
    expect(await openIncidentKeys()).toEqual(incidents.map((i) => i.key).sort());
  });

  test('a body that is not JSON is 415, from a browser on our own page or from curl; nothing is retried', async () => {
    const retry = `/ops/api/incidents/${incidents[0]!.key}/retry`;
    const ownOrigin = { origin: saga.url, 'sec-fetch-site': 'same-origin' };
    for (const [headers, body] of [
      [{ 'content-type': 'text/plain' }, '{"retries":3}'],
      [{ ...FORM }, 'retries=3'],
      [{ 'content-type': 'text/plain', ...ownOrigin }, '{"retries":3}'],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\nContent-Disposition: form-data; name="retries"\r\n\r\n3\r\n--x--\r\n'],
    ] as const) {
      const res = problemOf(await send('POST', retry, { ...savedCredentials, ...headers }, body));
      expect([headers, res.status, res.type, res.errors?.map((e) => e.field)]).toEqual([headers, 415, '/problems/unsupported-media-type', ['Content-Type']]);
    }
    expect(await openIncidentKeys()).toEqual(incidents.map((i) => i.key).sort());
  });

  test('an anonymous cross-site request learns only that it needs the token (401)', async () => {
    const res = await send('POST', `/ops/api/incidents/${incidents[0]!.key}/retry`, { ...FORM, origin: EVIL }, 'retries=3');
    expect(problemOf(res).status).toBe(401);
  });

  test('in Chromium, with the operator logged in, a page of another origin can neither frame /ops/queues nor retry with a form', async () => {
    const [target] = incidents as [Incident, Incident];
    const pages: Record<string, string> = {
      '/framed': `<!doctype html><title>elsewhere</title><iframe id="board" src="${saga.url}/ops/queues" width="800" height="600"></iframe>`,
      '/form': `<!doctype html><title>elsewhere</title>
        <form id="f" method="post" action="${saga.url}/ops/api/incidents/${target.key}/retry"><input name="retries" value="3"></form>
        <script>document.getElementById('f').submit()</script>`,
    };
    const elsewhere = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(pages[req.url ?? ''] ?? ''));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', () => resolve()));
    const elsewhereUrl = `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}`;
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: DEV_API_KEY } });
      const page = await context.newPage();
      // The operator has the board open: the browser holds the credentials.
      await page.goto(`${saga.url}/ops/queues`);
      await page.getByText('order-saga queues').first().waitFor();

      const boardAnswered = page.waitForResponse((r) => r.url() === `${saga.url}/ops/queues` && r.status() === 200);
      await page.goto(`${elsewhereUrl}/framed`);
      await boardAnswered;
      const frame = await (await page.locator('#board').elementHandle())!.contentFrame();
      await expect(frame?.locator('text=order-saga queues').count()).resolves.toBe(0);

      const retryAnswered = page.waitForResponse((r) => r.url().endsWith(`/ops/api/incidents/${target.key}/retry`));
      await page.goto(`${elsewhereUrl}/form`);
      const answer = await retryAnswered;
      expect([answer.request().method(), answer.status(), (await answer.json()).type]).toEqual(['POST', 403, '/problems/cross-site-request']);
      expect(await openIncidentKeys()).toEqual(incidents.map((i) => i.key).sort());
      await context.close();
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  }, 60_000);

  test("Bull Board's actions and the stock admin route refuse another site too", async () => {
    expect(await isPaused('notifications')).toBe(false);
    const pause = await send('PUT', '/ops/queues/api/queues/notifications/pause', { ...savedCredentials, origin: EVIL });
    expect(problemOf(pause)).toEqual(expect.objectContaining({ status: 403, type: '/problems/cross-site-request' }));
    expect(await isPaused('notifications')).toBe(false);
    // Resuming a running queue changes nothing: the board's own (same-origin) request still reaches it.
    const resume = await send('PUT', '/ops/queues/api/queues/notifications/resume', { ...savedCredentials, origin: saga.url, 'sec-fetch-site': 'same-origin' });
    expect(resume.status).toBe(200);

    const before = await saga.stock('SKU-KETTLE');
    const [warehouse] = before;
    const stock = await send(
      'PUT',
      `/stocks/SKU-KETTLE/${warehouse!.warehouseId}`,
      { ...bearer, 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      JSON.stringify({ onHand: 0 }),
    );
    expect(problemOf(stock)).toEqual(expect.objectContaining({ status: 403, type: '/problems/cross-site-request' }));
    expect(await saga.stock('SKU-KETTLE')).toEqual(before);
  });

  test("PUBLIC_URL's origin is ours as well as the Host header's (a service behind a proxy)", async () => {
    const app = createApp({
      db: saga.system.db,
      config: {
        adminToken: ADMIN_TOKEN,
        auth: { devApiKey: DEV_API_KEY, customerTokens: undefined },
        http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' },
        payments: { publicUrl: 'https://shop.example/base' },
      },
      logger: pino({ level: 'silent' }),
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const [row] = await saga.stock('SKU-KETTLE');
      const put = (origin: string) =>
        fetch(`${url}/stocks/SKU-KETTLE/${row!.warehouseId}`, {
          method: 'PUT',
          headers: { ...bearer, 'content-type': 'application/json', origin },
          body: JSON.stringify({ onHand: row!.onHand }),
        });
      expect((await put('https://shop.example')).status).toBe(200);
      expect((await put(url)).status).toBe(200);
      expect((await put('http://shop.example')).status).toBe(403);
      expect((await put(EVIL)).status).toBe(403);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test("the ops page's own request (same origin, JSON) retries, and so does curl (no Origin, no Sec-Fetch-Site); both orders are paid", async () => {
    const [fromPage, fromCurl] = incidents as [Incident, Incident];
    const page = await send(
      'POST',
      `/ops/api/incidents/${fromPage.key}/retry`,
      { ...savedCredentials, 'content-type': 'application/json', origin: saga.url, 'sec-fetch-site': 'same-origin' },
      JSON.stringify({ retries: 3 }),
    );
    expect([page.status, JSON.parse(page.text)]).toEqual([202, { key: fromPage.key, resolved: true, retries: 3 }]);
    const curl = await send(
      'POST',
      `/ops/api/incidents/${fromCurl.key}/retry`,
      { ...bearer, 'content-type': 'application/json' },
      JSON.stringify({ retries: 2 }),
    );
    expect([curl.status, JSON.parse(curl.text)]).toEqual([202, { key: fromCurl.key, resolved: true, retries: 2 }]);
    // Paid: past PAID, the order's shipments went out.
    for (const i of incidents) {
      const o = await saga.waitForFinal(i.orderId);
      expect([o.status, o.history.map((h) => h.to)]).toEqual(['FULFILLING', [...PAID_PATH]]);
    }
    expect(saga.errorLines.filter((l) => !/incident at RequestPayment/.test(l))).toEqual([]);
  });
});
