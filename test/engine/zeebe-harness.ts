// The conformance suite on a real Camunda 8 cluster (`npm run test:zeebe`, with
// ZEEBE_REST_ADDRESS and the usual CAMUNDA_* variables). A cluster is shared and
// long-lived, unlike the embedded engine's fresh database per test file, so every
// run gets a namespace: process ids, job types and message names carry a suffix
// (the tests keep using their plain names), and nothing an earlier run left
// behind can correlate with or steal work from this one.
//
// The probe reads Camunda's search API: exported data, a moment behind the
// engine. Every wait in the suite polls, which absorbs that lag.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { loadConfig, type ZeebeConfig } from '../../infra/config.js';
import type {
  BroadcastSignal,
  CorrelateMessage,
  DeployedProcess,
  DeployResource,
  Engine,
  JobWorker,
  PublishMessage,
  Variables,
  WorkerOptions,
} from '../../orchestrator/engine.js';
import { connectZeebe, type CamundaClient } from '../../orchestrator/zeebe/client.js';
import { ZeebeEngine } from '../../orchestrator/zeebe/zeebe-engine.js';
import type { ChildInstance, EngineProbe, IncidentRow, InstanceSnapshot } from './probe.js';

export function zeebeTestConfig(): ZeebeConfig {
  const config = loadConfig({ ...process.env, ENGINE: 'zeebe' }).engine;
  if (config.kind !== 'zeebe') throw new Error('unreachable');
  return config;
}

/** Suffixes process ids, job types, message and signal names in models and calls; strips it from what comes back. */
export class NamespacedEngine implements Engine {
  readonly kind = 'zeebe' as const;

  constructor(
    private readonly inner: Engine,
    readonly suffix: string,
  ) {}

  ns = (name: string): string => `${name}${this.suffix}`;
  plain = (name: string): string => (name.endsWith(this.suffix) ? name.slice(0, -this.suffix.length) : name);

  /** Process ids (a call activity's static one too; not one FEEL computes), job types, message names, static signal names and DMN decision ids. */
  private rewrite(xml: string): string {
    return (
      xml
        .replace(/(<bpmn:process\b[^>]*?\bid=")([^"]+)"/g, (_m, head: string, id: string) => `${head}${this.ns(id)}"`)
        .replace(/(<zeebe:taskDefinition\b[^>]*?\btype=")([^"]+)"/g, (_m, head: string, type: string) => `${head}${this.ns(type)}"`)
        .replace(/(<bpmn:message\b[^>]*?\bname=")([^"]+)"/g, (_m, head: string, name: string) => `${head}${this.ns(name)}"`)
        .replace(/(<bpmn:signal\b[^>]*?\bname=")([^="][^"]*)"/g, (_m, head: string, name: string) => `${head}${this.ns(name)}"`)
        .replace(/(<zeebe:calledElement\b[^>]*?\bprocessId=")([^="][^"]*)"/g, (_m, head: string, id: string) => `${head}${this.ns(id)}"`)
        // DMN: decision and decision requirements ids, required decisions, and a business rule task's static decisionId.
        .replace(/(<(?:dmn:)?(?:decision|definitions)\b[^>]*?\bid=")([^"]+)"/g, (_m, head: string, id: string) => `${head}${this.ns(id)}"`)
        .replace(/(<(?:dmn:)?requiredDecision\b[^>]*?\bhref="#)([^"]+)"/g, (_m, head: string, id: string) => `${head}${this.ns(id)}"`)
        .replace(/(<zeebe:calledDecision\b[^>]*?\bdecisionId=")([^="][^"]*)"/g, (_m, head: string, id: string) => `${head}${this.ns(id)}"`)
    );
  }

  async deploy(resources: DeployResource[]): Promise<DeployedProcess[]> {
    const deployed = await this.inner.deploy(resources.map((r) => ({ name: r.name, xml: this.rewrite(r.xml) })));
    return deployed.map((d) => ({ ...d, bpmnProcessId: this.plain(d.bpmnProcessId) }));
  }

  async createProcessInstance(o: { bpmnProcessId: string; variables?: Variables; version?: number }) {
    const started = await this.inner.createProcessInstance({ ...o, bpmnProcessId: this.ns(o.bpmnProcessId) });
    return { ...started, bpmnProcessId: this.plain(started.bpmnProcessId) };
  }

  publishMessage(m: PublishMessage) {
    return this.inner.publishMessage({ ...m, name: this.ns(m.name) });
  }

  correlateMessage(m: CorrelateMessage) {
    return this.inner.correlateMessage({ ...m, name: this.ns(m.name) });
  }

  broadcastSignal(s: BroadcastSignal) {
    return this.inner.broadcastSignal({ ...s, signalName: this.ns(s.signalName) });
  }

  cancelProcessInstance(key: string) {
    return this.inner.cancelProcessInstance(key);
  }

  createWorker<V extends Variables = Variables>(o: WorkerOptions<V>): JobWorker {
    const worker = this.inner.createWorker<V>({
      ...o,
      taskType: this.ns(o.taskType),
      handler: (job) => o.handler({ ...job, type: this.plain(job.type), bpmnProcessId: this.plain(job.bpmnProcessId) }),
    });
    return { taskType: o.taskType, close: () => worker.close() };
  }

  updateJobRetries(o: { jobKey: string; retries: number }) {
    return this.inner.updateJobRetries(o);
  }

  resolveIncident(key: string) {
    return this.inner.resolveIncident(key);
  }

  setVariables(o: { elementInstanceKey: string; variables: Variables; local?: boolean }) {
    return this.inner.setVariables(o);
  }

  close() {
    return this.inner.close();
  }
}

const NOW = { consistency: { waitUpToMs: 0 } } as const;
// Job states of 8.8 that leave a job open: all but COMPLETED, CANCELED, ERROR_THROWN
// and MIGRATED. Named one by one because the 8.8 job-state filter has no $notIn
// (only $eq, $neq, $exists, $in, $like; a server answers 400 to anything else).
const OPEN_JOB_STATES = ['CREATED', 'FAILED', 'RETRIES_UPDATED', 'TIMED_OUT'];
// Test code: the SDK's branded id types are strings at run time.
const q = <T>(body: object) => body as T;
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

export class ZeebeProbe implements EngineProbe {
  constructor(
    private readonly api: CamundaClient,
    private readonly ns: (id: string) => string,
    private readonly plain: (id: string) => string,
  ) {}

  private async variables(processInstanceKey: string): Promise<Variables> {
    const found = await this.api.searchVariables(q({ filter: { processInstanceKey, scopeKey: processInstanceKey }, page: { limit: 1000 } }), NOW);
    const out: Variables = {};
    for (const v of found.items ?? []) {
      // Search answers values as JSON text, truncated past a size; the variable itself has it whole.
      const value = v.isTruncated ? (await this.api.getVariable({ variableKey: v.variableKey } as never, NOW)).value : v.value;
      out[v.name] = JSON.parse(value);
    }
    return out;
  }

  async instance(processInstanceKey: string): Promise<InstanceSnapshot | undefined> {
    try {
      const pi = await this.api.getProcessInstance({ processInstanceKey }, NOW);
      return { state: pi.state, variables: await this.variables(processInstanceKey) };
    } catch (err) {
      if ((err as { status?: number }).status === 404) return undefined;
      throw err;
    }
  }

  private async elementItems(processInstanceKey: string, state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED') {
    const found = await this.api.searchElementInstances(
      q({
        filter: { processInstanceKey, state },
        sort: [
          { field: state === 'ACTIVE' ? 'startDate' : 'endDate', order: 'ASC' },
          { field: 'elementInstanceKey', order: 'ASC' },
        ],
        page: { limit: 1000 },
      }),
      NOW,
    );
    return (found.items ?? []).filter((e) => e.type !== 'PROCESS');
  }

  async completedElements(key: string): Promise<string[]> {
    return (await this.elementItems(key, 'COMPLETED')).map((e) => str(e.elementId));
  }

  async terminatedElements(key: string): Promise<string[]> {
    return (await this.elementItems(key, 'TERMINATED')).map((e) => str(e.elementId));
  }

  async activeElements(key: string): Promise<string[]> {
    return (await this.elementItems(key, 'ACTIVE')).map((e) => str(e.elementId)).sort();
  }

  async incidents(processInstanceKey: string): Promise<IncidentRow[]> {
    const found = await this.api.searchIncidents(
      q({ filter: { processInstanceKey }, sort: [{ field: 'incidentKey', order: 'ASC' }], page: { limit: 100 } }),
      NOW,
    );
    return (found.items ?? []).map((i) => ({
      key: str(i.incidentKey),
      error_type: str(i.errorType),
      error_message: str(i.errorMessage),
      state: str(i.state),
      job_key: i.jobKey ? str(i.jobKey) : null,
      element_id: str(i.elementId),
    }));
  }

  async openJobs(processInstanceKey: string): Promise<number> {
    const found = await this.api.searchJobs(q({ filter: { processInstanceKey, state: { $in: OPEN_JOB_STATES } }, page: { limit: 1000 } }), NOW);
    return found.items?.length ?? 0;
  }

  async openSubscriptions(processInstanceKey: string): Promise<number> {
    const found = await this.api.searchMessageSubscriptions(
      q({ filter: { processInstanceKey, messageSubscriptionState: 'CREATED' }, page: { limit: 1000 } }),
      NOW,
    );
    return found.items?.length ?? 0;
  }

  async openTimers(): Promise<undefined> {
    return undefined;
  }

  async instancesOf(bpmnProcessId: string): Promise<InstanceSnapshot[]> {
    const found = await this.api.searchProcessInstances(
      q({ filter: { processDefinitionId: this.ns(bpmnProcessId) }, sort: [{ field: 'processInstanceKey', order: 'ASC' }], page: { limit: 1000 } }),
      NOW,
    );
    return Promise.all((found.items ?? []).map(async (pi) => ({ state: pi.state, variables: await this.variables(str(pi.processInstanceKey)) })));
  }

  async jobsOf(bpmnProcessId: string): Promise<{ type: string; processInstanceKey: string }[]> {
    const found = await this.api.searchJobs(
      q({ filter: { processDefinitionId: this.ns(bpmnProcessId) }, sort: [{ field: 'jobKey', order: 'ASC' }], page: { limit: 1000 } }),
      NOW,
    );
    return (found.items ?? []).map((j) => ({ type: this.plain(j.type), processInstanceKey: str(j.processInstanceKey) }));
  }

  async childInstances(parentProcessInstanceKey: string): Promise<ChildInstance[]> {
    const found = await this.api.searchProcessInstances(
      q({ filter: { parentProcessInstanceKey }, sort: [{ field: 'processInstanceKey', order: 'ASC' }], page: { limit: 1000 } }),
      NOW,
    );
    return Promise.all(
      (found.items ?? []).map(async (pi) => {
        const { parentElementInstanceKey } = pi as unknown as { parentElementInstanceKey: string };
        const element = await this.api.getElementInstance({ elementInstanceKey: parentElementInstanceKey } as never, NOW);
        return {
          key: str(pi.processInstanceKey),
          bpmnProcessId: this.plain(str(pi.processDefinitionId)),
          state: pi.state,
          parentElementInstanceKey: str(parentElementInstanceKey),
          parentElementId: str(element.elementId),
        };
      }),
    );
  }
}

export function startZeebeEngine(): { engine: NamespacedEngine; probe: ZeebeProbe; close(): Promise<void> } {
  const config = zeebeTestConfig();
  const connection = connectZeebe(config);
  const inner = new ZeebeEngine(
    { commands: connection.commands, activation: connection.activation },
    {
      logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
      ...(config.tenantId ? { tenantId: config.tenantId } : {}),
      worker: { pollTimeoutMs: 5_000 },
      onClose: () => connection.close(),
    },
  );
  const engine = new NamespacedEngine(inner, `-r${randomBytes(4).toString('hex')}`);
  return { engine, probe: new ZeebeProbe(connection.commands, engine.ns, engine.plain), close: () => engine.close() };
}
