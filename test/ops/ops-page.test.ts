// The ops page and /metrics after one mixed run of the whole system: two orders
// paid, one declined, one cancelled by the payment timeout, and one stuck on an
// incident (the provider fails past Request payment's 5 retries). A paid order goes
// on to FULFILLING: its shipment waits for its business (manual dispatcher) in a
// called order-shipment instance, so its process stays active. The tests run
// in order and share that run: metrics while the incident is open; the page in
// Chromium, where an operator reads the diagram and retries the incident; the
// metrics and the log after the order it stopped has finished.
import { DEV_API_KEY } from '../../infra/config.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Page } from 'playwright-core';
import { databaseKind } from '../support/database.js';
import { adminAuth, PAID_PATH, startSaga, type Saga } from '../saga/support.js';
import { waitFor } from '../support/wait.js';
import { ARTIFACTS, launchChromium } from './chromium.js';
import { labelProblems, labelsInModel, measureDiagram } from './diagram-labels.js';
import { scrape, series, total, value, type Exposition } from './prometheus.js';

// Browser globals for the functions Playwright runs in the page (the project's tsconfig has no DOM lib).
declare const getComputedStyle: (e: unknown) => { stroke: string; backgroundColor: string };
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null };

const QUEUES = ['notifications', 'payment-events', 'sandbox-provider'];

let saga: Saga;
const logLines: Record<string, unknown>[] = [];
const orders = { paid: [] as string[], declined: '', cancelled: '', stuck: '' };
let incidentKey = '';

beforeAll(async () => {
  // The deadline counts from placement for every order: long enough for the stuck order to be retried from the page.
  // The sandbox decides in 400 ms: customers wait longest at "Await payment", as in a shop.
  saga = await startSaga({ PAYMENT_TIMEOUT: 'PT2M', SANDBOX_DELAY_MS: '400' }, { level: 'info', onLine: (line) => void logLines.push(JSON.parse(line)) });
  orders.paid = [
    await saga.placeOrder({ sku: 'SKU-SCALE', paymentMethod: 'pm_approve' }),
    await saga.placeOrder({ sku: 'SKU-MUG-SET', paymentMethod: 'pm_approve' }),
  ];
  orders.declined = await saga.placeOrder({ sku: 'SKU-BOARD', paymentMethod: 'pm_decline' });
  orders.cancelled = await saga.placeOrder({ sku: 'SKU-KNIFE', paymentMethod: 'pm_no_answer' });
  orders.stuck = await saga.placeOrder({ sku: 'SKU-TEAPOT', paymentMethod: 'pm_fail_6' });
  await waitFor('the pm_no_answer order to await payment', async () => (await saga.get(`/orders/${orders.cancelled}`)).body.status === 'AWAITING_PAYMENT');
  // Waits a while first, so that the cancelled order's time at Await payment shows in its numbers.
  await new Promise((r) => setTimeout(r, 1200));
  expect((await saga.post(`/orders/${orders.cancelled}/cancel`)).status).toBe(202);
  await Promise.all([...orders.paid, orders.declined, orders.cancelled].map((id) => saga.waitForFinal(id)));
  incidentKey = await waitFor('the incident of the pm_fail_6 order', async () => {
    const res = await saga.get('/ops/api/incidents', adminAuth);
    return (res.body.incidents as { key: string; orderId: string }[]).find((i) => i.orderId === orders.stuck)?.key;
  });
}, 60_000);

afterAll(async () => {
  await saga?.stop();
});

describe(`the ops view after a mixed run (${databaseKind})`, () => {
  test('/metrics while the incident is open: orders by status, saga durations, job failures and retries, one incident, queues', async () => {
    const m = await scrape(saga.url);
    expect(m.types.get('order_saga_saga_duration_seconds')).toBe('histogram');
    expect(m.types.get('order_saga_job_failures_total')).toBe('counter');
    expect(m.types.get('order_saga_orders')).toBe('gauge');
    // Paid, then split into shipments: none stays at PAID.
    expect(value(m, 'order_saga_orders', { status: 'FULFILLING' })).toBe(2);
    expect(value(m, 'order_saga_orders', { status: 'PAID' })).toBe(0);
    expect(value(m, 'order_saga_orders', { status: 'PAYMENT_FAILED' })).toBe(1);
    expect(value(m, 'order_saga_orders', { status: 'CANCELLED' })).toBe(1);
    expect(value(m, 'order_saga_orders', { status: 'NEW' })).toBe(1); // the stuck one never got its payment requested
    // The saga duration ends at PAID.
    expect(value(m, 'order_saga_saga_duration_seconds_count', { status: 'PAID' })).toBe(2);
    expect(value(m, 'order_saga_saga_duration_seconds_count', { status: 'CANCELLED' })).toBe(1);
    // The cancelled order waited at least the 1.2 s before its cancellation.
    expect(value(m, 'order_saga_saga_duration_seconds_sum', { status: 'CANCELLED' })).toBeGreaterThanOrEqual(1.2);
    expect(value(m, 'order_saga_saga_duration_seconds_bucket', { status: 'CANCELLED', le: '1' })).toBe(0);
    expect(value(m, 'order_saga_saga_duration_seconds_bucket', { status: 'CANCELLED', le: '+Inf' })).toBe(1);
    // Request payment has 5 retries: 5 failures, the first 4 with retries left.
    expect(value(m, 'order_saga_job_failures_total', { task_type: 'request-payment' })).toBe(5);
    expect(value(m, 'order_saga_job_retries_total', { task_type: 'request-payment' })).toBe(4);
    expect(value(m, 'order_saga_job_failures_total', { task_type: 'finalize-order' })).toBe(0);
    expect(value(m, 'order_saga_job_duration_seconds_count', { task_type: 'request-payment', outcome: 'fail' })).toBe(5);
    expect(value(m, 'order_saga_incidents_open')).toBe(1);
    expect(value(m, 'order_saga_element_waiting', { element_id: 'RequestPayment' })).toBe(1);
    expect(
      series(m, 'order_saga_queue_depth')
        .map((l) => l.queue)
        .sort(),
    ).toEqual(QUEUES);
    for (const s of series(m, 'order_saga_metrics_source_up')) expect([s.source, value(m, 'order_saga_metrics_source_up', s)]).toEqual([s.source, 1]);
    expect(m.samples.some((s) => s.name === 'order_saga_process_cpu_seconds_total')).toBe(true);
  });

  test('bad input to the ops API is a 4xx problem naming the field', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/ops/api/definitions/not-a-key/stats', undefined, 400, 'key'],
      ['GET', '/ops/api/definitions/12345/stats', undefined, 404, 'key'],
      ['GET', '/ops/api/definitions/12345', undefined, 404, 'key'],
      ['GET', '/ops/api/orders/nope/path', undefined, 400, 'id'],
      ['GET', '/ops/api/orders/4c1f2a3b-5d6e-4f70-8a9b-0c1d2e3f4a5b/path', undefined, 404, 'id'],
      ['POST', '/ops/api/incidents/abc/retry', {}, 400, 'key'],
      ['POST', `/ops/api/incidents/${incidentKey}/retry`, { retries: 0 }, 400, 'retries'],
      ['POST', `/ops/api/incidents/${incidentKey}/retry`, { retries: 2, extra: true }, 400, 'extra'],
      ['POST', '/ops/api/incidents/12345/retry', {}, 404, 'key'],
    ];
    for (const [method, p, body, status, field] of cases) {
      const res = await fetch(saga.url + p, {
        method,
        headers: { ...adminAuth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const problem = (await res.json()) as { status: number; errors?: { field: string }[] };
      expect([method, p, res.status, res.headers.get('content-type')]).toEqual([method, p, status, expect.stringMatching(/^application\/problem\+json/)]);
      expect(problem.errors?.map((e) => e.field)).toContain(field);
    }
    // None of these touched the incident.
    expect((await saga.get('/ops/api/incidents', adminAuth)).body.incidents.map((i: { key: string }) => i.key)).toContain(incidentKey);
  });

  test('the page in a browser: counts on the diagram, the incident in red, retried from the page, the order path', async () => {
    const browser = await launchChromium();
    const pageErrors: string[] = [];
    try {
      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: DEV_API_KEY }, viewport: { width: 1600, height: 1300 } });
      const page: Page = await context.newPage();
      page.on('pageerror', (err) => pageErrors.push(err.message));
      page.on('console', (msg) => void (msg.type() === 'error' && pageErrors.push(msg.text())));
      page.on('response', (r) => void (r.status() >= 400 && pageErrors.push(`${r.status()} ${r.url()}`)));

      // Refresh every second so the test does not wait on the default 5 s.
      await page.goto(`${saga.url}/ops?refresh=1`);
      await expect(page.getByTestId('refresh-note').textContent()).resolves.toBe('Refreshes by itself every 1 s');
      const stats = (id: string) => page.locator(`[data-testid="element-stats"][data-element-id="${id}"]`);
      await stats('RequestPayment').waitFor();

      // Where the stuck order waits: 1 token, 1 open incident in red, 5 job failures.
      await expect(stats('RequestPayment').getAttribute('data-waiting')).resolves.toBe('1');
      await expect(stats('RequestPayment').getAttribute('data-incidents-open')).resolves.toBe('1');
      await expect(stats('RequestPayment').getAttribute('data-failures')).resolves.toBe('5');
      await expect(stats('RequestPayment').getByTestId('waiting-badge').textContent()).resolves.toBe('1');
      await expect(stats('RequestPayment').getByTestId('incident-badge').isVisible()).resolves.toBe(true);
      await expect(stats('RequestPayment').getByTestId('failures').textContent()).resolves.toBe('5✗');
      const requestPaymentShape = page.locator('g.djs-element[data-element-id="RequestPayment"]');
      await expect(requestPaymentShape.getAttribute('class')).resolves.toMatch(/\bops-incident\b/);
      const stroke = await requestPaymentShape.locator('.djs-visual > :first-child').evaluate((e) => getComputedStyle(e).stroke);
      expect(stroke).toBe('rgb(208, 2, 27)');
      await expect(page.getByTestId('incident-badge').evaluateAll((es) => es.map((e) => getComputedStyle(e).backgroundColor))).resolves.toEqual([
        'rgb(208, 2, 27)',
      ]);

      // What the finished orders passed: counts and times drawn on the elements.
      const completed = async (id: string) => stats(id).getAttribute('data-completed');
      await expect(completed('ReserveStock')).resolves.toBe('5');
      await expect(completed('AwaitPayment')).resolves.toBe('3'); // paid ×2, declined; the cancellation interrupted the fourth
      await expect(completed('FinalizeOrder')).resolves.toBe('2');
      await expect(completed('MarkPaymentFailed')).resolves.toBe('1');
      await expect(completed('CancellationRequested')).resolves.toBe('1');
      await expect(completed('CancelOrderByCustomer')).resolves.toBe('1');
      // The paid ones went on: split into shipments, each order's shipment waiting for its business.
      await expect(completed('PrepareShipments')).resolves.toBe('2');
      await expect(stats('FulfilShipments').getAttribute('data-waiting')).resolves.toBe('2');
      await expect(stats('FulfilShipments').getAttribute('data-children-running')).resolves.toBe('2');
      await expect(stats('FinalizeOrder').getByTestId('times').textContent()).resolves.toMatch(/^p50 \d+(\.\d)? m?s · p95 \d+(\.\d)? m?s$/);
      await expect(stats('FinalizeOrder').getByTestId('done').textContent()).resolves.toBe('2✓');
      await expect(stats('AwaitPayment').getByTestId('times').textContent()).resolves.toMatch(/· p95 \d+(\.\d)? m?s$/);
      await expect(stats('AwaitPayment').getAttribute('data-waiting')).resolves.toBe('0');

      // The two questions: where customers wait longest, what fails most.
      await expect(page.getByTestId('longest-wait').textContent()).resolves.toBe('Await payment');
      await expect(page.getByTestId('most-failures').textContent()).resolves.toBe('Request payment');
      await expect(page.getByTestId('most-failures-detail').textContent()).resolves.toBe('5 job failures, 1 incident (1 open)');

      // The incident list: the order, the step, the error.
      const row = page.locator(`[data-testid="incident-row"][data-order-id="${orders.stuck}"]`);
      await expect(row.getByTestId('incident-order').textContent()).resolves.toBe(orders.stuck);
      await expect(row.getByTestId('incident-element').textContent()).resolves.toBe('Request payment');
      await expect(row.getByTestId('incident-error').textContent()).resolves.toMatch(/attempt 5 of 6/);
      await expect(page.getByTestId('incident-row').count()).resolves.toBe(1);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ops-page.png'), fullPage: true });

      // Retry from the page: the job gets 3 retries, fails once more, then the provider approves.
      await row.getByTestId('retries').fill('3');
      await row.getByTestId('retry').click();
      await page
        .getByTestId('message')
        .filter({ hasText: `Incident ${incidentKey} of order ${orders.stuck} retried` })
        .waitFor();
      await row.waitFor({ state: 'detached', timeout: 20_000 });
      await expect(page.getByTestId('incident-count').textContent()).resolves.toBe('(0)');

      // Search the order: its path, step by step with timestamps, through PAID into its shipments (FULFILLING).
      await page.getByTestId('order-search').fill(orders.stuck);
      await page.getByTestId('order-search').press('Enter');
      await page
        .getByTestId('order-status')
        .filter({ hasText: /^FULFILLING$/ })
        .waitFor({ timeout: 20_000 });
      await page.locator('[data-testid="path-step"][data-element-id="PrepareShipments"][data-intent="ELEMENT_COMPLETED"]').waitFor({ timeout: 20_000 });
      // Its shipment waits for the business in the instance Fulfil each shipment called.
      await page.locator('[data-testid="called-instance"][data-element-id="FulfilShipments"][data-state="ACTIVE"]').waitFor({ timeout: 20_000 });
      await expect(page.getByTestId('called-instance').count()).resolves.toBe(1);
      const statuses = PAID_PATH.map((s) => `${s} [^→;]+`).join(' → ');
      await expect(page.getByTestId('path-process').textContent()).resolves.toMatch(new RegExp(`; ${statuses}$`));
      const steps = await page.getByTestId('path-step').evaluateAll((lis) =>
        lis.map((li) => ({
          element: li.getAttribute('data-element-id'),
          intent: li.getAttribute('data-intent'),
          at: li.querySelector('time')?.getAttribute('datetime') ?? '',
          text: li.textContent ?? '',
        })),
      );
      const walked = steps.filter((s) => s.intent === 'ELEMENT_COMPLETED').map((s) => s.element);
      expect(walked).toEqual(
        expect.arrayContaining([
          'OrderPlaced',
          'ReserveStock',
          'RequestPayment',
          'AwaitPayment',
          'PaymentResultReceived',
          'FinalizeOrder',
          'NotifyOrderConfirmed',
          'PrepareShipments',
        ]),
      );
      expect(walked.indexOf('ReserveStock')).toBeLessThan(walked.indexOf('FinalizeOrder'));
      expect(walked.indexOf('NotifyOrderConfirmed')).toBeLessThan(walked.indexOf('PrepareShipments'));
      // Where it is now: in Fulfil each shipment, not past it.
      expect(walked).not.toContain('FulfilShipments');
      expect(steps.filter((s) => s.element === 'FulfilShipments' && s.intent === 'ELEMENT_ACTIVATED').length).toBeGreaterThan(0);
      await expect(page.locator('g.djs-element[data-element-id="FulfilShipments"]').getAttribute('class')).resolves.toMatch(/\bops-path-current\b/);
      expect(steps.filter((s) => s.element === 'RequestPayment' && s.intent === 'JOB_FAILED')).toHaveLength(6);
      const times = steps.map((s) => Date.parse(s.at));
      expect(times.every((t) => Number.isFinite(t))).toBe(true);
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(steps.find((s) => s.element === 'RequestPayment' && s.intent === 'ELEMENT_ACTIVATED')?.text).toMatch(
        /^(\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\.\d{3} Request payment arrived$/,
      );
      await expect(page.locator('g.djs-element[data-element-id="FinalizeOrder"]').getAttribute('class')).resolves.toMatch(/\bops-path\b/);
      await expect(page.locator('g.djs-element[data-element-id="CancellationRequested"]').getAttribute('class')).resolves.not.toMatch(/\bops-path\b/);

      // The diagram caught up: nothing waits at Request payment, no red, one more paid order.
      await page.waitForFunction(
        () => document.querySelector('[data-testid="element-stats"][data-element-id="FinalizeOrder"]')?.getAttribute('data-completed') === '3',
        undefined,
        { timeout: 20_000 },
      );
      await expect(stats('RequestPayment').getAttribute('data-waiting')).resolves.toBe('0');
      await expect(stats('RequestPayment').getAttribute('data-incidents-open')).resolves.toBe('0');
      await expect(requestPaymentShape.getAttribute('class')).resolves.not.toMatch(/\bops-incident\b/);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ops-page-after-retry.png'), fullPage: true });
      await context.close();
    } finally {
      await browser.close();
    }
    expect(pageErrors).toEqual([]);
    const o = await saga.waitForFinal(orders.stuck);
    expect([o.status, o.history.map((h) => h.to)]).toEqual(['FULFILLING', [...PAID_PATH]]);
  });

  test('every label on the diagram reads whole: no word broken over two lines, none over a flow, another label or the ops numbers', async () => {
    const model = labelsInModel(await readFile(path.resolve('bpmn/order-fulfillment.bpmn'), 'utf8'));
    expect(model.names.get('Flow_Approved')).toBe('approved');
    expect(model.labelBounds.get('Flow_Approved')?.height).toBe(14);
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ httpCredentials: { username: 'ops', password: DEV_API_KEY }, viewport: { width: 1600, height: 1300 } });
      const page = await context.newPage();
      await page.goto(`${saga.url}/ops?refresh=300`);
      // Drawn, and the numbers put on it (they must not cover a label either).
      await page.locator('[data-testid="element-stats"][data-element-id="FinalizeOrder"]').waitFor();
      const rendered = await page.evaluate(measureDiagram);
      await page.getByTestId('diagram').screenshot({ path: path.join(ARTIFACTS, 'ops-diagram-labels.png') });
      expect(rendered.labels.length).toBeGreaterThanOrEqual(model.names.size);
      expect(rendered.lines.length).toBeGreaterThan(20);
      expect(labelProblems(rendered, model)).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
    }
  });

  test('/metrics after the retry: the incident is gone, every finished order has its saga duration, refused webhooks are counted', async () => {
    const m = await waitFor('the retried order to be counted FULFILLING (paid, its shipment out)', async () => {
      const e: Exposition = await scrape(saga.url);
      return value(e, 'order_saga_orders', { status: 'FULFILLING' }) === 3 ? e : undefined;
    });
    expect(value(m, 'order_saga_incidents_open')).toBe(0);
    expect(value(m, 'order_saga_orders', { status: 'PAID' })).toBe(0);
    const finished = ['FULFILLING', 'REJECTED', 'PAYMENT_FAILED', 'CANCELLED'].reduce((n, status) => n + value(m, 'order_saga_orders', { status }), 0);
    expect(finished).toBe(5);
    expect(total(m, 'order_saga_saga_duration_seconds_count')).toBe(finished);
    expect(value(m, 'order_saga_saga_duration_seconds_count', { status: 'PAID' })).toBe(3);
    // One more failure after the retry (attempt 6 of 6 failing), with retries left; then success.
    expect(value(m, 'order_saga_job_failures_total', { task_type: 'request-payment' })).toBe(6);
    expect(value(m, 'order_saga_job_retries_total', { task_type: 'request-payment' })).toBe(5);
    // Nothing waits in the payment saga any more: only the paid orders, in Fulfil each shipment, and their shipments, for their businesses' answers.
    const waiting = series(m, 'order_saga_element_waiting')
      .map((l) => [l.bpmn_process_id, l.element_id, value(m, 'order_saga_element_waiting', l)])
      .filter(([, , n]) => n !== 0);
    expect(waiting.sort()).toEqual([
      ['order-fulfillment', 'FulfilShipments', 3],
      ['order-shipment', 'AwaitAnswer', 3],
    ]);

    const refused = (e: Exposition) => value(e, 'order_saga_webhook_refused_total', { provider: 'sandbox', reason: 'mismatch' });
    const before = refused(m);
    const forged = await saga.sendWebhook(
      { id: 'evt_forged', type: 'payment.succeeded', created: Math.floor(Date.now() / 1000), data: { orderId: orders.cancelled } },
      { secret: 'whsec_not_the_right_secret_at_all' },
    );
    expect(forged.status).toBe(401);
    const after = await scrape(saga.url);
    expect(refused(after)).toBe(before + 1);
    expect(value(after, 'order_saga_webhook_refused_total', { provider: 'sandbox', reason: 'missing' })).toBe(0);
  });

  test("the JSON log tells one order's story: API calls, jobs (its shipment's in the instance its process called), webhook, relay, notification, the retry", async () => {
    const story = logLines.filter((l) => l.orderId === orders.stuck);
    const pik = story.find((l) => typeof l.processInstanceKey === 'string')?.processInstanceKey as string;
    expect(pik).toMatch(/^\d+$/);
    const called = (await saga.get(`/ops/api/instances/${pik}`, adminAuth)).body.calledInstances as {
      processInstanceKey: string;
      bpmnProcessId: string;
      elementId: string;
    }[];
    expect(called.map((c) => [c.elementId, c.bpmnProcessId])).toEqual([['FulfilShipments', 'order-shipment']]);
    const shipmentPik = called[0]!.processInstanceKey;
    const requests = story
      .filter((l) => l.msg === 'request')
      .map((l) => `${l.method} ${String(l.url).replace(/\/[0-9a-f-]{36}|\/\d{10,}/g, '/…')} ${l.status}`);
    expect(requests).toEqual(expect.arrayContaining(['POST /orders 202', 'POST /webhooks/payments/sandbox 200', 'POST /ops/api/incidents/…/retry 202']));
    const jobs = story.filter((l) => typeof l.taskType === 'string' && /^job /.test(String(l.msg)));
    expect(jobs.map((l) => l.taskType)).toEqual(
      expect.arrayContaining(['reserve-stock', 'request-payment', 'finalize-order', 'notify-customer', 'prepare-shipments', 'dispatch-shipment']),
    );
    for (const j of jobs) expect([j.taskType, j.processInstanceKey]).toEqual([j.taskType, j.taskType === 'dispatch-shipment' ? shipmentPik : pik]);
    expect(story.find((l) => l.msg === 'request' && String(l.url).endsWith('/retry'))?.processInstanceKey).toBe(pik);
    expect(story.map((l) => l.msg)).toEqual(expect.arrayContaining(['payment webhook recorded', 'payment result published', 'customer notification']));
  });

  test('nothing answered 500, and the one error-level line is the alarm of the incident, naming order, step and message', () => {
    expect(saga.errorLines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({
        orderId: orders.stuck,
        elementId: 'RequestPayment',
        taskType: 'request-payment',
        incidentKey,
        errorType: 'JOB_NO_RETRIES',
        errorMessage: expect.stringMatching(/attempt 5 of 6/),
      }),
    ]);
  });
});
