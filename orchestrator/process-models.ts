// The process models in bpmn/ as deploy resources, the job types they need, and the
// start-up check that the models and the registered workers agree. Engine-neutral:
// the same files deploy on the embedded engine and on Camunda 8.
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpmnModdle } from 'bpmn-moddle';
import { isDecisionResource, type DeployResource } from './engine.js';

const zeebeDescriptor = createRequire(import.meta.url)('zeebe-bpmn-moddle/resources/zeebe.json') as object;

/** `<repo>/bpmn`, found from this file rather than from the working directory. */
export const PROCESS_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bpmn');

/**
 * Every `*.bpmn` file of `dir` and, deployed with them, every `*.dmn` file (the decisions of
 * business rule tasks), by file name, as deploy resources (name = file name).
 */
export async function loadProcessModels(dir: string = PROCESS_MODELS_DIR): Promise<DeployResource[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    throw new Error(`Cannot read the process models folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const bpmn = entries.filter((f) => f.toLowerCase().endsWith('.bpmn')).sort();
  if (bpmn.length === 0) throw new Error(`No process models (*.bpmn files) in ${dir}`);
  const dmn = entries.filter((f) => isDecisionResource({ name: f })).sort();
  return Promise.all([...bpmn, ...dmn].map(async (name) => ({ name, xml: await readFile(path.join(dir, name), 'utf8') })));
}

// A DMN file's root element (any DMN version): tells a decision file by its content where only the XML is at hand.
const DMN_ROOT = /<(?:[\w.-]+:)?definitions\b[^>]*\bxmlns(?::[\w.-]+)?=["']https?:\/\/www\.omg\.org\/spec\/DMN\//;

type Moddle = { $type: string; id?: string; [k: string]: unknown };

async function definitionsOf(xml: string): Promise<Moddle> {
  try {
    return (await new BpmnModdle({ zeebe: zeebeDescriptor }).fromXML(xml)).rootElement as Moddle;
  } catch (err) {
    throw new Error(`Not a BPMN file: ${(err as Error).message}`, { cause: err });
  }
}

/** The ids of the executable processes a model defines (its bpmnProcessIds). */
export async function processIdsOf(xml: string): Promise<string[]> {
  const definitions = await definitionsOf(xml);
  return ((definitions.rootElements as Moddle[] | undefined) ?? [])
    .filter((r) => r.$type === 'bpmn:Process' && r.isExecutable !== false)
    .map((r) => r.id as string);
}

/**
 * The job types a model's workers must serve, sorted and unique: the
 * zeebe:taskDefinition type of every service task (and of any other task that
 * is run by a job worker, e.g. a send task), in every process and sub-process.
 * None for a DMN file (loadProcessModels gives those too).
 */
export async function taskTypesOf(xml: string): Promise<string[]> {
  if (DMN_ROOT.test(xml)) return []; // decisions need no workers
  const definitions = await definitionsOf(xml);
  const types = new Set<string>();
  const visit = (container: Moddle) => {
    for (const el of (container.flowElements as Moddle[] | undefined) ?? []) {
      const values = (el.extensionElements as { values?: Moddle[] } | undefined)?.values ?? [];
      const type = values.find((v) => v.$type === 'zeebe:TaskDefinition')?.type;
      if (typeof type === 'string' && type.trim() !== '') types.add(type.trim());
      if (el.flowElements) visit(el);
    }
  };
  for (const root of (definitions.rootElements as Moddle[] | undefined) ?? []) if (root.$type === 'bpmn:Process') visit(root);
  return [...types].sort();
}

/** The process models need job types no worker serves, or workers serve types no model uses. */
export class WorkerCoverageError extends Error {
  constructor(
    readonly missingWorkers: string[],
    readonly unusedWorkers: string[],
    modelSource = 'bpmn/*.bpmn',
  ) {
    const parts: string[] = [];
    if (missingWorkers.length > 0) parts.push(`no worker for task type(s) ${missingWorkers.join(', ')} (in ${modelSource})`);
    if (unusedWorkers.length > 0) parts.push(`no task for worker(s) ${unusedWorkers.join(', ')}`);
    super(`The deployed process and the workers disagree: ${parts.join('; ')}.`);
    this.name = 'WorkerCoverageError';
  }
}

/**
 * Throws a WorkerCoverageError unless every task type of the models has a worker
 * and every worker has a task. `modelSource` (default "bpmn/*.bpmn"; better the
 * file names, e.g. "bpmn/order-fulfillment.bpmn") only makes the message say where
 * the task types come from.
 */
export function checkWorkerCoverage(modelTypes: string[], workerTypes: string[], modelSource?: string): void {
  const model = new Set(modelTypes);
  const workers = new Set(workerTypes);
  const missing = [...model].filter((t) => !workers.has(t)).sort();
  const unused = [...workers].filter((t) => !model.has(t)).sort();
  if (missing.length > 0 || unused.length > 0) throw new WorkerCoverageError(missing, unused, modelSource);
}
