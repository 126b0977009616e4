// The engine port on a Camunda 8 cluster, through the Orchestration Cluster REST
// API of @camunda8/sdk. The same BPMN files and the same workers run here as on
// the embedded engine; Zeebe's documentation is the contract for both.
//
// Units at this boundary: the port counts time in milliseconds, and so does the
// REST API (message timeToLive, job timeout, fail retryBackOff) — no conversion.
// Keys are int64 decimal strings on both sides.
import type { Logger } from '../../infra/logger.js';
import type {
  BroadcastSignal,
  CorrelateMessage,
  DeployedDecisionDefinition,
  Deployment,
  DeployResource,
  Engine,
  JobWorker,
  PublishMessage,
  Variables,
  WorkerOptions,
} from '../engine.js';
import { EngineError, isDecisionResource, variablesOf } from '../engine.js';
import { processIdsOf } from '../process-models.js';
import type { ZeebeApi } from './client.js';
import { call } from './errors.js';
import { ZeebeJobWorker, type ZeebeWorkerOptions } from './job-worker.js';

export type ZeebeEngineOptions = {
  logger: Logger;
  tenantId?: string;
  /** Settings of every job worker this engine creates (logger and tenant are filled in). */
  worker?: Omit<ZeebeWorkerOptions, 'logger' | 'tenantIds'>;
  /** Closes the SDK clients after the workers stopped. */
  onClose?: () => Promise<void>;
};

/** Tenant ids are branded strings in the SDK's types, even in its loose client. */
type TenantId = NonNullable<Parameters<ZeebeApi['publishMessage']>[0]['tenantId']>;
type DeployFiles = Parameters<ZeebeApi['createDeployment']>[0]['resources'];
type DeploymentEntry = Awaited<ReturnType<ZeebeApi['createDeployment']>>['deployments'][number];

export class ZeebeEngine implements Engine {
  readonly kind = 'zeebe' as const;
  private readonly workers = new Set<ZeebeJobWorker>();
  /** Definition keys this process has deployed or seen deployed: a re-deploy answered with one of them is not new. */
  private readonly knownKeys = new Set<string>();
  private readonly log: Logger;
  private closed = false;

  constructor(
    /** `commands` for everything; `activation` only for the workers' long polls (its own back-pressure gate). */
    private readonly clients: { commands: ZeebeApi; activation?: Pick<ZeebeApi, 'activateJobs'> },
    private readonly options: ZeebeEngineOptions,
  ) {
    this.log = options.logger.child({ component: 'engine', engine: 'zeebe' });
  }

  private get api(): ZeebeApi {
    return this.clients.commands;
  }

  private tenant(): { tenantId?: TenantId } {
    return this.options.tenantId ? { tenantId: this.options.tenantId as unknown as TenantId } : {};
  }

  /** The newest deployed definition key per process id, to tell a new version from a re-deploy. Best effort: search reads Zeebe's exported data. */
  private async latestKeys(ids: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(
      ids.map(async (id) => {
        try {
          const found = await this.api.searchProcessDefinitions(
            { filter: { processDefinitionId: id, ...this.tenant() }, sort: [{ field: 'version', order: 'DESC' }], page: { limit: 1 } },
            { consistency: { waitUpToMs: 0 } },
          );
          const key = found.items?.[0]?.processDefinitionKey;
          if (key !== undefined) out.set(id, String(key));
        } catch (err) {
          this.log.debug({ err, bpmnProcessId: id }, 'could not look up earlier versions; the deploy result will count as new');
        }
      }),
    );
    return out;
  }

  async deploy(resources: DeployResource[]): Promise<Deployment> {
    if (resources.length === 0) throw new EngineError('INVALID_ARGUMENT', 'nothing to deploy');
    const ids = (await Promise.all(resources.filter((r) => !isDecisionResource(r)).map((r) => processIdsOf(r.xml)))).flat();
    const before = await this.latestKeys(ids);
    // Zeebe deploys all resources of one request atomically, and an unchanged
    // resource makes no new version (it answers with the existing definition).
    // Node's File; the SDK's types describe the DOM's, which is the same at run time.
    const files = resources.map((r) => new File([r.xml], r.name, { type: 'application/xml' })) as unknown as DeployFiles;
    const result = await call('deploy', () =>
      this.api.createDeployment({ resources: files, ...(this.options.tenantId ? { tenantId: this.options.tenantId } : {}) }),
    );
    const out: Deployment = result.processes.map((p) => {
      const key = String(p.processDefinitionKey);
      const isNew = !this.knownKeys.has(key) && before.get(p.processDefinitionId) !== key;
      this.knownKeys.add(key);
      return { bpmnProcessId: p.processDefinitionId, version: p.processDefinitionVersion, processDefinitionKey: key, resourceName: p.resourceName, isNew };
    });
    const decisions = this.deployedDecisions(result.deployments);
    if (decisions.length > 0) out.decisions = decisions;
    return out;
  }

  /**
   * The decisions of a deployment answer, with their DMN file's name (listed with the decision
   * requirements). `isNew` only says whether this process saw the key before: unlike processes,
   * the adapter does not search for earlier decision versions.
   */
  private deployedDecisions(deployments: DeploymentEntry[]): DeployedDecisionDefinition[] {
    const files = new Map(
      deployments.flatMap((d) =>
        d.decisionRequirements ? [[String(d.decisionRequirements.decisionRequirementsKey), d.decisionRequirements.resourceName ?? '']] : [],
      ),
    );
    return deployments.flatMap(({ decisionDefinition: d }) => {
      if (!d) return [];
      const key = String(d.decisionDefinitionKey);
      const isNew = !this.knownKeys.has(key);
      this.knownKeys.add(key);
      const drgKey = String(d.decisionRequirementsKey);
      return [
        {
          decisionId: String(d.decisionDefinitionId),
          ...(d.name ? { decisionName: d.name } : {}),
          version: Number(d.version),
          decisionDefinitionKey: key,
          decisionRequirementsId: String(d.decisionRequirementsId),
          decisionRequirementsKey: drgKey,
          resourceName: files.get(drgKey) ?? '',
          isNew,
        },
      ];
    });
  }

  async createProcessInstance(o: { bpmnProcessId: string; variables?: Variables; version?: number }) {
    const created = await call(`starting an instance of ${o.bpmnProcessId}`, () =>
      this.api.createProcessInstance({
        processDefinitionId: o.bpmnProcessId,
        variables: variablesOf(o.variables),
        ...(o.version !== undefined ? { processDefinitionVersion: o.version } : {}),
        ...this.tenant(),
      }),
    );
    return {
      processInstanceKey: String(created.processInstanceKey),
      bpmnProcessId: created.processDefinitionId,
      version: created.processDefinitionVersion,
      processDefinitionKey: String(created.processDefinitionKey),
    };
  }

  async publishMessage(m: PublishMessage): Promise<{ key: string }> {
    if (!m.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name');
    const published = await call(`publishing message ${m.name}`, () =>
      this.api.publishMessage({
        name: m.name,
        correlationKey: String(m.correlationKey ?? ''),
        // Zeebe's default is no buffering; the port says so too (0 ms).
        timeToLive: Math.max(0, Math.trunc(m.timeToLive ?? 0)),
        variables: variablesOf(m.variables),
        ...(m.messageId ? { messageId: m.messageId } : {}),
        ...this.tenant(),
      }),
    );
    return { key: String(published.messageKey ?? '') };
  }

  async correlateMessage(m: CorrelateMessage): Promise<{ key: string; processInstanceKey: string }> {
    if (!m.name) throw new EngineError('INVALID_ARGUMENT', 'a message needs a name');
    // POST /v2/messages/correlation: 404 NOT_FOUND when no subscription takes the message.
    const correlated = await call(`correlating message ${m.name}`, () =>
      this.api.correlateMessage({ name: m.name, correlationKey: String(m.correlationKey ?? ''), variables: variablesOf(m.variables), ...this.tenant() }),
    );
    return { key: String(correlated.messageKey ?? ''), processInstanceKey: String(correlated.processInstanceKey ?? '') };
  }

  async broadcastSignal(s: BroadcastSignal): Promise<{ key: string }> {
    if (!s.signalName) throw new EngineError('INVALID_ARGUMENT', 'a signal needs a name (signalName)');
    // POST /v2/signals/broadcast: the cluster triggers its subscriptions and signal start events.
    const broadcast = await call(`broadcasting signal ${s.signalName}`, () =>
      this.api.broadcastSignal({ signalName: s.signalName, variables: variablesOf(s.variables), ...this.tenant() }),
    );
    return { key: String(broadcast.signalKey ?? '') };
  }

  async cancelProcessInstance(processInstanceKey: string): Promise<void> {
    await call(`cancelling process instance ${processInstanceKey}`, () => this.api.cancelProcessInstance({ processInstanceKey }));
  }

  createWorker<V extends Variables = Variables>(o: WorkerOptions<V>): JobWorker {
    if (this.closed) throw new EngineError('UNAVAILABLE', 'the engine is closed');
    const worker = new ZeebeJobWorker({ activation: this.clients.activation ?? this.api, commands: this.api }, o as unknown as WorkerOptions, {
      ...this.options.worker,
      logger: this.options.logger,
      ...(this.options.tenantId ? { tenantIds: [this.options.tenantId] } : {}),
    });
    this.workers.add(worker);
    worker.onClose(() => this.workers.delete(worker));
    return worker;
  }

  async updateJobRetries(o: { jobKey: string; retries: number }): Promise<void> {
    if (!Number.isInteger(o.retries) || o.retries < 1) throw new EngineError('INVALID_ARGUMENT', 'retries must be a whole number of at least 1');
    await call(`updating the retries of job ${o.jobKey}`, () => this.api.updateJob({ jobKey: o.jobKey, changeset: { retries: o.retries } }));
  }

  async resolveIncident(incidentKey: string): Promise<void> {
    await call(`resolving incident ${incidentKey}`, () => this.api.resolveIncident({ incidentKey }));
  }

  async setVariables(o: { elementInstanceKey: string; variables: Variables; local?: boolean }): Promise<void> {
    const variables = variablesOf(o.variables);
    await call(`setting variables on element instance ${o.elementInstanceKey}`, () =>
      this.api.createElementInstanceVariables({ elementInstanceKey: o.elementInstanceKey, variables, local: o.local === true }),
    );
  }

  /** The cluster answers (GET /v2/topology): for readiness checks. */
  async ping(): Promise<void> {
    await call('reading the cluster topology', () => this.api.getTopology());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.workers].map((w) => w.close()));
    await this.options.onClose?.();
  }
}
