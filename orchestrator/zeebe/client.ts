// The Camunda 8 client this service uses: the Orchestration Cluster REST API
// client of @camunda8/sdk (the "loose" variant: keys are plain strings, as in
// our engine port). Built from the validated configuration, never from ambient
// variables alone, so what `loadConfig` checked is exactly what the SDK uses.
import { Camunda8 } from '@camunda8/sdk';
import type { ZeebeConfig } from '../../infra/config.js';

export type CamundaClient = ReturnType<Camunda8['getOrchestrationClusterApiClientLoose']>;

/** The calls the adapter makes; tests fake exactly this surface. */
export type ZeebeApi = Pick<
  CamundaClient,
  | 'createDeployment'
  | 'createProcessInstance'
  | 'publishMessage'
  | 'correlateMessage'
  | 'broadcastSignal'
  | 'cancelProcessInstance'
  | 'activateJobs'
  | 'completeJob'
  | 'failJob'
  | 'throwJobError'
  | 'updateJob'
  | 'resolveIncident'
  | 'createElementInstanceVariables'
  | 'getTopology'
  | 'getProcessInstance'
  | 'searchProcessDefinitions'
  | 'searchElementInstances'
  | 'searchIncidents'
  | 'searchDecisionInstances'
  | 'getDecisionInstance'
>;

/** SDK configuration keys (Camunda's own variable names) for a validated Zeebe configuration. */
export function sdkConfiguration(config: ZeebeConfig, sdkLogLevel: 'none' | 'error' | 'warn' | 'info' | 'debug' = 'error'): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {
    ZEEBE_REST_ADDRESS: config.restAddress,
    CAMUNDA_AUTH_STRATEGY: config.auth.strategy,
    CAMUNDA_LOG_LEVEL: sdkLogLevel,
  };
  if (config.auth.strategy === 'OAUTH') {
    // Passed explicitly: the SDK ignores an ambient ZEEBE_CLIENT_ID for this client
    // unless it is part of the configuration object.
    Object.assign(out, { ZEEBE_CLIENT_ID: config.auth.clientId, ZEEBE_CLIENT_SECRET: config.auth.clientSecret, CAMUNDA_OAUTH_URL: config.auth.oauthUrl });
    if (config.auth.audience) out.ZEEBE_TOKEN_AUDIENCE = config.auth.audience;
    if (config.auth.scope) out.CAMUNDA_TOKEN_SCOPE = config.auth.scope;
  }
  if (config.auth.strategy === 'BASIC') {
    Object.assign(out, { CAMUNDA_BASIC_AUTH_USERNAME: config.auth.username, CAMUNDA_BASIC_AUTH_PASSWORD: config.auth.password });
  }
  if (config.tenantId) out.CAMUNDA_TENANT_ID = config.tenantId;
  return out;
}

export type ZeebeConnection = {
  /** Commands, job answers and searches. */
  commands: CamundaClient;
  /**
   * Job activation only. A client of its own: the SDK's adaptive back-pressure gate
   * counts in-flight requests per client, and long polls held open there would
   * make publishes and job answers queue behind them once the cluster pushes back.
   */
  activation: CamundaClient;
  close(): Promise<void>;
};

export function connectZeebe(config: ZeebeConfig): ZeebeConnection {
  const sdkConfig = sdkConfiguration(config) as Parameters<Camunda8['getOrchestrationClusterApiClientLoose']>[0];
  const c8 = new Camunda8(sdkConfig as ConstructorParameters<typeof Camunda8>[0]);
  return {
    commands: c8.getOrchestrationClusterApiClientLoose(sdkConfig),
    activation: c8.getOrchestrationClusterApiClientLoose(sdkConfig, { cached: false }),
    close: () => c8.closeAllClients(),
  };
}
