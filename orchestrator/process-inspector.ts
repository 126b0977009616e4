// Where a process instance is now, for the API ("the BPMN step the order is at").
// Engine-neutral: the embedded engine reads its own tables
// (orchestrator/embedded/process-inspector.ts); a Zeebe adapter would ask Operate.

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
