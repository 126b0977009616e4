// Conformance-suite support: an embedded engine on a fresh test database, BPMN
// written inline, and waits that poll the engine's own tables (bounded in time).
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import type { Engine, JobHandler, Variables } from '../../orchestrator/engine.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';

export type EngineHarness = { db: TestDatabase; engine: EmbeddedEngine; close(): Promise<void> };

export async function startEngine(o: { timerPollIntervalMs?: number; jobPollIntervalMs?: number } = {}): Promise<EngineHarness> {
  const db = await openTestDatabase();
  const engine = new EmbeddedEngine(db, { logger: pino({ level: 'silent' }), timerPollIntervalMs: o.timerPollIntervalMs ?? 50, jobPollIntervalMs: o.jobPollIntervalMs ?? 50 });
  return {
    db,
    engine,
    async close() {
      await engine.close();
      await db.close();
    },
  };
}

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

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function instanceRow(h: EngineHarness, key: string) {
  const [row] = await h.db.sql.query<{ state: string; variables: Variables }>(`SELECT state, variables FROM engine_process_instances WHERE key = $1::bigint`, [key]);
  return row;
}

export async function waitForEnd(h: EngineHarness, key: string, timeoutMs?: number) {
  return waitFor(`instance ${key} to end`, async () => {
    const row = await instanceRow(h, key);
    return row && row.state !== 'ACTIVE' ? row : undefined;
  }, timeoutMs);
}

/** Element ids in the order they completed, from the audit trail. */
export async function completedElements(h: EngineHarness, key: string): Promise<string[]> {
  const rows = await h.db.sql.query<{ element_id: string }>(
    `SELECT element_id FROM engine_audit WHERE process_instance_key = $1::bigint AND intent = 'ELEMENT_COMPLETED' ORDER BY id`,
    [key],
  );
  return rows.map((r) => r.element_id);
}

export async function activeElements(h: EngineHarness, key: string): Promise<string[]> {
  const rows = await h.db.sql.query<{ element_id: string }>(
    `SELECT element_id FROM engine_element_instances WHERE process_instance_key = $1::bigint AND state = 'ACTIVE' ORDER BY element_id`,
    [key],
  );
  return rows.map((r) => r.element_id);
}

export const completeWith = (vars: Variables = {}): JobHandler => async () => ({ action: 'complete', variables: vars });

/** Workers created in a test, closed after it. */
export class Workers {
  private list: { close(): Promise<void> }[] = [];
  constructor(private readonly h: () => EngineHarness) {}
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

export async function incidentsOf(h: EngineHarness, key: string) {
  return h.db.sql.query<{ key: string; error_type: string; error_message: string; state: string; job_key: string | null; element_id: string }>(
    `SELECT key::text, error_type, error_message, state, job_key::text, element_id FROM engine_incidents WHERE process_instance_key = $1::bigint ORDER BY key`,
    [key],
  );
}

/** Waits until the instance has at least one incident; returns them all. */
export async function waitForIncidents(h: EngineHarness, key: string) {
  return waitFor(`an incident of ${key}`, async () => {
    const list = await incidentsOf(h, key);
    return list.length > 0 ? list : undefined;
  });
}

export async function count(h: EngineHarness, table: string, key: string): Promise<number> {
  const [row] = await h.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE process_instance_key = $1::bigint`, [key]);
  return row?.n ?? 0;
}

/**
 * One engine on a fresh database for a whole test file; workers a test creates
 * through `workers` are closed after it. Use `suite.h` inside tests.
 */
export function engineSuite(): { h: EngineHarness; workers: Workers } {
  const suite = { h: undefined as unknown as EngineHarness, workers: undefined as unknown as Workers };
  suite.workers = new Workers(() => suite.h);
  beforeAll(async () => {
    suite.h = await startEngine();
  });
  afterEach(async () => {
    await suite.workers.closeAll();
  });
  afterAll(async () => {
    await suite.h.close();
  });
  return suite;
}
