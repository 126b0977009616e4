// The ops page on the BPMN features beyond the order process (issue 15, item 9), read in
// Chromium as an operator reads it: a parallel multi-instance service task (its instances
// and its items counted apart), a non-interrupting event sub-process (counts on it and on
// the task inside it), a call activity (its running child instances; the instance view
// links parent and child both ways) and a business rule task (the instance's decisions,
// evaluated and failed). One run of "Ship order" (test/ops/feature-models.ts) on the
// embedded engine, shared by the tests:
//   - two orders packing 3 items each, held at Pack items (2 instances, 6 items at work),
//     the first also held in the event sub-process it was sent a complaint for;
//   - one packed (3 items), routed as a parcel, shipping: its child instance waits at Book
//     carrier; it was sent a complaint too, handled at once;
//   - one packed (1 item) whose routing decision fails (two rules match): an incident.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { openEngine, type EngineParts } from '../../app/engines.js';
import { notificationPage } from '../../domain/notifications/list-notifications.js';
import { DEV_API_KEY } from '../../infra/config.js';
import { complete, type Job, type JobAction } from '../../orchestrator/engine.js';
import { OrderProcess } from '../../orchestrator/order-process.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { addOrder, addProduct } from '../support/fixtures.js';
import { waitFor } from '../support/wait.js';
import { ARTIFACTS, launchChromium } from './chromium.js';
import { bookCarrier, CHILD, ESCALATE_MESSAGE, JOBS, MAIN, routing, shipOrder } from './feature-models.js';

// Browser globals for the functions Playwright runs in the page (the project's tsconfig has no DOM lib).
declare const document: { querySelector(selector: string): { getBoundingClientRect(): Rect } | null };
type Rect = { x: number; y: number; width: number; height: number };

const auth = { authorization: `Bearer ${DEV_API_KEY}` };

let db: TestDatabase;
let parts: EngineParts;
let server: Server;
let url: string;
let browser: Browser;
const errorLines: string[] = [];
const workers: { close(): Promise<void> }[] = [];
let release: () => void;
const keys = { packing: [] as string[], shipping: '', child: '', failing: '' };
let mainKey = '';
let childDefinitionKey = '';

/** Jobs of instances marked to hold wait here until the run ends. */
const gate = new Promise<void>((r) => (release = r));
const held = (): Promise<JobAction> => gate.then(() => complete());

/**
 * The run has settled when the engine's own tables say so (not the statistics under test): the
 * held jobs taken (6 items, 1 complaint, 1 booking), the failed decision's incident raised and
 * the handled complaint done.
 */
async function settled(): Promise<boolean> {
  const [row] = await db.sql.query<{ jobs: Record<string, number> | null; incidents: number; handled: number }>(
    `SELECT (SELECT jsonb_object_agg(type, n) FROM (SELECT type, count(*)::int AS n FROM engine_jobs WHERE state = 'ACTIVATED' GROUP BY type) j) AS jobs,
            (SELECT count(*)::int FROM engine_incidents WHERE state = 'ACTIVE') AS incidents,
            (SELECT count(*)::int FROM engine_audit WHERE element_id = 'escalate' AND intent = 'ELEMENT_COMPLETED') AS handled`,
  );
  const jobs = row?.jobs ?? {};
  return jobs[JOBS.pack] === 6 && jobs[JOBS.notify] === 1 && jobs[JOBS.book] === 1 && row?.incidents === 1 && row.handled === 1;
}

beforeAll(async () => {
  db = await openTestDatabase();
  parts = await openEngine({ kind: 'embedded' }, db, pino({ level: 'silent' }));
  const logger = pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) });
  const deployed = await parts.engine.deploy([
    { name: 'ops-routing.dmn', xml: routing },
    { name: `${CHILD}.bpmn`, xml: bookCarrier },
    { name: `${MAIN}.bpmn`, xml: shipOrder },
  ]);
  mainKey = deployed.find((d) => d.bpmnProcessId === MAIN)!.processDefinitionKey;
  childDefinitionKey = deployed.find((d) => d.bpmnProcessId === CHILD)!.processDefinitionKey;

  const worker = (taskType: string, handler: (job: Job) => Promise<JobAction>) =>
    workers.push(parts.engine.createWorker({ taskType, handler, maxJobsToActivate: 32, timeout: 600_000 }));
  worker(JOBS.pack, async (job) => (job.variables.hold ? held() : complete()));
  worker(JOBS.notify, async (job) => (job.variables.holdNotify ? held() : complete()));
  worker(JOBS.book, async () => held());

  const start = async (variables: Record<string, unknown>) => (await parts.engine.createProcessInstance({ bpmnProcessId: MAIN, variables })).processInstanceKey;
  keys.packing = [
    await start({ orderRef: 'A1', items: ['mug', 'kettle', 'teapot'], hold: true, holdNotify: true, weight: 4 }),
    await start({ orderRef: 'A2', items: ['mug', 'kettle', 'teapot'], hold: true, weight: 4 }),
  ];
  keys.shipping = await start({ orderRef: 'B', items: ['board', 'knife', 'scale'], weight: 4 });
  keys.failing = await start({ orderRef: 'D', items: ['piano'], weight: 5000 });
  for (const orderRef of ['A1', 'B']) await parts.engine.publishMessage({ name: ESCALATE_MESSAGE, correlationKey: orderRef, timeToLive: 60_000 });
  await waitFor('the run to settle', settled, 30_000);
  const [child] = await db.sql.query<{ key: string }>(`SELECT key::text FROM engine_process_instances WHERE parent_process_instance_key = $1::bigint`, [
    keys.shipping,
  ]);
  keys.child = child!.key;

  const app = createApp({
    db,
    config: {
      adminToken: 'ops-features-admin-token',
      auth: { devApiKey: DEV_API_KEY, customerTokens: undefined },
      http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' },
    },
    logger,
    saga: {
      orderProcess: new OrderProcess(parts.engine, { paymentTimeoutMs: 600_000, paymentStatusCheckInterval: 'PT1M', messageTtlMs: 60_000 }),
      gateway: { checkPaymentMethod: () => undefined },
      inspector: parts.inspector,
      listNotifications: (orderId, page) => notificationPage(db.prisma, orderId, page),
      webhookProviders: [],
      relay: { relayNow: async () => undefined },
      incidents: parts.incidents,
      engine: parts.engine,
      queues: [],
    },
    ops: { engine: 'embedded', prisma: db.prisma, operations: parts.embedded!.operations },
  });
  server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  release?.();
  await browser?.close();
  await Promise.all(workers.map((w) => w.close()));
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await parts?.engine.close();
  await db?.close();
});

/** The page on a fresh context, refreshing rarely (the run does not change), checked for errors when `done`. */
async function openPage(query: string): Promise<{ page: Page; done(): Promise<void> }> {
  const context: BrowserContext = await browser.newContext({
    httpCredentials: { username: 'ops', password: DEV_API_KEY },
    viewport: { width: 1400, height: 1200 },
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => void (msg.type() === 'error' && problems.push(msg.text())));
  page.on('response', (r) => void (r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`)));
  await page.goto(`${url}/ops?refresh=300${query}`);
  return {
    page,
    async done() {
      await context.close();
      expect(problems).toEqual([]);
      expect(errorLines).toEqual([]);
    },
  };
}

const overlay = (page: Page, id: string): Locator => page.locator(`[data-testid="element-stats"][data-element-id="${id}"]`);
const attrs = (l: Locator, names: string[]) => Promise.all(names.map((n) => l.getAttribute(`data-${n}`)));

describe(`the ops page on multi-instance, event sub-processes, call activities and decisions (${databaseKind})`, () => {
  test('a multi-instance activity shows its instances and its items apart, never one summed number', async () => {
    const { page, done } = await openPage(`&version=${mainKey}`);
    const pack = overlay(page, 'pack');
    await pack.waitFor();
    // Two orders wait at Pack items, 3 items each; two instances of it completed with 4 items between them.
    await expect(attrs(pack, ['waiting', 'inner-waiting', 'completed', 'inner-completed'])).resolves.toEqual(['2', '6', '2', '4']);
    await expect(pack.getByTestId('waiting-badge').textContent()).resolves.toBe('2');
    await expect(pack.getByTestId('inner-badge').textContent()).resolves.toBe('6 inner');
    await expect(pack.getByTestId('done').textContent()).resolves.toBe('2✓');
    await expect(pack.getByTestId('inner-done').textContent()).resolves.toMatch(/^\W*4 inner✓$/);
    // A task that is no multi-instance has no items to show.
    await expect(attrs(overlay(page, 'route'), ['inner-waiting', 'inner-completed'])).resolves.toEqual(['', '']);
    // The metric counts what waits at the element as the diagram does: two orders, not eight tokens.
    expect((await parts.embedded!.operations.waitingByElement()).find((w) => w.elementId === 'pack')?.count).toBe(2);
    // Where such an order stands (GET /orders/{id}): at its three items; the body holds them and is no step.
    const steps = (await parts.inspector.instance(keys.packing[1]!))?.currentSteps.map((c) => `${c.elementId}:${c.type}`);
    expect(steps).toEqual(['pack:serviceTask', 'pack:serviceTask', 'pack:serviceTask']);
    await page.getByTestId('diagram').screenshot({ path: path.join(ARTIFACTS, 'ops-bpmn-features-diagram.png') });
    await done();
  });

  test('an event sub-process and the task inside it carry their counts, drawn on their own shapes', async () => {
    const { page, done } = await openPage(`&version=${mainKey}`);
    const escalate = overlay(page, 'escalate');
    await escalate.waitFor();
    // One complaint handled, one being handled (its supervisor's job held).
    await expect(attrs(escalate, ['waiting', 'completed'])).resolves.toEqual(['1', '1']);
    await expect(escalate.getByTestId('waiting-badge').textContent()).resolves.toBe('1');
    await expect(escalate.getByTestId('done').textContent()).resolves.toBe('1✓');
    await expect(attrs(overlay(page, 'esc-notify'), ['waiting', 'completed'])).resolves.toEqual(['1', '1']);
    // The order stands at the task inside the event sub-process, as well as at its items; the sub-process only holds the task.
    const steps = (await parts.inspector.instance(keys.packing[0]!))?.currentSteps.map((c) => c.elementId);
    expect([...new Set(steps)].sort()).toEqual(['esc-notify', 'pack']);
    for (const id of ['escalate', 'esc-notify']) {
      const [box, shape] = await Promise.all([
        overlay(page, id).evaluate((e) => (e as unknown as { getBoundingClientRect(): Rect }).getBoundingClientRect()),
        page.evaluate((sel) => document.querySelector(sel)!.getBoundingClientRect(), `g.djs-element[data-element-id="${id}"] .djs-visual`),
      ]);
      expect([id, Math.round(box.x - shape.x), Math.round(box.y - shape.y), Math.round(box.width - shape.width)]).toEqual([id, 0, 0, 0]);
    }
    await done();
  });

  test("a call activity shows its running child instances; the instance view links to the child, and the child's back to its parent", async () => {
    const { page, done } = await openPage(`&version=${mainKey}`);
    const ship = overlay(page, 'ship');
    await ship.waitFor();
    await expect(ship.getAttribute('data-children-running')).resolves.toBe('1');
    await expect(ship.getByTestId('children-badge').textContent()).resolves.toBe('↳ 1 running');

    await page.getByTestId('order-search').fill(keys.shipping);
    await page.getByTestId('order-search').press('Enter');
    const called = page.getByTestId('called-instance');
    await called.first().waitFor();
    await expect(called.count()).resolves.toBe(1);
    await expect(called.getAttribute('data-element-id')).resolves.toBe('ship');
    await expect(called.textContent()).resolves.toMatch(new RegExp(`^Hand to carrier: ${CHILD} v1 instance ${keys.child} active`));
    await expect(page.getByTestId('path-parent').isVisible()).resolves.toBe(false);

    // To the child: its own process drawn, where it waits, and the way back.
    await called.getByTestId('child-link').click();
    await page.getByTestId('parent-link').waitFor();
    await expect(page.getByTestId('path-parent').textContent()).resolves.toBe(`Called by ${MAIN} instance ${keys.shipping} at Hand to carrier`);
    await expect(page.getByTestId('version-picker').inputValue()).resolves.toBe(childDefinitionKey);
    await expect(page.locator('[data-testid="path-step"][data-element-id="book"][data-intent="ELEMENT_ACTIVATED"]').count()).resolves.toBe(1);
    await expect(page.locator('g.djs-element[data-element-id="book"]').getAttribute('class')).resolves.toMatch(/\bops-path-current\b/);
    await expect(page.getByTestId('called-instances').isVisible()).resolves.toBe(false);

    await page.getByTestId('parent-link').click();
    await page.getByTestId('child-link').waitFor();
    await expect(page.getByTestId('version-picker').inputValue()).resolves.toBe(mainKey);
    await expect(page.getByTestId('path-process').textContent()).resolves.toMatch(new RegExp(`^process ${keys.shipping} \\(${MAIN} v1\\) active`));
    // The links are addresses too: a child instance opens on its own in a new tab.
    await expect(page.getByTestId('child-link').getAttribute('href')).resolves.toBe(`?refresh=300&instance=${keys.child}`);
    await done();
  });

  test('the Decisions section lists each evaluation: decision and version, element, inputs, matched rule, output; a failed one with its failure', async () => {
    const { page, done } = await openPage(`&instance=${keys.shipping}`);
    const row = page.getByTestId('decision-row');
    await row.first().waitFor();
    await expect(row.count()).resolves.toBe(1);
    await expect(page.getByTestId('decision-count').textContent()).resolves.toBe('(1)');
    await expect(row.getAttribute('data-state')).resolves.toBe('EVALUATED');
    await expect(row.getByTestId('decision-name').textContent()).resolves.toBe('Route shipment (ops-route) v1');
    await expect(row.getByTestId('decision-element').textContent()).resolves.toBe('Route shipment');
    await expect(row.getByTestId('decision-inputs').textContent()).resolves.toBe('In 1 = 4');
    await expect(row.getByTestId('matched-rule').getAttribute('data-rule-index')).resolves.toBe('1');
    await expect(row.getByTestId('matched-rule').textContent()).resolves.toBe('rule 1 (r1): carrier = "parcel"');
    await expect(row.getByTestId('decision-output').textContent()).resolves.toBe('"parcel"');
    await page.screenshot({ path: path.join(ARTIFACTS, 'ops-bpmn-features-instance.png'), fullPage: true });

    // The failed evaluation, reached from its incident: the failure where the output would be.
    const incident = page.locator(`[data-testid="incident-row"] [data-testid="incident-instance"]`);
    await expect(incident.textContent()).resolves.toBe(`process ${keys.failing}`);
    await incident.click();
    await page.locator('[data-testid="decision-row"][data-state="FAILED"]').waitFor();
    const failed = page.getByTestId('decision-row');
    await expect(failed.getByTestId('decision-inputs').textContent()).resolves.toBe('In 1 = 5000');
    await expect(failed.getByTestId('decision-failure').textContent()).resolves.toMatch(/r2.*r3/);
    await expect(failed.getByTestId('decision-output').count()).resolves.toBe(0);
    await done();
  });

  test('the instance and its decisions in the JSON API; a bad key is a 400 naming it, an unknown one a 404', async () => {
    const get = async (p: string) => {
      const res = await fetch(url + p, { headers: auth });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> & { errors?: { field: string }[] } };
    };
    // The shipping instance is an order's: its child serves that order too.
    await addProduct(db.prisma, 'SKU-OPS-FEATURES', { 'WH-OPS': 5 });
    const orderId = await addOrder(db.prisma, [{ sku: 'SKU-OPS-FEATURES', quantity: 1 }]);
    await db.prisma.order.update({ where: { id: orderId }, data: { processInstanceKey: keys.shipping } });
    const child = await get(`/ops/api/instances/${keys.child}`);
    expect(child.status).toBe(200);
    expect(child.body).toMatchObject({
      processInstanceKey: keys.child,
      orderId,
      process: { bpmnProcessId: CHILD, state: 'ACTIVE' },
      parent: { processInstanceKey: keys.shipping, bpmnProcessId: MAIN, elementId: 'ship', name: 'Hand to carrier' },
      rootProcessInstanceKey: keys.shipping,
      calledInstances: [],
    });
    const decisions = await get(`/ops/api/instances/${keys.shipping}/decisions`);
    expect(decisions.body).toMatchObject({
      processInstanceKey: keys.shipping,
      decisions: [
        {
          elementId: 'route',
          decisionId: 'ops-route',
          decisionName: 'Route shipment',
          decisionVersion: 1,
          decisionType: 'DECISION_TABLE',
          inputs: [{ value: 4 }],
          matchedRules: [{ ruleId: 'r1', ruleIndex: 1, evaluatedOutputs: [{ value: 'parcel' }] }],
          output: 'parcel',
          failure: null,
        },
      ],
    });
    expect((await get(`/ops/api/instances/${keys.child}/decisions`)).body.decisions).toEqual([]);
    for (const p of ['/ops/api/instances/01', '/ops/api/instances/x/decisions', '/ops/api/instances/99999999999999999999']) {
      const res = await get(p);
      expect([p, res.status, [...new Set(res.body.errors?.map((e) => e.field))]]).toEqual([p, 400, ['key']]);
    }
    for (const p of ['/ops/api/instances/12345', '/ops/api/instances/12345/decisions']) {
      const res = await get(p);
      expect([p, res.status, res.body.errors?.map((e) => e.field)]).toEqual([p, 404, ['key']]);
    }
    expect(errorLines).toEqual([]);
  });
});
