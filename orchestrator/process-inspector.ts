// Where a process instance is now, for the API ("the BPMN step the order is at").
// Engine-neutral: the embedded engine reads its own tables
// (orchestrator/embedded/process-inspector.ts); a Zeebe adapter would ask Operate.
// Also the rest of the read side the API needs (incidents, the ops page's queries), so
// routes depend on this port, never on orchestrator/embedded/ or orchestrator/zeebe/.

export type ProcessStep = {
  elementId: string;
  /** The element's name in the diagram, or null when it has none. */
  name: string | null;
  /** BPMN element type, e.g. serviceTask, receiveTask, intermediateCatchEvent, eventBasedGateway. */
  type: string;
  /** When the token arrived at this step (ISO 8601). */
  since: string;
};

export type ProcessIncident = { key: string; elementId: string; errorType: string; errorMessage: string; createdAt: string };

export type ProcessView = {
  processInstanceKey: string;
  bpmnProcessId: string;
  version: number;
  state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED';
  /** The waiting points the instance is at now (tasks, catch events, event-based gateways); empty once it ended. */
  currentSteps: ProcessStep[];
  /** Open incidents: what stops the instance until an operator resolves them. */
  incidents: ProcessIncident[];
};

export interface ProcessInspector {
  /** The instance as it is now, or undefined when the engine does not know the key. */
  instance(processInstanceKey: string): Promise<ProcessView | undefined>;
}

// --- incidents and the ops page's queries -----------------------------------------------

/** The name and BPMN type of one element of a deployed definition, as the diagram shows them. */
export type ElementInfo = { name: string | null; type: string };
export type IncidentView = {
  key: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  elementId: string;
  elementInstanceKey: string;
  jobKey: string | null;
  errorType: string;
  errorMessage: string;
  state: string;
  createdAt: string;
};
export type AuditEntry = { elementId: string; elementType: string; intent: string; elementInstanceKey: string; at: string };
export type DefinitionSummary = {
  key: string;
  bpmnProcessId: string;
  version: number;
  resourceName: string;
  deployedAt: string;
  /** Instances of this version by state (ACTIVE, COMPLETED, TERMINATED). */
  instances: Record<string, number>;
};
export type ElementStats = {
  elementId: string;
  /** Tokens at the element now, and since when the oldest of them waits. */
  waiting: number;
  oldestWaitingSince: string | null;
  /** Completed element instances and their time from activation to completion. */
  completed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Job failures (with or without retries left), and incidents open now and ever raised. */
  jobFailures: number;
  incidentsOpen: number;
  incidentsTotal: number;
};
export type InstanceOfDefinition = {
  key: string;
  definitionKey: string;
  bpmnProcessId: string;
  version: number;
  state: string;
  startedAt: string;
  endedAt: string | null;
};

/** What is stuck: implemented by the embedded engine (EngineOperations) and on Camunda 8 (ZeebeIncidents). */
export type IncidentSource = {
  incidents(o?: { state?: 'ACTIVE' | 'RESOLVED' }): Promise<IncidentView[]>;
  /** How many incidents are open now, all of them (the list above is capped on Camunda 8): the alert gauge. */
  openCount(): Promise<number>;
};

/** The operator queries behind the ops page (embedded engine: EngineOperations). */
export interface ProcessOperations {
  /** Each element of a deployed version: its name and BPMN type; undefined for an unknown key. */
  elements(processDefinitionKey: string): Promise<Map<string, ElementInfo> | undefined>;
  incidents(o?: { state?: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: string }): Promise<IncidentView[]>;
  definitions(): Promise<DefinitionSummary[]>;
  definitionXml(processDefinitionKey: string): Promise<{ key: string; bpmnProcessId: string; version: number; xml: string } | undefined>;
  elementStats(processDefinitionKey: string): Promise<ElementStats[]>;
  instance(processInstanceKey: string): Promise<InstanceOfDefinition | undefined>;
  history(processInstanceKey: string): Promise<AuditEntry[]>;
}
