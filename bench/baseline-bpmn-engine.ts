/**
 * Baseline half of the engine benchmark: the same figures our own engine
 * reports, measured on the `bpmn-engine` npm library (paed01) in the same run.
 *
 * How bpmn-engine is driven, and why it is a fair (if anything, generous)
 * baseline:
 *
 * - Each process instance is one `new Engine(...)`, which is how bpmn-engine
 *   models an instance (one engine = one execution of a definition).
 * - The BPMN XML is parsed once per fixture and every instance is started from
 *   that shared serialized context (`sourceContext`), as a server would cache a
 *   deployed definition. `parseEachInstance: true` instead hands every engine
 *   the XML `source`, so each instance parses it again (bpmn-engine's
 *   documented default usage), for comparison.
 * - Service tasks are Zeebe-style: `zeebe:taskDefinition type="..."`.
 *   bpmn-engine has no Zeebe support, so an activity extension (the
 *   documented "extend service task behaviour" hook: `extensions` option,
 *   setting `activity.behaviour.Service`) looks up the task definition type
 *   and runs the in-process handler registered for it. The handlers complete
 *   synchronously with no work, i.e. an instant, in-process job worker; our
 *   engine pays for real job activation/completion, bpmn-engine pays nothing.
 * - The message catch event parks the instance; bpmn-engine keeps parked
 *   instances in memory, so the engines are kept referenced (as a server
 *   would) while the heap is measured.
 *
 * Requires `node --expose-gc` (for the parked-heap figure).
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { Engine, type BpmnEngineOptions } from 'bpmn-engine';

export type EngineFigures = {
  engine: string;
  completed: number;
  seconds: number;
  instancesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  heapPerParkedInstanceBytes: number;
  parked: number;
};

export type BpmnEngineBaselineOptions = {
  /** Instances of three-tasks.bpmn to run to completion. */
  instances: number;
  /** How many of them are in flight at a time. */
  concurrency: number;
  /** Instances of park-at-message.bpmn to hold at the message catch for the heap figure. */
  parked: number;
  /** Give each engine the XML to parse instead of the shared parsed definition. Default false. */
  parseEachInstance?: boolean;
};

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const THREE_TASKS_BPMN = readFileSync(`${FIXTURES}three-tasks.bpmn`, 'utf8');
export const PARK_AT_MESSAGE_BPMN = readFileSync(`${FIXTURES}park-at-message.bpmn`, 'utf8');

const PARK_ACTIVITY_ID = 'wait-for-go';
const PARK_MESSAGE_ID = 'message-bench-go';
/** Upper bound for one instance to finish, and for all parked instances to reach the catch. */
const INSTANCE_TIMEOUT_MS = 30_000;
const PARK_TIMEOUT_MS = 120_000;

/** Job handlers by zeebe:taskDefinition type; each completes instantly with no output variables. */
type JobHandler = (variables: Record<string, unknown>) => Record<string, unknown>;
const JOB_HANDLERS: Record<string, JobHandler> = {
  'bench-a': () => ({}),
  'bench-b': () => ({}),
  'bench-c': () => ({}),
};

/** Jobs completed by the handlers, to check every instance really ran its three service tasks. */
let jobsCompleted = 0;

type ServiceCallback = (err: Error | null, output?: unknown) => void;
type ActivityLike = {
  id: string;
  type: string;
  behaviour: {
    extensionElements?: { values?: Array<{ $type?: string; type?: unknown }> };
    Service?: unknown;
  };
  environment: { variables: Record<string, unknown> };
};

function zeebeTaskType(activity: ActivityLike): string | undefined {
  // Without the zeebe moddle schema bpmn-moddle keeps the element as `zeebe:taskDefinition`,
  // with it as `zeebe:TaskDefinition`: accept both.
  const definition = activity.behaviour.extensionElements?.values?.find((value) => value.$type?.toLowerCase() === 'zeebe:taskdefinition');
  return typeof definition?.type === 'string' ? definition.type : undefined;
}

/**
 * bpmn-engine activity extension: turns a Zeebe service task into a call of the
 * in-process handler registered for its job type.
 */
function zeebeJobWorker(activity: ActivityLike): undefined {
  if (activity.type !== 'bpmn:ServiceTask') return undefined;
  const jobType = zeebeTaskType(activity);
  if (jobType === undefined) return undefined;
  activity.behaviour.Service = function ZeebeJobService() {
    return {
      type: 'zeebe:job',
      execute(_executeMessage: unknown, callback: ServiceCallback): void {
        const handler = JOB_HANDLERS[jobType];
        if (!handler) {
          callback(new Error(`no job handler for type "${jobType}" (${activity.id})`));
          return;
        }
        const output = handler(activity.environment.variables);
        jobsCompleted++;
        callback(null, output);
      },
    };
  };
  return undefined;
}

type SerializedSource = NonNullable<BpmnEngineOptions['sourceContext']>;

/** Parse and serialize a definition once, the way bpmn-engine does for `source`, for reuse by many engines. */
async function parseOnce(xml: string): Promise<SerializedSource> {
  const template = new Engine({ source: xml });
  const [definition] = await template.getDefinitions();
  const source = (definition as unknown as { environment?: { options?: { source?: SerializedSource } } } | undefined)?.environment?.options?.source;
  if (!source) throw new Error('bpmn-engine: could not obtain the serialized definition');
  return source;
}

function newEngine(name: string, xml: string, parsed: SerializedSource | undefined): Engine {
  return new Engine({
    name,
    ...(parsed ? { sourceContext: parsed } : { source: xml }),
    extensions: { zeebeJobWorker: zeebeJobWorker as never },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bpmn-engine baseline: ${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Nearest-rank percentile of ascending-sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Run one three-tasks instance start to end; resolves with its latency in ms. */
async function runOneInstance(seq: number, parsed: SerializedSource | undefined): Promise<number> {
  const startedAt = performance.now();
  const engine = newEngine(`bench-three-tasks-${seq}`, THREE_TASKS_BPMN, parsed);
  // Subscribe before executing: with synchronous job handlers the instance can end inside execute().
  const ended = engine.waitFor('end');
  await engine.execute({ variables: { id: `i-${seq}` } });
  await withTimeout(ended, INSTANCE_TIMEOUT_MS, `instance ${seq}`);
  return performance.now() - startedAt;
}

async function runThroughput(instances: number, concurrency: number, parsed: SerializedSource | undefined): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < instances) {
      const seq = next++;
      latencies.push(await runOneInstance(seq, parsed));
    }
  };
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, instances)) }, worker));
  return { latencies, seconds: (performance.now() - startedAt) / 1000 };
}

function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') {
    throw new Error('bpmn-engine baseline needs global.gc: run node with --expose-gc (node --expose-gc --import tsx ...)');
  }
  return gc;
}

function settledHeapUsed(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

async function measureParkedHeap(parked: number, parseEachInstance: boolean): Promise<number> {
  const gc = requireGc();
  const parsed = parseEachInstance ? undefined : await parseOnce(PARK_AT_MESSAGE_BPMN);

  // One listener for all engines, counting instances that reached the message catch.
  const listener = new EventEmitter();
  let waiting = 0;
  let onAllWaiting: (() => void) | undefined;
  listener.on('activity.wait', (api: { id?: string }) => {
    if (api.id !== PARK_ACTIVITY_ID) return;
    waiting++;
    if (waiting === parked) onAllWaiting?.();
  });
  const allWaiting = new Promise<void>((resolve) => {
    onAllWaiting = resolve;
  });

  const before = settledHeapUsed(gc);
  const engines: Engine[] = [];
  for (let i = 0; i < parked; i++) {
    const engine = newEngine(`bench-park-${i}`, PARK_AT_MESSAGE_BPMN, parsed);
    engines.push(engine);
    await engine.execute({ listener, variables: { id: `p-${i}` } });
  }
  if (parked > 0) await withTimeout(allWaiting, PARK_TIMEOUT_MS, `parking ${parked} instances`);
  const after = settledHeapUsed(gc);

  // Sanity check that they are really parked at the message and resumable: deliver it to one.
  const first = engines[0];
  if (first) {
    const ended = first.waitFor('end');
    first.execution.signal({ id: PARK_MESSAGE_ID });
    await withTimeout(ended, INSTANCE_TIMEOUT_MS, 'resuming a parked instance');
  }
  for (const engine of engines) {
    if (engine.state === 'running') await engine.stop();
  }
  engines.length = 0;
  settledHeapUsed(gc);

  return parked > 0 ? (after - before) / parked : 0;
}

export async function runBpmnEngineBaseline(opts: BpmnEngineBaselineOptions): Promise<EngineFigures> {
  requireGc(); // fail fast, before spending time on the throughput half
  const parseEachInstance = opts.parseEachInstance ?? false;
  const parsed = parseEachInstance ? undefined : await parseOnce(THREE_TASKS_BPMN);

  // Short warm-up (not counted) so JIT compilation is not billed to the first measured instances.
  await runThroughput(Math.min(50, opts.instances), opts.concurrency, parsed);

  const jobsBefore = jobsCompleted;
  const { latencies, seconds } = await runThroughput(opts.instances, opts.concurrency, parsed);
  const jobs = jobsCompleted - jobsBefore;
  if (jobs !== 3 * opts.instances) {
    throw new Error(`bpmn-engine baseline: expected ${3 * opts.instances} service-task jobs, handlers completed ${jobs}`);
  }
  latencies.sort((a, b) => a - b);

  const heapPerParkedInstanceBytes = await measureParkedHeap(opts.parked, parseEachInstance);

  return {
    engine: `bpmn-engine ${await engineVersion()}${parseEachInstance ? ' (parse per instance)' : ''}`,
    completed: latencies.length,
    seconds,
    instancesPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    heapPerParkedInstanceBytes,
    parked: opts.parked,
  };
}

/** The library version, as bpmn-engine itself reports it in saved state. */
async function engineVersion(): Promise<string> {
  const state = await new Engine({ source: THREE_TASKS_BPMN }).getState();
  return state.engineVersion;
}
