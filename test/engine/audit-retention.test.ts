// Audit retention (docs/engine.md, "Audit retention"): an ended instance's steps and decision
// evaluations are deleted once it ended longer ago than the retention, folded into the
// per-element rollup, so the ops page's figures stay what they were. Deterministic: instances
// are made "old" by moving their end back, and the prune is called directly.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import express from 'express';
import { pino } from 'pino';
import { notFoundHandler, problemErrorHandler } from '../../api/problem.js';
import { opsApiRoutes } from '../../api/routes/ops-api.js';
import { ConfigError, loadConfig } from '../../infra/config.js';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import { EngineOperations } from '../../orchestrator/embedded/operations.js';
import { complete, fail } from '../../orchestrator/engine.js';
import { waitFor } from '../support/wait.js';
import { dmn, table } from './dmn/support.js';
import { bpmn, count, engineLabel, engineSuite, flow, task, waitForEnd } from './support.js';

const suite = engineSuite();
const quiet = pino({ level: 'silent' });
const HOUR = 3_600_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** start → decide (business rule task) → work (a job: fails once when asked) → each (multi-instance, one job per item) → end. */
const PROCESS = bpmn(
  'ret',
  `<bpmn:startEvent id="s"/>
   <bpmn:businessRuleTask id="decide"><bpmn:extensionElements><zeebe:calledDecision decisionId="ret-size" resultVariable="size"/></bpmn:extensionElements></bpmn:businessRuleTask>
   ${task('work', 'ret-work')}
   <bpmn:serviceTask id="each"><bpmn:extensionElements><zeebe:taskDefinition type="ret-item"/></bpmn:extensionElements>
     <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
   </bpmn:serviceTask>
   <bpmn:endEvent id="e"/>
   ${flow('f0', 's', 'decide')}${flow('f1', 'decide', 'work')}${flow('f2', 'work', 'each')}${flow('f3', 'each', 'e')}`,
);
const DECISION = dmn(
  'ret-drg',
  table('ret-size', {
    hitPolicy: 'FIRST',
    inputs: ['n'],
    outputs: ['size'],
    rules: [
      [['> 4'], ['"big"']],
      [['-'], ['"small"']],
    ],
  }),
);
/** An instance that waits for a message for ever: active. */
const PARKED = bpmn(
  'ret-parked',
  `<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent><bpmn:endEvent id="e"/>
   ${flow('f0', 's', 'wait')}${flow('f1', 'wait', 'e')}`,
  `<bpmn:message id="m" name="ret-never"><bpmn:extensionElements><zeebe:subscription correlationKey="=key"/></bpmn:extensionElements></bpmn:message>`,
);

let engine: EmbeddedEngine;
let ops: EngineOperations;
let definitionKey: string;

/** Runs `n` instances to their end (job durations spread over 0–60 ms, every other one failing once); returns their keys. */
async function runInstances(n: number, from = 0): Promise<string[]> {
  const keys = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      engine.createProcessInstance({
        bpmnProcessId: 'ret',
        variables: { n: from + i, sleepMs: ((from + i) * 13) % 60, failOnce: (from + i) % 2 === 0, items: [1, 2] },
      }),
    ),
  );
  for (const k of keys) expect((await waitForEnd(suite.h, k.processInstanceKey)).state).toBe('COMPLETED');
  return keys.map((k) => k.processInstanceKey);
}

/** Moves the instances' end back by `ms`, as if they had ended that long ago. */
async function endedAgo(keys: string[], ms: number): Promise<void> {
  await suite.h.db.sql.query(`UPDATE engine_process_instances SET ended_at = ended_at - $2::float8 * interval '1 millisecond' WHERE key = ANY($1::bigint[])`, [
    keys,
    ms,
  ]);
}

/** percentile_cont over the exact durations of the audit rows still kept, per element (not bodies). */
async function exactPercentiles(): Promise<Map<string, { p50: number; p95: number; n: number }>> {
  const rows = await suite.h.db.sql.query<{ element_id: string; n: number; p50: number; p95: number }>(
    `SELECT a.element_id, count(*)::int AS n,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM c.at - a.at) * 1000)::float8 AS p50,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM c.at - a.at) * 1000)::float8 AS p95
     FROM engine_audit a JOIN engine_audit c ON c.element_instance_key = a.element_instance_key AND c.intent = 'ELEMENT_COMPLETED'
     WHERE a.definition_key = $1::bigint AND a.intent = 'ELEMENT_ACTIVATED' AND a.element_type NOT IN ('process', 'multiInstanceBody')
     GROUP BY 1`,
    [definitionKey],
  );
  return new Map(rows.map((r) => [r.element_id, { p50: Number(r.p50), p95: Number(r.p95), n: r.n }]));
}

/** The stated error (docs/engine.md): within 2^(1/16) − 1 ≈ 4.43 % of (ms + 1), plus rounding to whole ms. */
const withinBucketError = (got: number, exact: number) => Math.abs(got - exact) <= 0.0443 * (exact + 1) + 0.5 + 1e-9;

const figures = async () => ({ stats: await ops.elementStats(definitionKey), durations: await ops.elementDurations(definitionKey) });

describe(`audit retention (${engineLabel})`, () => {
  let old: string[];
  let recent: string;
  let parked: string;
  let before: Awaited<ReturnType<typeof figures>>;
  let exact: Awaited<ReturnType<typeof exactPercentiles>>;
  const failedOnce = new Set<string>();

  beforeAll(async () => {
    engine = new EmbeddedEngine(suite.h.db, {
      logger: quiet,
      jobPollIntervalMs: 50,
      timerPollIntervalMs: 50,
      auditRetentionMs: HOUR,
      auditPruneIntervalMs: HOUR,
    });
    ops = new EngineOperations(suite.h.db.sql);
    const deployed = await engine.deploy([
      { name: 'ret.dmn', xml: DECISION },
      { name: 'ret.bpmn', xml: PROCESS },
      { name: 'ret-parked.bpmn', xml: PARKED },
    ]);
    definitionKey = deployed.find((d) => d.bpmnProcessId === 'ret')!.processDefinitionKey;
    engine.createWorker({
      taskType: 'ret-work',
      handler: async (job) => {
        if (job.variables.failOnce && !failedOnce.has(job.processInstanceKey)) {
          failedOnce.add(job.processInstanceKey);
          return fail({ errorMessage: 'once', retries: job.retries - 1, retryBackOffMs: 0 });
        }
        await sleep(Number(job.variables.sleepMs));
        return complete();
      },
    });
    engine.createWorker({ taskType: 'ret-item', handler: async (job) => (await sleep(Number(job.variables.item) * 3), complete()) });
    old = await runInstances(8);
    recent = (await runInstances(1, 8))[0]!;
    parked = (await engine.createProcessInstance({ bpmnProcessId: 'ret-parked', variables: { key: 'k' } })).processInstanceKey;
    await endedAgo(old, 2 * HOUR);
    // An instance active for long is still active: its start moved back too.
    await suite.h.db.sql.query(`UPDATE engine_process_instances SET started_at = started_at - interval '30 days' WHERE key = $1::bigint`, [parked]);
    exact = await exactPercentiles();
    before = await figures();
  }, 60_000);

  afterAll(async () => {
    await engine?.close();
  });

  test('an instance that ended longer ago than the retention loses its steps and decision evaluations; active and recent ones keep theirs', async () => {
    const kept = { recent: await count(suite.h, 'engine_audit', recent), parked: await count(suite.h, 'engine_audit', parked) };
    expect(await count(suite.h, 'engine_decision_evaluations', old[0]!)).toBe(1);
    const pruned = await engine.pruneAudit();
    expect(pruned.instances).toBe(8);
    expect(pruned.decisionEvaluations).toBe(8);
    for (const key of old) {
      expect(await count(suite.h, 'engine_audit', key)).toBe(0);
      expect(await count(suite.h, 'engine_decision_evaluations', key)).toBe(0);
    }
    expect(await count(suite.h, 'engine_audit', recent)).toBe(kept.recent);
    expect(await count(suite.h, 'engine_decision_evaluations', recent)).toBe(1);
    expect(await count(suite.h, 'engine_audit', parked)).toBe(kept.parked);
    expect(kept.recent).toBeGreaterThan(10);
    // The instance row stays: its state, times and version, marked pruned.
    const instance = await ops.instance(old[0]!);
    expect(instance).toMatchObject({ state: 'COMPLETED', definitionKey, auditPrunedAt: expect.any(String) });
    expect((await ops.instance(recent))?.auditPrunedAt).toBeNull();
    expect((await ops.instance(parked))?.state).toBe('ACTIVE');
  });

  test("the ops page's per-element figures (visits, p50/p95, job failures) are the same before and after pruning", async () => {
    await engine.pruneAudit();
    expect(await count(suite.h, 'engine_audit', old[0]!)).toBe(0);
    const after = await figures();
    expect(after).toEqual(before);
    const work = after.stats.find((s) => s.elementId === 'work')!;
    expect(work).toMatchObject({ completed: 9, jobFailures: 5 });
    expect(after.stats.find((s) => s.elementId === 'each')).toMatchObject({ completed: 9, inner: { waiting: 0, completed: 18 } });
    // p50/p95 from the histogram: within the stated bucket error of the exact percentiles over every visit.
    for (const d of after.durations.filter((x) => x.elementId !== 'each')) {
      const e = exact.get(d.elementId)!;
      expect(d.completed).toBe(e.n);
      expect([d.elementId, withinBucketError(d.p50Ms, e.p50), withinBucketError(d.p95Ms, e.p95)]).toEqual([d.elementId, true, true]);
    }
    expect(work.p50Ms).toBeGreaterThan(10);
  });

  test('pruning twice, or in two processes at once, counts each visit once', async () => {
    const more = await runInstances(6, 20);
    await endedAgo(more, 2 * HOUR);
    const expected = await figures();
    // Two more engines on the same database, as two processes would be: small batches, so that their passes interleave.
    const one = new EmbeddedEngine(suite.h.db, { logger: quiet, runTimers: false, auditRetentionMs: HOUR, auditPruneBatch: 1 });
    const two = new EmbeddedEngine(suite.h.db, { logger: quiet, runTimers: false, auditRetentionMs: HOUR, auditPruneBatch: 2 });
    try {
      const results = await Promise.all([one.pruneAudit(), two.pruneAudit(), one.pruneAudit(), two.pruneAudit(), engine.pruneAudit()]);
      expect(results.reduce((a, r) => a + r.instances, 0)).toBe(6);
      expect(results.reduce((a, r) => a + r.decisionEvaluations, 0)).toBe(6);
      expect(await engine.pruneAudit()).toEqual({ instances: 0, auditRows: 0, decisionEvaluations: 0 });
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
    expect(await figures()).toEqual(expected);
    const [rollup] = await suite.h.db.sql.query<{ completed: number }>(
      `SELECT completed::int FROM engine_element_stats WHERE definition_key = $1::bigint AND element_id = 'work' AND NOT body`,
      [definitionKey],
    );
    expect(rollup?.completed).toBe(14);
  });

  test('the path of a pruned instance says its steps are no longer kept (not an empty path, not an error)', async () => {
    const app = express();
    app.use(opsApiRoutes({ prisma: suite.h.db.prisma, operations: ops, requireOps: (_req, _res, next) => next() }));
    app.use(notFoundHandler);
    app.use(problemErrorHandler(quiet));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const pruned = await fetch(`${base}/ops/api/instances/${old[1]!}`);
      expect(pruned.status).toBe(200);
      const body = (await pruned.json()) as { steps: unknown[]; process: { state: string }; auditTrail: { kept: boolean; prunedAt: string; message: string } };
      expect(body.process.state).toBe('COMPLETED');
      expect(body.steps).toEqual([]);
      expect(body.auditTrail).toEqual({ kept: false, prunedAt: expect.any(String), message: expect.stringContaining('no longer kept') });
      expect(body.auditTrail.message).toContain('ENGINE_AUDIT_RETENTION_DAYS');
      const decisions = await fetch(`${base}/ops/api/instances/${old[1]!}/decisions`);
      expect(decisions.status).toBe(200);
      const kept = (await (await fetch(`${base}/ops/api/instances/${recent}`)).json()) as { steps: unknown[]; auditTrail: unknown };
      expect(kept.auditTrail).toEqual({ kept: true, prunedAt: null, message: null });
      expect(kept.steps.length).toBeGreaterThan(10);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('with a retention of 0, an instance is pruned once it ended; an active one is not', async () => {
    const [key] = await runInstances(1, 40);
    await sleep(5); // ended_at is kept to the millisecond
    const zero = new EmbeddedEngine(suite.h.db, { logger: quiet, runTimers: false, auditRetentionMs: 0 });
    try {
      const pruned = await zero.pruneAudit();
      expect(pruned.instances).toBe(2); // this one and the recent one of the first test
      expect(await count(suite.h, 'engine_audit', key!)).toBe(0);
      expect(await count(suite.h, 'engine_audit', parked)).toBeGreaterThan(0);
    } finally {
      await zero.close();
    }
    expect((await ops.elementStats(definitionKey)).find((s) => s.elementId === 'work')).toMatchObject({ completed: 16 });
  });

  test('the pruner runs by itself where the timers run (not where they are off), logs what it pruned, and stops with the engine', async () => {
    const [key] = await runInstances(1, 50);
    const noTimers = new EmbeddedEngine(suite.h.db, { logger: quiet, runTimers: false, auditRetentionMs: 0, auditPruneIntervalMs: 10 });
    await sleep(100);
    await noTimers.close();
    expect(await count(suite.h, 'engine_audit', key!)).toBeGreaterThan(0);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const timers = new EmbeddedEngine(suite.h.db, { logger, auditRetentionMs: 0, auditPruneIntervalMs: 10 });
    try {
      await waitFor('the periodic prune', async () => (await count(suite.h, 'engine_audit', key!)) === 0);
      await waitFor('its log line', async () => lines.some((l) => l.msg === 'pruned the audit trail of instances that ended before the retention'));
      expect(lines.find((l) => l.instances !== undefined)).toMatchObject({ component: 'engine', instances: 1, decisionEvaluations: 1, retentionMs: 0 });
    } finally {
      await timers.close();
    }
    // Closed: an instance that ends now is not pruned any more.
    const [later] = await runInstances(1, 51);
    await sleep(60);
    expect(await count(suite.h, 'engine_audit', later!)).toBeGreaterThan(0);
  });
});

describe('audit retention settings', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig({ NODE_ENV: 'test', ...env });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  test('seven days and an hourly prune by default; fractions of a day and 0 are accepted', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).engineAudit).toEqual({ retentionMs: 7 * 24 * HOUR, pruneIntervalMs: HOUR });
    expect(loadConfig({ NODE_ENV: 'test', ENGINE_AUDIT_RETENTION_DAYS: '0.5' }).engineAudit.retentionMs).toBe(12 * HOUR);
    expect(loadConfig({ NODE_ENV: 'test', ENGINE_AUDIT_RETENTION_DAYS: '0', ENGINE_AUDIT_PRUNE_INTERVAL: 'PT5M' }).engineAudit).toEqual({
      retentionMs: 0,
      pruneIntervalMs: 300_000,
    });
  });

  test('a bad value stops start-up with a message naming the variable', () => {
    for (const bad of ['-1', 'seven', '', '7d', 'Infinity']) {
      expect(problems({ ENGINE_AUDIT_RETENTION_DAYS: bad })).toEqual([
        expect.stringMatching(/^ENGINE_AUDIT_RETENTION_DAYS must be a number of days, 0 or more/),
      ]);
    }
    expect(problems({ ENGINE_AUDIT_PRUNE_INTERVAL: 'hourly' })).toEqual([
      expect.stringMatching(/^ENGINE_AUDIT_PRUNE_INTERVAL must be a positive ISO 8601 duration/),
    ]);
  });
});
