// The engine port. Shaped like the Zeebe job-worker API (@camunda8/sdk) so that a
// worker written once runs on the embedded engine and on a Camunda 8 cluster.
// Workers, API and domain code use only this file.

export type Variables = Record<string, unknown>;

/** Variables as a command carries them: a JSON object, or nothing (none); anything else is INVALID_ARGUMENT. */
export function variablesOf(v: unknown, what = 'variables'): Variables {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new EngineError('INVALID_ARGUMENT', `${what} must be a JSON object`);
  return v as Variables;
}

export type DeployResource = { name: string; xml: string };
export type DeployedProcess = { bpmnProcessId: string; version: number; processDefinitionKey: string; resourceName: string; isNew: boolean };
/** A decision of a deployed DMN file; every decision of a changed file gets a new version, of its decision requirements graph (DRG) too. */
export type DeployedDecisionDefinition = {
  decisionId: string;
  decisionName?: string;
  version: number;
  decisionDefinitionKey: string;
  /** The DMN file's definitions id, and the key of the DRG version this decision version belongs to. */
  decisionRequirementsId: string;
  decisionRequirementsKey: string;
  resourceName: string;
  isNew: boolean;
};
/**
 * What a deployment made: the processes, as a list (one entry per BPMN process), and beside
 * them the decisions of its DMN files (Zeebe's deploy response lists them apart too). Both
 * engines set `decisions` when the deployment had decisions, so that a deployment of BPMN
 * files alone still is a plain list of processes.
 */
export type Deployment = DeployedProcess[] & { decisions?: DeployedDecisionDefinition[] };

/** A DMN file (decisions for business rule tasks) rather than a BPMN one: told by its name, as Zeebe does. */
export const isDecisionResource = (r: Pick<DeployResource, 'name'>): boolean => r.name.toLowerCase().endsWith('.dmn');

export type Job<V extends Variables = Variables, H extends Record<string, string> = Record<string, string>> = {
  key: string;
  type: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: H;
  variables: V;
  retries: number;
  /** When the lock taken at activation expires and the job is offered again. */
  deadline: Date;
  worker: string;
};

/** What a handler answers: exactly one of complete, fail, error. */
export type JobAction =
  | { action: 'complete'; variables?: Variables }
  | { action: 'fail'; errorMessage: string; retries?: number; retryBackOffMs?: number }
  | { action: 'error'; errorCode: string; errorMessage?: string; variables?: Variables };

export const complete = (variables?: Variables): JobAction => ({ action: 'complete', variables });
export const fail = (o: { errorMessage: string; retries?: number; retryBackOffMs?: number }): JobAction => ({ action: 'fail', ...o });
export const bpmnError = (errorCode: string, errorMessage?: string, variables?: Variables): JobAction => ({
  action: 'error',
  errorCode,
  errorMessage,
  variables,
});

export type JobHandler<V extends Variables = Variables> = (job: Job<V>) => Promise<JobAction>;

/**
 * What a handler answers for a job. A handler that throws has hit a technical
 * failure: it answers fail with one retry less and no back-off, as the Zeebe SDKs'
 * workers do (`onThrow` hears of it first).
 */
export async function answerOf<V extends Variables>(handler: JobHandler<V>, job: Job<V>, onThrow?: (err: unknown) => void): Promise<JobAction> {
  try {
    return await handler(job);
  } catch (err) {
    onThrow?.(err);
    return { action: 'fail', errorMessage: (err as Error).message || String(err), retries: job.retries - 1 };
  }
}

export type WorkerOptions<V extends Variables = Variables> = {
  taskType: string;
  handler: JobHandler<V>;
  /** At most this many jobs in the handler at once. */
  maxJobsToActivate?: number;
  /** Lock duration in ms: a job not answered by then is offered again (at-least-once). */
  timeout?: number;
  workerName?: string;
  /** How long close() lets running handlers answer their jobs (ms); default: the lock duration. */
  closeGraceMs?: number;
};

export interface JobWorker {
  readonly taskType: string;
  close(): Promise<void>;
}

export type PublishMessage = {
  name: string;
  correlationKey: string;
  variables?: Variables;
  /** Buffer time in ms for a message no subscription is waiting for yet. */
  timeToLive?: number;
  messageId?: string;
};

export type CorrelateMessage = { name: string; correlationKey: string; variables?: Variables };

export type BroadcastSignal = { signalName: string; variables?: Variables };

export interface Engine {
  readonly kind: 'embedded' | 'zeebe';
  /** BPMN files (`*.bpmn`) and DMN files (`*.dmn`), all or nothing. */
  deploy(resources: DeployResource[]): Promise<Deployment>;
  createProcessInstance(o: {
    bpmnProcessId: string;
    variables?: Variables;
    version?: number;
  }): Promise<{ processInstanceKey: string; bpmnProcessId: string; version: number; processDefinitionKey: string }>;
  publishMessage(m: PublishMessage): Promise<{ key: string }>;
  /**
   * Correlates a message to a subscription open now, or fails with NOT_FOUND; never buffers
   * (Zeebe 8.8: POST /v2/messages/correlation). For a request whose answer depends on
   * whether a running process took it.
   */
  correlateMessage(m: CorrelateMessage): Promise<{ key: string; processInstanceKey: string }>;
  /**
   * Broadcasts a signal (Zeebe 8.8: POST /v2/signals/broadcast): it triggers every signal
   * catch event, boundary event and event sub-process start waiting for that name in every
   * instance, and starts one instance of each process whose latest version has a signal start
   * event of that name. Nothing is buffered: a signal nobody waits for is gone.
   */
  broadcastSignal(s: BroadcastSignal): Promise<{ key: string }>;
  cancelProcessInstance(processInstanceKey: string): Promise<void>;
  createWorker<V extends Variables = Variables>(o: WorkerOptions<V>): JobWorker;
  updateJobRetries(o: { jobKey: string; retries: number }): Promise<void>;
  resolveIncident(incidentKey: string): Promise<void>;
  /**
   * Sets variables on the scope of an active element instance; the process instance key names
   * the root scope (Zeebe 8.8: PUT /v2/element-instances/{key}/variables). `local`: on that scope
   * only; otherwise each variable goes to the nearest scope from there outwards that has it, else
   * to the process instance. NOT_FOUND for an unknown key or an element or instance that ended.
   * For operators repairing an instance.
   */
  setVariables(o: { elementInstanceKey: string; variables: Variables; local?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export type EngineErrorCode =
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  /** Back-pressure: the engine refused the request for now; retry after a back-off. */
  | 'RESOURCE_EXHAUSTED'
  /** The engine cannot be reached, or refused our credentials. */
  | 'UNAVAILABLE'
  | 'UNAUTHENTICATED';

/** Errors the engine answers with, named like Zeebe's gRPC status codes. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
