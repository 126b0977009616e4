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
  /** The root of its call tree when a call activity started its instance (a shipment's process): the order's instance. Embedded engine only. */
  rootProcessInstanceKey?: string;
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
  /**
   * Tokens at the element now, and since when the oldest of them waits. For a multi-instance
   * activity these are its bodies: one per instance of the activity, however many items it runs.
   */
  waiting: number;
  oldestWaitingSince: string | null;
  /** Completed element instances (a multi-instance activity's: bodies) and their time from activation to completion. */
  completed: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** A multi-instance activity's inner instances (one per item), active now and completed; null for any other element. */
  inner: { waiting: number; completed: number } | null;
  /** A call activity's child process instances running now. */
  childInstancesRunning: number;
  /** Job failures (with or without retries left), and incidents open now and ever raised. */
  jobFailures: number;
  incidentsOpen: number;
  incidentsTotal: number;
};
/** The call activity that started a child instance. */
export type ParentLink = { processInstanceKey: string; elementInstanceKey: string; elementId: string | null; bpmnProcessId: string | null };
export type InstanceOfDefinition = {
  key: string;
  definitionKey: string;
  bpmnProcessId: string;
  version: number;
  state: string;
  startedAt: string;
  endedAt: string | null;
  /** Null unless a call activity started this instance. */
  parent: ParentLink | null;
  /** The top of its call tree (itself when nobody called it). */
  rootProcessInstanceKey: string;
  /** When the audit retention deleted this ended instance's steps and decision evaluations; null while they are kept. */
  auditPrunedAt: string | null;
};
/** A process instance a call activity started. */
export type CalledInstance = {
  processInstanceKey: string;
  bpmnProcessId: string;
  version: number;
  definitionKey: string;
  state: string;
  startedAt: string;
  endedAt: string | null;
  /** The call activity (element and element instance) in the calling instance. */
  elementId: string | null;
  elementInstanceKey: string;
};

// --- decisions ---------------------------------------------------------------------------

/** What Zeebe reports of a decision's evaluation: values as JSON; `ruleIndex` from 1. */
export type DecisionInput = { inputId: string; inputName?: string; value: unknown };
export type DecisionOutput = { outputId: string; outputName?: string; value: unknown };
export type DecisionMatchedRule = { ruleId: string; ruleIndex: number; evaluatedOutputs: DecisionOutput[] };
/** One decision a business rule task evaluated (what Operate shows as a decision instance); `failure` set when it failed. */
export type DecisionEvaluationView = {
  key: string;
  elementId: string | null;
  elementInstanceKey: string;
  decisionKey: string;
  decisionId: string;
  decisionName: string | null;
  decisionVersion: number;
  decisionType: string;
  inputs: DecisionInput[];
  matchedRules: DecisionMatchedRule[];
  output: unknown;
  failure: string | null;
  evaluatedAt: string;
};

/** The decisions an instance evaluated: the embedded engine's (EngineOperations) or Camunda 8's search API (ZeebeDecisions). */
export type DecisionSource = {
  /** Oldest first (required decisions before the one they served); undefined when the engine does not know the instance. */
  decisionsOf(processInstanceKey: string): Promise<DecisionEvaluationView[] | undefined>;
};

/** What is stuck: implemented by the embedded engine (EngineOperations) and on Camunda 8 (ZeebeIncidents). */
export type IncidentSource = {
  incidents(o?: { state?: 'ACTIVE' | 'RESOLVED' }): Promise<IncidentView[]>;
  /** How many incidents are open now, all of them (the list above is capped on Camunda 8): the alert gauge. */
  openCount(): Promise<number>;
};

/** The operator queries behind the ops page (embedded engine: EngineOperations). */
export interface ProcessOperations extends DecisionSource {
  /** Each element of a deployed version: its name and BPMN type; undefined for an unknown key. */
  elements(processDefinitionKey: string): Promise<Map<string, ElementInfo> | undefined>;
  incidents(o?: { state?: 'ACTIVE' | 'RESOLVED'; processInstanceKey?: string }): Promise<IncidentView[]>;
  definitions(): Promise<DefinitionSummary[]>;
  definitionXml(processDefinitionKey: string): Promise<{ key: string; bpmnProcessId: string; version: number; xml: string } | undefined>;
  elementStats(processDefinitionKey: string): Promise<ElementStats[]>;
  instance(processInstanceKey: string): Promise<InstanceOfDefinition | undefined>;
  history(processInstanceKey: string): Promise<AuditEntry[]>;
  /** The instances the instance's call activities started, oldest first. */
  calledInstances(processInstanceKey: string): Promise<CalledInstance[]>;
}
