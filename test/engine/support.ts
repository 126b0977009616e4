// Engine test support: an engine on a fresh test database (or, for the
// conformance suite under `npm run test:zeebe`, a Camunda 8 cluster), BPMN written
// inline, and waits that poll what the engine shows (bounded in time).
import { afterAll, afterEach, beforeAll, describe, test } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import type { Engine, JobAction, JobHandler, Variables } from '../../orchestrator/engine.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';
import { EmbeddedProbe, type EngineProbe } from './probe.js';

/** Which engine the conformance suite runs on: `ENGINE_UNDER_TEST=zeebe` (set by `npm run test:zeebe`) or the embedded one. */
export const engineUnderTest: 'embedded' | 'zeebe' = process.env.ENGINE_UNDER_TEST === 'zeebe' ? 'zeebe' : 'embedded';
/** The engine named in test titles: "(pglite)", "(postgres)" or "(zeebe)". */
export const engineLabel = engineUnderTest === 'zeebe' ? 'zeebe' : process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';

/** Anything the suite can observe: an engine and its probe. */
export type Observed = { engine: Engine; probe: EngineProbe };

export type EngineHarness = Observed & { db: TestDatabase; engine: EmbeddedEngine; close(): Promise<void> };

/** The embedded engine on a database of its own (tests of the embedded engine itself). */
export async function startEngine(o: { timerPollIntervalMs?: number; jobPollIntervalMs?: number } = {}): Promise<EngineHarness> {
  const db = await openTestDatabase();
  const engine = new EmbeddedEngine(db, {
    logger: pino({ level: 'silent' }),
    timerPollIntervalMs: o.timerPollIntervalMs ?? 50,
    jobPollIntervalMs: o.jobPollIntervalMs ?? 50,
  });
  return {
    db,
    engine,
    probe: new EmbeddedProbe(db.sql),
    async close() {
      await engine.close();
      await db.close();
    },
  };
}

/** The engine under test for the conformance suite; `embedded` is set only on the embedded engine. */
export type ConformanceHarness = Observed & { embedded?: EngineHarness; close(): Promise<void> };

export async function startEngineUnderTest(): Promise<ConformanceHarness> {
  if (engineUnderTest === 'zeebe') {
    // Loaded only here: the embedded runs need none of the SDK.
    const { startZeebeEngine } = await import('./zeebe-harness.js');
    return startZeebeEngine();
  }
  const h = await startEngine();
  return { engine: h.engine, probe: h.probe, embedded: h, close: () => h.close() };
}

/** Rules of the embedded engine alone (its storage, its processes), skipped on Camunda 8. */
export const embeddedTest = engineUnderTest === 'embedded' ? test : test.skip;
export const describeEmbedded = engineUnderTest === 'embedded' ? describe : describe.skip;

/** A BPMN file around the given process body (Zeebe namespace declared). */
export function bpmn(processId: string, body: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-${processId}" targetNamespace="http://order-saga.test">
  <bpmn:process id="${processId}" isExecutable="true">${body}</bpmn:process>${extra}
</bpmn:definitions>`;
}

export const flow = (id: string, from: string, to: string, condition?: string) =>
  condition
    ? `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"><bpmn:conditionExpression>${condition.replace(/</g, '&lt;').replace(/>/g, '&gt;')}</bpmn:conditionExpression></bpmn:sequenceFlow>`
    : `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"/>`;

export const task = (id: string, type: string, extra = '', retries = 3) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" retries="${retries}"/>${extra}</bpmn:extensionElements></bpmn:serviceTask>`;

export const message = (id: string, name: string, correlationKey: string) =>
  `<bpmn:message id="${id}" name="${name}"><bpmn:extensionElements><zeebe:subscription correlationKey="${correlationKey}"/></bpmn:extensionElements></bpmn:message>`;

export async function deploy(engine: Engine, xml: string, name = 'test.bpmn') {
  return engine.deploy([{ name, xml }]);
}

export async function instanceRow(h: Observed, key: string) {
  return h.probe.instance(key);
}

/** Waits until the instance ended; its state and root variables. */
export async function waitForEnd(h: Observed, key: string, timeoutMs?: number) {
  return waitFor(
    `instance ${key} to end`,
    async () => {
      const row = await h.probe.instance(key);
      return row && row.state !== 'ACTIVE' ? row : undefined;
    },
    timeoutMs,
  );
}

/** Element ids in the order they completed (the process itself excluded). */
export async function completedElements(h: Observed, key: string): Promise<string[]> {
  return h.probe.completedElements(key);
}

/** Element ids active now, sorted (the process itself excluded). */
export async function activeElements(h: Observed, key: string): Promise<string[]> {
  return h.probe.activeElements(key);
}

/** Polls until `read` gives `expected` (engines that export with a delay show it a moment later). */
export async function eventually<T>(what: string, read: () => Promise<T>, expected: T, timeoutMs?: number): Promise<void> {
  let last: T | undefined;
  try {
    await waitFor(
      what,
      async () => {
        last = await read();
        return JSON.stringify(last) === JSON.stringify(expected);
      },
      timeoutMs,
    );
  } catch {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, last seen ${JSON.stringify(last)}`);
  }
}

/** Open timers, where the engine shows them; `expected` is checked only then (Zeebe's API has no timer search). */
export async function expectOpenTimers(h: Observed, key: string, expected: number): Promise<void> {
  if ((await h.probe.openTimers(key)) === undefined) return;
  await eventually(`open timers of ${key}`, async () => h.probe.openTimers(key), expected);
}

export const completeWith =
  (vars: Variables = {}): JobHandler =>
  async () => ({ action: 'complete', variables: vars });

/** A handler's gate: jobs wait in `wait()` until the test calls `release()`, then complete (late: the engine ignores answers for jobs it closed). */
export function heldJobs(): { wait: () => Promise<JobAction>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { wait: () => gate.then((): JobAction => ({ action: 'complete' })), release };
}

/** Workers created in a test, closed after it. */
export class Workers {
  private list: { close(): Promise<void> }[] = [];
  constructor(private readonly h: () => Observed) {}
  add(taskType: string, handler: JobHandler, o: { timeout?: number; maxJobsToActivate?: number } = {}) {
    const w = this.h().engine.createWorker({ taskType, handler, ...o });
    this.list.push(w);
    return w;
  }
  async closeAll() {
    await Promise.all(this.list.map((w) => w.close()));
    this.list = [];
  }
}

export async function incidentsOf(h: Observed, key: string) {
  return h.probe.incidents(key);
}

/** Waits until the instance has at least one incident; returns them all. */
export async function waitForIncidents(h: Observed, key: string) {
  return waitFor(`an incident of ${key}`, async () => {
    const list = await incidentsOf(h, key);
    return list.length > 0 ? list : undefined;
  });
}

/** Rows of an embedded engine table for an instance (tests of the embedded engine's storage). */
export async function count(h: EngineHarness, table: string, key: string): Promise<number> {
  const [row] = await h.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE process_instance_key = $1::bigint`, [key]);
  return row?.n ?? 0;
}

/** One harness for a whole test file, started by `start`; workers a test creates through `workers` are closed after it. */
function suiteOf<H extends Observed & { close(): Promise<void> }>(start: () => Promise<H>): { h: H; workers: Workers } {
  const suite = { h: undefined as unknown as H, workers: undefined as unknown as Workers };
  suite.workers = new Workers(() => suite.h);
  beforeAll(async () => {
    suite.h = await start();
  });
  afterEach(async () => {
    await suite.workers.closeAll();
  });
  afterAll(async () => {
    await suite.h?.close();
  });
  return suite;
}

/** The embedded engine on a fresh database for a whole test file. Use `suite.h` inside tests. */
export function engineSuite(): { h: EngineHarness; workers: Workers } {
  return suiteOf(() => startEngine());
}

/**
 * The engine under test for a whole conformance file: embedded on a fresh
 * database, or a Camunda 8 cluster under `npm run test:zeebe`. Use `suite.h` inside tests.
 */
export function conformanceSuite(): { h: ConformanceHarness; workers: Workers } {
  return suiteOf(() => startEngineUnderTest());
}
