// Shapes of the ops page's JSON API (/ops/api/...): the path parameters it
// validates, and the answers, published in the OpenAPI document.
import { z } from 'zod';
import { storableText } from '../domain/storable.js';
import { listQuery, NextCursor, OrderStatus } from './schemas.js';

// Engine keys are positive 64-bit integers (bigint columns, Zeebe's keys), written as the
// engine hands them out: digits without leading zeros. A number beyond 64 bits would fail
// the query that looks it up, so it is refused here, like any other text that is no key.
const INT64_MAX = 9_223_372_036_854_775_807n;
const KEY_DIGITS = /^[1-9]\d{0,18}$/;

export function isEngineKey(value: string): boolean {
  return KEY_DIGITS.test(value) && BigInt(value) <= INT64_MAX;
}

/** An engine key in a path or body (`what`: "a process definition key"); anything else is a 400 naming it. */
function engineKey(what: string) {
  const message = `must be ${what}: digits, 1 to ${INT64_MAX}, no leading zeros`;
  const noun = what.replace(/^an? /, '');
  return storableText()
    .regex(KEY_DIGITS, message)
    .refine(isEngineKey, message)
    .meta({ description: `${noun[0]!.toUpperCase()}${noun.slice(1)}: a positive 64-bit integer, as digits`, example: '2251799813685249' });
}

export const DefinitionParams = z.object({ key: engineKey('a process definition key') });
export const IncidentParams = z.object({ key: engineKey('an incident key') });
export const InstanceParams = z.object({ key: engineKey('a process instance key') });

export const OpsOrderParams = z.object({
  id: storableText()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be an order id (a UUID such as 0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10)')
    .meta({ example: '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10' }),
});

const Key = z.string().meta({ description: 'Engine key (a 64-bit integer, as a string)', example: '2251799813685249' });
const Timestamp = z.string().meta({ description: 'ISO 8601', example: '2026-11-22T10:15:02.125Z' });

export const Definition = z
  .object({
    key: Key,
    bpmnProcessId: z.string().meta({ example: 'order-fulfillment' }),
    version: z.number().int().meta({ example: 2 }),
    resourceName: z.string().meta({ example: 'order-fulfillment.bpmn' }),
    deployedAt: Timestamp,
    instances: z.record(z.string(), z.number().int()).meta({ description: 'Instances of this version by state', example: { ACTIVE: 3, COMPLETED: 120 } }),
  })
  .meta({ id: 'OpsDefinition' });

export const DefinitionList = z.object({
  definitions: z.array(Definition).meta({ description: 'By process id, newest version first within each process' }),
  nextCursor: NextCursor,
});
export const ListDefinitionsQuery = listQuery({});

export const DefinitionXml = z.object({
  key: Key,
  bpmnProcessId: z.string(),
  version: z.number().int(),
  xml: z.string().meta({ description: 'The deployed BPMN 2.0 XML, diagram included' }),
});

export const ElementStatsView = z
  .object({
    elementId: z.string().meta({ example: 'RequestPayment' }),
    name: z.string().nullable().meta({ example: 'Request payment' }),
    type: z.string().nullable().meta({ example: 'serviceTask' }),
    waitingPoint: z
      .boolean()
      .meta({ description: 'Whether tokens wait here (tasks, catch events, event-based gateways, sub-processes): the page draws times only on these' }),
    waiting: z.number().int().meta({ description: 'Tokens at the element now; for a multi-instance activity, its instances (bodies), not its items' }),
    oldestWaitingSince: Timestamp.nullable(),
    completed: z.number().int().meta({ description: 'Completed visits (a multi-instance activity: completed instances of it, all items done)' }),
    p50Ms: z.number().nullable().meta({ description: 'Median time from arriving to leaving (completed visits)' }),
    p95Ms: z.number().nullable(),
    inner: z
      .object({
        waiting: z.number().int().meta({ description: 'Inner instances (items) active now' }),
        completed: z.number().int().meta({ description: 'Inner instances completed' }),
      })
      .nullable()
      .meta({
        description: "A multi-instance activity's inner instances, one per item of its collection, counted apart from its bodies; null for other elements",
      }),
    childInstancesRunning: z.number().int().meta({ description: 'A call activity: the child process instances it started that run now' }),
    jobFailures: z.number().int(),
    incidentsOpen: z.number().int(),
    incidentsTotal: z.number().int(),
  })
  .meta({ id: 'OpsElementStats' });

const Pointer = z.object({ elementId: z.string(), name: z.string().nullable() });

export const DefinitionStats = z
  .object({
    definition: Definition,
    elements: z.array(ElementStatsView),
    summary: z.object({
      longestWait: Pointer.extend({ p95Ms: z.number(), p50Ms: z.number(), completed: z.number().int() })
        .nullable()
        .meta({ description: 'The waiting point (task, catch event, event-based gateway) whose completed visits have the highest p95' }),
      mostFailures: Pointer.extend({ jobFailures: z.number().int(), incidentsTotal: z.number().int(), incidentsOpen: z.number().int() })
        .nullable()
        .meta({ description: 'The step with the most job failures and incidents' }),
      oldestWaiting: Pointer.extend({ since: Timestamp }).nullable().meta({ description: 'Where the token that has waited longest is now' }),
    }),
    generatedAt: Timestamp,
  })
  .meta({ id: 'OpsDefinitionStats' });

const Step = z.object({
  elementId: z.string(),
  name: z.string().nullable(),
  type: z.string().meta({ description: 'BPMN element type; `multiInstanceBody` for a multi-instance activity as a whole (its items are its inner instances)' }),
  intent: z.enum(['ELEMENT_ACTIVATED', 'ELEMENT_COMPLETED', 'ELEMENT_TERMINATED', 'JOB_FAILED']).or(z.string()),
  elementInstanceKey: Key,
  at: Timestamp,
});
const PathIncident = z.object({ key: Key, elementId: z.string(), errorType: z.string(), errorMessage: z.string(), createdAt: Timestamp });
const ProcessFacts = z.object({
  definitionKey: Key,
  bpmnProcessId: z.string(),
  version: z.number().int(),
  state: z.string(),
  startedAt: Timestamp,
  endedAt: Timestamp.nullable(),
});

const AuditTrail = z
  .object({
    kept: z.boolean().meta({
      description:
        "False once the audit retention (ENGINE_AUDIT_RETENTION_DAYS after the instance ended) deleted this instance's steps and decision evaluations: `steps` is then empty",
    }),
    prunedAt: Timestamp.nullable(),
    message: z.string().nullable().meta({ description: 'Said to the operator when the steps are no longer kept', example: null }),
  })
  .meta({ id: 'OpsAuditTrail' });

export const OrderPath = z
  .object({
    orderId: z.string(),
    status: OrderStatus,
    processInstanceKey: Key.nullable(),
    process: ProcessFacts.nullable().meta({ description: 'Null until the order is picked up by a process instance' }),
    steps: z.array(Step),
    auditTrail: AuditTrail,
    statusHistory: z.array(z.object({ from: OrderStatus.nullable(), to: OrderStatus, reason: z.string(), at: Timestamp })),
    incidents: z.array(PathIncident),
  })
  .meta({ id: 'OpsOrderPath' });

export const InstanceView = z
  .object({
    processInstanceKey: Key,
    orderId: z.string().nullable().meta({ description: "The order this instance serves: its own, or its call tree's root's" }),
    process: ProcessFacts,
    parent: z
      .object({
        processInstanceKey: Key,
        bpmnProcessId: z.string().nullable(),
        elementId: z.string().nullable().meta({ description: 'The call activity that started this instance' }),
        name: z.string().nullable(),
        elementInstanceKey: Key,
      })
      .nullable()
      .meta({ description: 'Null unless a call activity started this instance' }),
    rootProcessInstanceKey: Key.meta({ description: 'The top of its call tree (itself when nobody called it)' }),
    steps: z.array(Step),
    auditTrail: AuditTrail,
    incidents: z.array(PathIncident).meta({ description: 'Open incidents' }),
    calledInstances: z
      .array(
        z.object({
          processInstanceKey: Key,
          bpmnProcessId: z.string(),
          version: z.number().int(),
          definitionKey: Key,
          state: z.string(),
          startedAt: Timestamp,
          endedAt: Timestamp.nullable(),
          elementId: z.string().nullable().meta({ description: 'The call activity that started it' }),
          name: z.string().nullable(),
          elementInstanceKey: Key,
        }),
      )
      .meta({ description: "The instances this instance's call activities started, oldest first" }),
  })
  .meta({ id: 'OpsInstance' });

export const DecisionList = z
  .object({
    processInstanceKey: Key,
    decisions: z
      .array(
        z
          .object({
            key: Key.meta({ description: 'The decision instance (Camunda 8: its decisionEvaluationInstanceKey)' }),
            elementId: z.string().nullable().meta({ description: 'The business rule task', example: 'RouteShipment' }),
            elementInstanceKey: Key,
            decisionKey: Key,
            decisionId: z.string().meta({ example: 'shipment-route' }),
            decisionName: z.string().nullable(),
            decisionVersion: z.number().int(),
            decisionType: z.string().meta({ example: 'DECISION_TABLE' }),
            inputs: z.array(z.object({ inputId: z.string(), inputName: z.string().optional(), value: z.unknown() })),
            matchedRules: z.array(
              z.object({
                ruleId: z.string(),
                ruleIndex: z.number().int().meta({ description: 'From 1, in the order of the table' }),
                evaluatedOutputs: z.array(z.object({ outputId: z.string(), outputName: z.string().optional(), value: z.unknown() })),
              }),
            ),
            output: z.unknown().meta({ description: "The decision's result; null when it failed" }),
            failure: z.string().nullable().meta({ description: 'Why the evaluation failed; null when it did not' }),
            evaluatedAt: Timestamp,
          })
          .meta({ id: 'OpsDecisionEvaluation' }),
      )
      .meta({ description: 'Oldest first; required decisions before the decision they served' }),
  })
  .meta({ id: 'OpsDecisionList' });

export const IncidentList = z.object({
  incidents: z
    .array(
      z
        .object({
          key: Key,
          orderId: z.string().nullable(),
          processInstanceKey: Key,
          bpmnProcessId: z.string(),
          elementId: z.string(),
          elementInstanceKey: Key,
          jobKey: Key.nullable(),
          errorType: z.string().meta({ example: 'JOB_NO_RETRIES' }),
          errorMessage: z.string(),
          state: z.string(),
          createdAt: Timestamp,
        })
        .meta({ id: 'OpsIncident' }),
    )
    .meta({ description: 'Open incidents by key (oldest first)' }),
  nextCursor: NextCursor,
});
export const ListIncidentsQuery = listQuery({});

export const RetryIncidentBody = z
  .object({ retries: z.number().int().min(1).max(100).default(3).meta({ description: 'Retries the job gets again', example: 3 }) })
  .strict();

export const RetryAccepted = z.object({ key: Key, resolved: z.literal(true), retries: z.number().int().nullable() });
