// DESIGN: kill the process at any point and a restart resumes every instance.
// A child process (engine-under-load.ts) runs the embedded engine under load on a
// database of its own and is killed with SIGKILL at random moments, then started
// again on the same database; a last, unkilled run must bring every instance to
// its end. The engine's tables and audit then show that every element completed
// exactly once, even where a handler ran more than once (at-least-once jobs).
// On PGlite the killed process leaves its pid lock file behind: the restart must
// find the pid dead and take the lock over.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { openDatabase, type Database } from '../../../infra/database.js';
import { createEmptyPostgresDatabase, databaseKind, onPostgres } from '../../support/database.js';
import { testNodeFlags } from '../../support/node-flags.js';
import { sleep } from '../../support/wait.js';

const SCRIPT = 'test/engine/crash/engine-under-load.ts';
const PROCESS_ID = 'crash-load';
/** Kills while the engine is under load, each after a random 300–1500 ms of work. */
const KILLS_UNDER_LOAD = 6;
/** PGlite commits one transaction at a time (~15 new instances/s under this load); PostgreSQL many. */
const CREATE = onPostgres ? 400 : 80;
/** Instances of crash-mi: a parallel multi-instance body of three and a running event sub-process (issue 15). */
const CREATE_MI = onPostgres ? 60 : 15;
const MI_PROCESS_ID = 'crash-mi';
/** Per crash-mi instance: the body and its three inner instances complete as `mi`; the event sub-process once. */
const MI_COMPLETIONS: Record<string, number> = {
  'crash-mi': 1,
  'mi-start': 1,
  mi: 4,
  'mi-wait': 1,
  'mi-end': 1,
  esp: 1,
  'esp-start': 1,
  'esp-task': 1,
  'esp-end': 1,
};
const SERVICE_TASKS = ['step-1', 'step-2b', 'step-2c', 'step-3'];
/** Every element of the process, and the process itself, completes exactly once per instance. */
const COMPLETIONS = ['crash-load', 'end', 'fork', 'join', 'start', 'step-1', 'step-2b', 'step-2c', 'step-3', 'wait'];
const TIMER_MS = 300;

type Line = {
  event: 'ready' | 'status';
  pid: number;
  t: number;
  created: number;
  active?: number;
  completed?: number;
  jobs?: number;
  timers?: number;
  subscriptions?: number;
  incidents?: number;
};

type Child = {
  proc: ChildProcess;
  pid: number;
  lines: Line[];
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor: (what: string, pred: (l: Line) => boolean, timeoutMs: number) => Promise<Line>;
};

const children: Child[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) process.kill(c.pid, 'SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const cleanup of cleanups) await cleanup();
});

function startChild(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, [...testNodeFlags(), '--import', 'tsx', SCRIPT], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (proc.pid === undefined) throw new Error('could not spawn the engine process');
  let out = '';
  let pending = '';
  const lines: Line[] = [];
  proc.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const text = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        lines.push(JSON.parse(text) as Line);
      } catch {
        out += `${text}\n`;
      }
    }
  });
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const child: Child = {
    proc,
    pid: proc.pid,
    lines,
    output: () => out,
    exited,
    async waitFor(what, pred, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const hit = lines.find(pred);
        if (hit) return hit;
        if (proc.exitCode !== null || proc.signalCode !== null)
          throw new Error(`engine process ${proc.pid} exited (${proc.exitCode ?? proc.signalCode}) while waiting for ${what}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(lines.at(-1))}\n${out}`);
        await sleep(20);
      }
    },
  };
  children.push(child);
  return child;
}

/** The child's database: a PGlite data directory, or a fresh PostgreSQL database (dropped afterwards). */
async function childDatabase(): Promise<{ env: Record<string, string>; lockFile?: string; open: () => Promise<Database> }> {
  if (onPostgres) {
    const empty = await createEmptyPostgresDatabase();
    cleanups.push(empty.drop);
    return { env: { DATABASE_URL: empty.url }, open: () => openDatabase({ kind: 'postgres', url: empty.url, poolSize: 2 }) };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'crash-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const dataDir = path.join(dir, 'pglite');
  return { env: { CRASH_DATA_DIR: dataDir }, lockFile: `${dataDir}.lock`, open: () => openDatabase({ kind: 'pglite', dataDir }) };
}

const report = (text: string) => process.stdout.write(`\n[crash test, ${databaseKind}] ${text}\n`);

describe(`crash safety of the embedded engine (${databaseKind})`, () => {
  test('state survives SIGKILL: every instance reaches its end after restarts (DESIGN: kill the process at any point and a restart resumes every instance)', async () => {
    const database = await childDatabase();
    const env = { ...database.env, CRASH_CREATE: String(CREATE), CRASH_CREATE_MI: String(CREATE_MI) };
    const kills: { pid: number; phase: 'start-up' | 'load'; afterMs: number; createdBefore: number; lastStatus?: Line }[] = [];

    const kill = async (child: Child, o: { checkLock: boolean }) => {
      process.kill(child.pid, 'SIGKILL');
      expect((await child.exited).signal).toBe('SIGKILL');
      // The killed process could not remove its lock: the pid in it is dead (checked by the next start).
      if (database.lockFile && o.checkLock) expect((await readFile(database.lockFile, 'utf8')).trim()).toBe(String(child.pid));
    };

    let startUpMs: number;
    for (let i = 0; i < KILLS_UNDER_LOAD; i++) {
      const spawnedAt = Date.now();
      const child = startChild(env);
      const ready = await child.waitFor('the engine to start', (l) => l.event === 'ready', 30_000);
      startUpMs = ready.t - spawnedAt;
      const afterMs = 300 + Math.floor(Math.random() * 1_200);
      await sleep(afterMs);
      if (child.proc.exitCode !== null) throw new Error(`engine process exited on its own (${child.proc.exitCode}):\n${child.output()}`);
      await kill(child, { checkLock: true });
      kills.push({ pid: child.pid, phase: 'load', afterMs, createdBefore: ready.created, lastStatus: child.lines.filter((l) => l.event === 'status').at(-1) });

      if (i === 2) {
        // Once more while it starts: opening the database (PGlite: recovering it), migrating, deploying.
        const early = startChild(env);
        const earlyMs = Math.floor(startUpMs * (0.5 + Math.random() * 0.45));
        await sleep(earlyMs);
        if (early.proc.exitCode !== null) throw new Error(`engine process exited on its own (${early.proc.exitCode}):\n${early.output()}`);
        await kill(early, { checkLock: false }); // it may not have taken the lock yet
        kills.push({ pid: early.pid, phase: early.lines.some((l) => l.event === 'ready') ? 'load' : 'start-up', afterMs: earlyMs, createdBefore: -1 });
      }
    }

    // The last run is not killed: it creates what is still missing and drives every instance to its end.
    const final = startChild(env);
    const finalReady = await final.waitFor('the last run to start', (l) => l.event === 'ready', 30_000);
    const done = await final.waitFor(
      'every instance to end',
      (l) => l.event === 'status' && l.created === CREATE + CREATE_MI && l.active === 0 && l.jobs === 0 && l.timers === 0,
      60_000,
    );
    final.proc.kill('SIGTERM');
    expect(await final.exited).toEqual({ code: 0, signal: null });
    if (database.lockFile) await expect(readFile(database.lockFile, 'utf8')).rejects.toThrow(); // a clean stop unlocks

    const db = await database.open();
    try {
      const instances = await db.sql.query<{ key: string; state: string }>(`SELECT key::text, state FROM engine_process_instances WHERE bpmn_process_id = $1`, [
        PROCESS_ID,
      ]);
      expect(instances).toHaveLength(CREATE);
      expect(instances.filter((i) => i.state !== 'COMPLETED')).toEqual([]);
      const [left] = await db.sql.query<{ jobs: number; timers: number; subscriptions: number; incidents: number; elements: number }>(
        `SELECT (SELECT count(*)::int FROM engine_jobs) AS jobs, (SELECT count(*)::int FROM engine_timers) AS timers,
                (SELECT count(*)::int FROM engine_message_subscriptions) AS subscriptions, (SELECT count(*)::int FROM engine_incidents) AS incidents,
                (SELECT count(*)::int FROM engine_element_instances) AS elements`,
      );
      expect(left).toEqual({ jobs: 0, timers: 0, subscriptions: 0, incidents: 0, elements: 0 });

      // Every element completed exactly once per instance (the audit is written in the transaction that moves the instance).
      const completions = await db.sql.query<{ instance: string; element_id: string; n: number }>(
        `SELECT process_instance_key::text AS instance, element_id, count(*)::int AS n FROM engine_audit WHERE intent = 'ELEMENT_COMPLETED' GROUP BY 1, 2`,
      );
      const completed = new Map<string, Map<string, number>>();
      for (const c of completions) completed.set(c.instance, (completed.get(c.instance) ?? new Map()).set(c.element_id, c.n));
      const wrongCompletions = instances.flatMap((i) => {
        const got = completed.get(i.key) ?? new Map<string, number>();
        const ids = [...new Set([...COMPLETIONS, ...got.keys()])].sort();
        const wrong = ids.filter((id) => (got.get(id) ?? 0) !== (COMPLETIONS.includes(id) ? 1 : 0));
        return wrong.length > 0 ? [`${i.key}: ${wrong.map((id) => `${id} completed ${got.get(id) ?? 0}x`).join(', ')}`] : [];
      });
      expect(wrongCompletions).toEqual([]);

      // Multi-instance and event sub-process: each body, inner instance and event sub-process completed exactly once.
      const miInstances = await db.sql.query<{ key: string; state: string; variables: { done?: unknown } }>(
        `SELECT key::text, state, variables FROM engine_process_instances WHERE bpmn_process_id = $1`,
        [MI_PROCESS_ID],
      );
      expect(miInstances).toHaveLength(CREATE_MI);
      expect(miInstances.filter((i) => i.state !== 'COMPLETED' || JSON.stringify(i.variables.done) !== '[1,2,3]')).toEqual([]);
      const wrongMi = miInstances.flatMap((i) => {
        const got = completed.get(i.key) ?? new Map<string, number>();
        const ids = [...new Set([...Object.keys(MI_COMPLETIONS), ...got.keys()])].sort();
        const wrong = ids.filter((id) => (got.get(id) ?? 0) !== (MI_COMPLETIONS[id] ?? 0));
        return wrong.length > 0 ? [`${i.key}: ${wrong.map((id) => `${id} completed ${got.get(id) ?? 0}x`).join(', ')}`] : [];
      });
      expect(wrongMi).toEqual([]);
      const miActivations = await db.sql.query<{ instance: string; element_id: string; n: number }>(
        `SELECT a.process_instance_key::text AS instance, a.element_id, count(*)::int AS n FROM engine_audit a
         JOIN engine_process_instances i ON i.key = a.process_instance_key AND i.bpmn_process_id = $1
         WHERE a.intent = 'ELEMENT_ACTIVATED' AND a.element_id IN ('mi', 'esp', 'esp-task') GROUP BY 1, 2`,
        [MI_PROCESS_ID],
      );
      expect(miActivations.filter((r) => r.n !== (r.element_id === 'mi' ? 4 : 1))).toEqual([]);
      // ...and each task and the timer event was entered once: no element instance was created twice.
      const activations = await db.sql.query<{ instance: string; element_id: string; n: number }>(
        `SELECT process_instance_key::text AS instance, element_id, count(*)::int AS n FROM engine_audit
         WHERE intent = 'ELEMENT_ACTIVATED' AND element_id = ANY($1::text[]) GROUP BY 1, 2 HAVING count(*) <> 1`,
        [[...SERVICE_TASKS, 'wait']],
      );
      expect(activations).toEqual([]);

      // Due timers fired, and none before it was due (both instants are the database's clock).
      const earlyTimers = await db.sql.query<{ instance: string; waited_ms: number }>(
        `SELECT a.process_instance_key::text AS instance, (extract(epoch FROM c.at - a.at) * 1000)::int AS waited_ms
         FROM engine_audit a JOIN engine_audit c ON c.element_instance_key = a.element_instance_key AND c.intent = 'ELEMENT_COMPLETED'
         WHERE a.element_id = 'wait' AND a.intent = 'ELEMENT_ACTIVATED' AND c.at - a.at < $1::int * interval '1 millisecond'`,
        [TIMER_MS - 1],
      );
      expect(earlyTimers).toEqual([]);

      // At-least-once: every job's handler ran, once or more, always for the same job.
      const runs = await db.sql.query<{ instance: string; element_id: string; runs: number; jobs: number; pids: number; in_last_run: number }>(
        `SELECT instance_key AS instance, element_id, count(*)::int AS runs, count(DISTINCT job_key)::int AS jobs,
                count(DISTINCT pid)::int AS pids, count(*) FILTER (WHERE pid = $1)::int AS in_last_run
         FROM crash_effects GROUP BY 1, 2`,
        [final.pid],
      );
      const runsOf = new Map(runs.map((r) => [`${r.instance}/${r.element_id}`, r]));
      // Each crash-mi instance ran three inner jobs and the event sub-process's one; nothing else.
      const miKeys = new Set(miInstances.map((i) => i.key));
      const miRuns = runs.filter((r) => miKeys.has(r.instance));
      expect(miRuns.filter((r) => r.jobs !== (r.element_id === 'mi' ? 3 : 1) || !['mi', 'esp-task'].includes(r.element_id))).toEqual([]);
      expect(miRuns).toHaveLength(CREATE_MI * 2);
      const neverRan = instances.flatMap((i) => SERVICE_TASKS.filter((id) => !runsOf.has(`${i.key}/${id}`)).map((id) => `${i.key}/${id}`));
      expect(neverRan).toEqual([]);
      const instanceKeys = new Set(instances.map((i) => i.key));
      expect(runs.filter((r) => !miKeys.has(r.instance) && (!instanceKeys.has(r.instance) || !SERVICE_TASKS.includes(r.element_id) || r.jobs !== 1))).toEqual(
        [],
      );
      // Re-runs are counted on crash-load, one job per (instance, element); crash-mi's are checked above.
      const loadRuns = runs.filter((r) => !miKeys.has(r.instance));
      const duplicates = loadRuns.filter((r) => r.runs > 1);
      const extraRuns = duplicates.reduce((sum, r) => sum + r.runs - 1, 0);
      // A re-run in another process follows a kill; one in the same process, a lock that expired while the handler's answer waited.
      const acrossProcesses = duplicates.reduce((sum, r) => sum + r.pids - 1, 0);
      const withinProcess = extraRuns - acrossProcesses;
      const inLastRun = loadRuns.reduce((sum, r) => sum + Math.max(0, r.in_last_run - 1), 0);

      report(
        [
          `${kills.length} SIGKILLs (${kills.filter((k) => k.phase === 'start-up').length} during start-up)${database.lockFile ? ", each restart past the dead pid's lock file" : ''}; ${CREATE} + ${CREATE_MI} multi-instance/event sub-process instances, all COMPLETED`,
          `kills: ${kills.map((k) => `${k.phase}@${k.afterMs}ms(created ${k.lastStatus?.created ?? '?'}, completed ${k.lastStatus?.completed ?? '?'})`).join(' ')}`,
          `last run started with ${finalReady.created} created, ended all in ${done.t - finalReady.t} ms`,
          `crash-load handler runs: ${loadRuns.reduce((s, r) => s + r.runs, 0)} for ${instances.length * SERVICE_TASKS.length} jobs; ${duplicates.length} jobs ran more than once, ${duplicates.filter((r) => r.runs === 2).length} of them exactly twice (max ${Math.max(1, ...loadRuns.map((r) => r.runs))} runs of one job)`,
          `extra runs: ${extraRuns} = ${acrossProcesses} in a later process (after a kill) + ${withinProcess} again in the same process (lock expired before the answer; ${inLastRun} of these in the unkilled last run)`,
        ].join('\n  '),
      );
    } finally {
      await db.close();
    }
  }, 150_000);
});
