// A stand-in for the SDK's REST client (the calls orchestrator/zeebe uses), for
// checking the adapter's translation at the SDK boundary without a Camunda 8
// cluster, which cannot run on these machines (no Docker engine, no Java). It
// records every call with its arguments and answers what a test scripts; it
// implements no engine behaviour. Everything on our side of it runs for real.
// Each call is also handed to the real SDK to build its HTTP request, and that
// request, like each scripted answer, is checked against Camunda 8.8's REST
// contract (contract.ts); `assertContractKept()` fails a test that broke it.
import type { ZeebeApi } from '../../orchestrator/zeebe/client.js';
import { camunda88Contract } from './contract.js';

export type Call = { method: string; args: unknown[] };

/** An SDK-style HTTP error (HttpSdkError with status and RFC 9457 title/detail). */
export function httpError(status: number, title: string, detail = ''): Error {
  return Object.assign(new Error(title), { name: 'HttpSdkError', status, title, detail });
}

type Activation = { jobs: Record<string, unknown>[] };
type ActivationAnswer = Activation | Error | 'hang';

/** A promise with the SDK's `cancel()`, which rejects it like the SDK does (CancelSdkError). */
function cancelable<T>(run: (settle: { resolve(v: T): void; reject(e: unknown): void }) => void): Promise<T> & { cancel(): void } {
  let reject!: (e: unknown) => void;
  const p = new Promise<T>((res, rej) => {
    reject = rej;
    run({ resolve: res, reject: rej });
  }) as Promise<T> & { cancel(): void };
  p.cancel = () => reject(Object.assign(new Error('Cancelled'), { name: 'CancelSdkError' }));
  return p;
}

/** Contract checks still running, of every fake in this test file. */
const checks = new Set<Promise<unknown>>();

function check(run: (c: Awaited<ReturnType<typeof camunda88Contract>>) => unknown): void {
  const p: Promise<unknown> = camunda88Contract()
    .then(run)
    .finally(() => checks.delete(p));
  checks.add(p);
}

/** Waits for the checks of the calls made so far; throws naming each request or answer that broke Camunda 8.8's contract. */
export async function assertContractKept(): Promise<void> {
  await Promise.all([...checks]);
  (await camunda88Contract()).assertKept();
}

export class FakeZeebeApi {
  readonly calls: Call[] = [];
  /** Answers for the next activateJobs calls, in order; when empty, an activation waits until `offer()` or cancel. */
  private activations: ActivationAnswer[] = [];
  private waitingActivation: ((a: Activation) => void) | undefined;
  /** Scripted answers per method: a value, or an Error to throw. */
  readonly answers = new Map<string, unknown[]>();

  private record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    check((c) => c.checkSdkCall(method, args[0]));
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Queues the answer(s) of a method; an Error is thrown instead of returned. */
  answer(method: string, ...values: unknown[]): this {
    this.answers.set(method, [...(this.answers.get(method) ?? []), ...values]);
    return this;
  }

  private async next(method: string, fallback: unknown): Promise<unknown> {
    const queue = this.answers.get(method) ?? [];
    const value = queue.length > 0 ? queue.shift() : fallback;
    if (value instanceof Error) throw value;
    check((c) => c.checkResponse(method, value));
    return value;
  }

  /** Queues activation answers: jobs, an error, or 'hang' (never answers until cancelled). */
  queueActivation(...answers: ActivationAnswer[]): void {
    this.activations.push(...answers);
  }

  /** Hands jobs to an activation that is waiting (long poll), or queues them for the next one. */
  offer(jobs: Record<string, unknown>[]): void {
    check((c) => c.checkResponse('activateJobs', { jobs }));
    if (this.waitingActivation) {
      const w = this.waitingActivation;
      this.waitingActivation = undefined;
      w({ jobs });
    } else this.activations.push({ jobs });
  }

  readonly api = {
    // The SDK lists the deployed processes beside the API's `deployments` (as its createDeployment does).
    createDeployment: (input: unknown) => (
      this.record('createDeployment', [input]),
      this.next('createDeployment', restDeployment()).then((d) => {
        const wire = d as { deployments: { processDefinition?: unknown }[] };
        return { ...wire, processes: wire.deployments.flatMap((x) => (x.processDefinition ? [x.processDefinition] : [])) };
      })
    ),
    createProcessInstance: (input: unknown) => (this.record('createProcessInstance', [input]), this.next('createProcessInstance', restCreatedInstance())),
    publishMessage: (input: unknown) => (this.record('publishMessage', [input]), this.next('publishMessage', { messageKey: '1', tenantId: '<default>' })),
    correlateMessage: (input: unknown) => (
      this.record('correlateMessage', [input]),
      this.next('correlateMessage', { messageKey: '1', processInstanceKey: '2', tenantId: '<default>' })
    ),
    broadcastSignal: (input: unknown) => (this.record('broadcastSignal', [input]), this.next('broadcastSignal', { signalKey: '1', tenantId: '<default>' })),
    cancelProcessInstance: (input: unknown) => (this.record('cancelProcessInstance', [input]), this.next('cancelProcessInstance', undefined)),
    completeJob: (input: unknown) => (this.record('completeJob', [input]), this.next('completeJob', undefined)),
    failJob: (input: unknown) => (this.record('failJob', [input]), this.next('failJob', undefined)),
    throwJobError: (input: unknown) => (this.record('throwJobError', [input]), this.next('throwJobError', undefined)),
    updateJob: (input: unknown) => (this.record('updateJob', [input]), this.next('updateJob', undefined)),
    resolveIncident: (input: unknown) => (this.record('resolveIncident', [input]), this.next('resolveIncident', undefined)),
    createElementInstanceVariables: (input: unknown) => (
      this.record('createElementInstanceVariables', [input]),
      this.next('createElementInstanceVariables', undefined)
    ),
    getTopology: () => (
      this.record('getTopology', []),
      this.next('getTopology', { brokers: [], clusterSize: 1, partitionsCount: 1, replicationFactor: 1, gatewayVersion: '8.8.4', lastCompletedChangeId: '-1' })
    ),
    getProcessInstance: (input: unknown, c: unknown) => (this.record('getProcessInstance', [input, c]), this.next('getProcessInstance', restProcessInstance())),
    searchProcessDefinitions: (input: unknown, c: unknown) => (
      this.record('searchProcessDefinitions', [input, c]),
      this.next('searchProcessDefinitions', searchResult([]))
    ),
    searchElementInstances: (input: unknown, c: unknown) => (
      this.record('searchElementInstances', [input, c]),
      this.next('searchElementInstances', searchResult([]))
    ),
    searchIncidents: (input: unknown, c: unknown) => (this.record('searchIncidents', [input, c]), this.next('searchIncidents', searchResult([]))),
    searchDecisionInstances: (input: unknown, c: unknown) => (
      this.record('searchDecisionInstances', [input, c]),
      this.next('searchDecisionInstances', searchResult([]))
    ),
    getDecisionInstance: (input: unknown, c: unknown) => (
      this.record('getDecisionInstance', [input, c]),
      this.next('getDecisionInstance', restDecisionInstance())
    ),
    activateJobs: (input: unknown) => {
      this.record('activateJobs', [input]);
      return cancelable<Activation>(({ resolve, reject }) => {
        const answer = this.activations.shift();
        if (answer === undefined) this.waitingActivation = resolve;
        else if (answer === 'hang') return;
        else if (answer instanceof Error) reject(answer);
        else {
          check((c) => c.checkResponse('activateJobs', answer));
          resolve(answer);
        }
      });
    },
  };

  /** The fake typed as the SDK surface the adapter takes (its methods return what the SDK's do, minus fields the adapter ignores). */
  get client(): ZeebeApi {
    return this.api as unknown as ZeebeApi;
  }
}

/** An activated job as the REST API returns it (POST /v2/jobs/activation). */
export function restJob(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    jobKey: '2251799813685300',
    type: 'reserve-stock',
    processInstanceKey: '2251799813685250',
    processDefinitionId: 'order-fulfillment',
    processDefinitionVersion: 3,
    processDefinitionKey: '2251799813685100',
    elementId: 'ReserveStock',
    elementInstanceKey: '2251799813685290',
    customHeaders: { kind: 'confirmed' },
    variables: { orderId: 'o-1' },
    retries: 5,
    deadline: 1_800_000_000_000,
    worker: 'reserve-stock-abc',
    tenantId: '<default>',
    kind: 'BPMN_ELEMENT',
    listenerEventType: 'UNSPECIFIED',
    ...over,
  };
}

/** A search answer (POST /v2/…/search): the items and the page's total. */
export function searchResult(items: Record<string, unknown>[]): Record<string, unknown> {
  return { items, page: { totalItems: items.length } };
}

/** A deployment's answer (POST /v2/deployments) for process definitions. */
export function restDeployment(processes: Record<string, unknown>[] = []): Record<string, unknown> {
  return {
    deploymentKey: '2251799813685000',
    tenantId: '<default>',
    deployments: processes.map((p) => ({ processDefinition: { tenantId: '<default>', ...p } })),
  };
}

/** A created instance (POST /v2/process-instances). */
export function restCreatedInstance(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    processInstanceKey: '2251799813685250',
    processDefinitionId: 'p',
    processDefinitionVersion: 1,
    processDefinitionKey: '2251799813685100',
    tenantId: '<default>',
    variables: {},
    ...over,
  };
}

/** A process instance as the search API shows it (GET /v2/process-instances/{key}). */
export function restProcessInstance(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    processInstanceKey: '2251799813685250',
    processDefinitionId: 'order-fulfillment',
    processDefinitionName: 'Order fulfillment',
    processDefinitionVersion: 1,
    processDefinitionKey: '2251799813685100',
    startDate: '2026-12-01T10:00:00.000Z',
    state: 'ACTIVE',
    hasIncident: false,
    tenantId: '<default>',
    ...over,
  };
}

/** An element instance as the search API shows it (POST /v2/element-instances/search). */
export function restElementInstance(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    elementInstanceKey: '2251799813685290',
    processInstanceKey: '2251799813685250',
    processDefinitionKey: '2251799813685100',
    processDefinitionId: 'order-fulfillment',
    elementId: 'ReserveStock',
    elementName: 'Reserve stock',
    type: 'SERVICE_TASK',
    state: 'ACTIVE',
    hasIncident: false,
    startDate: '2026-12-01T10:00:00.000Z',
    tenantId: '<default>',
    ...over,
  };
}

/** A decision instance as the search API shows it (POST /v2/decision-instances/search); `details` adds what GET /v2/decision-instances/{key} adds. */
export function restDecisionInstance(over: Record<string, unknown> = {}, details = true): Record<string, unknown> {
  return {
    decisionEvaluationInstanceKey: '2251799813685263',
    decisionEvaluationKey: '2251799813685262',
    state: 'EVALUATED',
    evaluationDate: '2026-12-01T10:00:02.000Z',
    decisionDefinitionId: 'shipment-route',
    decisionDefinitionName: 'Route shipment',
    decisionDefinitionVersion: 1,
    decisionDefinitionType: 'DECISION_TABLE',
    decisionDefinitionKey: '2251799813685110',
    result: '"parcel"',
    tenantId: '<default>',
    processDefinitionKey: '2251799813685100',
    processInstanceKey: '2251799813685250',
    elementInstanceKey: '2251799813685295',
    ...(details
      ? {
          evaluatedInputs: [{ inputId: 'in-weight', inputName: 'Weight', inputValue: '4' }],
          matchedRules: [{ ruleId: 'r1', ruleIndex: 1, evaluatedOutputs: [{ outputId: 'out-carrier', outputName: 'carrier', outputValue: '"parcel"' }] }],
        }
      : {}),
    ...over,
  };
}
