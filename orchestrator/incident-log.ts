// An incident is an operator's alarm: an order that cannot go on until someone acts.
// Each one this process learns of is logged ONCE, at error level, by the part that
// knows it was raised — never per job retry (those are the warn-level
// `job … failed` lines of workers/run-workers.ts):
//   - embedded engine: where the incident row is written, after that transaction
//     commits (a job failed with no retries left, an uncaught BPMN error, an input
//     or output mapping, a condition, a timer or correlation key that cannot be
//     evaluated);
//   - Camunda 8: the cluster raises incidents itself. The job worker logs the ones
//     it causes — a job it failed with no retries left, once the cluster accepted
//     the answer. The others (an uncaught BPMN error, a mapping) happen inside the
//     cluster and only Operate and `order_saga_incidents_open` show them.
import type { Logger } from '../infra/logger.js';
import type { Variables } from './engine.js';

export type RaisedIncident = {
  /** The incident's key when the engine told it (embedded); Camunda 8 does not answer a failed job with one. */
  incidentKey?: string;
  processInstanceKey: string;
  bpmnProcessId: string;
  /** The step: the BPMN element the instance is stopped at. */
  elementId: string;
  /** The job's task type, when a job's answer raised it. */
  taskType?: string;
  jobKey?: string;
  /** JOB_NO_RETRIES, UNHANDLED_ERROR_EVENT, IO_MAPPING_ERROR, CONDITION_ERROR, EXTRACT_VALUE_ERROR, … */
  errorType: string;
  errorMessage: string;
  /** The process instance's variables: the saga's carry `orderId`. */
  variables: Variables;
};

/** The one error-level line of an incident, with the order, the step and the message. */
export function logIncidentRaised(log: Logger, i: RaisedIncident): void {
  const orderId = typeof i.variables.orderId === 'string' ? i.variables.orderId : undefined;
  log.error(
    {
      orderId,
      processInstanceKey: i.processInstanceKey,
      bpmnProcessId: i.bpmnProcessId,
      elementId: i.elementId,
      ...(i.taskType ? { taskType: i.taskType } : {}),
      ...(i.jobKey ? { jobKey: i.jobKey } : {}),
      ...(i.incidentKey ? { incidentKey: i.incidentKey } : {}),
      errorType: i.errorType,
      errorMessage: i.errorMessage,
    },
    `incident at ${i.elementId}${i.taskType ? ` (${i.taskType})` : ''}: ${i.errorMessage}`,
  );
}
